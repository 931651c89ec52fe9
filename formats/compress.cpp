// Byte sources (plain, gzip, zstd; detected by magic bytes) and sinks (buffered, created 0600).
#include "formats/compress.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "formats/age.hpp"
#include "formats/raw_store.hpp"

namespace ktape::formats {
namespace {

// Compressed input is read in chunks of this size; large enough that read(2) calls are rare.
constexpr std::size_t k_input_chunk = std::size_t{256} * 1024;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string errno_text(int err) { return std::strerror(err); }

// Raw bytes from a file descriptor or from memory.
class RawInput {
 public:
  RawInput(int fd, std::string name) : m_fd(fd), m_name(std::move(name)) {}
  explicit RawInput(std::string bytes) : m_memory(std::move(bytes)) {}
  explicit RawInput(std::unique_ptr<RawReader> reader) : m_reader(std::move(reader)) {}
  // Bytes from a layer below decompression (age decryption).
  RawInput(std::unique_ptr<ByteSource> layer, std::string name)
      : m_name(std::move(name)), m_layer(std::move(layer)) {}
  RawInput(const RawInput&) = delete;
  RawInput& operator=(const RawInput&) = delete;
  ~RawInput() {
    if (m_fd > 0) ::close(m_fd);
  }

  // Reads up to `size` bytes; 0 at the end.
  Result<std::size_t> read(char* out, std::size_t size) {
    if (m_reader) return m_reader->read(out, size);
    if (m_layer) return m_layer->read(out, size);
    if (m_fd < 0) {
      std::size_t n = std::min(size, m_memory.size() - m_pos);
      std::memcpy(out, m_memory.data() + m_pos, n);
      m_pos += n;
      return n;
    }
    while (true) {
      ssize_t n = ::read(m_fd, out, size);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return fail(ErrorKind::io, "read " + m_name + ": " + errno_text(errno));
    }
  }

 private:
  int m_fd = -1;
  std::string m_name;
  std::string m_memory;
  std::size_t m_pos = 0;
  std::unique_ptr<RawReader> m_reader;  // a URL's object (formats/raw_store.hpp)
  std::unique_ptr<ByteSource> m_layer;
};

// The raw bytes that were read to detect the format, then the rest of the input: what a layer
// opened after detection (age) reads from.
class PrefixedInput : public ByteSource {
 public:
  PrefixedInput(std::string prefix, std::unique_ptr<RawInput> rest)
      : m_prefix(std::move(prefix)), m_rest(std::move(rest)) {}
  Result<std::size_t> read(char* out, std::size_t size) override {
    if (m_pos == m_prefix.size()) {
      auto n = m_rest->read(out, size);
      if (n) m_total += *n;
      return n;
    }
    std::size_t n = std::min(size, m_prefix.size() - m_pos);
    std::memcpy(out, m_prefix.data() + m_pos, n);
    m_pos += n;
    m_total += n;
    return n;
  }
  std::uint64_t raw_bytes_read() const override { return m_total; }

 private:
  std::string m_prefix;
  std::size_t m_pos = 0;
  std::unique_ptr<RawInput> m_rest;
  std::uint64_t m_total = 0;
};

enum class Format { plain, gzip, zstd };

Format detect(std::string_view head) {
  if (head.size() >= 2 && head[0] == '\x1f' && head[1] == '\x8b') return Format::gzip;
  if (head.size() >= 4 && head.substr(0, 4) == std::string_view("\x28\xb5\x2f\xfd", 4)) return Format::zstd;
  return Format::plain;
}

// Reads raw input in chunks, detects the format from the first bytes and decompresses. A
// compressed stream may hold several gzip members or zstd frames; all are read through.
class StreamSource : public ByteSource {
 public:
  StreamSource(std::unique_ptr<RawInput> input, std::string name)
      : m_input(std::move(input)), m_buffer(k_input_chunk), m_name(std::move(name)) {}
  StreamSource(const StreamSource&) = delete;
  StreamSource& operator=(const StreamSource&) = delete;
  ~StreamSource() override {
    if (m_format == Format::gzip) inflateEnd(&m_zlib);
    if (m_zstd != nullptr) ZSTD_freeDCtx(m_zstd);
  }

