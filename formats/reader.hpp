#pragma once
// A streaming reader of multi-document YAML files (plain, gzip or zstd): one document at a time,
// memory bounded by the largest document, not by the file. Documents are separated by lines that
// start with "---" or "..." at column 0 (YAML allows no such line inside a scalar). Empty documents
// (only comments, blank lines or null) are skipped, and their comments go to the next document; a
// `*List` document (kind ending in "List", with `items`) yields its items one by one (each keeps
// the List's document number and line; the first one gets the List's comments).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "formats/compress.hpp"
#include "formats/error.hpp"
#include "formats/value.hpp"

namespace ktape::formats {

struct Document {
  Value value;
  std::size_t number = 0;             // 1-based position in the file, counting documents with content
  std::size_t line = 0;               // 1-based line where the document's content starts
  std::vector<std::string> comments;  // comment lines before the content, without the "# "
};

class DocumentReader {
 public:
  // Opens `path`; compression is detected by magic bytes. Errors name the file.
  static Result<DocumentReader> open(const std::string& path);
  // Reads from `source`; `name` is used in error messages.
  DocumentReader(std::unique_ptr<ByteSource> source, std::string name);
  DocumentReader(DocumentReader&&) noexcept;
  DocumentReader& operator=(DocumentReader&&) noexcept;
  ~DocumentReader();

  // The next document; nullopt at the end. Malformed input (bad YAML, a document that is not a
  // mapping, a truncated stream or last document) is an Error naming the file, the document
  // number and its line; every document before it has been delivered, and the reader then ends.
  Result<std::optional<Document>> next();

  const std::string& name() const;
  std::uint64_t raw_bytes_read() const;  // compressed bytes consumed so far

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace ktape::formats
