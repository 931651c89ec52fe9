#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "formats/json.hpp"
#include "formats/writer.hpp"
#include "store/catalog.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::store;
using test_support::read_file;
using test_support::TempDir;
using test_support::write_file;
namespace fs = std::filesystem;

namespace {

// A finished recording (sidecar and meta, as the recorder leaves it) of `objects` ConfigMaps.
void finished(const std::string& path, const std::string& start, int objects) {
  formats::Header h;
  h.start_time = start;
  h.source = "cluster demo";
  h.mode = "snapshot";
  formats::WriterOptions wo;
  wo.path = path;
  auto w = formats::RecordingWriter::create(wo, h);
  REQUIRE(w);
  for (int i = 0; i < objects; ++i) {
    auto cm = *formats::parse_json(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c)" +
                                   std::to_string(i) + "\"}}");
    REQUIRE((*w)->write_object(cm));
  }
  REQUIRE((*w)->close());
  RecordingMeta meta;
  meta.objects = static_cast<std::uint64_t>(objects);
  meta.duration_ns = 1'000'000'000;
  REQUIRE(write_meta(path, meta));
  REQUIRE(write_sidecar(path));
}

const CatalogEntry* find(const std::vector<CatalogEntry>& list, const std::string& name) {
  for (const auto& e : list)
    if (fs::path(e.info.path).filename() == name) return &e;
  return nullptr;
}

}  // namespace

TEST_CASE("is_recording_name: recordings by extension, not their sidecars or temporaries") {
  for (auto name : {"a.yaml", "a.yml", "a.yaml.gz", "a.yaml.zst", "a.json", "b.tgz"})
    CHECK(is_recording_name(name));
  for (auto name : {"a.yaml.sha256", "a.yaml.meta", "a.yaml.tmp", "a.txt", ".a.yaml", "a.gz", "notes"})
    CHECK_FALSE(is_recording_name(name));
}

TEST_CASE("list_recordings: counts from metas, statuses from sidecars, in start order") {
  TempDir dir("ktape-store-catalog");
  finished(dir.file("tuesday.yaml.zst"), "2026-12-01T10:00:00Z", 7);
  finished(dir.file("monday.yaml"), "2026-11-30T10:00:00Z", 3);
  finished(dir.file("wednesday.yaml.gz"), "2026-12-02T10:00:00Z", 2);
  fs::copy_file(std::string(KTAPE_SOURCE_DIR) + "/testdata/kwok/recording.yaml", dir.file("kwok.yaml"));
  write_file(dir.file("broken.yaml.gz"), std::string("\x1f\x8b\x08\x00garbage", 12));
  write_file(dir.file("notes.txt"), "not a recording");
  // Unfinished: no sidecar, no meta.
  write_file(dir.file("unfinished.yaml"), read_file(dir.file("monday.yaml")));

  auto list = list_recordings(dir.path().string());
  REQUIRE(list);
  CHECK(list->size() == 6);
  auto monday = find(*list, "monday.yaml"), tuesday = find(*list, "tuesday.yaml.zst");
  REQUIRE(monday);
  REQUIRE(tuesday);
  CHECK(monday < tuesday);  // start order
  CHECK(monday->status == Status::unverified);
  REQUIRE(tuesday->meta);
  CHECK(tuesday->meta->objects == 7);
  CHECK(tuesday->info.header->source == "cluster demo");
  CHECK(find(*list, "unfinished.yaml")->status == Status::incomplete);
  CHECK_FALSE(find(*list, "unfinished.yaml")->meta);
  CHECK_FALSE(find(*list, "kwok.yaml")->info.header);
  auto broken = find(*list, "broken.yaml.gz");
  CHECK(broken->status == Status::corrupt);
  CHECK(broken->problem.find("broken.yaml.gz") != std::string::npos);

  // Flip a byte: only --verify sees it, and the meta (same size) still gives the counts.
  auto bytes = read_file(dir.file("tuesday.yaml.zst"));
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x20);
  write_file(dir.file("tuesday.yaml.zst"), bytes);
  auto verified = list_recordings(dir.path().string(), Verify::yes);
  REQUIRE(verified);
  CHECK(find(*verified, "tuesday.yaml.zst")->status == Status::corrupt);
  CHECK(find(*verified, "monday.yaml")->status == Status::ok);
  CHECK(find(*verified, "wednesday.yaml.gz")->status == Status::ok);

  auto missing = list_recordings(dir.file("absent"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("absent") != std::string::npos);
}
