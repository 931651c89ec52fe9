// age v1 (https://github.com/C2SP/C2SP/blob/main/age.md): the header (X25519 stanzas and the
// header MAC) and the STREAM payload (ChaCha20-Poly1305 over 64 KiB chunks, a big-endian counter
// and a last-chunk flag in the nonce). libsodium does the primitives; HKDF-SHA256 (RFC 5869) is
// built on its HMAC-SHA256 because libsodium 1.0.18 has no HKDF.
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "formats/age.hpp"

namespace ktape::formats {
namespace {

using Key = std::array<std::uint8_t, 32>;
using FileKey = std::array<std::uint8_t, 16>;

// The spec's sizes: 64 KiB plaintext chunks, a 16-byte Poly1305 tag each, a 16-byte payload nonce.
constexpr std::size_t k_chunk = std::size_t{64} * 1024;
constexpr std::size_t k_tag = crypto_aead_chacha20poly1305_ietf_ABYTES;
constexpr std::size_t k_sealed_chunk = k_chunk + k_tag;
constexpr std::size_t k_nonce = 16;
// Stanza bodies are wrapped at 64 base64 columns; a shorter line ends the body.
constexpr std::size_t k_body_columns = 64;
// A header larger than this is not a file age writes (it is a few hundred bytes per recipient).
constexpr std::size_t k_max_header = std::size_t{1024} * 1024;
constexpr std::string_view k_x25519_label = "age-encryption.org/v1/X25519";
// Error::reason of a file that no identity given opens (is_age_identity_missing).
constexpr std::string_view k_reason_identity_missing = "AgeIdentityMissing";

Result<void> init_sodium() {
  if (sodium_init() < 0) return fail(ErrorKind::io, "libsodium cannot start (no random source)");
  return {};
}

std::string base64(const std::uint8_t* bytes, std::size_t size) {
  std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, size, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// Strict, unpadded, canonical base64 as age requires; nullopt when `text` is anything else.
std::optional<std::string> unbase64(std::string_view text) {
  std::string out(text.size() * 3 / 4 + 3, '\0');
  std::size_t size = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(),
                        nullptr, &size, &end, sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
      end != text.data() + text.size())
    return std::nullopt;
  out.resize(size);
  return out;
}

Key hmac(std::string_view key, std::string_view data) {
  crypto_auth_hmacsha256_state state;
  static const unsigned char k_empty = 0;
  crypto_auth_hmacsha256_init(
      &state, key.empty() ? &k_empty : reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  Key out{};
  crypto_auth_hmacsha256_final(&state, out.data());
  sodium_memzero(&state, sizeof state);
  return out;
}

std::string_view view(const std::uint8_t* bytes, std::size_t size) {
  return {reinterpret_cast<const char*>(bytes), size};
}

// HKDF-SHA256 (RFC 5869) for one 32-byte block of output: PRK = HMAC(salt, ikm), OKM = HMAC(PRK,
// info || 0x01).
Key hkdf(std::string_view ikm, std::string_view salt, std::string_view info) {
  Key prk = hmac(salt, ikm);
  std::string message(info);
  message += '\x01';
  Key okm = hmac(view(prk.data(), prk.size()), message);
  sodium_memzero(prk.data(), prk.size());
  return okm;
}

// The 12-byte nonce of payload chunk `counter`: an 11-byte big-endian counter, then the last flag.
std::array<unsigned char, 12> chunk_nonce(std::uint64_t counter, bool last) {
  std::array<unsigned char, 12> nonce{};
  for (int i = 0; i < 8; ++i) nonce[10 - i] = static_cast<unsigned char>(counter >> (8 * i));
  nonce[11] = last ? 1 : 0;
  return nonce;
}

// The X25519 wrapping key shared by an ephemeral share and a recipient's public key.
Key wrap_key(const Key& shared, const Key& share, const Key& recipient) {
  std::string salt(view(share.data(), share.size()));
  salt.append(view(recipient.data(), recipient.size()));
  return hkdf(view(shared.data(), shared.size()), salt, k_x25519_label);
}

// "-> X25519 <share>\n<wrapped file key>\n" for one recipient.
Result<std::string> x25519_stanza(const AgeRecipient& recipient, const FileKey& file_key) {
  Key ephemeral{};
  Key share{};
  Key shared{};
  randombytes_buf(ephemeral.data(), ephemeral.size());
  crypto_scalarmult_base(share.data(), ephemeral.data());
  int rc = crypto_scalarmult(shared.data(), ephemeral.data(), recipient.public_key.data());
  sodium_memzero(ephemeral.data(), ephemeral.size());
  if (rc != 0)
    return fail(ErrorKind::invalid, "the recipient " + recipient.to_string() + " is a low-order point");
  Key key = wrap_key(shared, share, recipient.public_key);
  sodium_memzero(shared.data(), shared.size());
  std::array<unsigned char, 12> zero_nonce{};
  std::array<std::uint8_t, 16 + k_tag> body{};
  crypto_aead_chacha20poly1305_ietf_encrypt(body.data(), nullptr, file_key.data(), file_key.size(), nullptr,
                                            0, nullptr, zero_nonce.data(), key.data());
  sodium_memzero(key.data(), key.size());
  std::string stanza = "-> X25519 ";
  stanza.append(base64(share.data(), share.size())).append("\n");
  stanza.append(base64(body.data(), body.size())).append("\n");  // 43 columns: one short line
  return stanza;
}

class Encryptor : public AgeEncryptor {
 public:
  Encryptor(Output out, const Key& payload_key) : m_out(std::move(out)), m_key(payload_key) {
    m_plain.reserve(k_chunk);
  }
  Encryptor(const Encryptor&) = delete;
  Encryptor& operator=(const Encryptor&) = delete;
  ~Encryptor() override {
    sodium_memzero(m_key.data(), m_key.size());
    if (!m_plain.empty()) sodium_memzero(m_plain.data(), m_plain.size());
  }

  Result<void> write(std::string_view plaintext) override {
    if (m_finished) return fail(ErrorKind::io, "age: write after the last chunk");
    m_sealed.clear();
    while (!plaintext.empty()) {
      // A full chunk is sealed only once more data follows: the last chunk may be full, and only
      // the end of the stream says which one is last.
      if (m_plain.size() == k_chunk) seal(false);
      std::size_t take = std::min(k_chunk - m_plain.size(), plaintext.size());
      m_plain.append(plaintext.substr(0, take));
      plaintext.remove_prefix(take);
    }
    return m_sealed.empty() ? Result<void>{} : m_out(m_sealed);
  }

  Result<void> finish() override {
    if (m_finished) return fail(ErrorKind::io, "age: the stream is already finished");
    m_finished = true;
    m_sealed.clear();
    seal(true);
    return m_out(m_sealed);
  }

 private:
  void seal(bool last) {
    auto nonce = chunk_nonce(m_counter++, last);
    std::size_t at = m_sealed.size();
    m_sealed.resize(at + m_plain.size() + k_tag);
    crypto_aead_chacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(m_sealed.data() + at), nullptr,
                                              reinterpret_cast<const unsigned char*>(m_plain.data()),
                                              m_plain.size(), nullptr, 0, nullptr, nonce.data(),
                                              m_key.data());
    m_plain.clear();
  }

  Output m_out;
  Key m_key;
  std::string m_plain;   // the chunk being filled, at most 64 KiB
  std::string m_sealed;  // ciphertext produced by one write() or finish(), passed to m_out at once
  std::uint64_t m_counter = 0;
  bool m_finished = false;
};

struct Stanza {
  std::vector<std::string> args;
  std::string body;
};

// Reads the header and the payload of an age stream from a raw ByteSource.
class Decryptor : public ByteSource {
 public:
  Decryptor(std::unique_ptr<ByteSource> raw, std::string name)
      : m_raw(std::move(raw)), m_name(std::move(name)) {}
  Decryptor(const Decryptor&) = delete;
  Decryptor& operator=(const Decryptor&) = delete;
  ~Decryptor() override {
    sodium_memzero(m_key.data(), m_key.size());
    if (!m_plain.empty()) sodium_memzero(m_plain.data(), m_plain.size());
  }

