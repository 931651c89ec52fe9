// DocumentReader: cuts a multi-document YAML stream at its document markers and parses the
// pieces. YAML forbids a "---" or "..." line at column 0 inside any scalar, so cutting there needs
// no parsing; each piece goes to parse_yaml with its own first line number. Pieces are cut ahead in
// growing batches and, on a machine with more than one core, a batch's second half is parsed on a
// second thread: parsing is most of the work of reading a large snapshot, and the pieces are
// independent. Delivery stays in file order, and an error still ends the reader at its document.
#include "formats/reader.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <future>
#include <iterator>
#include <system_error>
#include <thread>

#include "formats/yaml.hpp"

namespace ktape::formats {
namespace {

// Bytes asked from the source at a time; the buffer holds at most the largest document plus this.
constexpr std::size_t k_read_chunk = std::size_t{256} * 1024;
// Documents cut ahead of delivery: the first batch is one document (a header is read at once),
// then each batch doubles up to this many.
constexpr std::size_t k_max_batch = 256;
// A batch with fewer documents is parsed on the calling thread alone.
constexpr std::size_t k_parallel_from = 16;

enum class LineKind { content, blank, comment, start_marker, end_marker };

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool is_marker(std::string_view line, char c) {
  return line.size() >= 3 && line[0] == c && line[1] == c && line[2] == c &&
         (line.size() == 3 || is_space(line[3]));
}

LineKind classify(std::string_view line) {
  if (is_marker(line, '-')) return LineKind::start_marker;
  if (is_marker(line, '.')) return LineKind::end_marker;
  std::size_t i = 0;
  while (i < line.size() && is_space(line[i])) ++i;
  if (i == line.size()) return LineKind::blank;
  return line[i] == '#' ? LineKind::comment : LineKind::content;
}

// "# text" -> "text", "#text" -> "text" (after any indentation).
std::string comment_text(std::string_view line) {
  line.remove_prefix(line.find('#') + 1);
  if (!line.empty() && line[0] == ' ') line.remove_prefix(1);
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return std::string(line);
}

const char* type_name(const Value& v) {
  switch (v.type()) {
    case Value::Type::null:
      return "null";
    case Value::Type::boolean:
      return "a boolean";
    case Value::Type::number:
      return "a number";
    case Value::Type::string:
      return "a string";
    case Value::Type::array:
      return "a sequence";
    case Value::Type::object:
      return "a mapping";
  }
  return "a value";
}

bool is_list(const Value& v) {
  const Value* items = v.find("items");
  return items != nullptr && items->is_array() && v.string_at({"kind"}).ends_with("List");
}

}  // namespace

// One document cut out of the stream: the text handed to parse_yaml and what precedes its content.
struct RawDocument {
  std::size_t text_begin = 0;  // offsets in Impl::buffer, valid until the next cut
  std::size_t text_end = 0;
  std::string text;                     // the document's text, copied out of the buffer by read_ahead()
  std::optional<Result<Value>> parsed;  // parse_yaml(text, first_line), done by read_ahead()
  std::size_t first_line = 0;           // line of text_begin
  std::size_t content_line = 0;         // 0 when the document is empty
  std::vector<std::string> comments;
  bool reached_end = false;  // the document ends at the end of the data
};

struct DocumentReader::Impl {
  std::unique_ptr<ByteSource> source;
  std::string name;
  std::string buffer;
  std::size_t pos = 0;   // start of the unread text in buffer, always at a line start
  std::size_t line = 1;  // line number at pos
  bool eof = false;
  bool started = false;
  bool done = false;
  std::optional<Error> source_error;  // a read failure, reported with the document it cut
  std::size_t documents = 0;          // documents with content so far
  std::vector<std::string> carried;   // comments of skipped empty documents
  std::deque<Document> pending;       // items of a List not delivered yet
  std::deque<RawDocument> ahead;      // cut and parsed, not delivered yet, in file order
  std::size_t batch = 1;              // documents the next read_ahead() cuts
  bool cut_all = false;               // the last piece has been cut

