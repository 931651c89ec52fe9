#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "formats/json.hpp"
#include "formats/reader.hpp"
#include "formats/yaml.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::formats;
using test_support::read_file;
using test_support::TempDir;

namespace {

// The size of the generated "large file": smaller under AddressSanitizer, which is ~20x slower.
#ifdef __SANITIZE_ADDRESS__
constexpr std::size_t k_large_file = 8u << 20;
#else
constexpr std::size_t k_large_file = 64u << 20;
#endif

DocumentReader reader_over(std::string text, std::string name = "rec.yaml") {
  return DocumentReader(memory_source(std::move(text)), std::move(name));
}

// Reads every document; the error (if any) ends the list.
struct ReadAll {
  std::vector<Document> documents;
  std::optional<Error> error;
};

ReadAll read_all(DocumentReader& reader) {
  ReadAll all;
  while (true) {
    auto d = reader.next();
    if (!d) {
      all.error = d.error();
      CHECK(reader.next().value_or(Document{}) == std::nullopt);  // the reader has ended
      return all;
    }
    if (!*d) return all;
    all.documents.push_back(std::move(**d));
  }
}

ReadAll read_text(std::string text) {
  auto reader = reader_over(std::move(text));
  return read_all(reader);
}

Value json(std::string_view text) {
  auto v = parse_json(text);
  REQUIRE(v);
  return *v;
}

// Resident memory of this process in bytes (Linux).
std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

void write_file(const std::string& path, Compression c, const std::string& text) {
  auto sink = open_sink(path, c, Overwrite::yes);
  REQUIRE(sink);
  REQUIRE((*sink)->write(text));
  REQUIRE((*sink)->close());
}

}  // namespace

TEST_CASE("DocumentReader yields documents with their number, line and leading comments") {
  auto all = read_text(
      "# ktape: {\"formatVersion\":1}\n"
      "---\n"
      "a: 1\n"
      "---\n"
      "# about b\n"
      "#tight\n"
      "\n"
      "b: [1, 2]\n"
      "--- # marker comment\n"
      "c: |\n"
      "  x\n"
      "...\n"
      "--- {d: 1}\n");
  REQUIRE_FALSE(all.error);
  REQUIRE(all.documents.size() == 4);
  CHECK(all.documents[0].value == json(R"({"a":1})"));
  CHECK(all.documents[0].number == 1);
  CHECK(all.documents[0].line == 3);
  CHECK(all.documents[0].comments == std::vector<std::string>{"ktape: {\"formatVersion\":1}"});
  CHECK(all.documents[1].value == json(R"({"b":[1,2]})"));
  CHECK(all.documents[1].line == 8);
  CHECK(all.documents[1].comments == std::vector<std::string>{"about b", "tight"});
  CHECK(all.documents[2].value == json(R"({"c":"x\n"})"));
  CHECK(all.documents[2].comments == std::vector<std::string>{"marker comment"});
  CHECK(all.documents[3].value == json(R"({"d":1})"));
  CHECK(all.documents[3].number == 4);
  CHECK(all.documents[3].line == 13);
}

TEST_CASE("DocumentReader parses ahead in batches and still delivers in order, up to a bad document") {
  // 1,000 documents: batches of 1, 2, 4, ... 256 are cut and parsed on two threads. Empty
  // documents with comments fall inside and at the edges of batches; document 700 is bad.
  std::string text;
  std::size_t lines = 0;
  std::vector<std::size_t> content_lines;
  for (std::size_t i = 1; i <= 1000; ++i) {
    if (i % 37 == 0 || i == 256 || i == 511) {
      text += "---\n# before " + std::to_string(i) + "\n";  // an empty document: its comment moves on
      lines += 2;
    }
    text += "---\n";
    ++lines;
    content_lines.push_back(lines + 1);
    text +=
        i == 700 ? "n: [unclosed\n" : "n: " + std::to_string(i) + "\nname: doc-" + std::to_string(i) + "\n";
    lines += i == 700 ? 1 : 2;
  }
  auto all = read_text(text);
  REQUIRE(all.documents.size() == 699);
  for (std::size_t i = 1; i <= 699; ++i) {
    const auto& d = all.documents[i - 1];
    CHECK(d.value.string_at({"name"}) == "doc-" + std::to_string(i));
    CHECK(d.number == i);
    CHECK(d.line == content_lines[i - 1]);
    bool commented = i % 37 == 0 || i == 256 || i == 511;
    CHECK(d.comments ==
          (commented ? std::vector<std::string>{"before " + std::to_string(i)} : std::vector<std::string>{}));
  }
  REQUIRE(all.error);
  CHECK(all.error->message.find("rec.yaml: document 700 (line " + std::to_string(content_lines[699]) + ")") !=
        std::string::npos);
}

