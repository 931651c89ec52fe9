#pragma once
// A ktape recording generated for the show and verify tests, written by formats' RecordingWriter
// as the recorder writes one (header, snapshot, sorted events, sidecar), with what it holds
// tallied as it is generated so that tests compare against the generator, not hard-coded counts.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>

#include "formats/json.hpp"
#include "formats/writer.hpp"
#include "store/digest.hpp"
#include "tests/support/recording_text.hpp"

namespace ktape::test_fixture {

struct Generated {
  std::uint64_t objects = 0;  // snapshot: 1 namespace, 1 replicaset
  std::uint64_t pod_creates = 0, pod_patches = 0, pod_deletes = 0;
  std::int64_t last_ns = 0;
  // Pod name -> [created at, deleted at (INT64_MAX while alive)]
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> pods;
  std::map<std::string, std::uint64_t> patches_of;  // pod name -> patches
  std::map<std::string, std::string> last_image;    // pod name -> image after its last patch
};

inline formats::Value json(const std::string& text) {
  auto v = formats::parse_json(text);
  REQUIRE_MESSAGE(v, (v ? "" : v.error().message));
  return *v;
}

// `pods` pods in namespace "shop", owned by ReplicaSet web-1, created one per 100 ms, each patched
// 0-4 times (a new image each time) and some deleted; seeded so a run is repeatable.
inline Generated write_generated(const std::string& path, int pods, std::uint32_t seed = 7,
                                 bool sidecar = true) {
  Generated g;
  formats::Header h;
  h.start_time = "2026-11-21T19:00:00.000000000Z";
  h.source = "cluster demo";
  h.server_version = "v1.32.0";
  h.mode = "record";
  formats::WriterOptions wo;
  wo.path = path;
  wo.overwrite = formats::Overwrite::yes;
  auto w = formats::RecordingWriter::create(wo, h);
  REQUIRE(w);
  using test_support::object_json;
  REQUIRE((*w)->write_object(json(object_json("v1", "Namespace", "", "shop", "uid-ns"))));
  REQUIRE((*w)->write_object(json(object_json("apps/v1", "ReplicaSet", "shop", "web-1", "uid-rs"))));
  g.objects = 2;
  std::mt19937 rng(seed);
  auto owner = test_support::owner_json("apps/v1", "ReplicaSet", "web-1", "uid-rs");
  for (int i = 0; i < pods; ++i) {
    std::string name = "web-1-" + std::to_string(i);
    std::int64_t t = std::int64_t{i} * 100'000'000;
    formats::ResourcePatch create{{"", "v1", "pods"}, name, "shop", t, formats::Method::create, {}, false};
    create.template_value = json(object_json("v1", "Pod", "shop", name, "uid-" + name, owner,
                                             R"("spec":{"containers":[{"name":"c","image":"img:0"}]})"));
    (*w)->add_event(std::move(create));
    ++g.pod_creates;
    g.pods[name] = {t, INT64_MAX};
    g.last_image[name] = "img:0";
    auto patches = rng() % 5;
    for (std::uint32_t p = 1; p <= patches; ++p) {
      std::string image = "img:" + std::to_string(p);
      formats::ResourcePatch patch{{"", "v1", "pods"},     name, "shop", t + p * 10'000'000,
                                   formats::Method::patch, {},   false};
      patch.template_value = json(R"({"spec":{"containers":[{"name":"c","image":")" + image + "\"}]}}");
      (*w)->add_event(std::move(patch));
      ++g.pod_patches;
      ++g.patches_of[name];
      g.last_image[name] = image;
    }
    if (rng() % 3 == 0) {
      std::int64_t at = t + 60'000'000;
      (*w)->add_event(
          formats::ResourcePatch{{"", "v1", "pods"}, name, "shop", at, formats::Method::remove, {}, false});
      ++g.pod_deletes;
      g.pods[name].second = at;
      g.last_ns = std::max(g.last_ns, at);
    }
    g.last_ns = std::max<std::int64_t>(g.last_ns, t + patches * 10'000'000);
  }
  REQUIRE((*w)->close());
  if (sidecar) REQUIRE(store::write_sidecar(path));
  return g;
}

}  // namespace ktape::test_fixture
