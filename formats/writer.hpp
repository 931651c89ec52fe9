#pragma once
// RecordingWriter: writes a recording (DESIGN.md's format): the header line, the snapshot
// section, then events sorted by durationNanosecond. Events may arrive slightly out of order (they
// come from many watches): they are held until the caller's watermark passes them. Output goes out
// in large buffered writes; the file is created with mode 0600 and never overwritten unless asked.
// The writer writes the file only: its NAME.sha256 sidecar is store's (store/digest.hpp), written
// by whoever closed the file successfully.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "formats/compress.hpp"
#include "formats/error.hpp"
#include "formats/recording.hpp"
#include "formats/time.hpp"

namespace ktape::formats {

// An event rendered to its document's text ahead of the writer, on the thread that made it, so the
// writer only orders events and copies bytes (and holds text, not trees). The text is the
// document without its "durationNanosecond: N" line, which the writer puts back at `split`: it may
// move a late event's time.
struct RenderedEvent {
  std::int64_t duration_ns = 0;
  bool resync = false;
  bool graceful_delete = false;  // ResourcePatch::graceful_delete
  std::string text;              // apiVersion, kind, resource, target | method, template
  std::size_t split = 0;         // where the durationNanosecond line goes in `text`
};

// `marker_base`: the recording's startTime when it writes time markers (RecordingWriter::
// marker_base()), whose times in the template become markers. The writer writes the same bytes
// for the event as for add_event(ResourcePatch).
RenderedEvent render_event(ResourcePatch&& event, const std::optional<TimePoint>& marker_base);

// A snapshot object rendered ahead of the writer, as write_object writes it (its times made
// markers from `marker_base`), appended to `out` as one document that begins with its "---\n"
// line; RecordingWriter::write_rendered_objects copies such text.
void render_object(const Value& object, const std::optional<TimePoint>& marker_base, std::string& out);

struct WriterOptions {
  std::string path;                        // the recording to create
  Overwrite overwrite = Overwrite::no;     // yes replaces an existing file
  std::optional<Compression> compression;  // default: by extension (.gz/.tgz gzip, .zst zstd)
  std::size_t buffer_bytes = 1 << 20;      // serialized bytes kept before a write, 1 MiB
};

struct WriterStats {
  std::uint64_t objects = 0;     // snapshot documents written
  std::uint64_t events = 0;      // event documents written
  std::uint64_t yaml_bytes = 0;  // serialized bytes, before compression
  std::uint64_t file_bytes = 0;  // bytes that reached the file
};

class RecordingWriter {
 public:
  // Creates the file and writes the header line. header.start_time must be RFC3339 when
  // header.time_markers is set (markers count from it).
  static Result<std::unique_ptr<RecordingWriter>> create(const WriterOptions& options, const Header& header);
  ~RecordingWriter();  // best effort: flushes what it holds

  // A snapshot-section object. An Error once the first event has been written.
  Result<void> write_object(const Value& object);
  // Snapshot-section documents rendered by render_object, copied as they are: `text` is a piece of
  // their concatenation that may begin or end mid-document (a caller copies a file in chunks), in
  // which `objects` documents begin. The section's very first "---\n" line is dropped, so the
  // bytes are those write_object would have written. An Error once the first event has been written.
  Result<void> write_rendered_objects(std::string_view text, std::size_t objects);
  // Holds the event until release() passes its time.
  void add_event(ResourcePatch event);
  // The same for an event rendered by render_event(event, marker_base()).
  void add_event(RenderedEvent event);
  // Writes every held event with duration_ns <= watermark_ns, in time order (ties: arrival order).
  // An event added after later ones were written is written with the last written time, so the
  // file stays sorted.
  Result<void> release(std::int64_t watermark_ns);
  // Writes buffered bytes and flushes the file (and its compressor), so a crash after this loses
  // nothing written before it.
  Result<void> flush();
  // Releases every held event, flushes and closes the file. After a success every document has
  // been written to the file; a second close() is an Error.
  Result<void> close();

  WriterStats stats() const;
  std::size_t held_events() const;
  const std::string& path() const;
  // Set when the file writes time markers; fixed at create(), so any thread may read it.
  const std::optional<TimePoint>& marker_base() const;

 private:
  struct Impl;
  explicit RecordingWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace ktape::formats
