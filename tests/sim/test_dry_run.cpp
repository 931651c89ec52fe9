// dryRun=All on every write: the answer is what would be stored; nothing is stored, no event is
// sent and the resourceVersion does not move.
#include <doctest/doctest.h>

#include "tests/sim/sim_client.hpp"

using namespace ktape;
using namespace ktape::sim::test;

namespace {

const std::string k_cms = "/api/v1/namespaces/default/configmaps";

// The collection's resourceVersion: it moves with every stored write of the cluster.
std::string list_rv(const Cluster& c) {
  return std::string(c.get(k_cms).json().string_at({"metadata", "resourceVersion"}));
}

}  // namespace

TEST_CASE("a dry-run create answers the object without a resourceVersion and stores nothing") {
  Cluster c;
  std::string before = list_rv(c);
  Reply r = c.post(k_cms + "?dryRun=All", configmap("dry"));
  REQUIRE(r.status == 201);
  CHECK(r.json().string_at({"metadata", "name"}) == "dry");
  CHECK(r.json().string_at({"metadata", "uid"}).size() == 36);
  CHECK(r.json().at({"metadata", "resourceVersion"}) == nullptr);
  CHECK(c.get(k_cms + "/dry").status == 404);
  CHECK(list_rv(c) == before);
  SUBCASE("and still refuses what a real create refuses") {
    REQUIRE(c.post(k_cms, configmap("taken")).status == 201);
    CHECK(c.post(k_cms + "?dryRun=All", configmap("taken")).status == 409);
    CHECK(c.post(k_cms + "?dryRun=All", configmap("Bad_Name")).status == 422);
    CHECK(c.post("/api/v1/namespaces/nosuch/configmaps?dryRun=All", configmap("x")).status == 404);
  }
}

TEST_CASE("a dry-run update or patch answers the new object and keeps the stored one") {
  Cluster c;
  auto stored = c.post(k_cms, configmap("cfg")).json();
  std::string before = list_rv(c);
  auto changed = stored;
  changed["data"].set("k", "dry");
  Reply put = c.put(k_cms + "/cfg?dryRun=All", formats::to_json(changed));
  REQUIRE(put.status == 200);
  CHECK(put.json().string_at({"data", "k"}) == "dry");
  Reply patched =
      c.patch(k_cms + "/cfg?dryRun=All", R"({"data":{"k":"patched"}})", "application/merge-patch+json");
  REQUIRE(patched.status == 200);
  CHECK(patched.json().string_at({"data", "k"}) == "patched");
  CHECK(c.get(k_cms + "/cfg").json() == stored);
  CHECK(list_rv(c) == before);
}

TEST_CASE("a dry-run delete keeps the object, one by one and by collection") {
  Cluster c;
  auto stored = c.post(k_cms, configmap("keep", R"({"app":"x"})")).json();
  std::string before = list_rv(c);
  CHECK(c.del(k_cms + "/keep?dryRun=All").status == 200);
  CHECK(c.del(k_cms + "/keep", R"({"dryRun":["All"]})").status == 200);
  Reply all = c.del(k_cms + "?dryRun=All&labelSelector=app%3Dx");
  REQUIRE(all.status == 200);
  CHECK(all.json().find("items")->size() == 1);
  CHECK(c.get(k_cms + "/keep").json() == stored);
  CHECK(list_rv(c) == before);
  SUBCASE("a dry-run delete of a namespace leaves it Active") {
    REQUIRE(
        c.post("/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"stay"}})")
            .status == 201);
    Reply r = c.del("/api/v1/namespaces/stay?dryRun=All");
    CHECK(r.status == 200);
    CHECK(r.json().string_at({"status", "phase"}) == "Terminating");
    CHECK(c.get("/api/v1/namespaces/stay").json().string_at({"status", "phase"}) == "Active");
  }
}
