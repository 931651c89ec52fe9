#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "formats/json.hpp"
#include "ownerref/census.hpp"

using namespace ktape::ownerref;
using ktape::formats::PatchType;
using ktape::formats::Value;

namespace {

Value json(std::string_view text) {
  auto v = ktape::formats::parse_json(text);
  REQUIRE_MESSAGE(v, text);
  return *v;
}

std::string uids(const std::vector<OwnerRef>& refs) {
  std::string out;
  for (const OwnerRef& r : refs) out += (out.empty() ? "" : ",") + r.uid;
  return out;
}

Value object(std::string_view kind, std::string_view name, std::string_view uid,
             std::string_view owner_uid = {}) {
  std::string refs = owner_uid.empty() ? ""
                                       : R"(,"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet",)"
                                         R"("name":"rs","uid":")" +
                                             std::string(owner_uid) + R"("}])";
  return json(R"({"apiVersion":"v1","kind":")" + std::string(kind) + R"(","metadata":{"name":")" +
              std::string(name) + R"(","namespace":"demo","uid":")" + std::string(uid) + "\"" + refs + "}}");
}

}  // namespace

TEST_CASE("owners_added_by reads the owners a patch adds") {
  CHECK(uids(owners_added_by(
            PatchType::strategic,
            json(R"({"metadata":{"ownerReferences":[{"uid":"c1"},{"$patch":"delete","uid":"a1"}],)"
                 R"("$setElementOrder/ownerReferences":[{"uid":"b1"},{"uid":"c1"}]}})"))) == "c1");
  CHECK(uids(owners_added_by(PatchType::merge,
                             json(R"({"metadata":{"ownerReferences":[{"uid":"b1"},{"uid":"c1"}]}})"))) ==
        "b1,c1");
  CHECK(owners_added_by(PatchType::merge, json(R"({"metadata":{"ownerReferences":null}})")).empty());
  CHECK(uids(owners_added_by(PatchType::json, json(R"([
    {"op":"add","path":"/metadata/ownerReferences/-","value":{"uid":"a1","name":"a"}},
    {"op":"replace","path":"/metadata/ownerReferences/0/uid","value":"b1"},
    {"op":"add","path":"/metadata/ownerReferences","value":[{"uid":"c1"}]},
    {"op":"replace","path":"/metadata","value":{"ownerReferences":[{"uid":"d1"}]}},
    {"op":"test","path":"/metadata/ownerReferences/0/uid","value":"x1"},
    {"op":"remove","path":"/metadata/ownerReferences/0"},
    {"op":"add","path":"/metadata/ownerReferencesX","value":{"uid":"y1"}}
  ])"))) == "a1,b1,c1,d1");
  CHECK(owners_added_by(PatchType::json, json(R"({"not":"a list"})")).empty());
}

TEST_CASE("OwnerCensus lists owners that nothing in the input creates") {
  OwnerCensus census;
  census.add_object(object("Pod", "early", "p1", "r1"));  // its owner comes later: resolves
  census.add_object(object("ReplicaSet", "rs", "r1"));
  census.add_object(object("Pod", "orphan", "p2", "gone"));
  census.add_object(object("Pod", "orphan-2", "p3", "gone"));
  census.add_patch(PatchType::merge,
                   json(R"({"metadata":{"ownerReferences":[{"kind":"Deployment","uid":"d9"}]}})"),
                   "apps/v1 ReplicaSet demo/rs");
  census.add_patch(PatchType::strategic,
                   json(R"({"metadata":{"ownerReferences":[{"kind":"Node","name":"n1"}]}})"),
                   "v1 Pod demo/early");
  auto missing = census.unresolved();
  REQUIRE(missing.size() == 3);
  CHECK(missing[0].owner.uid == "gone");
  CHECK(missing[0].first_referrer == "v1 Pod demo/orphan");
  CHECK(missing[0].references == 2);
  CHECK(missing[1].owner.uid == "d9");
  CHECK(missing[1].first_referrer == "apps/v1 ReplicaSet demo/rs");
  CHECK(missing[2].owner.uid.empty());  // no UID: can never resolve
  CHECK(missing[2].owner.name == "n1");
  CHECK(census.objects() == 4);
  CHECK(census.references() == 5);
  // The owner arrives at last.
  census.add_object(object("ReplicaSet", "late", "gone"));
  CHECK(census.unresolved().size() == 2);
}
