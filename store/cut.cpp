#include "store/cut.hpp"

#include <chrono>
#include <filesystem>

#include "formats/time.hpp"
#include "formats/writer.hpp"
#include "store/digest.hpp"
#include "store/info.hpp"
#include "store/state_at.hpp"

namespace ktape::store {

namespace {

using formats::RecordingEntry;
using formats::TimePoint;

struct Source {
  formats::RecordingReader reader;
  formats::Header header;  // IN's, or one made for a kwok file
  TimePoint base;          // IN's startTime (kwok's files: when the cut runs)
};

Result<Source> open_source(const std::string& path) {
  auto info = read_recording_info(path);
  if (!info) return fail(info.error());
  formats::Header header;
  std::optional<TimePoint> base;
  if (info->header) {
    header = *info->header;
    base = formats::parse_rfc3339(header.start_time);
  } else {
    // kwok's markers count from the replay's start: any base will do, and now is what kwok uses.
    header.source = "kwok file " + std::filesystem::path(path).filename().string();
    header.mode = "record";
    header.time_markers = true;
    header.selection = formats::Value::object();
  }
  if (!base) base = std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  formats::RecordingReadOptions options;
  options.time_base = base;
  auto reader = formats::RecordingReader::open(path, options);
  if (!reader) return fail(reader.error());
  return Source{std::move(*reader), std::move(header), *base};
}

std::string qualified(const formats::GroupVersionResource& r) {
  return r.group.empty() ? r.resource : r.resource + "." + r.group;
}

// "apps/v1|deployments|ns|name" -> "deployments.apps".
std::string qualified_of_key(std::string_view key) {
  auto first = key.find('|');
  auto second = key.find('|', first + 1);
  auto api_version = key.substr(0, first);
  std::string out(key.substr(first + 1, second - first - 1));
  if (auto slash = api_version.find('/'); slash != std::string_view::npos)
    out.append(".").append(api_version.substr(0, slash));
  return out;
}

Result<void> write_snapshot(formats::RecordingWriter& writer, RecordedState& state, RecordingMeta& meta) {
  for (auto& [key, object] : state.release_objects()) {
    auto written = writer.write_object(object);
    if (!written) return written;
    ++meta.objects;
    ++meta.resources[qualified_of_key(key)].objects;
  }
  return {};
}

// The window's events, from `next` (the first event after `from`, if any) on.
Result<void> write_events(Source& source, formats::RecordingWriter& writer,
                          std::optional<RecordingEntry> next, const CutOptions& options,
                          RecordingMeta& meta) {
  while (next) {
    auto& ev = next->event;
    if (options.to_ns && ev.duration_ns > *options.to_ns) break;
    ev.duration_ns -= options.from_ns;
    meta.duration_ns = ev.duration_ns;
    ++meta.events;
    ++meta.resources[qualified(ev.resource)].events;
    auto at = ev.duration_ns;
    writer.add_event(std::move(ev));
    auto released = writer.release(at);
    if (!released) return released;
    auto entry = source.reader.next();
    if (!entry) return fail(entry.error());
    next = std::move(*entry);
  }
  return {};
}

Result<CutSummary> write_cut(Source& source, const CutOptions& options) {
  RecordedState state;
  auto next = apply_until(source.reader, state, options.from_ns - 1);
  if (!next) return fail(next.error());
  formats::Header header = source.header;
  header.start_time = formats::format_rfc3339(source.base + std::chrono::nanoseconds(options.from_ns),
                                              formats::TimePrecision::nano);
  header.time_markers = options.time_markers.value_or(source.header.time_markers);
  formats::WriterOptions wo;
  wo.path = options.out;
  wo.overwrite = options.overwrite;
  auto writer = formats::RecordingWriter::create(wo, header);
  if (!writer) return fail(writer.error());
  CutSummary summary;
  auto done = write_snapshot(**writer, state, summary.meta);
  if (done) done = write_events(source, **writer, std::move(*next), options, summary.meta);
  if (done) done = (*writer)->close();
  if (!done) return fail(done.error());
  if (options.to_ns) summary.meta.duration_ns = *options.to_ns - options.from_ns;
  auto meta = write_meta(options.out, summary.meta);
  if (!meta) return fail(meta.error());
  auto digest = write_sidecar(options.out);
  if (!digest) return fail(digest.error());
  summary.sha256 = *digest;
  summary.meta.file_bytes = std::filesystem::file_size(options.out);
  return summary;
}

}  // namespace

Result<CutSummary> cut_recording(const CutOptions& options) {
  if (options.to_ns && *options.to_ns < options.from_ns)
    return fail(ErrorKind::invalid, "--to comes before --from: the window is empty");
  if (options.from_ns < 0) return fail(ErrorKind::invalid, "--from is negative");
  std::error_code ec;
  if (std::filesystem::equivalent(options.in, options.out, ec))
    return fail(ErrorKind::invalid, options.out + " is the input: cut never writes over what it reads");
  auto source = open_source(options.in);
  if (!source) return fail(source.error());
  bool existed = std::filesystem::exists(options.out, ec);
  auto summary = write_cut(*source, options);
  if (!summary && (!existed || options.overwrite == formats::Overwrite::yes)) {
    // Only an OUT this cut wrote: one that existed and was refused (no overwrite) stays as it was.
    std::filesystem::remove(options.out, ec);
    std::filesystem::remove(meta_path(options.out), ec);
    std::filesystem::remove(sidecar_path(options.out), ec);
  }
  return summary;
}

}  // namespace ktape::store
