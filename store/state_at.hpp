#pragma once
// Reading a recording up to a recorded time: the entry loop shared by diff (FILE@D) and cut.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "formats/recording.hpp"
#include "store/state.hpp"

namespace ktape::store {

struct OpenedRecording {
  formats::RecordingReader reader;
  std::optional<formats::Header> header;  // read ahead from the first line; nullopt for kwok's files
};

// Opens `path` with its time markers turned back into times relative to its header's startTime
// (kwok's files, which have no header, keep their markers as text). Errors name the file.
Result<OpenedRecording> open_recording(const std::string& path);

// The state `path` describes at recorded time `at_ns` (every snapshot object, and the events with
// durationNanosecond <= at_ns; nullopt: all of them). Errors name the file, document and line
// (an unreadable document, a patch that does not apply, a delete of an object never created).
Result<RecordedState> read_state_at(const std::string& path, std::optional<std::int64_t> at_ns,
                                    PluralResolver resolver = {});

// The same on an opened recording, stopping before the first event later than `at_ns`, which is
// returned (so a caller such as cut can go on from it); nullopt when the recording ended first.
Result<std::optional<formats::RecordingEntry>> apply_until(formats::RecordingReader& reader,
                                                           RecordedState& state,
                                                           std::optional<std::int64_t> at_ns);

// A moment of a recording as nanoseconds from its header's startTime, for `--at`: an RFC 3339
// time ("2026-12-07T14:32:07Z", any offset), or a time of day in UTC ("14:32:07", "14:32") on the
// recording's first day, or the next when that is before it started. Errors say which forms are
// understood, and when the moment is before the recording started; a recording without a header
// (kwok's) has no start to count from. Durations from the start ("14m32s") are the caller's.
Result<std::int64_t> recorded_offset(const std::optional<formats::Header>& header, std::string_view when);

}  // namespace ktape::store