TEST_CASE("DocumentReader skips empty documents and carries their comments forward") {
  auto all = read_text("---\n---\n# lonely\n---\n\n---\nx: 1\n---\n~\n---\n# trailing\n");
  REQUIRE_FALSE(all.error);
  REQUIRE(all.documents.size() == 1);
  CHECK(all.documents[0].value == json(R"({"x":1})"));
  CHECK(all.documents[0].comments == std::vector<std::string>{"lonely"});
  CHECK(read_text("").documents.empty());
  CHECK(read_text("\xEF\xBB\xBFk: v\n").documents.at(0).value == json(R"({"k":"v"})"));
}

TEST_CASE("DocumentReader expands a List into its items") {
  auto all = read_text(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first}\n"
      "---\n# the list\napiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n"
      "- kind: Pod\n  metadata: {name: b}\n"
      "---\nkind: PodList\nitems: []\n"
      "---\nkind: Last\n");
  REQUIRE_FALSE(all.error);
  REQUIRE(all.documents.size() == 4);
  CHECK(all.documents[1].value.string_at({"metadata", "name"}) == "a");
  CHECK(all.documents[1].number == 2);
  CHECK(all.documents[1].line == 6);
  CHECK(all.documents[1].comments == std::vector<std::string>{"the list"});
  CHECK(all.documents[2].value.string_at({"metadata", "name"}) == "b");
  CHECK(all.documents[2].number == 2);
  CHECK(all.documents[3].value.string_at({"kind"}) == "Last");
  CHECK(all.documents[3].number == 4);
  auto bad = read_text("kind: List\nitems:\n- 1\n");
  REQUIRE(bad.error);
  CHECK(bad.error->message == "rec.yaml: document 1 (line 1): item 1 of the List is a number, not a mapping");
}

TEST_CASE("malformed YAML mid-file ends the reader after the documents before it") {
  auto all = read_text("a: 1\n---\nb: 2\n---\nc: [1, 2\nd: 3\n---\ne: 5\n");
  REQUIRE(all.documents.size() == 2);
  REQUIRE(all.error);
  CHECK(all.error->kind == ErrorKind::parse);
  CHECK(all.error->message.rfind("rec.yaml: document 3 (line 5): line ", 0) == 0);
}

TEST_CASE("a document that is not a mapping is an error naming file, document and line") {
  auto all = read_text("a: 1\n---\n\n# c\n- x\n- y\n");
  REQUIRE(all.documents.size() == 1);
  REQUIRE(all.error);
  CHECK(all.error->message == "rec.yaml: document 2 (line 5): expected a mapping, found a sequence");
  CHECK(read_text("just a string\n").error->message ==
        "rec.yaml: document 1 (line 1): expected a mapping, found a string");
}

TEST_CASE("a truncated last document is an error after every complete document") {
  auto all = read_text("a: 1\n---\nb: \"unclosed\n  more: 2\n");
  REQUIRE(all.documents.size() == 1);
  REQUIRE(all.error);
  CHECK(all.error->message.rfind("rec.yaml: document 2 (line 3): line 3: a quoted scalar is not closed", 0) ==
        0);
  auto flow = read_text("a: 1\n---\nb: [1, 2,\n");
  REQUIRE(flow.error);
  CHECK(flow.documents.size() == 1);
}

TEST_CASE("DocumentReader reads gzip and zstd by magic bytes, whatever the name") {
  TempDir dir("ktape-reader");
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "---\nkind: Pod\nmetadata:\n  name: pod-" + std::to_string(i) + "\n";
  for (auto c : {Compression::none, Compression::gzip, Compression::zstd}) {
    CAPTURE(static_cast<int>(c));
    std::string path = dir.file("recording.yaml");
    write_file(path, c, text);
    auto reader = DocumentReader::open(path);
    REQUIRE(reader);
    auto all = read_all(*reader);
    REQUIRE_FALSE(all.error);
    REQUIRE(all.documents.size() == 2000);
    CHECK(all.documents[1999].value.string_at({"metadata", "name"}) == "pod-1999");
    CHECK(all.documents[1999].line == 1999 * 4 + 2);
    CHECK(reader->raw_bytes_read() == std::filesystem::file_size(path));
  }
}

TEST_CASE("a truncated gzip or zstd recording delivers the complete documents, then an error") {
  TempDir dir("ktape-reader");
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += "---\nkind: Pod\nmetadata:\n  name: pod-" + std::to_string(i) + "\n";
  for (auto c : {Compression::gzip, Compression::zstd}) {
    CAPTURE(static_cast<int>(c));
    std::string path = dir.file("rec.yaml.z");
    write_file(path, c, text);
    std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
    auto reader = DocumentReader::open(path);
    REQUIRE(reader);
    auto all = read_all(*reader);
    REQUIRE(all.error);
    CHECK(all.documents.size() > 1000);
    CHECK(all.documents.size() < 20000);
    std::string expected =
        std::string(c == Compression::gzip ? "truncated gzip" : "truncated zstd") + " stream";
    CHECK(all.error->message.find(path + ": document " + std::to_string(all.documents.size() + 1)) == 0);
    CHECK(all.error->message.find(expected) != std::string::npos);
    for (std::size_t i = 0; i < all.documents.size(); ++i) {
      REQUIRE(all.documents[i].value.string_at({"metadata", "name"}) == "pod-" + std::to_string(i));
    }
  }
}

