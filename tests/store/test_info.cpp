#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "formats/json.hpp"
#include "formats/recording.hpp"
#include "formats/writer.hpp"
#include "store/info.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::store;
using test_support::read_file;
using test_support::TempDir;
using test_support::write_file;
namespace fs = std::filesystem;

namespace {

formats::Header sample_header() {
  formats::Header h;
  h.start_time = "2026-11-21T19:00:00.000000000Z";
  h.source = "cluster demo";
  h.server_version = "v1.32.0";
  h.mode = "snapshot";
  h.selection = *formats::parse_json(R"({"resources":["configmaps"]})");
  return h;
}

void write_recording(const std::string& path) {
  formats::WriterOptions wo;
  wo.path = path;
  auto w = formats::RecordingWriter::create(wo, sample_header());
  REQUIRE(w);
  auto cm = *formats::parse_json(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}})");
  for (int i = 0; i < 2000; ++i) REQUIRE((*w)->write_object(cm));  // more than one read of the start
  REQUIRE((*w)->close());
}

}  // namespace

TEST_CASE("read_recording_info: the header through the compression, the size, the sidecar") {
  TempDir dir("ktape-store-info");
  for (auto ext : {".yaml", ".yaml.gz", ".yaml.zst"}) {
    CAPTURE(ext);
    auto path = dir.file(std::string("rec") + ext);
    write_recording(path);

    auto before = read_recording_info(path);
    REQUIRE_MESSAGE(before, (before ? "" : before.error().message));
    CHECK(before->path == path);
    REQUIRE(before->header);
    CHECK(before->header->start_time == sample_header().start_time);
    CHECK(before->header->source == "cluster demo");
    CHECK(before->header->server_version == "v1.32.0");
    CHECK(before->header->mode == "snapshot");
    CHECK(formats::to_json(before->header->selection) == formats::to_json(sample_header().selection));
    CHECK(before->file_bytes == fs::file_size(path));
    CHECK_FALSE(before->has_sidecar);
    CHECK_FALSE(before->integrity);  // Verify::no hashes nothing

    REQUIRE(write_sidecar(path));
    auto verified = read_recording_info(path, Verify::yes);
    REQUIRE(verified);
    CHECK(verified->has_sidecar);
    REQUIRE(verified->integrity);
    CHECK(*verified->integrity == Integrity::ok);

    write_file(path, read_file(path) + "x");
    auto changed = read_recording_info(path, Verify::yes);
    REQUIRE(changed);
    CHECK(changed->file_bytes == fs::file_size(path));
    CHECK(*changed->integrity == Integrity::mismatch);
  }
}

TEST_CASE("read_recording_info: kwok's files have no header; a missing or newer file is an Error") {
  auto kwok = std::string(KTAPE_SOURCE_DIR) + "/testdata/kwok/recording.yaml.gz";
  auto info = read_recording_info(kwok, Verify::yes);
  REQUIRE(info);
  CHECK_FALSE(info->header);
  CHECK(info->file_bytes == fs::file_size(kwok));
  CHECK_FALSE(info->has_sidecar);
  CHECK(*info->integrity == Integrity::missing_sidecar);

  TempDir dir("ktape-store-info");
  auto missing = read_recording_info(dir.file("absent.yaml"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message.find(dir.file("absent.yaml")) != std::string::npos);

  write_file(dir.file("newer.yaml"), "# ktape: {\"formatVersion\":9}\napiVersion: v1\n");
  auto newer = read_recording_info(dir.file("newer.yaml"));
  REQUIRE_FALSE(newer);
  CHECK(newer.error().kind == ErrorKind::unsupported);
  CHECK(newer.error().message.rfind(dir.file("newer.yaml") + ": line 1: ", 0) == 0);
}
