#pragma once
// RecordingMeta: the cheap counts of a finished recording, kept in NAME.meta beside it (JSON, mode
// 0600), so that `ktape ls` shows objects, events and duration from a few hundred bytes per file.
//
// Why a file beside the recording and not a trailing `# ktape-end: {...}` comment in it: the tail
// of a gzip or zstd stream cannot be read without decompressing the whole stream, and most large
// recordings are compressed; a trailer would make `ls` read every byte of them. A separate file
// also leaves the recording's bytes exactly what kwok reads, and leaves NAME.sha256 a plain
// sha256sum line (`sha256sum -c` rejects extra lines). The meta is written, like the sidecar,
// only when the file was closed whole; it records the file's size, so a meta left over from an
// older file of the same name is recognised as stale.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "formats/error.hpp"
#include "formats/value.hpp"

namespace ktape::store {

struct MetaCounts {
  std::uint64_t objects = 0;  // in the snapshot section
  std::uint64_t events = 0;   // in the event section
  friend bool operator==(const MetaCounts&, const MetaCounts&) = default;
};

struct RecordingMeta {
  std::uint64_t objects = 0;     // snapshot-section objects
  std::uint64_t events = 0;      // event-section documents
  std::int64_t duration_ns = 0;  // recorded time covered: from the header's startTime to the end
  std::uint64_t file_bytes = 0;  // the recording's size when the meta was written (as stored)
  std::map<std::string, MetaCounts> resources;  // by qualified resource ("deployments.apps")
  friend bool operator==(const RecordingMeta&, const RecordingMeta&) = default;
};

// The meta's path: path + ".meta".
std::string meta_path(const std::string& path);

formats::Value meta_to_value(const RecordingMeta& meta);
// Errors name the field ("objects: not a count").
Result<RecordingMeta> meta_from_value(const formats::Value& value);

// Writes `meta` beside `path` (mode 0600, through a rename so a reader never sees half of it),
// with file_bytes set to path's current size. Call it only for a file closed whole.
Result<void> write_meta(const std::string& path, RecordingMeta meta);

// The meta beside `path`; nullopt when there is none, or when it is stale (its file_bytes is not
// path's size). A meta that is not valid JSON of the right shape is an Error naming it.
Result<std::optional<RecordingMeta>> read_meta(const std::string& path);

}  // namespace ktape::store
