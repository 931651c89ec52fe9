// RecordingReader: documents -> snapshot objects and events, in replay order.
#include <algorithm>
#include <vector>

#include "formats/recording.hpp"

namespace ktape::formats {

namespace {

// A "# WORD" comment, or "# WORD more text", before the document.
bool has_comment(const Document& doc, std::string_view word) {
  return std::any_of(doc.comments.begin(), doc.comments.end(), [&](const std::string& c) {
    return c == word || (c.size() > word.size() && c.starts_with(word) && c[word.size()] == ' ');
  });
}

}  // namespace

struct RecordingReader::Impl {
  DocumentReader documents;
  RecordingReadOptions options;
  std::optional<Header> header;
  bool first = true;
  bool in_events = false;
  std::size_t events_start = 0;  // document number of the first event, for messages
  bool documents_done = false;
  std::optional<Error> pending_error;                          // delivered after the events read before it
  std::vector<std::pair<RecordingEntry, std::uint64_t>> heap;  // min-heap by (duration, sequence)
  std::uint64_t sequence = 0;

  Impl(DocumentReader d, RecordingReadOptions o) : documents(std::move(d)), options(o) {}

  static bool later(const std::pair<RecordingEntry, std::uint64_t>& a,
                    const std::pair<RecordingEntry, std::uint64_t>& b) {
    if (a.first.event.duration_ns != b.first.event.duration_ns)
      return a.first.event.duration_ns > b.first.event.duration_ns;
    return a.second > b.second;
  }

  Error located(const Document& doc, Error e) const {
    return with_context(std::move(e), documents.name() + ": document " + std::to_string(doc.number) +
                                          " (line " + std::to_string(doc.line) + ")");
  }

  Result<void> read_header(const Document& doc) {
    for (const auto& c : doc.comments) {
      auto h = parse_header_comment(c);
      if (!h) return fail(located(doc, h.error()));
      if (*h) {
        header = std::move(*h);
        break;
      }
    }
    return {};
  }

  Result<void> absolutize(const Document& doc, Value& v) const {
    if (!options.time_base) return {};
    auto scope = header ? MarkerScope::time_fields : MarkerScope::everywhere;
    auto n = absolutize_times(v, *options.time_base, scope);
    if (!n) return fail(located(doc, n.error()));
    return {};
  }

  Result<std::optional<RecordingEntry>> classify(Document doc) {
    RecordingEntry entry;
    entry.document = doc.number;
    entry.line = doc.line;
    if (!is_resource_patch(doc.value)) {
      if (in_events)
        return fail(
            located(doc, Error{ErrorKind::invalid,
                               "expected a ResourcePatch: the event section began at document " +
                                   std::to_string(events_start) + ", and snapshot objects come before it",
                               0,
                               {}}));
      entry.object = std::move(doc.value);
      if (auto r = absolutize(doc, entry.object); !r) return fail(r.error());
      return std::optional{std::move(entry)};
    }
    auto event = parse_resource_patch(doc.value);
    if (!event) return fail(located(doc, event.error()));
    if (!in_events) events_start = doc.number;
    in_events = true;
    entry.kind = RecordingEntry::Kind::event;
    entry.event = std::move(*event);
    entry.event.resync = has_comment(doc, "resync");
    entry.event.graceful_delete = has_comment(doc, "graceful-delete");
    if (auto r = absolutize(doc, entry.event.template_value); !r) return fail(r.error());
    return std::optional{std::move(entry)};
  }

  // Reads one document into the heap or returns a snapshot object to deliver at once.
  Result<std::optional<RecordingEntry>> read_one() {
    auto doc = documents.next();
    if (!doc) {
      pending_error = doc.error();
      documents_done = true;
      return std::optional<RecordingEntry>{};
    }
    if (!*doc) {
      documents_done = true;
      return std::optional<RecordingEntry>{};
    }
    if (first) {
      first = false;
      if (auto r = read_header(**doc); !r) return fail(r.error());
    }
    auto entry = classify(std::move(**doc));
    if (!entry) return entry;
    if ((*entry)->kind == RecordingEntry::Kind::object) return entry;
    heap.emplace_back(std::move(**entry), sequence++);
    std::push_heap(heap.begin(), heap.end(), later);
    return std::optional<RecordingEntry>{};
  }

  Result<std::optional<RecordingEntry>> next() {
    std::size_t window = std::max<std::size_t>(options.sort_window, 1);
    while (!documents_done && heap.size() < window) {
      auto r = read_one();
      if (!r) {
        pending_error = r.error();
        documents_done = true;
        break;
      }
      if (*r) return r;
    }
    if (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), later);
      RecordingEntry out = std::move(heap.back().first);
      heap.pop_back();
      return std::optional{std::move(out)};
    }
    if (pending_error) {
      Error e = std::move(*pending_error);
      pending_error.reset();
      return fail(std::move(e));
    }
    return std::optional<RecordingEntry>{};
  }
};

Result<RecordingReader> RecordingReader::open(const std::string& path, RecordingReadOptions options) {
  auto docs = DocumentReader::open(path);
  if (!docs) return fail(docs.error());
  return RecordingReader(std::move(*docs), options);
}

RecordingReader::RecordingReader(DocumentReader documents, RecordingReadOptions options)
    : m_impl(std::make_unique<Impl>(std::move(documents), options)) {}
RecordingReader::RecordingReader(RecordingReader&&) noexcept = default;
RecordingReader& RecordingReader::operator=(RecordingReader&&) noexcept = default;
RecordingReader::~RecordingReader() = default;

const std::optional<Header>& RecordingReader::header() const { return m_impl->header; }
Result<std::optional<RecordingEntry>> RecordingReader::next() { return m_impl->next(); }
const std::string& RecordingReader::name() const { return m_impl->documents.name(); }

}  // namespace ktape::formats
