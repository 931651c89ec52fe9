#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "formats/json.hpp"
#include "store/cut.hpp"
#include "store/diff.hpp"
#include "store/digest.hpp"
#include "store/info.hpp"
#include "store/state_at.hpp"
#include "tests/support/files.hpp"
#include "tests/support/recording_text.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::store;
using test_support::event_doc;
using test_support::object_json;
using test_support::read_file;
using test_support::TempDir;
using test_support::write_file;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t k_s = 1'000'000'000;

std::string recording() {
  std::string text =
      R"(# ktape: {"formatVersion":1,"startTime":"2026-12-01T10:00:00.000000000Z","source":"t","mode":"record"})"
      "\n---\n" +
      object_json("v1", "ConfigMap", "shop", "a", "u1", "",
                  R"("data":{"n":"0"},"status":{"startTime":"2026-12-01T09:00:00.000000Z"})") +
      "\n";
  // a's data.n counts the seconds: patched at 1s..9s; b created at 2s, deleted at 6s.
  for (int t = 1; t <= 9; ++t) {
    text += event_doc("", "configmaps", "shop", "a", "patch", t * k_s,
                      R"({"data":{"n":")" + std::to_string(t) + "\"}}");
    if (t == 2)
      text += event_doc("", "configmaps", "shop", "b", "create", t * k_s,
                        object_json("v1", "ConfigMap", "shop", "b", "u2"));
    if (t == 6) text += event_doc("", "configmaps", "shop", "b", "delete", t * k_s);
  }
  return text;
}

DiffSide at(const std::string& path, std::optional<std::int64_t> t = std::nullopt) {
  return {path, t, nullptr, path};
}

}  // namespace

TEST_CASE("cut_recording: the snapshot is the state at --from, events re-based, the end state matches --to") {
  TempDir dir("ktape-store-cut");
  auto in = dir.file("in.yaml");
  write_file(in, recording());
  auto before = read_file(in);
  for (auto out_name : {"out.yaml", "out.yaml.gz", "out.yaml.zst"}) {
    CAPTURE(out_name);
    auto out = dir.file(out_name);
    CutOptions o{in, out, 3 * k_s, 7 * k_s, std::nullopt, formats::Overwrite::no};
    auto cut = cut_recording(o);
    REQUIRE_MESSAGE(cut, (cut ? "" : cut.error().message));
    CHECK(cut->meta.objects == 2);  // a and b alive at 3s
    CHECK(cut->meta.events == 6);   // a's patches at 3..7 s, b's delete at 6 s
    CHECK(*verify_sidecar(out) == Integrity::ok);
    CHECK((*read_meta(out))->events == 6);
    CHECK((fs::status(out).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    // Replaying the cut from its start is standing where the original stood at 3s (minus 1ns:
    // the events at exactly 3s are the cut's first events, at 0).
    CHECK(diff_sides(at(in, 3 * k_s - 1), at(out, -1))->empty());
    CHECK(diff_sides(at(in, 5 * k_s), at(out, 2 * k_s))->empty());
    CHECK(diff_sides(at(in, 7 * k_s), at(out))->empty());
    CHECK_FALSE(diff_sides(at(in), at(out))->empty());  // 8s and 9s are not in the window
    auto info = read_recording_info(out);
    CHECK(info->header->start_time == "2026-12-01T10:00:03.000000000Z");
  }
  CHECK(read_file(in) == before);
  CHECK(read_file(dir.file("out.yaml.gz")).substr(0, 2) == "\x1f\x8b");
  CHECK(read_file(dir.file("out.yaml.zst")).substr(0, 4) == std::string("\x28\xb5\x2f\xfd", 4));
}

TEST_CASE("cut_recording: time markers on and off; times stay the same instants") {
  TempDir dir("ktape-store-cut");
  auto in = dir.file("in.yaml");
  write_file(in, recording());
  REQUIRE(cut_recording({in, dir.file("m.yaml"), 2 * k_s, std::nullopt, true, formats::Overwrite::no}));
  auto text = read_file(dir.file("m.yaml"));
  // 09:00 is 1 h 2 s before the cut's start (10:00:02): the marker counts from the new start.
  CHECK(text.find("$(time-offset-nanosecond -3602000000000)") != std::string::npos);
  REQUIRE(cut_recording(
      {dir.file("m.yaml"), dir.file("plain.yaml"), 0, std::nullopt, false, formats::Overwrite::no}));
  CHECK(read_file(dir.file("plain.yaml")).find("2026-12-01T09:00:00") != std::string::npos);
  CHECK(diff_sides(at(in), at(dir.file("plain.yaml")))->empty());
}

TEST_CASE("cut_recording: kwok's files get ktape's header") {
  TempDir dir("ktape-store-cut");
  auto kwok = std::string(KTAPE_SOURCE_DIR) + "/testdata/kwok/recording.yaml.gz";
  auto out = dir.file("kwok.yaml");
  auto cut = cut_recording({kwok, out, 0, std::nullopt, std::nullopt, formats::Overwrite::no});
  REQUIRE_MESSAGE(cut, (cut ? "" : cut.error().message));
  auto info = read_recording_info(out);
  REQUIRE(info->header);
  CHECK(info->header->source == "kwok file recording.yaml.gz");
  CHECK(info->header->time_markers);
  CHECK(cut->meta.objects + cut->meta.events > 0);
  // Same objects at the end as the original (both read with their markers resolved).
  auto original = read_state_at(kwok, std::nullopt);
  auto copy = read_state_at(out, std::nullopt);
  REQUIRE(original);
  REQUIRE(copy);
  CHECK(original->objects().size() == copy->objects().size());
}

TEST_CASE("cut_recording: refusals, and nothing left behind after a failure") {
  TempDir dir("ktape-store-cut");
  auto in = dir.file("in.yaml");
  write_file(in, recording());
  auto same = cut_recording({in, in, 0, std::nullopt, std::nullopt, formats::Overwrite::yes});
  REQUIRE_FALSE(same);
  CHECK(read_file(in) == recording());
  auto reversed =
      cut_recording({in, dir.file("r.yaml"), 5 * k_s, 2 * k_s, std::nullopt, formats::Overwrite::no});
  REQUIRE_FALSE(reversed);
  CHECK(reversed.error().message.find("--to") != std::string::npos);

  write_file(dir.file("exists.yaml"), "keep me");
  REQUIRE_FALSE(
      cut_recording({in, dir.file("exists.yaml"), 0, std::nullopt, std::nullopt, formats::Overwrite::no}));
  CHECK(read_file(dir.file("exists.yaml")) == "keep me");

  // A patch of an object never created, in the window: the error names the document; no OUT.
  auto broken = dir.file("broken.yaml");
  write_file(broken, recording() + event_doc("", "configmaps", "shop", "ghost", "patch", 10 * k_s, "{}"));
  auto bad = cut_recording(
      {broken, dir.file("o.yaml"), 10 * k_s + 1, std::nullopt, std::nullopt, formats::Overwrite::no});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("broken.yaml: document") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.file("o.yaml")));
  // Truncated in the middle of a document: also an error, also no OUT.
  auto text = recording();
  write_file(broken, text.substr(0, text.size() / 2) + "\n  bad: [");
  CHECK_FALSE(
      cut_recording({broken, dir.file("o.yaml"), 0, std::nullopt, std::nullopt, formats::Overwrite::no}));
  CHECK_FALSE(fs::exists(dir.file("o.yaml")));
}