  Result<std::size_t> read(char* out, std::size_t size) override {
    if (!m_started) {
      if (auto started = start(); !started) return fail(started.error());
    }
    if (size == 0) return std::size_t{0};
    while (true) {
      if (m_begin == m_end && !m_eof) {
        if (auto filled = fill(); !filled) return fail(filled.error());
      }
      auto produced = m_format == Format::plain  ? copy_plain(out, size)
                      : m_format == Format::gzip ? inflate_some(out, size)
                                                 : zstd_some(out, size);
      if (!produced) return produced;
      if (*produced > 0 || (m_eof && m_begin == m_end)) return finish_check(*produced);
    }
  }

  std::uint64_t raw_bytes_read() const override { return m_raw_total - (m_end - m_begin); }

 private:
  Result<void> fill() {
    auto n = m_input->read(m_buffer.data(), m_buffer.size());
    if (!n) return fail(n.error());
    m_begin = 0;
    m_end = *n;
    m_raw_total += *n;
    m_eof = *n == 0;
    return {};
  }

  // Reads until the magic bytes can be seen (or the input ends), then sets up the decoder.
  Result<void> start() {
    m_started = true;
    while (m_end < k_age_magic.size() && !m_eof) {
      auto n = m_input->read(m_buffer.data() + m_end, m_buffer.size() - m_end);
      if (!n) return fail(n.error());
      m_end += *n;
      m_raw_total += *n;
      m_eof = *n == 0;
    }
    if (std::string_view(m_buffer.data(), m_end).substr(0, k_age_magic.size()) == k_age_magic)
      return start_age();
    m_format = detect(std::string_view(m_buffer.data(), m_end));
    if (m_format == Format::gzip) {
      m_zlib = z_stream{};
      // 15 + 32: the largest window, and a gzip or zlib header detected automatically.
      if (inflateInit2(&m_zlib, 15 + 32) != Z_OK) return fail(ErrorKind::io, "cannot start a gzip decoder");
    } else if (m_format == Format::zstd) {
      m_zstd = ZSTD_createDCtx();
      if (m_zstd == nullptr) return fail(ErrorKind::io, "cannot start a zstd decoder");
    }
    m_in_frame = false;
    return {};
  }

  // An age file: the bytes read so far and the rest go through decryption, and the format below
  // (plain, gzip, zstd) is detected again on the plaintext.
  Result<void> start_age() {
    auto prefixed = std::make_unique<PrefixedInput>(std::string(m_buffer.data(), m_end), std::move(m_input));
    auto decrypted = open_age_source(std::move(prefixed), age_identities(), m_name);
    if (!decrypted) return fail(decrypted.error());
    m_input = std::make_unique<RawInput>(std::move(*decrypted), m_name);
    m_begin = m_end = 0;
    m_raw_total = 0;
    m_eof = false;
    return start();
  }

  Result<std::size_t> copy_plain(char* out, std::size_t size) {
    std::size_t n = std::min(size, m_end - m_begin);
    std::memcpy(out, m_buffer.data() + m_begin, n);
    m_begin += n;
    return n;
  }

  Result<std::size_t> inflate_some(char* out, std::size_t size) {
    if (m_begin == m_end) return std::size_t{0};
    if (m_member_done) {
      inflateReset(&m_zlib);  // another gzip member follows the previous one
      m_member_done = false;
    }
    m_zlib.next_in = reinterpret_cast<Bytef*>(m_buffer.data() + m_begin);
    m_zlib.avail_in = static_cast<uInt>(m_end - m_begin);
    m_zlib.next_out = reinterpret_cast<Bytef*>(out);
    m_zlib.avail_out = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
    std::size_t out_before = m_zlib.avail_out;
    int rc = inflate(&m_zlib, Z_NO_FLUSH);
    m_begin = m_end - m_zlib.avail_in;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      return fail(ErrorKind::parse,
                  std::string("corrupt gzip stream: ") + (m_zlib.msg ? m_zlib.msg : "inflate failed"));
    }
    m_in_frame = rc != Z_STREAM_END;
    m_member_done = rc == Z_STREAM_END;
    return out_before - m_zlib.avail_out;
  }

