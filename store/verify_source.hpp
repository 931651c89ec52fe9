#pragma once
// ResumableDocuments: a formats::DocumentReader that goes on after a document that does not
// parse, for `verify`, which lists every problem of a file. The document reader stops at a bad
// document; this one reports it and reopens the file past it, at the next "---" line after the
// bad document's first line, numbering the documents and lines that follow as the file does. A
// stream that cannot be read further (a truncated or corrupt gzip/zstd stream, an I/O error) ends
// the read: nothing after it can be trusted.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "formats/error.hpp"
#include "formats/reader.hpp"

namespace ktape::store {

// A document that did not parse: where, and what the parser said (without the file's name).
struct DocumentProblem {
  std::size_t document = 0;
  std::size_t line = 0;
  std::string message;
  bool fatal = false;  // the stream itself failed; no document follows
};

class ResumableDocuments {
 public:
  // An Error when the file cannot be opened (missing, unreadable, not gzip/zstd as its magic says).
  static Result<ResumableDocuments> open(const std::string& path, std::size_t max_resumes);
  ResumableDocuments(ResumableDocuments&&) noexcept;
  ResumableDocuments& operator=(ResumableDocuments&&) noexcept;
  ~ResumableDocuments();

  // The next document with the file's own document number and line; nullopt at the end. A
  // document that does not parse is returned as a DocumentProblem, and the next call resumes
  // after it (unless it was fatal, or max_resumes were used: then the next call returns nullopt).
  using Item = std::variant<formats::Document, DocumentProblem>;
  std::optional<Item> next();
  // Bytes read as stored, over every pass.
  std::uint64_t raw_bytes_read() const;

 private:
  struct Impl;
  explicit ResumableDocuments(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace ktape::store