  Result<void> open(const std::vector<AgeIdentity>& identities) {
    std::vector<Stanza> stanzas;
    std::string mac_input;
    std::string mac;
    if (auto read = read_header(stanzas, mac_input, mac); !read) return read;
    auto file_key = unwrap(stanzas, identities);
    if (!file_key) return fail(file_key.error());
    std::string_view fk = view(file_key->data(), file_key->size());
    Key mac_key = hkdf(fk, {}, "header");
    Key expected = hmac(view(mac_key.data(), mac_key.size()), mac_input);
    sodium_memzero(mac_key.data(), mac_key.size());
    if (mac.size() != expected.size() ||
        crypto_verify_32(expected.data(), reinterpret_cast<const unsigned char*>(mac.data())) != 0) {
      sodium_memzero(file_key->data(), file_key->size());
      return error(ErrorKind::parse, "the age header MAC does not match (the header was modified)");
    }
    auto nonce = take(k_nonce);
    if (!nonce) return fail(nonce.error());
    if (nonce->size() != k_nonce) {
      sodium_memzero(file_key->data(), file_key->size());
      return error(ErrorKind::parse, "the age file is truncated (it ends inside the payload nonce)");
    }
    m_key = hkdf(fk, *nonce, "payload");
    sodium_memzero(file_key->data(), file_key->size());
    return {};
  }

