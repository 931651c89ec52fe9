#include "store/info.hpp"

#include <filesystem>
#include <string_view>

#include "formats/age.hpp"
#include "formats/compress.hpp"
#include "store/storage.hpp"

namespace ktape::store {

namespace {

// ktape's header line is a few hundred bytes; a first line longer than this is not one.
constexpr std::size_t k_first_line_limit = 1 << 16;

// The header in the first line of `path`, read through its compression; nullopt when the first
// line is not ktape's header comment.
Result<std::optional<formats::Header>> read_header(const std::string& path) {
  auto source = formats::open_source(path);
  if (!source) return fail(source.error());
  std::string head;
  char buffer[4096];
  while (head.find('\n') == std::string::npos && head.size() < k_first_line_limit) {
    auto n = (*source)->read(buffer, sizeof buffer);
    if (!n) return fail(with_context(n.error(), path));
    if (*n == 0) break;
    head.append(buffer, *n);
  }
  std::string_view line(head);
  line = line.substr(0, line.find('\n'));
  if (!line.starts_with("# ")) return std::optional<formats::Header>{};
  auto header = formats::parse_header_comment(line.substr(2));
  if (!header) return fail(with_context(header.error(), path + ": line 1"));
  return header;
}

}  // namespace

Result<RecordingInfo> read_recording_info(const std::string& path, Verify verify) {
  RecordingInfo info;
  info.path = path;
  auto header = read_header(path);
  info.locked = !header && formats::is_age_identity_missing(header.error());
  if (!header && !info.locked) return fail(header.error());
  if (header) info.header = std::move(*header);
  auto stored = stat_stored(path);
  if (!stored) return fail(stored.error());
  if (!*stored) return fail(ErrorKind::not_found, path + ": no such file");
  info.file_bytes = (*stored)->bytes;
  auto sidecar = stat_stored(sidecar_path(path));
  if (!sidecar) return fail(sidecar.error());
  info.has_sidecar = sidecar->has_value();
  if (verify == Verify::yes) {
    auto integrity = verify_sidecar(path);
    if (!integrity) return fail(integrity.error());
    info.integrity = *integrity;
  }
  return info;
}

}  // namespace ktape::store
