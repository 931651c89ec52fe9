// age keys: Bech32 strings (BIP 173, as age uses it, without the 90-character limit), key files,
// and the process-wide keyring that the command line fills.
#include <sodium.h>

#include <cstdlib>
#include <fstream>
#include <mutex>

#include "formats/age.hpp"

namespace ktape::formats {
namespace {

constexpr std::string_view k_charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::string_view k_recipient_hrp = "age";
constexpr std::string_view k_identity_hrp = "age-secret-key-";

// BIP 173's checksum: a BCH code over GF(32) with these generator constants.
std::uint32_t polymod(const std::vector<std::uint8_t>& values) {
  constexpr std::array<std::uint32_t, 5> k_generator = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                                        0x2a1462b3};
  std::uint32_t chk = 1;
  for (auto v : values) {
    std::uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (std::size_t i = 0; i < k_generator.size(); ++i)
      if (((top >> i) & 1) != 0) chk ^= k_generator[i];
  }
  return chk;
}

std::vector<std::uint8_t> hrp_expand(std::string_view hrp) {
  std::vector<std::uint8_t> out;
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(static_cast<unsigned char>(c) >> 5));
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(static_cast<unsigned char>(c) & 31));
  return out;
}

// Regroups bits: 8 -> 5 with padding (encode), 5 -> 8 without (decode; leftover bits must be zero).
bool convert_bits(const std::vector<std::uint8_t>& in, int from, int to, bool pad,
                  std::vector<std::uint8_t>& out) {
  std::uint32_t acc = 0;
  int bits = 0;
  const std::uint32_t max = (1U << to) - 1;
  for (auto v : in) {
    acc = (acc << from) | v;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & max));
    }
  }
  if (pad) {
    if (bits > 0) out.push_back(static_cast<std::uint8_t>((acc << (to - bits)) & max));
    return true;
  }
  return bits < from && ((acc << (to - bits)) & max) == 0;
}

std::string bech32_encode(std::string_view hrp, const std::array<std::uint8_t, 32>& bytes) {
  std::vector<std::uint8_t> data;
  convert_bits({bytes.begin(), bytes.end()}, 8, 5, true, data);
  auto values = hrp_expand(hrp);
  values.insert(values.end(), data.begin(), data.end());
  values.resize(values.size() + 6, 0);
  std::uint32_t mod = polymod(values) ^ 1;
  std::string out(hrp);
  out += '1';
  for (auto d : data) out += k_charset[d];
  for (int i = 0; i < 6; ++i) out += k_charset[(mod >> (5 * (5 - i))) & 31];
  return out;
}

