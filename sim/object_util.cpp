#include "sim/object_util.hpp"

#include <array>
#include <chrono>
#include <random>

#include "formats/time.hpp"

namespace ktape::sim::detail {
namespace {

// One engine per thread (seeded from the system's random source), so that request threads do not
// queue on a lock for their uids.
std::uint64_t random_u64() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine();
}

constexpr std::string_view k_b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

std::string now_rfc3339() {
  // Formatting costs more than the rest of a create's metadata: each thread keeps the last second's.
  thread_local std::int64_t cached_second = -1;
  thread_local std::string cached;
  auto now = std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  auto second = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
  if (second != cached_second) {
    cached = formats::format_rfc3339(formats::TimePoint(std::chrono::seconds(second)));
    cached_second = second;
  }
  return cached;
}

std::string new_uid() {
  std::uint64_t hi = random_u64(), lo = random_u64();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;              // version 4
  lo = (lo & ~(0xC0ULL << 56)) | (0x80ULL << 56);  // RFC 4122 variant
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    std::uint64_t word = i < 16 ? hi : lo;
    int shift = 60 - 4 * (i % 16);
    if (i == 8 || i == 12 || i == 16 || i == 20) out.push_back('-');
    out.push_back(k_hex[(word >> shift) & 0xF]);
  }
  return out;
}

std::string random_suffix() {
  // The alphabet of apimachinery's utilrand.String: no vowels, no confusable characters.
  static constexpr std::string_view k_alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  std::uint64_t r = random_u64();
  for (int i = 0; i < 5; ++i) {
    out.push_back(k_alphabet[r % k_alphabet.size()]);
    r /= k_alphabet.size();
  }
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(k_b64[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(k_b64[(acc << (6 - bits)) & 0x3F]);
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    std::size_t v = k_b64.find(c);
    if (c == '+') v = 62;
    if (c == '/') v = 63;
    if (v == std::string_view::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

formats::Value& metadata_of(formats::Value& object) {
  formats::Value& m = object["metadata"];
  if (!m.is_object()) m = formats::Value::object();
  return m;
}

std::string metadata_string(const formats::Value& object, std::string_view field) {
  return std::string(object.string_at({"metadata", field}));
}

}  // namespace ktape::sim::detail
