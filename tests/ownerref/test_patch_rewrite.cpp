// Relinker::rewrite_patch. The strategic patches below are the ones formats' two-way patch writes
// for these changes (apimachinery's shape); each rewritten patch is also applied to the target's
// state, which holds the new UIDs, to show that it does there what the original did at the source.
#include <doctest/doctest.h>

#include <string>

#include "formats/json.hpp"
#include "formats/patch.hpp"
#include "ownerref/relinker.hpp"

using namespace ktape;
using namespace ktape::ownerref;
using formats::PatchType;
using formats::Value;

namespace {

Value json(std::string_view text) {
  auto v = formats::parse_json(text);
  REQUIRE_MESSAGE(v, text);
  return *v;
}

std::string owner(std::string_view name, std::string_view uid) {
  return R"({"apiVersion":"apps/v1","kind":"Deployment","name":")" + std::string(name) + R"(","uid":")" +
         std::string(uid) + R"("})";
}

// A ReplicaSet in the target, owned by the given references.
Value target_rs(const std::string& refs) {
  return json(R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"r","namespace":"demo",)"
              R"("ownerReferences":[)" +
              refs + "]}}");
}

// a1, b1 and c1 were created as A, B and C.
void record_abc(Relinker& relinker) {
  relinker.record_created({"apps", "Deployment", "demo", "a"}, "a1", "A");
  relinker.record_created({"apps", "Deployment", "demo", "b"}, "b1", "B");
  relinker.record_created({"apps", "Deployment", "demo", "c"}, "c1", "C");
}

std::string uids_of(const Value& object) {
  std::string out;
  for (const OwnerRef& r : owner_refs_of(object)) out += (out.empty() ? "" : ",") + r.uid;
  return out;
}

// Owners [a, b] became [b, c] at the source.
const char* k_strategic_swap =
    R"({"metadata":{"ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"c","uid":"c1"},)"
    R"({"$patch":"delete","uid":"a1"}],"$setElementOrder/ownerReferences":[{"uid":"b1"},{"uid":"c1"}]}})";

}  // namespace

TEST_CASE("rewrite_patch strategic: merge entries, delete directives and $setElementOrder") {
  Relinker relinker;
  record_abc(relinker);
  Value patch = json(k_strategic_swap);
  auto done = relinker.rewrite_patch(PatchType::strategic, patch);
  REQUIRE(done);
  CHECK(done->rewritten == 4);
  CHECK_FALSE(done->has_dangling());
  CHECK(
      patch ==
      json(
          R"({"metadata":{"ownerReferences":[)" + owner("c", "C") +
          R"(,{"$patch":"delete","uid":"A"}],"$setElementOrder/ownerReferences":[{"uid":"B"},{"uid":"C"}]}})"));
  auto applied =
      formats::apply_strategic_merge_patch(target_rs(owner("a", "A") + "," + owner("b", "B")), patch);
  REQUIRE(applied);
  CHECK(uids_of(*applied) == "B,C");
}

