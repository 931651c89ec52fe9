#include "store/verify_source.hpp"

#include <charconv>
#include <string_view>

#include "formats/compress.hpp"

namespace ktape::store {

namespace {

using formats::ByteSource;

bool is_start_marker(std::string_view line) {
  return line.size() >= 3 && line.substr(0, 3) == "---" &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
}

// Passes `inner` through from the first "---" line after line `after_line` (from the start when
// it is 0); remembers whether `inner` failed, which makes a reader's error fatal.
class SkipSource : public ByteSource {
 public:
  SkipSource(std::unique_ptr<ByteSource> inner, std::size_t after_line)
      : m_inner(std::move(inner)), m_after(after_line), m_found(after_line == 0) {}

  Result<std::size_t> read(char* buffer, std::size_t size) override {
    while (!m_found) {
      auto more = skip_some();
      if (!more) return more;
    }
    if (m_pos < m_pending.size()) {
      std::size_t n = std::min(size, m_pending.size() - m_pos);
      m_pending.copy(buffer, n, m_pos);
      m_pos += n;
      return n;
    }
    auto n = m_inner->read(buffer, size);
    if (!n) m_failed = true;
    return n;
  }
  std::uint64_t raw_bytes_read() const override { return m_inner->raw_bytes_read(); }

  bool failed() const { return m_failed; }
  // The file's line number of the first byte passed through.
  std::size_t first_line() const { return m_after == 0 ? 1 : m_line; }

 private:
  // Reads a chunk and skips whole lines up to the marker. Returns 0, or the inner source's error.
  Result<std::size_t> skip_some() {
    if (m_pos > 0) {
      m_pending.erase(0, m_pos);
      m_pos = 0;
    }
    std::size_t old = m_pending.size();
    m_pending.resize(old + k_chunk);
    auto n = m_inner->read(m_pending.data() + old, k_chunk);
    m_pending.resize(old + (n ? *n : 0));
    if (!n) {
      m_failed = true;
      return n;
    }
    for (std::size_t nl; (nl = m_pending.find('\n', m_pos)) != std::string::npos; ++m_line) {
      if (m_line > m_after && is_start_marker(std::string_view(m_pending).substr(m_pos, nl - m_pos))) {
        m_found = true;
        return std::size_t{0};
      }
      m_pos = nl + 1;
    }
    if (*n == 0) {  // the end: a last line without a newline, or nothing more
      m_found = true;
      bool marker = m_line > m_after && is_start_marker(std::string_view(m_pending).substr(m_pos));
      if (!marker) m_pos = m_pending.size();
    }
    return std::size_t{0};
  }

  static constexpr std::size_t k_chunk = std::size_t{256} * 1024;
  std::unique_ptr<ByteSource> m_inner;
  std::size_t m_after;
  bool m_found;
  bool m_failed = false;
  std::string m_pending;
  std::size_t m_pos = 0;
  std::size_t m_line = 1;  // of the line at m_pos
};

// "NAME: document N (line L): what" -> N, L, what. nullopt when the message is not of that shape.
std::optional<DocumentProblem> parse_problem(const std::string& message, const std::string& name) {
  std::string_view rest(message);
  std::string prefix = name + ": document ";
  if (!rest.starts_with(prefix)) return std::nullopt;
  rest.remove_prefix(prefix.size());
  DocumentProblem p;
  auto r = std::from_chars(rest.data(), rest.data() + rest.size(), p.document);
  if (r.ec != std::errc()) return std::nullopt;
  rest.remove_prefix(static_cast<std::size_t>(r.ptr - rest.data()));
  if (!rest.starts_with(" (line ")) return std::nullopt;
  rest.remove_prefix(7);
  r = std::from_chars(rest.data(), rest.data() + rest.size(), p.line);
  if (r.ec != std::errc() || !std::string_view(r.ptr, 3).starts_with("): ")) return std::nullopt;
  rest.remove_prefix(static_cast<std::size_t>(r.ptr - rest.data()) + 3);
  p.message = std::string(rest);
  return p;
}

// The parser's "line N: what" counted from a resumed pass's first line, as the file's line.
std::string shift_line(const std::string& message, std::size_t offset) {
  std::size_t line = 0;
  auto r = std::from_chars(message.data() + std::min<std::size_t>(5, message.size()),
                           message.data() + message.size(), line);
  if (offset == 0 || !message.starts_with("line ") || r.ec != std::errc()) return message;
  return "line " + std::to_string(line + offset) +
         message.substr(static_cast<std::size_t>(r.ptr - message.data()));
}

}  // namespace

struct ResumableDocuments::Impl {
  std::string path;
  std::size_t resumes_left = 0;
  std::optional<formats::DocumentReader> reader;
  SkipSource* source = nullptr;    // owned by reader
  std::size_t base_document = 0;   // documents before the current pass's first
  std::uint64_t bytes_before = 0;  // bytes read by earlier passes
  bool ended = false;

  Result<void> start(std::size_t after_line) {
    auto inner = formats::open_source(path);
    if (!inner) return fail(inner.error());
    auto skip = std::make_unique<SkipSource>(std::move(*inner), after_line);
    source = skip.get();
    reader.emplace(std::move(skip), path);
    return {};
  }

  std::optional<Item> on_error(const Error& error) {
    auto problem = parse_problem(error.message, path);
    bool fatal = !problem || source->failed() || resumes_left == 0;
    if (!problem)
      problem = DocumentProblem{base_document + 1, 0, error.message, true};
    else {
      problem->document += base_document;
      problem->line += source->first_line() - 1;
      problem->message = shift_line(problem->message, source->first_line() - 1);
    }
    problem->fatal = fatal;
    bytes_before += reader->raw_bytes_read();
    ended = true;
    if (!fatal) {
      --resumes_left;
      base_document = problem->document;
      ended = !start(problem->line);
    }
    return Item(std::move(*problem));
  }
};

ResumableDocuments::ResumableDocuments(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ResumableDocuments::ResumableDocuments(ResumableDocuments&&) noexcept = default;
ResumableDocuments& ResumableDocuments::operator=(ResumableDocuments&&) noexcept = default;
ResumableDocuments::~ResumableDocuments() = default;

Result<ResumableDocuments> ResumableDocuments::open(const std::string& path, std::size_t max_resumes) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->resumes_left = max_resumes;
  if (auto r = impl->start(0); !r) return fail(r.error());
  return ResumableDocuments(std::move(impl));
}

std::optional<ResumableDocuments::Item> ResumableDocuments::next() {
  auto& m = *m_impl;
  if (m.ended) return std::nullopt;
  auto doc = m.reader->next();
  if (!doc) return m.on_error(doc.error());
  if (!*doc) {
    m.ended = true;
    return std::nullopt;
  }
  (*doc)->number += m.base_document;
  (*doc)->line += m.source->first_line() - 1;
  return Item(std::move(**doc));
}

std::uint64_t ResumableDocuments::raw_bytes_read() const {
  return m_impl->bytes_before + (m_impl->reader ? m_impl->reader->raw_bytes_read() : 0);
}

}  // namespace ktape::store
