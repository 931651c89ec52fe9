#include <doctest/doctest.h>

#include <string>

#include "formats/json.hpp"
#include "store/diff.hpp"
#include "tests/support/files.hpp"
#include "tests/support/recording_text.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::store;
using formats::parse_json;
using formats::Value;
using test_support::event_doc;
using test_support::object_json;
using test_support::TempDir;
using test_support::write_file;

namespace {

constexpr const char* k_header =
    R"(# ktape: {"formatVersion":1,"startTime":"2026-12-01T10:00:00.000000000Z","source":"t","mode":"record"})"
    "\n";

std::string doc(const std::string& json) { return "---\n" + json + "\n"; }

// web (Deployment), cm a (labels app=x), cm b in ns other; events: cm c created at 1s, web's
// replicas patched at 2s, cm a deleted at 3s.
std::string recording() {
  return k_header +
         doc(object_json("apps/v1", "Deployment", "shop", "web", "u1", "", R"("spec":{"replicas":2})")) +
         doc(object_json("v1", "ConfigMap", "shop", "a", "u2", "", R"("data":{"k":"v"})", R"({"app":"x"})")) +
         doc(object_json("v1", "ConfigMap", "other", "b", "u3")) +
         event_doc("", "configmaps", "shop", "c", "create", 1'000'000'000,
                   object_json("v1", "ConfigMap", "shop", "c", "u4")) +
         event_doc("apps", "deployments", "shop", "web", "patch", 2'000'000'000,
                   R"({"spec":{"replicas":5}})") +
         event_doc("", "configmaps", "shop", "a", "delete", 3'000'000'000);
}

DiffSide file(const std::string& path, std::optional<std::int64_t> at = std::nullopt) {
  return DiffSide{path, at, nullptr, path};
}

std::string summary(const std::vector<DiffEntry>& entries) {
  std::string out;
  for (const auto& e : entries) {
    out += std::string(action_name(e.action)) + " " + e.resource + " " + e.namespace_name + "/" + e.name;
    for (const auto& f : e.fields) out += " " + f;
    out += ";";
  }
  return out;
}

}  // namespace

TEST_CASE("normalize_for_diff: server-set fields go; status and named fields on request") {
  auto o = *parse_json(R"({"kind":"Pod","metadata":{"name":"p","uid":"u","resourceVersion":"9",
    "creationTimestamp":"2026-01-01T00:00:00Z","generation":3,"managedFields":[],"selfLink":"/x",
    "annotations":{"a.b/c":"1","keep":"2"},"ownerReferences":[{"kind":"ReplicaSet","name":"r","uid":"x"}]},
    "spec":{"replicas":1,"x":2},"status":{"phase":"Running"}})");
  DiffOptions options;
  auto plain = o;
  normalize_for_diff(plain, options);
  CHECK(
      formats::to_json(plain) ==
      R"({"kind":"Pod","metadata":{"name":"p","annotations":{"a.b/c":"1","keep":"2"},"ownerReferences":[{"kind":"ReplicaSet","name":"r"}]},"spec":{"replicas":1,"x":2},"status":{"phase":"Running"}})");
  options.ignore_status = true;
  options.ignore_fields = {"spec.replicas", "/metadata/annotations/a.b~1c", "no.such.path"};
  normalize_for_diff(o, options);
  CHECK(
      formats::to_json(o) ==
      R"({"kind":"Pod","metadata":{"name":"p","annotations":{"keep":"2"},"ownerReferences":[{"kind":"ReplicaSet","name":"r"}]},"spec":{"x":2}})");
}

TEST_CASE("diff_states: added, removed, modified with the changed fields, in key order") {
  ObjectMap a, b;
  a["v1|configmaps|ns|gone"] = *parse_json(R"({"metadata":{"name":"gone"}})");
  a["apps/v1|deployments|ns|web"] =
      *parse_json(R"({"metadata":{"name":"web","labels":{"a":"1"}},"spec":{"r":1}})");
  b["apps/v1|deployments|ns|web"] =
      *parse_json(R"({"metadata":{"name":"web","labels":{"a":"2"}},"spec":{"r":1},"status":{}})");
  a["v1|configmaps||same"] = *parse_json(R"({"data":{"x":"1"}})");
  b["v1|configmaps||same"] = *parse_json(R"({"data":{"x":"1"}})");
  b["v1|configmaps|ns|new"] = *parse_json(R"({"metadata":{"name":"new"}})");
  CHECK(summary(diff_states(a, b)) ==
        "modified deployments.apps ns/web metadata.labels status;removed configmaps ns/gone;added configmaps "
        "ns/new;");
  CHECK(diff_states(a, a).empty());
}