TEST_CASE("rewrite_patch strategic with an owner that has no mapping") {
  SUBCASE("drop: the entry leaves the list and the order") {
    Relinker relinker;
    relinker.record_created({"apps", "Deployment", "demo", "a"}, "a1", "A");
    relinker.record_created({"apps", "Deployment", "demo", "b"}, "b1", "B");
    Value patch = json(k_strategic_swap);
    auto done = relinker.rewrite_patch(PatchType::strategic, patch);
    REQUIRE(done);
    REQUIRE(done->dropped.size() == 1);
    CHECK(done->dropped[0] == OwnerRef{"apps/v1", "Deployment", "c", "c1"});
    CHECK(patch == json(R"({"metadata":{"ownerReferences":[{"$patch":"delete","uid":"A"}],)"
                        R"("$setElementOrder/ownerReferences":[{"uid":"B"}]}})"));
    auto applied =
        formats::apply_strategic_merge_patch(target_rs(owner("a", "A") + "," + owner("b", "B")), patch);
    REQUIRE(applied);
    CHECK(uids_of(*applied) == "B");
  }
  SUBCASE("keep: the old UID stays everywhere") {
    Relinker relinker(DanglingOwners::keep);
    relinker.record_created({"apps", "Deployment", "demo", "a"}, "a1", "A");
    relinker.record_created({"apps", "Deployment", "demo", "b"}, "b1", "B");
    Value patch = json(k_strategic_swap);
    auto done = relinker.rewrite_patch(PatchType::strategic, patch);
    REQUIRE(done);
    REQUIRE(done->kept.size() == 1);  // reported once though named twice
    CHECK(done->kept[0].uid == "c1");
    auto applied =
        formats::apply_strategic_merge_patch(target_rs(owner("a", "A") + "," + owner("b", "B")), patch);
    REQUIRE(applied);
    CHECK(uids_of(*applied) == "B,c1");
  }
  SUBCASE("drop: lists left empty leave the patch, a delete directive goes unreported") {
    Relinker relinker;
    Value patch =
        json(R"({"metadata":{"labels":{"x":"y"},"ownerReferences":[)" + owner("c", "c1") +
             R"(,{"$patch":"delete","uid":"z1"}],"$setElementOrder/ownerReferences":[{"uid":"c1"}]}})");
    auto done = relinker.rewrite_patch(PatchType::strategic, patch);
    REQUIRE(done);
    CHECK(done->dropped.size() == 1);
    CHECK(patch == json(R"({"metadata":{"labels":{"x":"y"}}})"));
  }
  SUBCASE("keep: a delete directive for an unmapped owner names the old UID the target kept") {
    Relinker relinker(DanglingOwners::keep);
    Value patch = json(R"({"metadata":{"ownerReferences":[{"$patch":"delete","uid":"z1"}]}})");
    Value before = patch;
    auto done = relinker.rewrite_patch(PatchType::strategic, patch);
    REQUIRE(done);
    CHECK_FALSE(done->has_dangling());
    CHECK(patch == before);
    auto applied =
        formats::apply_strategic_merge_patch(target_rs(owner("z", "z1") + "," + owner("b", "B")), patch);
    REQUIRE(applied);
    CHECK(uids_of(*applied) == "B");
  }
}

TEST_CASE("rewrite_patch strategic keeps $patch replace markers and null lists") {
  Relinker relinker;
  relinker.record_created({"apps", "Deployment", "demo", "b"}, "b1", "B");
  Value patch = json(R"({"metadata":{"ownerReferences":[{"$patch":"replace"},)" + owner("c", "c1") + "]}}");
  auto done = relinker.rewrite_patch(PatchType::strategic, patch);
  REQUIRE(done);
  CHECK(done->dropped.size() == 1);
  // Still a replace: the target ends with no owners, as the source did once c1 is left out.
  CHECK(patch == json(R"({"metadata":{"ownerReferences":[{"$patch":"replace"}]}})"));

  Value removal = json(R"({"metadata":{"ownerReferences":null}})");
  REQUIRE(relinker.rewrite_patch(PatchType::strategic, removal));
  CHECK(removal == json(R"({"metadata":{"ownerReferences":null}})"));
  Value unrelated = json(R"({"spec":{"replicas":3}})");
  REQUIRE(relinker.rewrite_patch(PatchType::strategic, unrelated));
  CHECK(unrelated == json(R"({"spec":{"replicas":3}})"));
}

TEST_CASE("rewrite_patch merge: ownerReferences are replaced whole") {
  Relinker relinker;
  record_abc(relinker);
  Value patch =
      json(R"({"metadata":{"ownerReferences":[)" + owner("b", "b1") + "," + owner("x", "x1") + "]}}");
  auto done = relinker.rewrite_patch(PatchType::merge, patch);
  REQUIRE(done);
  CHECK(done->rewritten == 1);
  REQUIRE(done->dropped.size() == 1);
  CHECK(done->dropped[0].name == "x");
  CHECK(patch == json(R"({"metadata":{"ownerReferences":[)" + owner("b", "B") + "]}}"));
  CHECK(uids_of(formats::apply_merge_patch(target_rs(owner("a", "A")), patch)) == "B");

  // Every owner dangling: [] stays, meaning "no owners", as at the source without the dangling ones.
  Value only_dangling = json(R"({"metadata":{"ownerReferences":[)" + owner("x", "x1") + "]}}");
  REQUIRE(relinker.rewrite_patch(PatchType::merge, only_dangling));
  CHECK(only_dangling == json(R"({"metadata":{"ownerReferences":[]}})"));
}

