// The built-in resource table and the resources a CRD serves.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "formats/json.hpp"
#include "sim/resources.hpp"
#include "tests/support/files.hpp"

namespace {

using ktape::formats::Value;
using ktape::sim::ResourceInfo;
namespace fs = std::filesystem;

const fs::path k_reference = fs::path(KTAPE_SOURCE_DIR) / ".." / "shared" / "k8s-reference";

const ResourceInfo* find(const std::vector<ResourceInfo>& list, std::string_view group,
                         std::string_view resource) {
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const ResourceInfo& r) { return r.group == group && r.resource == resource; });
  return it == list.end() ? nullptr : &*it;
}

Value parse(std::string_view text) {
  auto value = ktape::formats::parse_json(text);
  REQUIRE(value.has_value());
  return *value;
}

// A Widget CRD like the one the reference captured, with a second, older served version.
const char* const k_widget_crd = R"({
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "widgets.demo.example.com"},
  "spec": {"group": "demo.example.com", "scope": "Namespaced",
    "names": {"kind": "Widget", "listKind": "WidgetList", "plural": "widgets", "shortNames": ["wd"],
              "categories": ["all"]},
    "versions": [
      {"name": "v1alpha1", "served": true, "storage": false},
      {"name": "v1beta1", "served": false, "storage": false},
      {"name": "v1", "served": true, "storage": true,
       "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas"}}}]}})";

}  // namespace

TEST_CASE("builtin_resources covers the groups the simulated cluster must serve") {
  const auto& all = ktape::sim::builtin_resources();
  std::set<std::string> group_versions;
  for (const auto& r : all) group_versions.insert(r.group_version());
  for (const char* gv :
       {"v1", "apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1", "networking.k8s.io/v1", "policy/v1",
        "storage.k8s.io/v1", "scheduling.k8s.io/v1", "coordination.k8s.io/v1", "discovery.k8s.io/v1",
        "events.k8s.io/v1", "apiextensions.k8s.io/v1", "autoscaling/v2"})
    CHECK_MESSAGE(group_versions.count(gv) == 1, gv);

  const auto* pods = find(all, "", "pods");
  REQUIRE(pods != nullptr);
  CHECK(pods->kind == "Pod");
  CHECK(pods->singular == "pod");
  CHECK(pods->namespaced);
  CHECK(pods->has_status);
  CHECK_FALSE(pods->has_scale);
  CHECK(pods->short_names == std::vector<std::string>{"po"});
  CHECK(pods->categories == std::vector<std::string>{"all"});
  CHECK(pods->group_version() == "v1");

  const auto* deployments = find(all, "apps", "deployments");
  REQUIRE(deployments != nullptr);
  CHECK(deployments->group_version() == "apps/v1");
  CHECK(deployments->has_scale);
  CHECK_FALSE(deployments->custom);

  const auto* namespaces = find(all, "", "namespaces");
  REQUIRE(namespaces != nullptr);
  CHECK_FALSE(namespaces->namespaced);
  CHECK(std::count(namespaces->verbs.begin(), namespaces->verbs.end(), "deletecollection") == 0);
}

TEST_CASE("builtin_resources agrees with kubectl api-resources of a real server") {
  std::ifstream in(k_reference / "api-resources.txt");
  if (!in) {
    MESSAGE("skipped: api-resources.txt is absent");
    return;
  }
  const auto& all = ktape::sim::builtin_resources();
  std::string line;
  std::getline(in, line);  // header
  int rows = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<std::string> words;
    for (std::string w; fields >> w;) words.push_back(w);
    // NAME [SHORTNAMES] APIVERSION NAMESPACED KIND VERBS [CATEGORIES]: find APIVERSION by the
    // true/false column after it.
    auto scope =
        std::find_if(words.begin(), words.end(), [](const auto& w) { return w == "true" || w == "false"; });
    REQUIRE(scope != words.end());
    std::string api_version = *(scope - 1);
    auto slash = api_version.find('/');
    std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
    const auto* info = find(all, group, words[0]);
    REQUIRE_MESSAGE(info != nullptr, line);
    CHECK(info->group_version() == api_version);
    CHECK(info->namespaced == (*scope == "true"));
    CHECK(info->kind == *(scope + 1));
    ++rows;
  }
  CHECK(rows > 50);
}

TEST_CASE("resources_from_crd serves each served version, preferred first, with its subresources") {
  auto resources = ktape::sim::resources_from_crd(parse(k_widget_crd));
  REQUIRE(resources.has_value());
  REQUIRE(resources->size() == 2);
  const auto& v1 = (*resources)[0];
  CHECK(v1.version == "v1");
  CHECK(v1.group_version() == "demo.example.com/v1");
  CHECK(v1.singular == "widget");  // defaults to the lowercased kind
  CHECK(v1.custom);
  CHECK(v1.has_status);
  CHECK(v1.has_scale);
  CHECK(v1.short_names == std::vector<std::string>{"wd"});
  CHECK(v1.categories == std::vector<std::string>{"all"});
  CHECK((*resources)[1].version == "v1alpha1");
  CHECK_FALSE((*resources)[1].has_status);

  std::vector<ResourceInfo> served = ktape::sim::builtin_resources();
  served.insert(served.end(), resources->begin(), resources->end());
  Value groups = ktape::sim::discovery_groups(served);
  const Value& last = groups["groups"].as_array().back();
  CHECK(last.string_at({"name"}) == "demo.example.com");
  CHECK(last.string_at({"preferredVersion", "version"}) == "v1");
  CHECK(last.find("versions")->size() == 2);
}

TEST_CASE("a CRD's group version is discovered as a real server lists it") {
  const char* crd =
      R"({"metadata": {"name": "widgets.demo.example.com"}, "spec": {"group": "demo.example.com",
    "scope": "Namespaced", "names": {"kind": "Widget", "plural": "widgets", "singular": "widget",
    "shortNames": ["wd"]}, "versions": [{"name": "v1", "served": true, "storage": true,
    "subresources": {"status": {}}}]}})";
  auto resources = ktape::sim::resources_from_crd(parse(crd));
  REQUIRE(resources.has_value());
  auto ours = ktape::sim::discovery_group_version(*resources, "demo.example.com", "v1");
  REQUIRE(ours.has_value());
  if (!fs::exists(k_reference / "discovery" / "crd_group_version.json")) {
    MESSAGE("skipped: crd_group_version.json is absent");
    return;
  }
  Value reference =
      parse(ktape::test_support::read_file(k_reference / "discovery" / "crd_group_version.json"));
  // The storage version hash is a digest of the real server's internals; ktape lists none.
  reference["resources"].as_array()[0].erase("storageVersionHash");
  CHECK(ktape::formats::to_json(*ours) == ktape::formats::to_json(reference));
}

TEST_CASE("resources_from_crd names the field that is missing") {
  SUBCASE("group") {
    auto r = ktape::sim::resources_from_crd(parse(R"({"metadata": {"name": "x.y"}, "spec": {"names": {}}})"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ktape::ErrorKind::invalid);
    CHECK(r.error().message.find("spec.group") != std::string::npos);
    CHECK(r.error().message.find("x.y") != std::string::npos);
  }
  SUBCASE("plural") {
    auto r = ktape::sim::resources_from_crd(parse(R"({"spec": {"group": "g.io", "names": {"kind": "K"}}})"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("spec.names.plural") != std::string::npos);
  }
  SUBCASE("versions") {
    auto r = ktape::sim::resources_from_crd(
        parse(R"({"spec": {"group": "g.io", "names": {"kind": "K", "plural": "ks"}, "versions": []}})"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("spec.versions") != std::string::npos);
  }
}