TEST_CASE("DocumentReader reads a large file in memory bounded by its largest document") {
  // 64 MiB (8 under ASan) of documents through a source that counts what it hands out; the reader must keep
  // up with it without ever holding more than a few read chunks.
  class Counting : public ByteSource {
   public:
    Result<std::size_t> read(char* buffer, std::size_t size) override {
      if (m_produced >= k_total) return std::size_t{0};
      std::size_t n = 0;
      while (n + m_doc.size() <= size && m_produced + n < k_total) {
        std::memcpy(buffer + n, m_doc.data(), m_doc.size());
        n += m_doc.size();
      }
      m_produced += n;
      return n;
    }
    std::uint64_t raw_bytes_read() const override { return m_produced; }
    std::size_t m_produced = 0;
    const std::size_t k_total = k_large_file;
    std::string m_doc = "---\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  x: " +
                        std::string(200, 'a') + "\n";
  };
  auto counting = std::make_unique<Counting>();
  std::size_t doc_size = counting->m_doc.size();
  DocumentReader reader(std::move(counting), "big.yaml");
  std::size_t resident_before = resident_bytes();
  std::size_t count = 0;
  std::uint64_t last_raw = 0;
  while (true) {
    auto d = reader.next();
    REQUIRE(d);
    if (!*d) break;
    ++count;
    // Never more than two 256 KiB chunks ahead of the documents delivered.
    if (count % 10000 == 0) {
      CHECK(reader.raw_bytes_read() <= count * doc_size + (512u << 10));
      last_raw = reader.raw_bytes_read();
    }
  }
  CHECK(count == k_large_file / doc_size + (k_large_file % doc_size != 0 ? 1 : 0));
  CHECK(last_raw > 0);
  // Had the reader kept the text it delivered, it would hold 64 MiB more now. (AddressSanitizer keeps
  // freed memory in quarantine, so resident size says nothing there.)
#ifndef __SANITIZE_ADDRESS__
  CHECK(resident_bytes() < resident_before + (16u << 20));
#else
  (void)resident_before;
#endif
}

TEST_CASE("DocumentReader::open names a missing file") {
  auto reader = DocumentReader::open("/nonexistent/rec.yaml");
  REQUIRE_FALSE(reader);
  CHECK(reader.error().message.find("/nonexistent/rec.yaml") != std::string::npos);
}

TEST_CASE("DocumentReader round-trips documents written by to_yaml") {
  std::string text;
  std::vector<Value> values;
  for (int i = 0; i < 50; ++i) {
    Value v = Value::object();
    v.set("kind", "Thing");
    v.set("n", i);
    v.set("text", "line one\n--- not a marker inside a block\n...\nend\n");
    v.set("tricky", "---");
    values.push_back(v);
    text += "---\n" + to_yaml(v);
  }
  auto all = read_text(text);
  REQUIRE_FALSE(all.error);
  REQUIRE(all.documents.size() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) CHECK(all.documents[i].value == values[i]);
}

TEST_CASE("damaged input never crashes the reader and every error names file and document") {
  std::string text = "# ktape: {}\n";
  for (int i = 0; i < 30; ++i) {
    Value v = Value::object();
    v.set("kind", i % 7 == 0 ? "List" : "Pod");
    v.set("items", Value(Array{Value::object(), Value("x: \"q\"\n  - y")}));
    v.set("data", Value(Array{Value(i), Value(" lead\n\ttab"), Value::object()}));
    text += "---\n" + to_yaml(v);
  }
  std::mt19937 rng(42);
  const std::string alphabet = "-.:#\n \"'|[{&*!\t\x01";
  TempDir dir("ktape-reader");
  for (int round = 0; round < 400; ++round) {
    std::string damaged = text;
    for (int m = 0; m < 1 + round % 8; ++m) {
      std::size_t at = rng() % damaged.size();
      switch (rng() % 3) {
        case 0:
          damaged.erase(at, rng() % 20);
          break;
        case 1:
          damaged.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        default:
          damaged.resize(at);
          break;
      }
      if (damaged.empty()) damaged = "x";
    }
    auto all = read_text(damaged);
    if (all.error) CHECK(all.error->message.rfind("rec.yaml: document ", 0) == 0);
  }
  for (auto c : {Compression::gzip, Compression::zstd}) {
    std::string path = dir.file("z");
    write_file(path, c, text);
    std::string bytes = read_file(path);
    for (int round = 0; round < 100; ++round) {
      std::string damaged = bytes;
      if (round % 2 == 0) {
        damaged.resize(rng() % damaged.size());
      } else {
        damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
      }
      auto all = read_text(damaged);
      if (all.error) CHECK(all.error->message.rfind("rec.yaml: document ", 0) == 0);
    }
  }
}
