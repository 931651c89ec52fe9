#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "formats/compress.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::formats;
using test_support::read_file;
using test_support::TempDir;

namespace {

std::string read_all(ByteSource& source, std::size_t chunk = 4096) {
  std::string out(chunk, '\0');
  std::string all;
  while (true) {
    auto n = source.read(out.data(), chunk);
    if (!n) FAIL(n.error().message);
    if (*n == 0) return all;
    all.append(out.data(), *n);
  }
}

// Text that compresses but not to nothing: numbered lines with pseudo-random words.
std::string sample_text(std::size_t lines) {
  std::mt19937 rng(3);
  std::string s;
  for (std::size_t i = 0; i < lines; ++i)
    s += "line " + std::to_string(i) + " " + std::to_string(rng()) + "\n";
  return s;
}

void write_file(const std::string& path, Compression c, const std::string& text) {
  auto sink = open_sink(path, c, Overwrite::yes);
  REQUIRE(sink);
  REQUIRE((*sink)->write(text));
  REQUIRE((*sink)->close());
}

}  // namespace

TEST_CASE("compression_for_path goes by extension") {
  CHECK(compression_for_path("a.yaml.gz") == Compression::gzip);
  CHECK(compression_for_path("a.tgz") == Compression::gzip);
  CHECK(compression_for_path("a.yaml.zst") == Compression::zstd);
  CHECK(compression_for_path("a.yaml") == Compression::none);
}

TEST_CASE("a sink writes plain, gzip and zstd that a source reads back, detected by magic bytes") {
  TempDir dir("ktape-compress");
  std::string text = sample_text(200000);  // several MiB: crosses the 1 MiB buffers
  for (auto c : {Compression::none, Compression::gzip, Compression::zstd}) {
    CAPTURE(static_cast<int>(c));
    std::string path = dir.file("data.yaml");  // the name says nothing about the compression
    auto sink = open_sink(path, c, Overwrite::yes);
    REQUIRE(sink);
    for (std::size_t at = 0; at < text.size(); at += 70000) REQUIRE((*sink)->write(text.substr(at, 70000)));
    REQUIRE((*sink)->close());
    CHECK((*sink)->bytes_written() == std::filesystem::file_size(path));
    CHECK_FALSE((*sink)->write("more"));
    if (c != Compression::none) CHECK(std::filesystem::file_size(path) < text.size() / 2);
    auto source = open_source(path);
    REQUIRE(source);
    CHECK(read_all(**source, 100000) == text);
    CHECK((*source)->raw_bytes_read() == std::filesystem::file_size(path));
  }
}

TEST_CASE("open_sink creates mode 0600 and refuses to overwrite unless told to") {
  TempDir dir("ktape-compress");
  std::string path = dir.file("rec.yaml");
  auto sink = open_sink(path, Compression::none, Overwrite::no);
  REQUIRE(sink);
  REQUIRE((*sink)->close());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto again = open_sink(path, Compression::none, Overwrite::no);
  REQUIRE_FALSE(again);
  CHECK(again.error().kind == ErrorKind::conflict);
  CHECK(again.error().message.find(path) != std::string::npos);
  ::chmod(path.c_str(), 0644);
  auto overwrite = open_sink(path, Compression::none, Overwrite::yes);
  REQUIRE(overwrite);
  REQUIRE((*overwrite)->close());
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto missing_dir = open_sink(dir.file("no/such/dir.yaml"), Compression::none, Overwrite::no);
  REQUIRE_FALSE(missing_dir);
  CHECK(missing_dir.error().message.find("no/such/dir.yaml") != std::string::npos);
}

TEST_CASE("flush leaves a readable prefix while the sink stays open") {
  TempDir dir("ktape-compress");
  for (auto c : {Compression::none, Compression::gzip, Compression::zstd}) {
    CAPTURE(static_cast<int>(c));
    std::string path = dir.file("live.yaml");
    auto sink = open_sink(path, c, Overwrite::yes);
    REQUIRE(sink);
    REQUIRE((*sink)->write("a: 1\n---\nb: 2\n"));
    REQUIRE((*sink)->flush());
    // Read the file as a crash would leave it: everything flushed decodes; a compressed stream
    // is unfinished, so reading on reports it as truncated after the flushed bytes.
    auto source = open_source(path);
    REQUIRE(source);
    std::string buf(100, '\0');
    auto n = (*source)->read(buf.data(), buf.size());
    REQUIRE(n);
    CHECK(buf.substr(0, *n) == "a: 1\n---\nb: 2\n");
    auto end = (*source)->read(buf.data(), buf.size());
    if (c == Compression::none) {
      CHECK(end.value_or(1) == 0);
    } else {
      REQUIRE_FALSE(end);
      CHECK(end.error().message ==
            (c == Compression::gzip ? "truncated gzip stream" : "truncated zstd stream"));
    }
    REQUIRE((*sink)->close());
  }
}

TEST_CASE("a source reads concatenated gzip members and zstd frames") {
  TempDir dir("ktape-compress");
  for (auto c : {Compression::gzip, Compression::zstd}) {
    std::string a = dir.file("a"), b = dir.file("b");
    write_file(a, c, "first\n");
    write_file(b, c, "second\n");
    std::string joined;
    for (const auto& p : {a, b}) joined += read_file(p);
    auto source = memory_source(joined);
    CHECK(read_all(*source) == "first\nsecond\n");
  }
}

TEST_CASE("a truncated or corrupt compressed stream is an error, after the data before it") {
  TempDir dir("ktape-compress");
  std::string text = sample_text(50000);
  for (auto c : {Compression::gzip, Compression::zstd}) {
    CAPTURE(static_cast<int>(c));
    std::string path = dir.file("t");
    write_file(path, c, text);
    std::string bytes = read_file(path);
    auto source = memory_source(bytes.substr(0, bytes.size() * 2 / 3));
    std::string got;
    std::string buf(65536, '\0');
    Result<std::size_t> n = 0;
    while ((n = source->read(buf.data(), buf.size())) && *n > 0) got.append(buf.data(), *n);
    REQUIRE_FALSE(n);
    CHECK(n.error().message == (c == Compression::gzip ? "truncated gzip stream" : "truncated zstd stream"));
    CHECK(got.size() > text.size() / 3);
    CHECK(text.compare(0, got.size(), got) == 0);
    std::string corrupt = bytes;
    corrupt[corrupt.size() / 2] ^= 0x55;
    corrupt[corrupt.size() / 2 + 1] ^= 0x55;
    auto bad = memory_source(corrupt);
    std::string all;
    Result<std::size_t> r = 0;
    while ((r = bad->read(buf.data(), buf.size())) && *r > 0) all.append(buf.data(), *r);
    CHECK((!r || all != text));
  }
}

TEST_CASE("write errors name the path") {
  if (!std::filesystem::exists("/dev/full")) return;
  auto sink = open_sink("/dev/full", Compression::none, Overwrite::yes);
  REQUIRE(sink);
  REQUIRE((*sink)->write("x"));
  auto flushed = (*sink)->flush();
  REQUIRE_FALSE(flushed);
  CHECK(flushed.error().kind == ErrorKind::io);
  CHECK(flushed.error().message.find("/dev/full") != std::string::npos);
  CHECK(flushed.error().message.find("No space left") != std::string::npos);
}

TEST_CASE("open_source reports a missing file by name") {
  auto source = open_source("/nonexistent/ktape.yaml");
  REQUIRE_FALSE(source);
  CHECK(source.error().message.find("/nonexistent/ktape.yaml") != std::string::npos);
}
