#include "store/digest.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "formats/raw_store.hpp"
#include "store/storage.hpp"

namespace ktape::store {

namespace {

Error io_error(const std::string& what, const std::string& path) {
  return Error{ErrorKind::io, what + " " + path + ": " + std::strerror(errno), 0, {}};
}

std::string hex(const unsigned char* bytes, unsigned size) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::size_t{size} * 2);
  for (unsigned i = 0; i < size; ++i) {
    out += k_digits[bytes[i] >> 4];
    out += k_digits[bytes[i] & 15];
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  return hex(digest, size);
}

// The SHA-256 of an object of a registered URL store, read as stored (no decompression).
Result<std::string> sha256_remote(const std::string& path) {
  auto store = formats::raw_store_for(path);
  if (!store) return fail(ErrorKind::unsupported, path + ": no storage backend for this URL scheme");
  auto reader = store->open_read(path);
  if (!reader) return fail(reader.error());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  for (;;) {
    auto n = (*reader)->read(buf.data(), buf.size());
    if (!n) return fail(n.error());
    if (*n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), *n);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &size);
  return hex(digest, size);
}

Result<std::string> sha256_file(const std::string& path) {
  if (is_remote(path)) return sha256_remote(path);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(io_error("cannot open", path));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto e = io_error("cannot read", path);
      ::close(fd);
      return fail(e);
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &size);
  return hex(digest, size);
}

std::string sidecar_path(const std::string& path) { return path + ".sha256"; }

Result<void> write_private_file(const std::string& path, std::string_view bytes) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(io_error("cannot create", tmp));
  bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) && ::fsync(fd) == 0;
  auto e = io_error("cannot write", tmp);
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return fail(e);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(io_error("cannot rename to", path));
  return {};
}

Result<std::string> write_sidecar(const std::string& path) {
  auto digest = sha256_file(path);
  if (!digest) return digest;
  std::string line = *digest + "  " + stored_name(path) + "\n";
  auto written = write_stored(sidecar_path(path), line);
  if (!written) return fail(written.error());
  return digest;
}

Result<Integrity> verify_sidecar(const std::string& path) {
  auto text = read_stored(sidecar_path(path));
  if (!text) return fail(text.error());
  if (!*text) return Integrity::missing_sidecar;
  std::string expected;
  std::istringstream(**text) >> expected;
  if (expected.size() != 64 || expected.find_first_not_of("0123456789abcdef") != std::string::npos)
    return fail(ErrorKind::parse, sidecar_path(path) + ": not a sha256sum line");
  auto actual = sha256_file(path);
  if (!actual) return fail(actual.error());
  return *actual == expected ? Integrity::ok : Integrity::mismatch;
}

}  // namespace ktape::store