TEST_CASE("diff_states_moving: the entries of diff_states, whatever the sizes and where the halves split") {
  // Objects i of a and b: only in a (i % 7 == 0), only in b (i % 5 == 0), else in both, differing
  // when i % 3 == 0; for sizes that put the split before, in and after runs of each.
  auto object = [](std::size_t i, int version) {
    return *parse_json(R"({"metadata":{"name":"o)" + std::to_string(i) + R"("},"data":{"v":")" +
                       std::to_string(version) + R"("}})");
  };
  for (std::size_t n : {0, 1, 2, 3, 10, 101}) {
    CAPTURE(n);
    ObjectMap a, b;
    for (std::size_t i = 0; i < n; ++i) {
      std::string key = "v1|configmaps|ns|o" + std::to_string(i);
      if (i % 5 != 0) a[key] = object(i, 1);
      if (i % 7 != 0) b[key] = object(i, i % 3 == 0 ? 2 : 1);
    }
    auto expected = diff_states(a, b);
    auto a_keys = a.size(), b_keys = b.size();
    auto moved = diff_states_moving(a, b);
    REQUIRE(moved.size() == expected.size());
    for (std::size_t i = 0; i < moved.size(); ++i) {
      CHECK(moved[i].name == expected[i].name);
      CHECK(moved[i].action == expected[i].action);
      CHECK(moved[i].fields == expected[i].fields);
      CHECK(moved[i].before == expected[i].before);
      CHECK(moved[i].after == expected[i].after);
    }
    CHECK(summary(moved) == summary(expected));
    // The maps keep their keys; every object has been taken out of them.
    CHECK(a.size() == a_keys);
    CHECK(b.size() == b_keys);
    for (const auto* side : {&a, &b})
      for (const auto& [key, value] : *side) CHECK(value.is_null());
  }
}

TEST_CASE("diff_sides: two recordings, FILE@D states, selection, and errors naming the document") {
  TempDir dir("ktape-store-diff");
  auto path = dir.file("rec.yaml");
  write_file(path, recording());

  CHECK(summary(*diff_sides(file(path), file(path), {})).empty());
  CHECK(summary(*diff_sides(file(path, 0), file(path))) ==
        "modified deployments.apps shop/web spec;removed configmaps shop/a;added configmaps shop/c;");
  CHECK(summary(*diff_sides(file(path, 1'000'000'000), file(path, 2'500'000'000))) ==
        "modified deployments.apps shop/web spec;");

  DiffOptions only_ns;
  only_ns.selection.namespaces = {"oth*"};
  CHECK(diff_sides(file(path, 0), file(path), only_ns)->empty());
  DiffOptions labels;
  labels.selection.label_selector = "app=x";
  CHECK(summary(*diff_sides(file(path, 0), file(path), labels)) == "removed configmaps shop/a;");
  DiffOptions kinds;
  kinds.selection.resources = {"Deployment.apps"};
  CHECK(summary(*diff_sides(file(path, 0), file(path), kinds)) == "modified deployments.apps shop/web spec;");
  DiffOptions ignored;
  ignored.ignore_fields = {"spec.replicas"};
  ignored.selection.resources = {"deployments"};
  CHECK(diff_sides(file(path, 0), file(path), ignored)->empty());

  // A patch of an object the recording never created: the error names the file and the document.
  auto broken = dir.file("broken.yaml");
  write_file(broken,
             recording() + event_doc("", "configmaps", "shop", "ghost", "patch", 4'000'000'000, "{}"));
  auto bad = diff_sides(file(path), file(broken));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find(broken + ": document 7") != std::string::npos);
  CHECK(bad.error().message.find("ghost") != std::string::npos);
  auto missing = diff_sides(file(path), file(dir.file("absent.yaml")));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("absent.yaml") != std::string::npos);
}

TEST_CASE("format_raw_diff: the YAML's unified diff; Secret values never shown") {
  DiffEntry e;
  e.resource = "secrets";
  e.namespace_name = "shop";
  e.name = "s";
  e.before = *parse_json(R"({"kind":"Secret","data":{"same":"aGVsbG8=","diff":"b2xk"},"type":"Opaque"})");
  e.after =
      *parse_json(R"({"kind":"Secret","data":{"same":"aGVsbG8=","diff":"bmV3"},"type":"kubernetes.io/x"})");
  auto text = format_raw_diff(e, "A", "B");
  CHECK(text.find("--- A/secrets/shop/s\n+++ B/secrets/shop/s\n") == 0);
  CHECK(text.find("-  diff: \"*** (before)\"") != std::string::npos);
  CHECK(text.find("+  diff: \"*** (after)\"") != std::string::npos);
  CHECK(text.find("+type: kubernetes.io/x") != std::string::npos);
  for (auto secret : {"aGVsbG8=", "b2xk", "bmV3"}) CHECK(text.find(secret) == std::string::npos);
}
