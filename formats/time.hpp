#pragma once
// Times in recordings. Kubernetes writes RFC3339 times; a recording may write a time field as a
// marker "$(time-offset-nanosecond N)", N nanoseconds after the recording's startTime, so that a
// replay re-creates objects whose ages are relative to when the replay runs (kwok's convention).
// ktape writes markers only in time fields (metadata and status timestamps); it reads them
// wherever kwok puts them (kwok rewrites every RFC3339 time it sees, in any string).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "formats/value.hpp"

namespace ktape::formats {

using TimePoint = std::chrono::sys_time<std::chrono::nanoseconds>;

// RFC3339 with an optional fraction (any number of digits) and "Z" or a "+hh:mm" offset.
// nullopt when `text` is not exactly such a time.
std::optional<TimePoint> parse_rfc3339(std::string_view text);

enum class TimePrecision { seconds, micro, nano };
// UTC, "Z": seconds "2026-11-21T19:28:42Z", micro "…42.000000Z" (metav1.MicroTime),
// nano "…42.123456789Z" (trailing zeros kept: fixed width).
std::string format_rfc3339(TimePoint t, TimePrecision precision = TimePrecision::seconds);

// "$(time-offset-nanosecond N)".
std::string format_time_marker(std::int64_t offset_ns);
// The offset of a string that is exactly a marker; nullopt when `text` is not a marker at all.
// A string that starts like a marker but is malformed ("$(time-offset-nanosecond 12x)") is an
// Error, so a damaged file is reported rather than silently kept as text.
Result<std::optional<std::int64_t>> parse_time_marker(std::string_view text);

// Writing: replaces the RFC3339 value of every time field of `object` (creationTimestamp,
// deletionTimestamp, managedFields[].time, conditions' last*Time, status times such as startTime,
// startedAt, finishedAt, completionTime, renewTime, eventTime...) by a marker relative to `base`.
// Never touches data, stringData, binaryData, labels or annotations. Returns how many it replaced.
std::size_t relativize_times(Value& object, TimePoint base);

enum class MarkerScope {
  time_fields,  // ktape's files: only where ktape writes markers
  everywhere,   // kwok's files: any string, markers embedded in text included
};
// Reading: replaces markers by RFC3339 times with microseconds, `base` + offset. A malformed
// marker is an Error naming the field's path ("metadata.creationTimestamp").
Result<std::size_t> absolutize_times(Value& object, TimePoint base, MarkerScope scope);

}  // namespace ktape::formats
