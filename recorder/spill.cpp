#include "recorder/spill.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace ktape::recorder {

namespace {

constexpr std::size_t k_chunk = 1 << 20;  // writes and reads in 1 MiB blocks, as the writer's

std::string errno_text() { return std::strerror(errno); }

// An unlinked file in `dir`: O_TMPFILE where the file system has it, else a named file removed at once.
int open_unlinked(const std::string& dir) {
#ifdef O_TMPFILE
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
#endif
  std::string name = dir;
  name.append("/.ktape-list-XXXXXX");
  int named = ::mkostemp(name.data(), O_CLOEXEC);  // mode 0600
  if (named >= 0) ::unlink(name.c_str());
  return named;
}

}  // namespace

Result<std::unique_ptr<SnapshotSpill>> SnapshotSpill::create(const std::string& dir) {
  std::string where = dir;
  if (where.empty()) {
    std::error_code ec;
    where = std::filesystem::temp_directory_path(ec).string();
    if (ec) where = "/tmp";
  }
  int fd = open_unlinked(where);
  if (fd < 0) {
    std::string message = "cannot create a temporary file in ";
    message.append(where).append(" to hold a list in progress: ").append(errno_text());
    return fail(ErrorKind::io, message);
  }
  return std::unique_ptr<SnapshotSpill>(new SnapshotSpill(fd, std::move(where)));
}

SnapshotSpill::SnapshotSpill(int fd, std::string dir) : m_fd(fd), m_dir(std::move(dir)) {
  m_buffer.reserve(k_chunk + (64 << 10));
}

SnapshotSpill::~SnapshotSpill() { ::close(m_fd); }

Result<void> SnapshotSpill::append(std::string_view document) {
  m_offsets.push_back(m_size);
  m_size += document.size();
  m_buffer.append(document);
  if (m_buffer.size() >= k_chunk) return write_buffer();
  return {};
}

Result<void> SnapshotSpill::write_buffer() {
  std::string_view rest = m_buffer;
  while (!rest.empty()) {
    ssize_t n = ::write(m_fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string message = "writing the temporary file (in ";
      message.append(m_dir).append(") that holds a list in progress: ").append(errno_text());
      return fail(ErrorKind::io, message);
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
    m_written += static_cast<std::uint64_t>(n);
  }
  m_buffer.clear();
  return {};
}

void SnapshotSpill::reset() {
  m_buffer.clear();
  m_offsets.clear();
  m_size = 0;
  m_written = 0;
  // Shrinking cannot fail on a regular file we own; the next writes go from the start either way.
  (void)::ftruncate(m_fd, 0);
  (void)::lseek(m_fd, 0, SEEK_SET);
}

Result<void> SnapshotSpill::read_at(std::uint64_t offset, std::size_t size, std::string& out) const {
  out.resize(size);
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(m_fd, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string message = "reading back the temporary file (in ";
      message.append(m_dir)
          .append(") that holds a list: ")
          .append(n < 0 ? errno_text() : "it is shorter than written");
      return fail(ErrorKind::io, message);
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> SnapshotSpill::for_each_chunk(const Chunk& chunk) {
  if (auto w = write_buffer(); !w) return w;
  std::string text;
  std::size_t next_document = 0;
  for (std::uint64_t at = 0; at < m_written; at += text.size()) {
    auto size = static_cast<std::size_t>(std::min<std::uint64_t>(k_chunk, m_written - at));
    if (auto r = read_at(at, size, text); !r) return r;
    std::size_t first = next_document;
    while (next_document < m_offsets.size() && m_offsets[next_document] < at + size) ++next_document;
    if (auto r = chunk(text, next_document - first); !r) return r;
  }
  return {};
}

Result<void> SnapshotSpill::for_each_document(const Document& document) {
  if (auto w = write_buffer(); !w) return w;
  std::string text;
  for (std::size_t i = 0; i < m_offsets.size(); ++i) {
    std::uint64_t end = i + 1 < m_offsets.size() ? m_offsets[i + 1] : m_written;
    if (auto r = read_at(m_offsets[i], static_cast<std::size_t>(end - m_offsets[i]), text); !r) return r;
    if (auto r = document(text); !r) return r;
  }
  return {};
}

}  // namespace ktape::recorder