  Result<std::size_t> read(char* out, std::size_t size) override {
    while (m_plain_pos == m_plain.size() && !m_done) {
      if (auto next = next_chunk(); !next) return fail(next.error());
    }
    std::size_t n = std::min(size, m_plain.size() - m_plain_pos);
    std::memcpy(out, m_plain.data() + m_plain_pos, n);
    m_plain_pos += n;
    return n;
  }

  std::uint64_t raw_bytes_read() const override { return m_raw->raw_bytes_read(); }

 private:
  tl::unexpected<Error> error(ErrorKind kind, const std::string& what) const {
    return fail(kind, m_name + ": " + what);
  }

  // Makes at least `want` unread raw bytes available, unless the input ends first.
  Result<void> fill(std::size_t want) {
    if (m_begin > 0) {  // keeps the buffer at about one sealed chunk: memory stays flat
      m_in.erase(0, m_begin);
      m_begin = 0;
    }
    std::array<char, 16384> block{};
    while (m_in.size() - m_begin < want && !m_eof) {
      auto n = m_raw->read(block.data(), block.size());
      if (!n) return fail(n.error());
      m_eof = *n == 0;
      m_in.append(block.data(), *n);
    }
    return {};
  }

  Result<std::string> take(std::size_t size) {
    if (auto r = fill(size); !r) return fail(r.error());
    std::size_t n = std::min(size, m_in.size() - m_begin);
    std::string out = m_in.substr(m_begin, n);
    m_begin += n;
    return out;
  }

  // One header line without its "\n"; a header that ends or grows past k_max_header is an Error.
  Result<std::string> line(std::string& mac_input) {
    while (true) {
      auto nl = m_in.find('\n', m_begin);
      if (nl != std::string::npos) {
        std::string text = m_in.substr(m_begin, nl - m_begin);
        mac_input.append(m_in, m_begin, nl + 1 - m_begin);
        m_begin = nl + 1;
        return text;
      }
      if (m_eof || m_in.size() - m_begin > k_max_header)
        return error(ErrorKind::parse, "the age header is truncated or malformed");
      if (auto r = fill(m_in.size() - m_begin + 1); !r) return fail(r.error());
    }
  }

  Result<void> read_header(std::vector<Stanza>& stanzas, std::string& mac_input, std::string& mac) {
    auto first = line(mac_input);
    if (!first) return fail(first.error());
    if (*first != k_age_magic.substr(0, k_age_magic.size() - 1))
      return error(ErrorKind::parse, "not an age v1 file");
    while (true) {
      auto text = line(mac_input);
      if (!text) return fail(text.error());
      if (text->rfind("--- ", 0) == 0) {
        mac_input.resize(mac_input.size() - text->size() - 1 + 3);  // the MAC covers "---" only
        auto decoded = unbase64(std::string_view(*text).substr(4));
        if (!decoded) return error(ErrorKind::parse, "the age header MAC line is malformed");
        mac = *decoded;
        return {};
      }
      if (text->rfind("-> ", 0) != 0) return error(ErrorKind::parse, "malformed age header line");
      auto stanza = read_stanza(text->substr(3), mac_input);
      if (!stanza) return fail(stanza.error());
      stanzas.push_back(std::move(*stanza));
    }
  }