  Result<std::size_t> zstd_some(char* out, std::size_t size) {
    if (m_begin == m_end) return std::size_t{0};
    ZSTD_inBuffer in{m_buffer.data() + m_begin, m_end - m_begin, 0};
    ZSTD_outBuffer output{out, size, 0};
    std::size_t rc = ZSTD_decompressStream(m_zstd, &output, &in);
    m_begin += in.pos;
    if (ZSTD_isError(rc))
      return fail(ErrorKind::parse, std::string("corrupt zstd stream: ") + ZSTD_getErrorName(rc));
    m_in_frame = rc != 0;  // 0: a frame just ended
    return output.pos;
  }

  // At the end of the input, a decoder still inside a member or frame means the file was cut.
  Result<std::size_t> finish_check(std::size_t produced) {
    if (produced == 0 && m_in_frame) {
      return fail(ErrorKind::parse,
                  m_format == Format::gzip ? "truncated gzip stream" : "truncated zstd stream");
    }
    return produced;
  }

  std::unique_ptr<RawInput> m_input;
  std::vector<char> m_buffer;
  std::string m_name;  // the file, for errors
  std::size_t m_begin = 0;
  std::size_t m_end = 0;
  std::uint64_t m_raw_total = 0;
  bool m_eof = false;
  bool m_started = false;
  Format m_format = Format::plain;
  bool m_in_frame = false;
  bool m_member_done = false;
  z_stream m_zlib{};
  ZSTD_DCtx* m_zstd = nullptr;
};

// Output is gathered into buffers of this size before write(2): few system calls, and a killed
// process loses at most what was written since the last flush().
constexpr std::size_t k_output_chunk = std::size_t{1024} * 1024;
// zstd's default level: a good ratio at several hundred MB/s; gzip uses zlib's default (6).
constexpr int k_zstd_level = 3;

class FileSink : public ByteSink {
 public:
  FileSink(int fd, std::string path, Compression compression)
      : m_fd(fd), m_path(std::move(path)), m_compression(compression) {
    m_out.reserve(k_output_chunk);
  }
  // A sink into a stored object: committed by close(), aborted when destroyed unclosed or on error.
  FileSink(std::unique_ptr<RawWriter> remote, std::string path, Compression compression)
      : FileSink(-1, std::move(path), compression) {
    m_remote = std::move(remote);
  }
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;
  ~FileSink() override {
    if (m_remote) m_remote->abort();  // never committed: nothing half-written becomes visible
    if (m_fd >= 0) (void)close();
    if (m_zstd != nullptr) ZSTD_freeCCtx(m_zstd);
  }

