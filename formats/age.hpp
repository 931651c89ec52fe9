#pragma once
// age encryption (https://age-encryption.org/v1, the format of the `age` command): X25519
// recipients (`age1...`) and identities (`AGE-SECRET-KEY-1...`), the header with its HMAC, and the
// payload as ChaCha20-Poly1305 chunks of 64 KiB, so that any size streams in flat memory. This is
// the layer below compression: `x.yaml.zst.age` is YAML, compressed, then encrypted.
//
// Keys are process-wide: the command line installs the identities (--identity) and recipients
// (--encrypt-to) once, before any file is opened; open_source() then decrypts an age file by its
// magic line and open_sink() encrypts a path ending in ".age". Nothing here ever puts key
// material, file keys or plaintext into an Error message.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "formats/compress.hpp"
#include "formats/error.hpp"

namespace ktape::formats {

// The first line of every age file (the magic that open_source() detects).
inline constexpr std::string_view k_age_magic = "age-encryption.org/v1\n";

// An X25519 public key, parsed from its `age1...` Bech32 string.
struct AgeRecipient {
  std::array<std::uint8_t, 32> public_key{};
  std::string to_string() const;  // "age1..." (lower case), as age-keygen prints it
};

// An X25519 private key. The secret is wiped when the object is destroyed.
class AgeIdentity {
 public:
  // A new random key (tests, and a future `ktape keygen`).
  static AgeIdentity generate();
  explicit AgeIdentity(const std::array<std::uint8_t, 32>& secret);
  AgeIdentity(const AgeIdentity& other);
  AgeIdentity& operator=(const AgeIdentity& other);
  ~AgeIdentity();

  const std::array<std::uint8_t, 32>& secret() const { return m_secret; }
  AgeRecipient recipient() const;  // the public key matching this identity
  std::string to_string() const;   // "AGE-SECRET-KEY-1..." (upper case), as age-keygen writes it

 private:
  std::array<std::uint8_t, 32> m_secret{};
};

// Parses one `age1...` string. A malformed one is an invalid Error that quotes it (it is public).
Result<AgeRecipient> parse_age_recipient(std::string_view text);
// Parses a recipients file (age's -R format): one `age1...` per line, `#` comments and blank lines
// ignored. An unreadable file is an io Error; a bad line an invalid Error naming the file and line
// number. A file with no recipient is an invalid Error.
Result<std::vector<AgeRecipient>> read_age_recipients_file(const std::string& path);
// Parses an identity file (age-keygen's output): `AGE-SECRET-KEY-1...` lines, `#` comments and
// blank lines ignored. Errors name the file and the line number, never the line's content. A file
// with no identity is an invalid Error.
Result<std::vector<AgeIdentity>> read_age_identities_file(const std::string& path);

// Encrypts a byte stream to `recipients`: plaintext goes in through write(), ciphertext comes out
// through `out` (header first, then whole 64 KiB chunks), and finish() writes the last chunk.
// Until finish(), up to 64 KiB of plaintext stays buffered: age has no way to flush a partial
// chunk except as the last one.
class AgeEncryptor {
 public:
  using Output = std::function<Result<void>(std::string_view)>;
  // An empty `recipients` is an invalid Error. The header is written through `out` at once.
  static Result<std::unique_ptr<AgeEncryptor>> start(const std::vector<AgeRecipient>& recipients, Output out);
  virtual ~AgeEncryptor() = default;
  virtual Result<void> write(std::string_view plaintext) = 0;
  // Writes the last chunk; further writes are errors.
  virtual Result<void> finish() = 0;
};

// Decrypts the age stream read from `raw` with the first of `identities` that opens it. The
// header is read and checked here: no identity matching is an invalid Error ("encrypted to other
// recipients"), a header whose MAC does not match is a parse Error. Payload errors (a tampered or
// truncated chunk) come from read(). `name` (the file) starts every error message.
Result<std::unique_ptr<ByteSource>> open_age_source(std::unique_ptr<ByteSource> raw,
                                                    const std::vector<AgeIdentity>& identities,
                                                    const std::string& name);

// True when `path` is an age file that none of the process-wide identities opens (none was
// given, or none matches): what lets `ls`, `show` and `verify` say what they can without the key.
// False for any other file, readable or not.
bool age_identity_missing(const std::string& path);
// True for the Error of opening an age file without a matching identity.
bool is_age_identity_missing(const Error& error);

// True when `path` ends in ".age".
bool is_age_path(std::string_view path);
// `path` without a trailing ".age" (what tells the compression below it).
std::string_view strip_age_extension(std::string_view path);

// The process-wide keys (see the top of this file). Set them before opening files; reading them
// is thread-safe.
void set_age_identities(std::vector<AgeIdentity> identities);
void set_age_recipients(std::vector<AgeRecipient> recipients);
std::vector<AgeIdentity> age_identities();
std::vector<AgeRecipient> age_recipients();

}  // namespace ktape::formats