  Result<std::optional<Document>> next();
  void read_ahead();
  void fill();
  std::optional<std::string_view> next_line(std::size_t at, std::size_t& end);
  RawDocument cut();
  Result<std::optional<Document>> deliver(RawDocument raw);
  Error error_at(std::size_t number, std::size_t line_number, const std::string& what) const {
    return Error{ErrorKind::parse,
                 name + ": document " + std::to_string(number) + " (line " + std::to_string(line_number) +
                     "): " + what,
                 0,
                 {}};
  }
};

void DocumentReader::Impl::fill() {
  std::size_t old = buffer.size();
  buffer.resize(old + k_read_chunk);
  auto n = source->read(buffer.data() + old, k_read_chunk);
  buffer.resize(old + (n ? *n : 0));
  if (!n) source_error = n.error();
  eof = !n || *n == 0;
  if (!started && (buffer.size() >= 3 || eof)) {
    started = true;
    if (buffer.compare(0, 3, "\xEF\xBB\xBF") == 0) pos = 3;  // a UTF-8 byte-order mark
  }
}

// The line starting at `at` (without its newline), reading more data as needed; `end` is set to
// the start of the following line. nullopt at the end of the data. Offsets stay valid: data is
// only appended here (delivered text is dropped in cut(), before any offset is taken).
std::optional<std::string_view> DocumentReader::Impl::next_line(std::size_t at, std::size_t& end) {
  while (true) {
    const char* base = buffer.data();
    // A search in bytes, not a C string: no terminator is read or needed.
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
    const void* nl = at < buffer.size() ? std::memchr(base + at, '\n', buffer.size() - at) : nullptr;
    if (nl != nullptr) {
      std::size_t stop = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
      end = stop + 1;
      return std::string_view(base + at, stop - at);
    }
    if (eof) {
      if (at >= buffer.size()) return std::nullopt;
      end = buffer.size();
      return std::string_view(base + at, buffer.size() - at);
    }
    fill();
  }
}

// Cuts the next document: from pos up to the next start marker that is not its first line, or
// through an end marker, or to the end of the data. Leading "..." lines are skipped.
RawDocument DocumentReader::Impl::cut() {
  if (pos > 0 && pos * 2 >= buffer.size()) {  // drop delivered text, amortized over documents
    buffer.erase(0, pos);
    pos = 0;
  }
  if (!started) fill();
  RawDocument raw;
  std::size_t at = pos;
  std::size_t line_number = line;
  std::size_t end = 0;
  raw.text_begin = at;
  raw.first_line = line_number;
  bool first = true;
  bool consumed_end_marker = false;
  while (true) {
    auto text = next_line(at, end);
    if (!text) {
      raw.reached_end = true;
      break;
    }
    LineKind kind = classify(*text);
    if (kind == LineKind::start_marker && !first) break;
    if (kind == LineKind::end_marker) {
      consumed_end_marker = !first;
      if (!first) break;
      raw.text_begin = end;
      raw.first_line = line_number + 1;
    } else {
      first = false;
    }
    if (raw.content_line == 0 && kind != LineKind::end_marker) {
      std::string_view rest = kind == LineKind::start_marker ? text->substr(3) : *text;
      LineKind rest_kind = kind == LineKind::start_marker ? classify(rest) : kind;
      if (rest_kind == LineKind::comment) raw.comments.push_back(comment_text(rest));
      if (rest_kind == LineKind::content) raw.content_line = line_number;
    }
    at = end;
    ++line_number;
  }
  raw.text_end = at;
  pos = consumed_end_marker ? end : at;
  line = consumed_end_marker ? line_number + 1 : line_number;
  return raw;
}

Result<std::optional<Document>> DocumentReader::Impl::deliver(RawDocument raw) {
  if (!carried.empty()) {  // the comments of empty documents before this one come first
    carried.insert(carried.end(), std::make_move_iterator(raw.comments.begin()),
                   std::make_move_iterator(raw.comments.end()));
    raw.comments = std::move(carried);
    carried.clear();
  }
  std::size_t number = documents + 1;
  std::size_t where = raw.content_line != 0 ? raw.content_line : raw.first_line;
  if (raw.reached_end && source_error) return fail(error_at(number, where, source_error->message));
  if (raw.content_line == 0) {
    carried = std::move(raw.comments);  // an empty document's comments belong to the next one
    return std::nullopt;
  }
  documents = number;
  auto value = raw.parsed ? std::move(*raw.parsed) : parse_yaml(raw.text, raw.first_line);
  if (!value) return fail(error_at(number, where, value.error().message));
  if (value->is_null()) {
    carried = std::move(raw.comments);
    return std::nullopt;
  }
  if (!value->is_object()) {
    return fail(error_at(number, where, std::string("expected a mapping, found ") + type_name(*value)));
  }
  if (!is_list(*value)) return Document{std::move(*value), number, where, std::move(raw.comments)};
  Array& items = value->find("items")->as_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_object()) {
      pending.clear();
      return fail(error_at(
          number, where,
          "item " + std::to_string(i + 1) + " of the List is " + type_name(items[i]) + ", not a mapping"));
    }
    pending.push_back(Document{std::move(items[i]), number, where, {}});
  }
  if (pending.empty()) {
    carried = std::move(raw.comments);
    return std::nullopt;
  }
  pending.front().comments = std::move(raw.comments);
  Document first = std::move(pending.front());
  pending.pop_front();
  return first;
}

