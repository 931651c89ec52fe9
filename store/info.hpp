#pragma once
// RecordingInfo: what `ls` and `show` say about a stored recording without reading its documents:
// ktape's header (the file's first line), the file's size, and its NAME.sha256 sidecar.
#include <cstdint>
#include <optional>
#include <string>

#include "formats/error.hpp"
#include "formats/recording.hpp"
#include "store/digest.hpp"

namespace ktape::store {

// Whether read_recording_info hashes the whole file against its sidecar (as `verify` does) or only
// notes that the sidecar exists (as `ls` does, reading a few KiB per file).
enum class Verify { no, yes };

struct RecordingInfo {
  std::string path;
  std::optional<formats::Header> header;  // nullopt for a file without ktape's header (kwok's)
  std::uint64_t file_bytes = 0;           // as stored: a compressed file counts compressed bytes
  bool has_sidecar = false;               // NAME.sha256 exists beside the file
  std::optional<Integrity> integrity;     // the file against its sidecar; set with Verify::yes only
  bool locked = false;  // an age file that no --identity given opens: header unknown, the rest known
};

// Reads `path`'s first line through its compression (gzip or zstd, found by magic bytes) and looks
// for its sidecar; with Verify::yes also hashes the file (Integrity::missing_sidecar when there is
// no sidecar). Errors name the path: a missing file (not_found), an unreadable or corrupt start
// of file, a ktape header that does not parse or is of a newer format (unsupported), and with
// Verify::yes a sidecar that is not a sha256sum line. An age file that no identity given opens is
// no Error: `locked`, without a header (its sidecar covers the encrypted bytes).
Result<RecordingInfo> read_recording_info(const std::string& path, Verify verify = Verify::no);

}  // namespace ktape::store