// Decodes `text` whose human-readable part must be `hrp` into 32 bytes; false when malformed.
bool bech32_decode(std::string_view text, std::string_view hrp, std::array<std::uint8_t, 32>& bytes) {
  bool lower = false;
  bool upper = false;
  std::string s;
  for (char c : text) {
    if (c < 33 || c > 126) return false;
    lower = lower || (c >= 'a' && c <= 'z');
    upper = upper || (c >= 'A' && c <= 'Z');
    s += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  auto sep = s.rfind('1');
  if ((lower && upper) || sep == std::string::npos || s.substr(0, sep) != hrp || s.size() < sep + 7)
    return false;
  std::vector<std::uint8_t> data;
  for (std::size_t i = sep + 1; i < s.size(); ++i) {
    auto pos = k_charset.find(s[i]);
    if (pos == std::string_view::npos) return false;
    data.push_back(static_cast<std::uint8_t>(pos));
  }
  auto values = hrp_expand(hrp);
  values.insert(values.end(), data.begin(), data.end());
  if (polymod(values) != 1) return false;
  data.resize(data.size() - 6);
  std::vector<std::uint8_t> out;
  if (!convert_bits(data, 5, 8, false, out) || out.size() != bytes.size()) return false;
  std::copy(out.begin(), out.end(), bytes.begin());
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// Calls `line(text, number)` for each line of `path` that is neither blank nor a comment.
Result<void> for_each_key_line(const std::string& path,
                               const std::function<Result<void>(std::string_view, int)>& line) {
  std::ifstream in(path);
  if (!in) return fail(ErrorKind::io, "cannot read the key file " + path);
  std::string text;
  int number = 0;
  while (std::getline(in, text)) {
    ++number;
    auto t = trim(text);
    if (t.empty() || t.front() == '#') continue;
    if (auto r = line(t, number); !r) return r;
  }
  return {};
}

struct Keyring {
  std::mutex mutex;
  std::vector<AgeIdentity> identities;
  std::vector<AgeRecipient> recipients;
};

Keyring& keyring() {
  static Keyring ring;
  return ring;
}

}  // namespace

std::string AgeRecipient::to_string() const { return bech32_encode(k_recipient_hrp, public_key); }

AgeIdentity AgeIdentity::generate() {
  if (sodium_init() < 0) std::abort();  // libsodium cannot start without a random source
  std::array<std::uint8_t, 32> secret{};
  randombytes_buf(secret.data(), secret.size());
  AgeIdentity identity(secret);
  sodium_memzero(secret.data(), secret.size());
  return identity;
}

AgeIdentity::AgeIdentity(const std::array<std::uint8_t, 32>& secret) : m_secret(secret) {}
AgeIdentity::AgeIdentity(const AgeIdentity& other) = default;
AgeIdentity& AgeIdentity::operator=(const AgeIdentity& other) = default;
AgeIdentity::~AgeIdentity() { sodium_memzero(m_secret.data(), m_secret.size()); }

AgeRecipient AgeIdentity::recipient() const {
  AgeRecipient r;
  crypto_scalarmult_base(r.public_key.data(), m_secret.data());
  return r;
}

std::string AgeIdentity::to_string() const {
  std::string s = bech32_encode(k_identity_hrp, m_secret);
  for (char& c : s) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return s;
}

Result<AgeRecipient> parse_age_recipient(std::string_view text) {
  AgeRecipient r;
  if (!bech32_decode(text, k_recipient_hrp, r.public_key) || text.substr(0, 4) != "age1")
    return fail(ErrorKind::invalid,
                std::string("\"").append(text).append(
                    "\" is not an age X25519 recipient (age1... as age-keygen prints it)"));
  return r;
}

Result<std::vector<AgeRecipient>> read_age_recipients_file(const std::string& path) {
  std::vector<AgeRecipient> out;
  auto read = for_each_key_line(path, [&](std::string_view text, int number) -> Result<void> {
    auto r = parse_age_recipient(text);
    if (!r) return fail(with_context(r.error(), path + ": line " + std::to_string(number)));
    out.push_back(*r);
    return {};
  });
  if (!read) return fail(read.error());
  if (out.empty()) return fail(ErrorKind::invalid, path + ": no age recipient (age1...) in the file");
  return out;
}

Result<std::vector<AgeIdentity>> read_age_identities_file(const std::string& path) {
  std::vector<AgeIdentity> out;
  auto read = for_each_key_line(path, [&](std::string_view text, int number) -> Result<void> {
    std::array<std::uint8_t, 32> secret{};
    if (text.substr(0, 16) != "AGE-SECRET-KEY-1" || !bech32_decode(text, k_identity_hrp, secret))
      return fail(ErrorKind::invalid, path + ": line " + std::to_string(number) +
                                          " is not an age X25519 identity (AGE-SECRET-KEY-1...)");
    out.emplace_back(secret);
    sodium_memzero(secret.data(), secret.size());
    return {};
  });
  if (!read) return fail(read.error());
  if (out.empty())
    return fail(ErrorKind::invalid, path + ": no age identity (AGE-SECRET-KEY-1...) in the file");
  return out;
}

bool is_age_path(std::string_view path) { return path.size() >= 4 && path.substr(path.size() - 4) == ".age"; }

std::string_view strip_age_extension(std::string_view path) {
  return is_age_path(path) ? path.substr(0, path.size() - 4) : path;
}

void set_age_identities(std::vector<AgeIdentity> identities) {
  std::lock_guard lock(keyring().mutex);
  keyring().identities = std::move(identities);
}

void set_age_recipients(std::vector<AgeRecipient> recipients) {
  std::lock_guard lock(keyring().mutex);
  keyring().recipients = std::move(recipients);
}

std::vector<AgeIdentity> age_identities() {
  std::lock_guard lock(keyring().mutex);
  return keyring().identities;
}

std::vector<AgeRecipient> age_recipients() {
  std::lock_guard lock(keyring().mutex);
  return keyring().recipients;
}

}  // namespace ktape::formats