  Result<void> start() {
    if (is_age_path(m_path)) {
      auto recipients = age_recipients();
      if (recipients.empty())
        return fail(ErrorKind::invalid,
                    m_path + " ends in .age: give --encrypt-to RECIPIENT or --encrypt-to-file FILE");
      auto age = AgeEncryptor::start(recipients, [this](std::string_view bytes) { return write_raw(bytes); });
      if (!age) return fail(with_context(age.error(), m_path));
      m_age = std::move(*age);
    }
    if (m_compression == Compression::gzip) {
      // 15 + 16: the largest window, with a gzip header and trailer.
      if (deflateInit2(&m_zlib, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return fail(ErrorKind::io, "cannot start a gzip encoder for " + m_path);
      }
      m_zlib_started = true;
    } else if (m_compression == Compression::zstd) {
      m_zstd = ZSTD_createCCtx();
      if (m_zstd == nullptr) return fail(ErrorKind::io, "cannot start a zstd encoder for " + m_path);
      ZSTD_CCtx_setParameter(m_zstd, ZSTD_c_compressionLevel, k_zstd_level);
    }
    return {};
  }

  Result<void> write(std::string_view bytes) override {
    if (is_closed()) return fail(ErrorKind::io, "write " + m_path + ": the file is closed");
    if (m_compression == Compression::none) {
      if (m_out.size() + bytes.size() > k_output_chunk) {
        if (auto r = write_out(); !r) return r;
        if (bytes.size() >= k_output_chunk) return write_all(bytes);
      }
      m_out.append(bytes);
      return {};
    }
    return compress(bytes, Mode::run);
  }

  Result<void> flush() override {
    if (is_closed()) return fail(ErrorKind::io, "flush " + m_path + ": the file is closed");
    if (m_compression != Compression::none) {
      if (auto r = compress({}, Mode::flush); !r) return r;
    }
    return write_out();
  }

  Result<void> close() override {
    if (is_closed()) return fail(ErrorKind::io, "close " + m_path + ": the file is already closed");
    if (m_remote) return close_remote();
    Result<void> result;
    if (m_compression != Compression::none) result = compress({}, Mode::finish);
    if (result) result = write_out();
    if (result && m_age) result = m_age->finish();
    if (result && ::fsync(m_fd) != 0 && errno != EINVAL) {
      result = fail(ErrorKind::io, "fsync " + m_path + ": " + errno_text(errno));
    }
    if (::close(m_fd) != 0 && result)
      result = fail(ErrorKind::io, "close " + m_path + ": " + errno_text(errno));
    m_fd = -1;
    if (m_zlib_started) deflateEnd(&m_zlib);
    m_zlib_started = false;
    return result;
  }

  std::uint64_t bytes_written() const override { return m_written; }

 private:
  enum class Mode { run, flush, finish };

  bool is_closed() const { return m_fd < 0 && !m_remote; }

  Result<void> close_remote() {
    Result<void> result;
    if (m_compression != Compression::none) result = compress({}, Mode::finish);
    if (result) result = write_out();
    if (result && m_age) result = m_age->finish();
    if (result) result = m_remote->commit();
    if (!result) m_remote->abort();
    m_remote.reset();
    if (m_zlib_started) deflateEnd(&m_zlib);
    m_zlib_started = false;
    return result;
  }

  // Everything bound for the file passes here: through age encryption when the path ends in .age.
  Result<void> write_all(std::string_view bytes) {
    if (m_age) return m_age->write(bytes);
    return write_raw(bytes);
  }

  // Bytes to the file or the stored object, as they are.
  Result<void> write_raw(std::string_view bytes) {
    if (m_remote) {
      if (bytes.empty()) return {};
      auto r = m_remote->write(bytes);
      if (r) m_written += bytes.size();
      return r;
    }
    while (!bytes.empty()) {
      ssize_t n = ::write(m_fd, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail(ErrorKind::io, "write " + m_path + ": " + errno_text(errno));
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
      m_written += static_cast<std::uint64_t>(n);
    }
    return {};
  }

  Result<void> write_out() {
    auto r = write_all(m_out);
    m_out.clear();
    return r;
  }

  // Runs the compressor over `bytes` into m_out, writing m_out whenever it fills.
  Result<void> compress(std::string_view bytes, Mode mode) {
    bool done = false;
    while (!done) {
      std::size_t used = m_out.size();
      m_out.resize(k_output_chunk);
      std::size_t room = k_output_chunk - used;
      std::size_t consumed = 0;
      std::size_t produced = 0;
      if (m_compression == Compression::gzip) {
        done = deflate_step(bytes, mode, used, room, consumed, produced);
      } else if (auto step = zstd_step(bytes, mode, used, room, consumed, produced); !step) {
        m_out.resize(used);
        return fail(step.error());
      } else {
        done = *step;
      }
      m_out.resize(used + produced);
      bytes.remove_prefix(consumed);
      if (m_out.size() == k_output_chunk) {
        if (auto r = write_out(); !r) return r;
      }
    }
    return {};
  }

  bool deflate_step(std::string_view bytes, Mode mode, std::size_t used, std::size_t room,
                    std::size_t& consumed, std::size_t& produced) {
    m_zlib.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    m_zlib.avail_in = static_cast<uInt>(std::min<std::size_t>(bytes.size(), 1u << 30));
    m_zlib.next_out = reinterpret_cast<Bytef*>(m_out.data() + used);
    m_zlib.avail_out = static_cast<uInt>(room);
    int flush = mode == Mode::run ? Z_NO_FLUSH : mode == Mode::flush ? Z_SYNC_FLUSH : Z_FINISH;
    int rc = deflate(&m_zlib, flush);
    if (rc == Z_STREAM_ERROR) return true;  // cannot happen with a valid stream; never loop on it
    consumed = bytes.size() > 0
                   ? static_cast<std::size_t>(reinterpret_cast<char*>(m_zlib.next_in) - bytes.data())
                   : 0;
    produced = room - m_zlib.avail_out;
    if (mode == Mode::finish) return rc == Z_STREAM_END;
    // Done when all input is taken and deflate had room to spare (nothing pending).
    return consumed == bytes.size() && m_zlib.avail_out != 0;
  }

  Result<bool> zstd_step(std::string_view bytes, Mode mode, std::size_t used, std::size_t room,
                         std::size_t& consumed, std::size_t& produced) {
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    ZSTD_outBuffer out{m_out.data() + used, room, 0};
    auto directive = mode == Mode::run ? ZSTD_e_continue : mode == Mode::flush ? ZSTD_e_flush : ZSTD_e_end;
    std::size_t remaining = ZSTD_compressStream2(m_zstd, &out, &in, directive);
    if (ZSTD_isError(remaining)) {
      return fail(ErrorKind::io, "zstd compression of " + m_path + ": " + ZSTD_getErrorName(remaining));
    }
    consumed = in.pos;
    produced = out.pos;
    if (mode == Mode::run) return in.pos == in.size;
    return remaining == 0;
  }

  int m_fd;
  std::string m_path;
  Compression m_compression;
  std::string m_out;
  std::uint64_t m_written = 0;
  z_stream m_zlib{};
  bool m_zlib_started = false;
  ZSTD_CCtx* m_zstd = nullptr;
  std::unique_ptr<AgeEncryptor> m_age;
  std::unique_ptr<RawWriter> m_remote;  // set for a URL's object (formats/raw_store.hpp)
};

}  // namespace

Compression compression_for_path(std::string_view path) {
  path = strip_age_extension(path);
  if (ends_with(path, ".gz") || ends_with(path, ".tgz")) return Compression::gzip;
  if (ends_with(path, ".zst")) return Compression::zstd;
  return Compression::none;
}

Result<std::unique_ptr<ByteSource>> open_source(const std::string& path) {
  if (is_url_path(path)) {
    auto store = raw_store_for(path);
    if (!store) return fail(ErrorKind::unsupported, path + ": no storage backend for this URL scheme");
    auto reader = store->open_read(path);
    if (!reader) return fail(reader.error());
    return std::unique_ptr<ByteSource>(
        std::make_unique<StreamSource>(std::make_unique<RawInput>(std::move(*reader)), path));
  }
  int fd = 0;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return fail(errno == ENOENT ? ErrorKind::not_found : ErrorKind::io,
                  "open " + path + ": " + errno_text(errno));
  }
  return std::unique_ptr<ByteSource>(
      std::make_unique<StreamSource>(std::make_unique<RawInput>(fd, path == "-" ? "standard input" : path),
                                     path == "-" ? "standard input" : path));
}

std::unique_ptr<ByteSource> memory_source(std::string bytes) {
  return std::make_unique<StreamSource>(std::make_unique<RawInput>(std::move(bytes)), "the input");
}

Result<std::unique_ptr<ByteSink>> open_sink(const std::string& path, Compression compression,
                                            Overwrite overwrite) {
  // Checked before the file is created, so that a missing key leaves nothing behind.
  if (is_age_path(path) && age_recipients().empty())
    return fail(ErrorKind::invalid,
                path + " ends in .age: give --encrypt-to RECIPIENT or --encrypt-to-file FILE");
  if (is_url_path(path)) {
    auto store = raw_store_for(path);
    if (!store) return fail(ErrorKind::unsupported, path + ": no storage backend for this URL scheme");
    auto writer = store->open_write(path, overwrite);
    if (!writer) return fail(writer.error());
    auto sink = std::make_unique<FileSink>(std::move(*writer), path, compression);
    if (auto started = sink->start(); !started) return fail(started.error());
    return std::unique_ptr<ByteSink>(std::move(sink));
  }
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite == Overwrite::yes ? O_TRUNC : O_EXCL);
  int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return fail(ErrorKind::conflict, path + " already exists; choose another path or allow overwriting");
    }
    return fail(ErrorKind::io, "create " + path + ": " + errno_text(errno));
  }
  // An overwritten regular file keeps its old mode through O_TRUNC; recordings are private.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) != 0600) ::fchmod(fd, 0600);
  auto sink = std::make_unique<FileSink>(fd, path, compression);
  if (auto started = sink->start(); !started) return fail(started.error());
  return std::unique_ptr<ByteSink>(std::move(sink));
}

}  // namespace ktape::formats
