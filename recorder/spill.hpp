#pragma once
// The snapshot documents of one initial LIST still in progress, held outside memory until the LIST
// completes. A LIST restarted after an expired continue token must never leave half a list in the
// recording, and holding a resource's whole LIST in memory grows with the cluster (a million Pods
// is gigabytes): the documents go, rendered, into an unlinked temporary file, which the writer copies
// into the recording when the LIST has completed, or forgets when it restarts. The file is created
// with mode 0600 (it may hold Secrets) and unlinked at once, so nothing is left behind by a crash.
// Not thread-safe: the pipeline's writer thread owns it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "formats/error.hpp"

namespace ktape::recorder {

class SnapshotSpill {
 public:
  // An empty spill in `dir` (beside the recording, so it is on the same file system and as
  // private); "" means the system's temporary directory. An io Error names the directory.
  static Result<std::unique_ptr<SnapshotSpill>> create(const std::string& dir);
  ~SnapshotSpill();
  SnapshotSpill(const SnapshotSpill&) = delete;
  SnapshotSpill& operator=(const SnapshotSpill&) = delete;

  // Appends one whole document's text (formats::render_object's). Buffered: an io Error when a
  // write fails (a full disk).
  Result<void> append(std::string_view document);
  // Forgets every document (the LIST restarts).
  void reset();
  std::size_t documents() const { return m_offsets.size(); }
  std::uint64_t bytes() const { return m_size; }

  // Every byte in order, in chunks of about 1 MiB: `chunk(text, documents)`, where `documents`
  // counts the documents that begin in `text`. Stops at the first Error, from a read or `chunk`.
  using Chunk = std::function<Result<void>(std::string_view, std::size_t)>;
  Result<void> for_each_chunk(const Chunk& chunk);
  // Every document's text in order, one at a time.
  using Document = std::function<Result<void>(std::string_view)>;
  Result<void> for_each_document(const Document& document);

 private:
  SnapshotSpill(int fd, std::string dir);
  Result<void> write_buffer();
  Result<void> read_at(std::uint64_t offset, std::size_t size, std::string& out) const;

  int m_fd;
  std::string m_dir;                     // for messages
  std::string m_buffer;                  // appended, not yet written
  std::vector<std::uint64_t> m_offsets;  // where each document begins
  std::uint64_t m_size = 0;              // bytes appended (written and buffered)
  std::uint64_t m_written = 0;           // bytes in the file
};

}  // namespace ktape::recorder