  Result<Stanza> read_stanza(const std::string& args, std::string& mac_input) {
    Stanza stanza;
    std::size_t start = 0;
    while (start <= args.size()) {
      auto end = std::min(args.find(' ', start), args.size());
      stanza.args.push_back(args.substr(start, end - start));
      if (stanza.args.back().empty()) return error(ErrorKind::parse, "an age stanza has an empty argument");
      start = end + 1;
    }
    while (true) {
      auto text = line(mac_input);
      if (!text) return fail(text.error());
      auto decoded = text->size() <= k_body_columns ? unbase64(*text) : std::nullopt;
      if (!decoded) return error(ErrorKind::parse, "an age stanza body is not base64");
      stanza.body += *decoded;
      if (text->size() < k_body_columns) return stanza;
    }
  }

  Result<FileKey> unwrap(const std::vector<Stanza>& stanzas, const std::vector<AgeIdentity>& identities) {
    for (const auto& s : stanzas) {
      if (s.args[0] == "scrypt")
        return error(ErrorKind::unsupported,
                     "the file is encrypted with a passphrase (age -p); ktape reads files encrypted to "
                     "X25519 recipients (age -r)");
    }
    for (const auto& s : stanzas) {
      if (s.args[0] != "X25519") continue;
      auto share = s.args.size() == 2 ? unbase64(s.args[1]) : std::nullopt;
      if (!share || share->size() != 32 || s.body.size() != 16 + k_tag)
        return error(ErrorKind::parse, "a malformed X25519 stanza in the age header");
      for (const auto& identity : identities)
        if (auto key = unwrap_x25519(*share, s.body, identity)) return *key;
    }
    tl::unexpected<Error> missing =
        identities.empty()
            ? error(ErrorKind::invalid,
                    "the file is encrypted with age: give --identity FILE with a key "
                    "it is encrypted to")
            : error(ErrorKind::invalid, "none of the " + std::to_string(identities.size()) +
                                            " identities given opens it (it is encrypted to other "
                                            "recipients)");
    missing.value().reason = std::string(k_reason_identity_missing);
    return missing;
  }

  static std::optional<FileKey> unwrap_x25519(const std::string& share_bytes, const std::string& body,
                                              const AgeIdentity& identity) {
    Key share{};
    std::memcpy(share.data(), share_bytes.data(), share.size());
    Key shared{};
    if (crypto_scalarmult(shared.data(), identity.secret().data(), share.data()) != 0) return std::nullopt;
    Key key = wrap_key(shared, share, identity.recipient().public_key);
    sodium_memzero(shared.data(), shared.size());
    std::array<unsigned char, 12> zero_nonce{};
    FileKey file_key{};
    int rc = crypto_aead_chacha20poly1305_ietf_decrypt(
        file_key.data(), nullptr, nullptr, reinterpret_cast<const unsigned char*>(body.data()), body.size(),
        nullptr, 0, zero_nonce.data(), key.data());
    sodium_memzero(key.data(), key.size());
    if (rc != 0) return std::nullopt;
    return file_key;
  }

  // Decrypts the next chunk into m_plain. One byte of lookahead past a full chunk tells whether it
  // is the last one (the last chunk may be full; it is followed by nothing).
  Result<void> next_chunk() {
    if (auto r = fill(k_sealed_chunk + 1); !r) return r;
    std::size_t available = m_in.size() - m_begin;
    bool last = available <= k_sealed_chunk;
    std::size_t size = std::min(available, k_sealed_chunk);
    if (size < k_tag || (last && size == k_tag && m_counter > 0))
      return error(ErrorKind::parse, "the age file is truncated (it ends without its last chunk)");
    if (!decrypt(size, last)) {
      if (last && size == k_sealed_chunk && decrypt(size, false))
        return error(ErrorKind::parse, "the age file is truncated (it ends without its last chunk)");
      return error(ErrorKind::parse,
                   "age chunk " + std::to_string(m_counter) +
                       " does not authenticate: the file was modified, truncated or is corrupt");
    }
    m_begin += size;
    ++m_counter;
    m_done = last;
    return {};
  }

