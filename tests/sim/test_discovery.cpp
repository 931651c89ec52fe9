// Discovery documents against the captures of a real kube-apiserver 1.32. The captures live
// beside the repository (../shared/k8s-reference); without them the comparisons are skipped.
#include <doctest/doctest.h>

#include <filesystem>

#include "formats/json.hpp"
#include "sim/resources.hpp"
#include "tests/support/files.hpp"

namespace {

using ktape::formats::Value;
namespace fs = std::filesystem;

const fs::path k_reference = fs::path(KTAPE_SOURCE_DIR) / ".." / "shared" / "k8s-reference" / "discovery";

std::optional<Value> load_reference(const std::string& name) {
  if (!fs::exists(k_reference / name)) {
    MESSAGE("skipped: reference file " << (k_reference / name).string() << " is absent");
    return std::nullopt;
  }
  auto value = ktape::formats::parse_json(ktape::test_support::read_file(k_reference / name));
  REQUIRE_MESSAGE(value.has_value(), name);
  return *value;
}

// Same members in the same order, same arrays: the document is byte-identical when serialized.
void check_identical(const Value& ours, const Value& reference, const std::string& name) {
  CHECK_MESSAGE(ktape::formats::to_json(ours) == ktape::formats::to_json(reference), name);
}

}  // namespace

TEST_CASE("discovery_core_resources matches GET /api/v1 of a real server") {
  auto reference = load_reference("api_v1.json");
  if (!reference) return;
  check_identical(ktape::sim::discovery_core_resources(ktape::sim::builtin_resources()), *reference,
                  "api_v1");
}

TEST_CASE("discovery_core_versions lists v1 as GET /api does") {
  Value ours = ktape::sim::discovery_core_versions();
  CHECK(ours.string_at({"kind"}) == "APIVersions");
  REQUIRE(ours.find("versions") != nullptr);
  CHECK(ktape::formats::to_json(*ours.find("versions")) == R"(["v1"])");
  auto reference = load_reference("api.json");
  if (!reference) return;
  CHECK(*ours.find("versions") == *reference->find("versions"));
  CHECK(ours.find("serverAddressByClientCIDRs") != nullptr);
}

TEST_CASE("discovery_groups matches GET /apis, preferred versions included") {
  auto reference = load_reference("apis.json");
  if (!reference) return;
  check_identical(ktape::sim::discovery_groups(ktape::sim::builtin_resources()), *reference, "apis");
}

TEST_CASE("discovery_group_version matches every built-in /apis/G/V") {
  const auto& served = ktape::sim::builtin_resources();
  int compared = 0;
  if (!fs::exists(k_reference)) return;
  for (const auto& entry : fs::directory_iterator(k_reference)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("apis_", 0) != 0) continue;
    auto reference = load_reference(name);
    REQUIRE(reference.has_value());
    std::string gv(reference->string_at({"groupVersion"}));
    auto slash = gv.find('/');
    REQUIRE(slash != std::string::npos);
    auto ours = ktape::sim::discovery_group_version(served, gv.substr(0, slash), gv.substr(slash + 1));
    REQUIRE_MESSAGE(ours.has_value(), gv);
    check_identical(*ours, *reference, name);
    ++compared;
  }
  CHECK(compared >= 19);
}

TEST_CASE("discovery_group_version is nullopt for a group or version nobody serves") {
  const auto& served = ktape::sim::builtin_resources();
  CHECK_FALSE(ktape::sim::discovery_group_version(served, "apps", "v1beta1").has_value());
  CHECK_FALSE(ktape::sim::discovery_group_version(served, "example.com", "v1").has_value());
}

TEST_CASE("aggregated_discovery matches the APIGroupDiscoveryList of /api and /apis") {
  const auto& served = ktape::sim::builtin_resources();
  SUBCASE("core") {
    auto reference = load_reference("aggregated_api.json");
    if (!reference) return;
    check_identical(ktape::sim::aggregated_discovery(served, true), *reference, "aggregated_api");
  }
  SUBCASE("groups") {
    auto reference = load_reference("aggregated_apis.json");
    if (!reference) return;
    check_identical(ktape::sim::aggregated_discovery(served, false), *reference, "aggregated_apis");
  }
}
