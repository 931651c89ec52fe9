#pragma once
// The raw byte layer under formats/compress.hpp, pluggable per URL scheme. A local path is a file;
// a path that starts with a registered scheme ("s3://") is read and written through the RawStore
// registered for it, with compression (and any other stream layer) still applied on top by
// open_source/open_sink. Registration is explicit (cli/ does it at startup); formats knows no
// backend itself, so it never links one.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/compress.hpp"
#include "formats/error.hpp"

namespace ktape::formats {

// Raw bytes of one stored object, read front to back.
class RawReader {
 public:
  virtual ~RawReader() = default;
  // Reads up to `size` bytes into `buffer`; 0 means the end of the object.
  virtual Result<std::size_t> read(char* buffer, std::size_t size) = 0;
};

// Raw bytes of one object being written. Nothing is visible under the object's name until
// commit() succeeds; abort() (or destruction without commit) discards what was written.
class RawWriter {
 public:
  virtual ~RawWriter() = default;
  virtual Result<void> write(std::string_view bytes) = 0;
  // Makes the object visible whole. After an Error the object is absent (the writer aborted).
  virtual Result<void> commit() = 0;
  // Discards everything written; safe to call twice and after a failed commit.
  virtual void abort() = 0;
};

struct RawObject {
  std::string path;                   // the full URL ("s3://bucket/prefix/name.yaml")
  std::uint64_t bytes = 0;            // size as stored
  std::int64_t modified_unix_ns = 0;  // last modification, 0 when unknown
};

// A storage backend for one URL scheme. Every Error names the URL and never carries credentials.
class RawStore {
 public:
  virtual ~RawStore() = default;
  // A missing object is a not_found Error naming `path`.
  virtual Result<std::unique_ptr<RawReader>> open_read(const std::string& path) = 0;
  // With Overwrite::no an existing object is a conflict Error naming `path`.
  virtual Result<std::unique_ptr<RawWriter>> open_write(const std::string& path, Overwrite overwrite) = 0;
  // nullopt when the object is absent.
  virtual Result<std::optional<RawObject>> stat(const std::string& path) = 0;
  // The objects directly under `dir` (a "folder" URL; a missing trailing '/' is added), sorted by
  // path; objects further below are not listed.
  virtual Result<std::vector<RawObject>> list(const std::string& dir) = 0;
  // Removing an absent object is not an Error.
  virtual Result<void> remove(const std::string& path) = 0;
};

// Registers `store` for paths starting with `scheme` (e.g. "s3://"), replacing an earlier one.
// Call before any path of that scheme is opened (cli/ does at startup); not synchronized with
// concurrent opens.
void register_raw_store(std::string scheme, std::shared_ptr<RawStore> store);
// The store registered for `path`'s scheme, else nullptr (a local path, or an unregistered scheme).
std::shared_ptr<RawStore> raw_store_for(std::string_view path);
// True when `path` looks like a URL ("scheme://..."), registered or not: such a path is never a
// local file name, and opening one without a registered store is an unsupported Error.
bool is_url_path(std::string_view path);

}  // namespace ktape::formats
