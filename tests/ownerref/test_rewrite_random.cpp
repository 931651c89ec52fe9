// Rewriting commutes with patching: for random owner lists before and after a change at the
// source, applying the rewritten patch to the re-linked "before" gives the re-linked "after".
// That is what the target must see for every patch the recorder wrote. Patches are made and
// applied by formats/patch.hpp, whose strategic merge patch matches kubectl's.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "formats/json.hpp"
#include "formats/patch.hpp"
#include "ownerref/relinker.hpp"

using namespace ktape;
using namespace ktape::ownerref;
using formats::PatchType;
using formats::Value;

namespace {

// u0..u3 are re-created as U0..U3; u4 and u5 are not in the recording.
constexpr int k_pool = 6;
constexpr int k_mapped = 4;

Value replica_set(const std::vector<int>& owners) {
  Value rs = Value::object();
  rs.set("apiVersion", "apps/v1");
  rs.set("kind", "ReplicaSet");
  Value& metadata = rs.set("metadata", Value::object());
  metadata.set("name", "web-1");
  metadata.set("namespace", "demo");
  if (owners.empty()) return rs;
  Value& refs = metadata.set("ownerReferences", Value::array());
  for (int o : owners) {
    Value ref = Value::object();
    ref.set("apiVersion", "apps/v1");
    ref.set("kind", "Deployment");
    ref.set("name", "d" + std::to_string(o));
    ref.set("uid", "u" + std::to_string(o));
    refs.push_back(std::move(ref));
  }
  return rs;
}

std::vector<int> random_owners(std::mt19937& random) {
  std::vector<int> pool(k_pool);
  for (int i = 0; i < k_pool; ++i) pool[i] = i;
  std::shuffle(pool.begin(), pool.end(), random);
  pool.resize(std::uniform_int_distribution<std::size_t>(0, 4)(random));
  return pool;
}

std::string owners_text(const Value& object) {
  std::string out;
  for (const OwnerRef& r : owner_refs_of(object)) out += r.name + "=" + r.uid + " ";
  return out;
}

Value relinked(const Relinker& relinker, Value object) {
  auto done = relinker.rewrite_object(object);
  REQUIRE(done);
  return object;
}

void check_commutes(const Relinker& relinker, PatchType type, const Value& before, const Value& after) {
  Result<Value> patch = type == PatchType::strategic
                            ? formats::create_strategic_merge_patch(before, after)
                            : Result<Value>(formats::create_merge_patch(before, after));
  REQUIRE(patch);
  Value rewritten = *patch;
  REQUIRE(relinker.rewrite_patch(type, rewritten));
  auto applied = formats::apply_patch(type, relinked(relinker, before), rewritten);
  CAPTURE(formats::to_json(*patch));
  CAPTURE(formats::to_json(rewritten));
  REQUIRE(applied);
  CHECK(owners_text(*applied) == owners_text(relinked(relinker, after)));
}

}  // namespace

TEST_CASE("rewriting a patch commutes with applying it, for random owner changes") {
  for (DanglingOwners policy : {DanglingOwners::drop, DanglingOwners::keep}) {
    Relinker relinker(policy);
    for (int i = 0; i < k_mapped; ++i)
      relinker.record_created({"apps", "Deployment", "demo", "d" + std::to_string(i)},
                              "u" + std::to_string(i), "U" + std::to_string(i));
    std::mt19937 random(42);
    for (int round = 0; round < 300; ++round) {
      Value before = replica_set(random_owners(random));
      Value after = replica_set(random_owners(random));
      CAPTURE(owners_text(before));
      CAPTURE(owners_text(after));
      check_commutes(relinker, PatchType::strategic, before, after);
      check_commutes(relinker, PatchType::merge, before, after);
    }
  }
}
