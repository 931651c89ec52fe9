#include <doctest/doctest.h>

#include <unordered_set>

#include "formats/json.hpp"
#include "ownerref/refs.hpp"

using namespace ktape::ownerref;

TEST_CASE("key_of, uid_of and describe read an object's identity") {
  auto rs = ktape::formats::parse_json(
      R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"web-1","namespace":"demo","uid":"u1"}})");
  REQUIRE(rs);
  auto key = key_of(*rs);
  REQUIRE(key);
  CHECK(*key == ObjectKey{"apps", "ReplicaSet", "demo", "web-1"});
  CHECK(describe(*key) == "ReplicaSet.apps demo/web-1");
  CHECK(describe_object(*rs) == "apps/v1 ReplicaSet demo/web-1");
  CHECK(uid_of(*rs) == "u1");

  auto ns =
      ktape::formats::parse_json(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo"}})");
  REQUIRE(ns);
  CHECK(describe(*key_of(*ns)) == "Namespace demo");
  CHECK(uid_of(*ns).empty());
  CHECK(owner_refs_of(*ns).empty());
  auto nameless = ktape::formats::parse_json(R"({"kind":"Pod","metadata":{"generateName":"web-"}})");
  REQUIRE(nameless);
  CHECK_FALSE(key_of(*nameless));
  CHECK(describe_object(*nameless) == "? Pod ?");

  CHECK(group_of("v1").empty());
  CHECK(group_of("apps/v1") == "apps");
  CHECK(group_of("stable.example.com/v1beta1") == "stable.example.com");
}

TEST_CASE("describe an owner reference, with and without its UID") {
  CHECK(describe(OwnerRef{"apps/v1", "Deployment", "web", "d1"}) == "apps/v1 Deployment web (uid d1)");
  CHECK(describe(OwnerRef{"", "", "", "d1"}) == "? ? ? (uid d1)");
  CHECK(describe(OwnerRef{"v1", "Node", "n1", ""}) == "v1 Node n1 (no uid)");
}

TEST_CASE("ObjectKeyHash tells keys apart by every part") {
  std::unordered_set<ObjectKey, ObjectKeyHash> keys{{"apps", "Deployment", "demo", "web"},
                                                    {"", "Deployment", "demo", "web"},
                                                    {"apps", "ReplicaSet", "demo", "web"},
                                                    {"apps", "Deployment", "", "web"},
                                                    {"apps", "Deployment", "demo", "web2"}};
  CHECK(keys.size() == 5);
  CHECK(keys.contains({"apps", "Deployment", "demo", "web"}));
  CHECK_FALSE(keys.contains({"apps", "Deployment", "other", "web"}));
}
