#include "store/state_at.hpp"

#include <cctype>
#include <chrono>

#include "formats/time.hpp"
#include "store/info.hpp"

namespace ktape::store {

Result<OpenedRecording> open_recording(const std::string& path) {
  auto info = read_recording_info(path);
  if (!info) return fail(info.error());
  formats::RecordingReadOptions options;
  // Time markers are read back in ktape's files whose header says they were written with them:
  // the others hold none, and walking every object to find none costs a twentieth of a diff.
  if (info->header && info->header->time_markers)
    options.time_base = formats::parse_rfc3339(info->header->start_time);
  auto reader = formats::RecordingReader::open(path, options);
  if (!reader) return fail(reader.error());
  return OpenedRecording{std::move(*reader), std::move(info->header)};
}

Result<std::optional<formats::RecordingEntry>> apply_until(formats::RecordingReader& reader,
                                                           RecordedState& state,
                                                           std::optional<std::int64_t> at_ns) {
  for (;;) {
    auto entry = reader.next();
    if (!entry) return fail(entry.error());
    if (!*entry) return std::optional<formats::RecordingEntry>{};
    auto& e = **entry;
    if (e.kind == formats::RecordingEntry::Kind::event && at_ns && e.event.duration_ns > *at_ns)
      return std::move(*entry);
    auto document = e.document, line = e.line;
    auto applied = state.apply(std::move(e));
    if (!applied)
      return fail(with_context(applied.error(), reader.name() + ": document " + std::to_string(document) +
                                                    " (line " + std::to_string(line) + ")"));
  }
}

Result<RecordedState> read_state_at(const std::string& path, std::optional<std::int64_t> at_ns,
                                    PluralResolver resolver) {
  auto opened = open_recording(path);
  if (!opened) return fail(opened.error());
  RecordedState state(std::move(resolver));
  auto rest = apply_until(opened->reader, state, at_ns);
  if (!rest) return fail(rest.error());
  return state;
}

namespace {

// "HH:MM" or "HH:MM:SS" as nanoseconds since midnight; nullopt when it is not one.
std::optional<std::int64_t> time_of_day(std::string_view text) {
  auto two = [&](std::size_t at) -> int {
    if (at + 2 > text.size() || !std::isdigit(static_cast<unsigned char>(text[at])) ||
        !std::isdigit(static_cast<unsigned char>(text[at + 1])))
      return -1;
    return (text[at] - '0') * 10 + (text[at + 1] - '0');
  };
  if (text.size() != 5 && text.size() != 8) return std::nullopt;
  if (text[2] != ':' || (text.size() == 8 && text[5] != ':')) return std::nullopt;
  int h = two(0), m = two(3), sec = text.size() == 8 ? two(6) : 0;
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59) return std::nullopt;
  return ((static_cast<std::int64_t>(h) * 60 + m) * 60 + sec) * 1'000'000'000;
}

}  // namespace

Result<std::int64_t> recorded_offset(const std::optional<formats::Header>& header, std::string_view when) {
  std::string shown(when);
  if (!header || header->start_time.empty())
    return fail(ErrorKind::invalid, "\"" + shown +
                                        "\": the recording has no ktape header with a startTime to count "
                                        "from; give a duration from its start (90s, 5m)");
  auto start = formats::parse_rfc3339(header->start_time);
  if (!start)
    return fail(ErrorKind::invalid,
                "the recording's startTime \"" + header->start_time + "\" is not an RFC 3339 time");
  std::optional<formats::TimePoint> moment = formats::parse_rfc3339(when);
  if (!moment) {
    auto tod = time_of_day(when);
    if (!tod)
      return fail(ErrorKind::invalid, "\"" + shown +
                                          "\" is not a duration (14m32s), an RFC 3339 time "
                                          "(2026-12-07T14:32:07Z) or a UTC time of day (14:32:07)");
    auto day = std::chrono::floor<std::chrono::days>(*start);
    moment = day + std::chrono::nanoseconds(*tod);
    if (*moment < *start) moment = *moment + std::chrono::days(1);
  }
  auto offset = (*moment - *start).count();
  if (offset < 0)
    return fail(ErrorKind::invalid,
                "\"" + shown + "\" is before the recording started (" + header->start_time + ")");
  return offset;
}

}  // namespace ktape::store
