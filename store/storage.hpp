#pragma once
// Where recordings live: a local folder, or a URL whose raw store cli/ registered
// (formats/raw_store.hpp; "s3://bucket/prefix/"). The few file operations store/ needs beyond
// streaming (size, existence, small whole files such as sidecars and metas, listing, deleting),
// the same for both, so that ls, show, verify, prune and diff work on either.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/error.hpp"

namespace ktape::store {

struct StoredFile {
  std::string path;                   // as it would be opened: a local path or a full URL
  std::uint64_t bytes = 0;            // size as stored
  std::int64_t modified_unix_ns = 0;  // last modification, 0 when unknown
};

// True when `path` is a URL ("s3://..."), not a local file name.
bool is_remote(std::string_view path);
// The last component of `path` ("s3://b/p/x.yaml" -> "x.yaml").
std::string stored_name(std::string_view path);
// Size and modification time; nullopt when the file or object does not exist. Other failures
// (permissions, the network, credentials) are Errors naming `path`.
Result<std::optional<StoredFile>> stat_stored(const std::string& path);
// The whole of a small file (a sidecar, a meta); nullopt when it does not exist.
Result<std::optional<std::string>> read_stored(const std::string& path);
// Writes a small file whole, mode 0600: locally through a temporary file and a rename, remotely
// as one object made visible at once. Either way a reader sees the old content or the new.
Result<void> write_stored(const std::string& path, std::string_view bytes);
// Deletes a file or object; an absent one is not an Error.
Result<void> remove_stored(const std::string& path);
// The regular files or objects directly in folder `dir` (not below), in no particular order. A
// local `dir` that is not a readable folder is an io Error naming it.
Result<std::vector<StoredFile>> list_stored(const std::string& dir);

}  // namespace ktape::store
