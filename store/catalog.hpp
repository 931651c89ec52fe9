#pragma once
// The recordings of a folder, as `ktape ls` and `ktape prune` see them: each file's header, size,
// sidecar and meta (store/meta.hpp), read without reading the recordings' documents.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "formats/error.hpp"
#include "store/info.hpp"
#include "store/meta.hpp"

namespace ktape::store {

// ok: the file matches its sidecar; corrupt: it does not (or cannot be read); incomplete: no
// sidecar (the recording was never finished); unverified: a sidecar, not checked (no --verify).
enum class Status { ok, corrupt, incomplete, unverified };
std::string_view status_name(Status status);

struct CatalogEntry {
  RecordingInfo info;                 // path, header (nullopt for kwok's files), size, sidecar
  std::optional<RecordingMeta> meta;  // nullopt: no meta (kwok's files, unfinished ones) or stale
  Status status = Status::unverified;
  std::int64_t start_unix_ns = 0;  // the header's startTime, else the file's modification time
  std::string problem;             // why a file is corrupt ("" otherwise); never secret data
};

// True for the names a recording has: .yaml, .yml, .json, each optionally followed by .gz or .zst
// (and .tgz). Sidecars (.sha256), metas (.meta) and temporaries (.tmp) are not.
bool is_recording_name(std::string_view file_name);

// The recordings directly in `dir` (not below), sorted by start time then name. A file whose start
// cannot be read (a corrupt compressed stream, a bad header) is listed as corrupt with the reason,
// not an Error; with Verify::yes every file is hashed against its sidecar. A `dir` that is not a
// readable folder is an Error naming it.
Result<std::vector<CatalogEntry>> list_recordings(const std::string& dir, Verify verify = Verify::no);

// Deletes a recording with what goes with it: NAME.sha256 and NAME.meta. A missing sidecar or meta
// is not an error; a file that cannot be removed is, naming it.
Result<void> delete_recording(const std::string& path);

}  // namespace ktape::store
