#pragma once
// SHA-256 digests, and integrity sidecars: NAME.sha256 beside a recording, in sha256sum's format
// ("<64 hex digits>  <file name>\n"), so `sha256sum -c NAME.sha256` checks it too.
#include <string>
#include <string_view>

#include "formats/error.hpp"

namespace ktape::store {

// Lowercase hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);
// Lowercase hex SHA-256 of a file's bytes as stored (compressed files are hashed compressed).
Result<std::string> sha256_file(const std::string& path);
// The sidecar's path: path + ".sha256".
std::string sidecar_path(const std::string& path);
// Writes `bytes` to `path` (mode 0600) through a temporary file and a rename, so a reader sees the
// old file or the new one, never half of one.
Result<void> write_private_file(const std::string& path, std::string_view bytes);
// Hashes `path` and writes its sidecar (mode 0600, replacing an older sidecar through a rename, so
// a reader never sees half a sidecar). Returns the hash. Call it only for a file closed whole: a
// sidecar says the file is finished.
Result<std::string> write_sidecar(const std::string& path);

enum class Integrity { ok, mismatch, missing_sidecar };
// Compares the file with its sidecar. A sidecar that cannot be parsed is an Error.
Result<Integrity> verify_sidecar(const std::string& path);

}  // namespace ktape::store
