#include <doctest/doctest.h>

#include <numeric>
#include <string>

#include "formats/yaml.hpp"
#include "store/show.hpp"
#include "store/show_format.hpp"
#include "tests/store/generated_recording.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::store;
using test_fixture::write_generated;
using test_support::TempDir;

namespace {

std::string testdata(const std::string& name) { return std::string(KTAPE_SOURCE_DIR) + "/testdata/" + name; }

const ResourceCounts* find_resource(const RecordingSummary& s, const std::string& name) {
  for (const auto& r : s.resources)
    if (r.display_name() == name) return &r;
  return nullptr;
}

std::uint64_t sum(const std::vector<std::uint64_t>& v) {
  return std::accumulate(v.begin(), v.end(), std::uint64_t{0});
}

}  // namespace

TEST_CASE("Timeline: buckets double to stay bounded, and timelines align by widening") {
  Timeline a(8), b(8);
  for (std::int64_t s = 0; s < 4; ++s) a.add(s * 1'000'000'000);
  CHECK(a.bucket_ns() == 1'000'000'000);
  CHECK(a.buckets() == std::vector<std::uint64_t>{1, 1, 1, 1});
  for (std::int64_t s = 0; s < 100; ++s) b.add(s * 1'000'000'000);
  CHECK(b.buckets().size() <= 8);
  CHECK(b.total() == 100);
  CHECK(sum(b.buckets()) == 100);
  a.widen_to(b.bucket_ns());
  CHECK(a.bucket_ns() == b.bucket_ns());
  CHECK(a.buckets().size() == 1);
  CHECK(a.buckets()[0] == 4);
  CHECK(format_sparkline({0, 1, 8}) == " \u2581\u2588");
}

TEST_CASE("format_offset: short and exact to the millisecond") {
  CHECK(format_offset(0) == "+0ms");
  CHECK(format_offset(250'000'000) == "+250ms");
  CHECK(format_offset(90'500'000'000) == "+1m30.5s");
  CHECK(format_offset(3'600'000'000'000 + 2'000'000'000) == "+1h0m2s");
}

TEST_CASE("summarize_recording counts what the generator wrote, per resource and over time") {
  TempDir dir;
  auto path = dir.file("rec.yaml.gz");
  auto g = write_generated(path, 300);
  auto s = summarize_recording(path);
  REQUIRE(s);
  CHECK_FALSE(s->error);
  REQUIRE(s->header);
  CHECK(s->header->source == "cluster demo");
  CHECK(s->objects == g.objects);
  CHECK(s->events == g.pod_creates + g.pod_patches + g.pod_deletes);
  CHECK(s->duration_ns == g.last_ns);
  const auto* pods = find_resource(*s, "pods");
  REQUIRE(pods);
  CHECK(pods->creates == g.pod_creates);
  CHECK(pods->patches == g.pod_patches);
  CHECK(pods->deletes == g.pod_deletes);
  CHECK(pods->objects == 0);
  const auto* rs = find_resource(*s, "replicasets.apps");
  REQUIRE(rs);
  CHECK(rs->objects == 1);
  CHECK(sum(s->timeline.buckets()) == s->events);
  CHECK(s->timeline.buckets().size() <= k_timeline_buckets);
  CHECK(pods->timeline.bucket_ns() == s->timeline.bucket_ns());
  // Pods are created evenly over the recording: no empty bucket before the last.
  for (std::size_t i = 0; i + 1 < s->timeline.buckets().size(); ++i) CHECK(s->timeline.buckets()[i] > 0);

  auto text = format_summary_text(*s);
  CHECK(text.find("Source:          cluster demo") != std::string::npos);
  CHECK(text.find("replicasets.apps") != std::string::npos);
  auto v = summary_to_value(*s);
  CHECK(v.at({"header", "serverVersion"})->as_string() == "v1.32.0");
  CHECK(*v.find("events")->as_int64() == static_cast<std::int64_t>(s->events));
  CHECK(v.find("resources")->as_array().size() == s->resources.size());
}

TEST_CASE("read_object_life: create, each patch with the object after it, delete") {
  TempDir dir;
  auto path = dir.file("rec.yaml");
  auto g = write_generated(path, 40);
  std::string name;  // a pod patched at least twice and deleted
  for (const auto& [pod, n] : g.patches_of)
    if (n >= 2 && g.pods[pod].second != INT64_MAX) name = pod;
  REQUIRE_FALSE(name.empty());
  auto ref = parse_object_ref("pods/shop/" + name);
  REQUIRE(ref);
  auto life = read_object_life(path, *ref, {true, std::nullopt});
  REQUIRE(life);
  REQUIRE(life->steps.size() == g.patches_of[name] + 2);
  CHECK(life->steps.front().action == "create");
  CHECK(life->steps.front().at_ns == g.pods[name].first);
  CHECK(life->steps.back().action == "delete");
  CHECK(life->steps.back().at_ns == g.pods[name].second);
  CHECK_FALSE(life->steps.back().object);
  const auto& last_patch = life->steps[life->steps.size() - 2];
  CHECK(last_patch.action == "patch");
  CHECK(last_patch.problem.empty());
  REQUIRE(last_patch.object);
  CHECK(last_patch.object->at({"spec", "containers"})->as_array()[0].string_at({"image"}) ==
        g.last_image[name]);
  auto text = format_life_text(*life, true);
  CHECK(text.find("object after it:") != std::string::npos);

  SUBCASE("--at cuts the life at a recorded time") {
    auto until = read_object_life(path, *ref, {true, g.pods[name].first});
    REQUIRE(until);
    REQUIRE(until->steps.size() == 1);
    CHECK(until->steps[0].object->at({"spec", "containers"})->as_array()[0].string_at({"image"}) == "img:0");
  }
  SUBCASE("kind and singular names find the same object; a missing one has no steps") {
    for (const char* spelled : {"Pod/shop/", "pod/shop/"}) {
      auto same = read_object_life(path, *parse_object_ref(spelled + name), {});
      REQUIRE(same);
      CHECK(same->steps.size() == life->steps.size());
    }
    auto none = read_object_life(path, *parse_object_ref("pods/other/" + name), {});
    REQUIRE(none);
    CHECK(none->steps.empty());
  }
}

TEST_CASE("parse_object_ref: RESOURCE/NS/NAME, RESOURCE/NAME, a group, and what is refused") {
  auto ref = parse_object_ref("deployments.apps/shop/web");
  REQUIRE(ref);
  CHECK(ref->resource == "deployments");
  CHECK(ref->group == std::optional<std::string>("apps"));
  CHECK(ref->namespace_name == "shop");
  auto cluster = parse_object_ref("namespaces/shop");
  REQUIRE(cluster);
  CHECK(cluster->namespace_name.empty());
  CHECK(cluster->name == "shop");
  for (const char* bad : {"web", "a/b/c/d", "/shop/web", "pods/shop/"}) {
    auto r = parse_object_ref(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("RESOURCE/NAMESPACE/NAME") != std::string::npos);
  }
}

TEST_CASE("read_state_at: the objects alive at a recorded time, as the generator had them") {
  TempDir dir;
  auto path = dir.file("rec.yaml.zst");
  auto g = write_generated(path, 120);
  for (std::int64_t at : {std::int64_t{0}, std::int64_t{3'050'000'000}, g.last_ns}) {
    CAPTURE(at);
    auto state = read_state_at(path, at);
    REQUIRE(state);
    CHECK(state->problems.empty());
    std::size_t alive = 0;
    for (const auto& [pod, life] : g.pods) alive += life.first <= at && life.second > at;
    CHECK(state->state.objects().size() == g.objects + alive);
    auto list = state_to_value(*state);
    CHECK(list.find("items")->as_array().size() == state->state.objects().size());
  }
}

TEST_CASE("show reads kwok's files, and a truncated file up to where it breaks") {
  auto s = summarize_recording(testdata("kwok/recording.yaml"));
  REQUIRE(s);
  CHECK_FALSE(s->header);
  CHECK(s->events == 4);
  const auto* deployments = find_resource(*s, "deployments.apps");
  REQUIRE(deployments);
  CHECK(deployments->creates == 1);
  CHECK(deployments->deletes == 1);
  CHECK(find_resource(*s, "endpoints") != nullptr);  // kwok's "endpointss" read as the real plural

  TempDir dir;
  auto path = dir.file("cut.yaml.gz");
  auto full = test_support::read_file(testdata("kwok/recording.yaml.gz"));
  test_support::write_file(path, full.substr(0, full.size() / 2));
  auto cut = summarize_recording(path);
  REQUIRE(cut);
  REQUIRE(cut->error);
  CHECK(cut->error->message.find("cut.yaml.gz: document ") != std::string::npos);
  CHECK(cut->error->message.find("truncated gzip stream") != std::string::npos);
  CHECK(cut->objects + cut->events < s->objects + s->events);

  auto missing = summarize_recording(dir.file("absent.yaml"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::not_found);
}
