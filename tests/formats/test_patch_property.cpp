// Property tests: apply(old, create(old, new)) == new over generated pairs, for JSON merge patch
// and strategic merge patch, on Pods, Deployments and a custom resource.
#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "formats/patch.hpp"
#include "tests/formats/test_patch_generators.hpp"

using namespace ktape;
using namespace ktape::formats;

namespace {

// Seeds are fixed so that a failure reproduces; the count keeps the suite fast.
constexpr unsigned k_pairs_per_kind = 1000;

enum class Kind { pod, deployment, widget };

Value generate(testing::ObjectGenerator& gen, Kind kind) {
  switch (kind) {
    case Kind::pod:
      return gen.pod();
    case Kind::deployment:
      return gen.deployment();
    case Kind::widget:
      return gen.widget();
  }
  return Value();
}

void check_round_trips(Kind kind, unsigned seed_base) {
  for (unsigned seed = seed_base; seed < seed_base + k_pairs_per_kind; ++seed) {
    testing::ObjectGenerator gen(seed);
    const Value old_doc = generate(gen, kind);
    Value new_doc = gen.mutate(old_doc);
    if (gen.chance(0.3)) new_doc = gen.mutate(new_doc);  // larger distances too
    CAPTURE(seed);
    CAPTURE(to_json(old_doc));
    CAPTURE(to_json(new_doc));

    const Value merge = create_merge_patch(old_doc, new_doc);
    REQUIRE(apply_merge_patch(old_doc, merge) == new_doc);

    auto strategic = create_strategic_merge_patch(old_doc, new_doc);
    REQUIRE_MESSAGE(strategic, strategic.error().message);
    CAPTURE(to_json(*strategic));
    // The patch travels as JSON text (in a recording, over HTTP): round-trip it through text.
    auto reread = parse_json(to_json(*strategic));
    REQUIRE(reread);
    auto applied = apply_strategic_merge_patch(old_doc, *reread);
    REQUIRE_MESSAGE(applied, applied.error().message);
    REQUIRE(*applied == new_doc);

    auto nothing = create_strategic_merge_patch(old_doc, old_doc);
    REQUIRE(nothing);
    REQUIRE(*nothing == Value::object());
  }
}

}  // namespace

TEST_CASE("strategic and merge patch round-trip generated Pods") { check_round_trips(Kind::pod, 1000); }

TEST_CASE("strategic and merge patch round-trip generated Deployments") {
  check_round_trips(Kind::deployment, 2000);
}

TEST_CASE("strategic patch of a custom resource is a JSON merge patch") {
  check_round_trips(Kind::widget, 3000);
  testing::ObjectGenerator gen(7);
  for (int i = 0; i < 50; ++i) {
    const Value old_doc = gen.widget();
    const Value new_doc = gen.mutate(old_doc);
    auto strategic = create_strategic_merge_patch(old_doc, new_doc);
    REQUIRE(strategic);
    CHECK(*strategic == create_merge_patch(old_doc, new_doc));
  }
}

TEST_CASE("the generated pairs exercise every strategic directive") {
  // Guards the generator: if it stopped producing these, the round trips above would prove less.
  bool seen_order = false, seen_delete = false, seen_primitive = false, seen_retain = false;
  for (unsigned seed = 1000; seed < 1000 + k_pairs_per_kind; ++seed) {
    testing::ObjectGenerator gen(seed);
    const Value old_doc = gen.pod();
    const Value new_doc = gen.mutate(old_doc);
    auto patch = create_strategic_merge_patch(old_doc, new_doc);
    REQUIRE(patch);
    const std::string text = to_json(*patch);
    seen_order = seen_order || text.find("$setElementOrder/containers") != std::string::npos;
    seen_delete = seen_delete || text.find(R"("$patch":"delete")") != std::string::npos;
    seen_primitive = seen_primitive || text.find("$deleteFromPrimitiveList/finalizers") != std::string::npos;
    seen_retain = seen_retain || text.find("$retainKeys") != std::string::npos;
  }
  CHECK(seen_order);
  CHECK(seen_delete);
  CHECK(seen_primitive);
  CHECK(seen_retain);
}

TEST_CASE("apply_strategic_merge_patch refuses or applies mangled patches, never crashes") {
  unsigned refused = 0;
  for (unsigned seed = 4000; seed < 4000 + k_pairs_per_kind; ++seed) {
    testing::ObjectGenerator gen(seed);
    const Value old_doc = seed % 2 == 0 ? gen.pod() : gen.deployment();
    auto patch = create_strategic_merge_patch(old_doc, gen.mutate(old_doc));
    REQUIRE(patch);
    const Value mangled = gen.mangle(*patch);
    CAPTURE(to_json(mangled));
    auto applied = apply_strategic_merge_patch(old_doc, mangled);
    if (applied) continue;
    ++refused;
    CHECK(applied.error().kind == ErrorKind::invalid);
    CHECK(applied.error().message.rfind("strategic merge patch: ", 0) == 0);
  }
  CHECK(refused > 0);  // the mangling does produce invalid patches
}

TEST_CASE(
    "apply_strategic_merge_patch_in_place: the copying apply's result, and its target kept on an Error") {
  // Mangled patches give both outcomes; JSON text compares member order too, which == does not.
  unsigned refused = 0, applied_count = 0;
  for (unsigned seed = 6000; seed < 6000 + k_pairs_per_kind; ++seed) {
    testing::ObjectGenerator gen(seed);
    const Value old_doc = seed % 3 == 0 ? gen.pod() : seed % 3 == 1 ? gen.deployment() : gen.widget();
    auto patch = create_strategic_merge_patch(old_doc, gen.mutate(old_doc));
    REQUIRE(patch);
    const Value sent = seed % 2 == 0 ? gen.mangle(*patch) : *patch;
    CAPTURE(seed);
    CAPTURE(to_json(sent));
    auto copied = apply_strategic_merge_patch(old_doc, sent);
    Value target = old_doc;
    auto in_place = apply_strategic_merge_patch_in_place(target, sent);
    REQUIRE(in_place.has_value() == copied.has_value());
    if (copied) {
      ++applied_count;
      CHECK(to_json(target) == to_json(*copied));
    } else {
      ++refused;
      CHECK(in_place.error().message == copied.error().message);
      CHECK(to_json(target) == to_json(old_doc));
    }
  }
  CHECK(refused > 0);
  CHECK(applied_count > 0);
}

TEST_CASE(
    "apply_strategic_merge_patch_in_place: a failing patch leaves members added, removed and changed as they "
    "were") {
  const Value pod =
      *parse_json(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"1"}},)"
                  R"("spec":{"containers":[{"name":"c","image":"i:1"}]},"status":{"phase":"Pending"}})");
  // metadata is removed, status changed, a new member added, then spec.containers fails (an
  // element without its merge key), after the others were applied.
  const Value patch = *parse_json(
      R"({"metadata":null,"status":{"phase":"Running"},"extra":{"x":1},"spec":{"containers":[{"image":"i:2"}]}})");
  Value target = pod;
  auto r = apply_strategic_merge_patch_in_place(target, patch);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("spec.containers") != std::string::npos);
  CHECK(to_json(target) == to_json(pod));
}
