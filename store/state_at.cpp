#include "store/state_at.hpp"

#include "formats/time.hpp"
#include "store/info.hpp"

namespace ktape::store {

Result<OpenedRecording> open_recording(const std::string& path) {
  auto info = read_recording_info(path);
  if (!info) return fail(info.error());
  formats::RecordingReadOptions options;
  if (info->header) options.time_base = formats::parse_rfc3339(info->header->start_time);
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

}  // namespace ktape::store