  bool decrypt(std::size_t size, bool last) {
    auto nonce = chunk_nonce(m_counter, last);
    m_plain.resize(size - k_tag);
    m_plain_pos = 0;
    unsigned long long produced = 0;
    int rc = crypto_aead_chacha20poly1305_ietf_decrypt(
        reinterpret_cast<unsigned char*>(m_plain.data()), &produced, nullptr,
        reinterpret_cast<const unsigned char*>(m_in.data() + m_begin), size, nullptr, 0, nonce.data(),
        m_key.data());
    if (rc != 0) m_plain.clear();
    return rc == 0;
  }

  std::unique_ptr<ByteSource> m_raw;
  std::string m_name;
  std::string m_in;  // raw bytes read ahead; m_begin is the first unread one
  std::size_t m_begin = 0;
  bool m_eof = false;
  Key m_key{};
  std::string m_plain;  // the current chunk's plaintext
  std::size_t m_plain_pos = 0;
  std::uint64_t m_counter = 0;
  bool m_done = false;
};

}  // namespace

Result<std::unique_ptr<AgeEncryptor>> AgeEncryptor::start(const std::vector<AgeRecipient>& recipients,
                                                          Output out) {
  if (recipients.empty()) return fail(ErrorKind::invalid, "age encryption needs at least one recipient");
  if (auto r = init_sodium(); !r) return fail(r.error());
  FileKey file_key{};
  randombytes_buf(file_key.data(), file_key.size());
  std::string header(k_age_magic);
  for (const auto& recipient : recipients) {
    auto stanza = x25519_stanza(recipient, file_key);
    if (!stanza) {
      sodium_memzero(file_key.data(), file_key.size());
      return fail(stanza.error());
    }
    header += *stanza;
  }
  header += "---";
  std::string_view fk = view(file_key.data(), file_key.size());
  Key mac_key = hkdf(fk, {}, "header");
  Key mac = hmac(view(mac_key.data(), mac_key.size()), header);
  sodium_memzero(mac_key.data(), mac_key.size());
  header.append(" ").append(base64(mac.data(), mac.size())).append("\n");
  std::array<std::uint8_t, k_nonce> nonce{};
  randombytes_buf(nonce.data(), nonce.size());
  header.append(view(nonce.data(), nonce.size()));
  Key payload_key = hkdf(fk, view(nonce.data(), nonce.size()), "payload");
  sodium_memzero(file_key.data(), file_key.size());
  if (auto r = out(header); !r) {
    sodium_memzero(payload_key.data(), payload_key.size());
    return fail(r.error());
  }
  auto encryptor = std::make_unique<Encryptor>(std::move(out), payload_key);
  sodium_memzero(payload_key.data(), payload_key.size());
  return std::unique_ptr<AgeEncryptor>(std::move(encryptor));
}

bool is_age_identity_missing(const Error& error) { return error.reason == k_reason_identity_missing; }

bool age_identity_missing(const std::string& path) {
  auto source = open_source(path);
  if (!source) return false;
  char byte = 0;
  auto n = (*source)->read(&byte, 1);
  return !n && is_age_identity_missing(n.error());
}

Result<std::unique_ptr<ByteSource>> open_age_source(std::unique_ptr<ByteSource> raw,
                                                    const std::vector<AgeIdentity>& identities,
                                                    const std::string& name) {
  if (auto r = init_sodium(); !r) return fail(r.error());
  auto source = std::make_unique<Decryptor>(std::move(raw), name);
  if (auto r = source->open(identities); !r) return fail(r.error());
  return std::unique_ptr<ByteSource>(std::move(source));
}

}  // namespace ktape::formats