TEST_CASE("rewrite_patch json: values on /metadata/ownerReferences") {
  Relinker relinker;
  record_abc(relinker);
  Value patch = json(R"([
    {"op":"test","path":"/metadata/ownerReferences","value":[)" +
                     owner("a", "a1") + "," + owner("x", "x1") + R"(]},
    {"op":"replace","path":"/metadata/ownerReferences/0/uid","value":"b1"},
    {"op":"add","path":"/metadata/ownerReferences/-","value":)" +
                     owner("c", "c1") + R"(},
    {"op":"add","path":"/metadata/ownerReferences/1","value":)" +
                     owner("y", "y1") + R"(},
    {"op":"add","path":"/metadata","value":{"ownerReferences":[)" +
                     owner("a", "a1") + R"(]}},
    {"op":"remove","path":"/metadata/ownerReferences/2"},
    {"op":"add","path":"/metadata/labels/uid","value":"a1"},
    {"op":"add","path":"/metadata/ownerReferencesX","value":{"uid":"a1"}},
    {"op":"add","value":{"metadata":{"ownerReferences":[{"uid":"a1"}]}}}
  ])");
  auto done = relinker.rewrite_patch(PatchType::json, patch);
  REQUIRE(done);
  CHECK(done->rewritten == 4);
  REQUIRE(done->dropped.size() == 1);
  CHECK(done->dropped[0].uid == "x1");  // inside a whole list: safe to drop
  REQUIRE(done->kept.size() == 1);
  CHECK(done->kept[0].uid == "y1");  // an operation's own value: removing it would shift indices
  const auto& ops = patch.as_array();
  CHECK(ops[0].find("value")->size() == 1);
  CHECK(ops[0].find("value")->as_array()[0].string_at({"uid"}) == "A");
  CHECK(ops[1].string_at({"value"}) == "B");
  CHECK(ops[2].find("value")->string_at({"uid"}) == "C");
  CHECK(ops[3].find("value")->string_at({"uid"}) == "y1");
  CHECK(ops[4].find("value")->at({"ownerReferences"})->as_array()[0].string_at({"uid"}) == "A");
  CHECK(ops[5] == json(R"({"op":"remove","path":"/metadata/ownerReferences/2"})"));
  CHECK(ops[6].string_at({"value"}) == "a1");  // a label, not an owner
  CHECK(ops[7].find("value")->string_at({"uid"}) == "a1");
  CHECK(ops[8].find("value")->at({"metadata", "ownerReferences"})->as_array()[0].string_at({"uid"}) == "a1");
}

TEST_CASE("rewrite_patch reports a malformed patch and leaves it unchanged") {
  Relinker relinker;
  record_abc(relinker);
  struct Case {
    PatchType type;
    const char* patch;
    const char* message;
  };
  const Case cases[] = {
      {PatchType::strategic, R"({"metadata":{"ownerReferences":{"uid":"a1"}}})",
       "owner references in the patch: metadata.ownerReferences is not a list"},
      {PatchType::strategic,
       R"({"metadata":{"ownerReferences":[{"uid":"a1"}],"$setElementOrder/ownerReferences":["a1"]}})",
       "owner references in the patch: metadata.$setElementOrder/ownerReferences has an entry without a uid"},
      {PatchType::merge, R"({"metadata":{"ownerReferences":[{"uid":"a1"},"b1"]}})",
       "owner references in the patch: metadata.ownerReferences[1] is not an object"},
      {PatchType::json, R"({"op":"add"})",
       "owner references in the patch: a JSON patch is not a list of operations"},
      {PatchType::json,
       R"([{"op":"replace","path":"/metadata/ownerReferences/0/uid","value":"a1"},)"
       R"({"op":"add","path":"/metadata/ownerReferences/-","value":"b1"}])",
       "owner references in the patch: operation 1 value is not an object"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.patch);
    Value patch = json(c.patch);
    Value before = patch;
    auto done = relinker.rewrite_patch(c.type, patch);
    REQUIRE_FALSE(done);
    CHECK(done.error().kind == ErrorKind::invalid);
    CHECK(done.error().message == c.message);
    CHECK(patch == before);
  }
  CHECK(relinker.stats().rewritten == 0);
}
