#pragma once
// `ktape cut`: a new recording of a window of another. Its snapshot section is the state at
// `from` (every object alive then, as it was then) and its events are those in [from, to], with
// durationNanosecond re-based to count from `from` and the header's startTime moved to the
// original start + from, so a replay of the cut starts exactly where the original stood at `from`.
// The output may change compression (by OUT's extension), time markers (on or off) and header
// (a kwok file gets ktape's). IN is only read. OUT gets its NAME.sha256 and NAME.meta.
#include <cstdint>
#include <optional>
#include <string>

#include "formats/compress.hpp"
#include "formats/error.hpp"
#include "store/meta.hpp"

namespace ktape::store {

struct CutOptions {
  std::string in;                     // the recording to cut (ktape's or kwok's, any compression)
  std::string out;                    // the new recording; .gz/.zst by extension
  std::int64_t from_ns = 0;           // window start, recorded time (ns since IN's startTime)
  std::optional<std::int64_t> to_ns;  // window end, inclusive; nullopt = IN's end
  // Time fields as markers (true) or as times (false); nullopt = as IN (kwok's files: markers).
  std::optional<bool> time_markers;
  formats::Overwrite overwrite = formats::Overwrite::no;  // yes replaces an existing OUT
};

struct CutSummary {
  RecordingMeta meta;  // what OUT holds (also written to OUT.meta)
  std::string sha256;  // OUT's digest (also in OUT.sha256)
};

// Errors: IN unreadable or not replayable up to `from` (naming file, document and line), OUT
// existing without Overwrite::yes, OUT being IN, to < from. On an error after OUT was created,
// OUT is removed: a half-written cut is no use and must not be mistaken for one.
Result<CutSummary> cut_recording(const CutOptions& options);

}  // namespace ktape::store
