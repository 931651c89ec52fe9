// The watch-stream line scanner against the full decoder: scan_watch_event (a structural walk
// that builds no Value) and decode_watch_event (a full parse) never crash; when both accept a
// line they agree on the event type and the object's name, namespace and resourceVersion.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/checks.hpp"
#include "fuzz/support.hpp"
#include "kube/watch.hpp"

namespace ktape::fuzz {

void check_watch(std::string_view input) {
  using namespace ktape::kube;
  std::string line(input);
  auto scanned = scan_watch_event(line, "watch /fuzz");
  auto decoded = decode_watch_event(line, "watch /fuzz");
  if (scanned) {
    check(scanned->object_begin <= scanned->object_end && scanned->object_end <= scanned->line.size(),
          "the scanner's object bounds are outside the line");
  }
  if (!scanned || !decoded) return;
  check(scanned->type == decoded->type, "scanner and decoder read different types");
  check(scanned->resource_version == decoded->resource_version,
        "scanner and decoder read different resourceVersions");
  const ktape::formats::Value* meta = decoded->object.find("metadata");
  const ktape::formats::Value* name = meta ? meta->find("name") : nullptr;
  if (name && name->is_string())
    check(scanned->name == name->as_string(), "scanner and decoder read different names");
}

}  // namespace ktape::fuzz