Result<std::optional<Document>> DocumentReader::Impl::next() {
  if (!pending.empty()) {
    Document d = std::move(pending.front());
    pending.pop_front();
    return d;
  }
  while (!done) {
    if (ahead.empty()) read_ahead();
    if (ahead.empty()) break;
    RawDocument raw = std::move(ahead.front());
    ahead.pop_front();
    bool last = raw.reached_end;
    auto result = deliver(std::move(raw));
    if (!result) done = true;
    if (!result || *result) return result;
    done = last;
  }
  return std::nullopt;
}

// Cuts the next batch of pieces (at least one), copies their text out of the buffer and parses
// those with content, the second half of a large batch on a second thread.
void DocumentReader::Impl::read_ahead() {
  std::vector<RawDocument> cut_now;
  while (cut_now.size() < batch && !cut_all) {
    RawDocument raw = cut();
    raw.text.assign(buffer, raw.text_begin, raw.text_end - raw.text_begin);
    cut_all = raw.reached_end;
    cut_now.push_back(std::move(raw));
  }
  batch = std::min(batch * 2, k_max_batch);
  auto parse = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      RawDocument& raw = cut_now[i];
      bool cut_by_error = raw.reached_end && source_error;  // deliver() reports the read error
      if (raw.content_line != 0 && !cut_by_error) raw.parsed = parse_yaml(raw.text, raw.first_line);
    }
  };
  std::size_t half = cut_now.size() / 2;
  std::future<void> second;
  if (cut_now.size() >= k_parallel_from && std::thread::hardware_concurrency() > 1) {
    try {
      second = std::async(std::launch::async, parse, half, cut_now.size());
    } catch (const std::system_error&) {
      second = {};  // no thread to be had: parse it all here
    }
  }
  parse(0, second.valid() ? half : cut_now.size());
  if (second.valid()) second.get();
  for (auto& raw : cut_now) ahead.push_back(std::move(raw));
}

Result<DocumentReader> DocumentReader::open(const std::string& path) {
  auto source = open_source(path);
  if (!source) return fail(source.error());
  return DocumentReader(std::move(*source), path);
}

DocumentReader::DocumentReader(std::unique_ptr<ByteSource> source, std::string name)
    : m_impl(std::make_unique<Impl>()) {
  m_impl->source = std::move(source);
  m_impl->name = std::move(name);
}

DocumentReader::DocumentReader(DocumentReader&&) noexcept = default;
DocumentReader& DocumentReader::operator=(DocumentReader&&) noexcept = default;
DocumentReader::~DocumentReader() = default;

Result<std::optional<Document>> DocumentReader::next() { return m_impl->next(); }
const std::string& DocumentReader::name() const { return m_impl->name; }
std::uint64_t DocumentReader::raw_bytes_read() const { return m_impl->source->raw_bytes_read(); }

}  // namespace ktape::formats
