#pragma once
// Byte streams in and out of files, plain, gzip or zstd. Input compression is detected by magic
// bytes (gzip 1f 8b, zstd 28 b5 2f fd), whatever the name; output compression is chosen by the
// caller, usually from the extension (.gz, .tgz, .zst).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "formats/error.hpp"

namespace ktape::formats {

enum class Compression { none, gzip, zstd };
enum class Overwrite { no, yes };

// By extension: .gz/.tgz -> gzip, .zst -> zstd, anything else -> none.
Compression compression_for_path(std::string_view path);

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `size` decompressed bytes into `buffer`; 0 means the end of the data. A stream
  // that ends in the middle of a compressed frame is an Error ("truncated gzip stream").
  virtual Result<std::size_t> read(char* buffer, std::size_t size) = 0;
  // Compressed bytes consumed so far (for progress and MB/s figures).
  virtual std::uint64_t raw_bytes_read() const = 0;
};

// Opens `path` ("-" is standard input) and detects its compression by magic bytes. A missing
// file is a not_found Error naming the path; a corrupt compressed stream is a parse Error. A URL
// path ("s3://...") is read through the raw store registered for its scheme
// (formats/raw_store.hpp); an unregistered scheme is an unsupported Error.
Result<std::unique_ptr<ByteSource>> open_source(const std::string& path);
// A source over bytes already in memory (tests, and data received over the network).
std::unique_ptr<ByteSource> memory_source(std::string bytes);

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Result<void> write(std::string_view bytes) = 0;
  // Pushes everything written so far to the file so that a reader (or a crash) sees a readable
  // prefix: compressed streams are sync-flushed, then the file descriptor is written (no fsync).
  // Writes are otherwise gathered into 1 MiB blocks.
  virtual Result<void> flush() = 0;
  // Ends the compressed stream, flushes, fsyncs and closes. Further writes are errors. A sink
  // destroyed without close() closes itself and ignores errors.
  virtual Result<void> close() = 0;
  // Bytes that reached the file (compressed).
  virtual std::uint64_t bytes_written() const = 0;
};

// Creates `path` with mode 0600; refuses an existing file unless `overwrite` is yes (an Error of
// kind conflict naming the path); an overwritten file is set back to 0600. Write errors (ENOSPC...)
// are io Errors naming the path. gzip uses zlib's default level, zstd level 3. A URL path is
// written through its registered raw store: the object appears only when close() succeeds, and a
// sink destroyed without close() (or failing) discards it instead of closing it.
Result<std::unique_ptr<ByteSink>> open_sink(const std::string& path, Compression compression,
                                            Overwrite overwrite);

}  // namespace ktape::formats
