// The document reader over plain, gzip and zstd streams, and YAML's two reading paths against each
// other. The first byte chooses the layer: 'g' gzip-compresses the rest, 'z' zstd-compresses it,
// anything else feeds the bytes as they are (so corrupt compressed streams come through magic-byte
// detection). Invariants: the reader never crashes and ends (an Error ends it); each document it
// yields is an object; and for the whole input taken as one document, whatever both the fast path
// and yaml-cpp accept they read the same (the fast path may decline; it must never differ).
#include <zlib.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "formats/reader.hpp"
#include "formats/yaml_scalar.hpp"
#include "fuzz/checks.hpp"
#include "fuzz/support.hpp"

namespace ktape::fuzz {
namespace {

std::string gzip(std::string_view text) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zstd(std::string_view text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  std::size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 1);
  check(!ZSTD_isError(n), "zstd compression of the input failed");
  out.resize(n);
  return out;
}

void read_all(std::string bytes) {
  using namespace ktape::formats;
  DocumentReader reader(memory_source(std::move(bytes)), "fuzz.yaml");
  std::size_t last = 0;
  for (;;) {
    auto doc = reader.next();
    if (!doc || !*doc) return;
    check((*doc)->value.is_object(), "the reader yielded a document that is not a mapping");
    check((*doc)->number >= last, "document numbers went backwards");
    last = (*doc)->number;
  }
}

void compare_paths(std::string_view text) {
  using namespace ktape::formats;
  auto fast = yaml_detail::parse_block_subset(text);
  if (!fast) return;
  auto slow = yaml_detail::parse_yaml_with_yaml_cpp(text, 1);
  // The fast path promises to read exactly what yaml-cpp reads (yaml_scalar.hpp), so yaml-cpp
  // refusing a document the fast path read is a finding too.
  check(slow.has_value(), "the fast path read a document yaml-cpp refuses");
  check(*slow == *fast, "the fast path and yaml-cpp read the document differently");
}

}  // namespace

void check_reader(std::string_view input) {
  if (input.empty()) return;
  std::string_view rest = input.substr(1);
  switch (input[0]) {
    case 'g':
      read_all(gzip(rest));
      break;
    case 'z':
      read_all(zstd(rest));
      break;
    default:
      read_all(std::string(input));
      break;
  }
  compare_paths(rest);
}

}  // namespace ktape::fuzz
