#include "formats/writer.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <vector>

#include "formats/time.hpp"
#include "formats/yaml.hpp"

namespace ktape::formats {

struct RecordingWriter::Impl {
  WriterOptions options;
  std::unique_ptr<ByteSink> sink;
  std::optional<TimePoint> marker_base;  // set when time fields are written as markers
  std::string buffer;
  bool events_started = false;
  bool closed = false;
  std::size_t documents = 0;
  WriterStats stats;
  std::vector<std::pair<RenderedEvent, std::uint64_t>> held;  // min-heap by (duration, sequence)
  std::uint64_t sequence = 0;
  std::int64_t last_written = INT64_MIN;

  static bool later(const std::pair<RenderedEvent, std::uint64_t>& a,
                    const std::pair<RenderedEvent, std::uint64_t>& b) {
    if (a.first.duration_ns != b.first.duration_ns) return a.first.duration_ns > b.first.duration_ns;
    return a.second > b.second;
  }

  Result<void> spill(bool force) {
    if (buffer.empty() || (!force && buffer.size() < options.buffer_bytes)) return {};
    auto r = sink->write(buffer);
    if (!r) return r;
    stats.yaml_bytes += buffer.size();
    buffer.clear();
    return {};
  }

  Result<void> append_document(const Value& doc, bool resync) {
    if (marker_base) return append_document(Value(doc), resync);
    start_document(resync);
    append_yaml(buffer, doc);
    return spill(false);
  }

  Result<void> append_document(Value&& doc, bool resync) {
    start_document(resync);
    if (marker_base) relativize_times(doc, *marker_base);
    append_yaml(buffer, doc);
    return spill(false);
  }

  void start_document(bool resync, bool graceful_delete = false) {
    if (documents++ > 0) buffer += "---\n";
    if (resync) buffer += "# resync\n";
    if (graceful_delete) buffer += "# graceful-delete\n";
  }

  Result<void> write_event(RenderedEvent& ev) {
    // An event that arrives after later ones were written out keeps the file sorted by taking the
    // last written time: it is late by at most the caller's reorder lag.
    if (ev.duration_ns < last_written) ev.duration_ns = last_written;
    last_written = ev.duration_ns;
    events_started = true;
    ++stats.events;
    start_document(ev.resync, ev.graceful_delete);
    buffer.append(ev.text, 0, ev.split);
    buffer += "durationNanosecond: ";
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, ev.duration_ns).ptr;
    buffer.append(digits, end);
    buffer.push_back('\n');
    buffer.append(ev.text, ev.split);
    return spill(false);
  }

  Result<void> release(std::int64_t watermark) {
    while (!held.empty() && held.front().first.duration_ns <= watermark) {
      std::pop_heap(held.begin(), held.end(), later);
      auto r = write_event(held.back().first);
      held.pop_back();
      if (!r) return r;
    }
    return {};
  }

  Result<void> flush() {
    if (auto r = spill(true); !r) return r;
    auto r = sink->flush();
    stats.file_bytes = sink->bytes_written();
    return r;
  }
};

RecordingWriter::RecordingWriter(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

RecordingWriter::~RecordingWriter() {
  if (m_impl && !m_impl->closed) (void)m_impl->flush();
}

Result<std::unique_ptr<RecordingWriter>> RecordingWriter::create(const WriterOptions& options,
                                                                 const Header& header) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (header.time_markers) {
    impl->marker_base = parse_rfc3339(header.start_time);
    if (!impl->marker_base)
      return fail(ErrorKind::invalid, "recording header: startTime \"" + header.start_time +
                                          "\" is not an RFC3339 time, and time markers count from it");
  }
  auto compression = options.compression.value_or(compression_for_path(options.path));
  auto sink = open_sink(options.path, compression, options.overwrite);
  if (!sink) return fail(sink.error());
  impl->sink = std::move(*sink);
  impl->buffer = format_header_line(header);
  impl->buffer.reserve(options.buffer_bytes + (64 << 10));
  return std::unique_ptr<RecordingWriter>(new RecordingWriter(std::move(impl)));
}

Result<void> RecordingWriter::write_object(const Value& object) {
  if (m_impl->events_started)
    return fail(
        ErrorKind::invalid,
        m_impl->options.path + ": a snapshot object cannot follow events (the snapshot section is over)");
  ++m_impl->stats.objects;
  return m_impl->append_document(object, false);
}

Result<void> RecordingWriter::write_rendered_objects(std::string_view text, std::size_t objects) {
  if (m_impl->events_started)
    return fail(
        ErrorKind::invalid,
        m_impl->options.path + ": a snapshot object cannot follow events (the snapshot section is over)");
  if (m_impl->documents == 0 && text.substr(0, 4) == "---\n") text.remove_prefix(4);
  m_impl->buffer.append(text);
  m_impl->documents += objects;
  m_impl->stats.objects += objects;
  return m_impl->spill(false);
}

void render_object(const Value& object, const std::optional<TimePoint>& marker_base, std::string& out) {
  out += "---\n";
  if (!marker_base) return append_yaml(out, object);
  Value copy(object);
  relativize_times(copy, *marker_base);
  append_yaml(out, copy);
}

RenderedEvent render_event(ResourcePatch&& event, const std::optional<TimePoint>& marker_base) {
  RenderedEvent out;
  out.duration_ns = event.duration_ns;
  out.resync = event.resync;
  out.graceful_delete = event.graceful_delete;
  Value doc = to_value(std::move(event));
  if (marker_base)
    if (Value* t = doc.find("template")) relativize_times(*t, *marker_base);
  // The document's members in two mappings, around durationNanosecond: at the top level, a
  // mapping's YAML is its members' lines one after the other, so the joined text is the document's.
  Value head = Value::object();
  Value tail = Value::object();
  bool after = false;
  for (auto& m : doc.as_object()) {
    if (m.key == "durationNanosecond") {
      after = true;
      continue;
    }
    (after ? tail : head).as_object().push_back(std::move(m));
  }
  append_yaml(out.text, head);
  out.split = out.text.size();
  append_yaml(out.text, tail);
  return out;
}

void RecordingWriter::add_event(ResourcePatch event) {
  add_event(render_event(std::move(event), m_impl->marker_base));
}

void RecordingWriter::add_event(RenderedEvent event) {
  m_impl->held.emplace_back(std::move(event), m_impl->sequence++);
  std::push_heap(m_impl->held.begin(), m_impl->held.end(), Impl::later);
}

Result<void> RecordingWriter::release(std::int64_t watermark_ns) { return m_impl->release(watermark_ns); }

Result<void> RecordingWriter::flush() { return m_impl->flush(); }

Result<void> RecordingWriter::close() {
  if (m_impl->closed) return fail(ErrorKind::invalid, m_impl->options.path + ": already closed");
  m_impl->closed = true;
  if (auto r = m_impl->release(INT64_MAX); !r) return fail(r.error());
  if (auto r = m_impl->spill(true); !r) return fail(r.error());
  if (auto r = m_impl->sink->close(); !r) return fail(r.error());
  m_impl->stats.file_bytes = m_impl->sink->bytes_written();
  return {};
}

WriterStats RecordingWriter::stats() const { return m_impl->stats; }
std::size_t RecordingWriter::held_events() const { return m_impl->held.size(); }
const std::string& RecordingWriter::path() const { return m_impl->options.path; }
const std::optional<TimePoint>& RecordingWriter::marker_base() const { return m_impl->marker_base; }

}  // namespace ktape::formats
