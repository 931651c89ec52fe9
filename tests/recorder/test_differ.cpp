#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "formats/patch.hpp"
#include "recorder/differ.hpp"

using namespace ktape;
using namespace ktape::recorder;
using formats::parse_json;
using formats::Value;

namespace {

// An object as a watch event carries it, read as diff_text takes it: compact as an apiserver
// writes it, or `spaced` (its members' texts then differ from the recorded states' compact texts,
// which the differ must still read as equal where they are).
struct Received {
  std::string text;
  std::vector<formats::JsonMember> members;
  std::size_t metadata = 0;
  Value meta;

  Received(const Value& object, bool spaced) : Received(render(object, spaced)) {}
  explicit Received(std::string t) : text(std::move(t)) {
    REQUIRE(formats::split_json_object(text, members));
    for (std::size_t i = 0; i < members.size(); ++i)
      if (members[i].key == "metadata") metadata = i;
    REQUIRE(members[metadata].key == "metadata");
    meta = parse_json(members[metadata].value).value();
  }
  Received(const Received&) = delete;  // `members` points into `text`
  ObjectText view() const { return ObjectText{members, metadata, meta}; }

  static std::string render(const Value& object, bool spaced) {
    std::string text = spaced ? formats::to_json_pretty(object) : formats::to_json(object);
    if (spaced)
      for (auto& c : text)
        if (c == '\n') c = ' ';
    return text;
  }
};

// The patch between the whole objects, as the differ must make it.
Value whole_patch(const Value& before, const Value& after, PatchKind kind) {
  if (kind == PatchKind::merge) return formats::create_merge_patch(before, after);
  if (auto smp = formats::create_strategic_merge_patch(before, after)) return *smp;
  Value replace = after;
  replace.set("$patch", "replace");
  return replace;
}

// Each way of handing the differ an update: decoded, compact text, spaced text.
enum class Way { decoded, compact, spaced };

Result<std::optional<Patch>> diff_by(Way way, ObjectState& state, const Value& object, PatchKind kind) {
  if (way == Way::decoded) {
    Value copy = object;
    auto patch = diff_object(state, copy, kind);
    CHECK(copy == object);  // borrowed, given back as it was
    return patch;
  }
  Received received(object, way == Way::spaced);
  return diff_text(state, received.view(), kind);
}

const Value k_pod = parse_json(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns"},
    "spec":{"containers":[{"name":"c","image":"nginx"}]},"status":{"phase":"Running"}})")
                        .value();

}  // namespace

TEST_CASE("differ: each update is the patch between the whole objects, however it is received") {
  // The differ diffs only the top-level members whose text changed; the patches must be exactly
  // those of the whole objects, in the same member order, for every kind of change.
  const std::vector<std::string> versions = {
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","labels":{"a":"1"}},
          "spec":{"containers":[{"name":"c","image":"nginx"}]}})",
      // A member added at the end, one in the middle.
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","labels":{"a":"1"}},
          "extra":[1,2],"spec":{"containers":[{"name":"c","image":"nginx"}]},"status":{"phase":"Pending"}})",
      // Only the status changes; then only the labels; then both.
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","labels":{"a":"1"}},
          "extra":[1,2],"spec":{"containers":[{"name":"c","image":"nginx"}]},"status":{"phase":"Running"}})",
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","labels":{"a":"2","b":"x"}},
          "extra":[1,2],"spec":{"containers":[{"name":"c","image":"nginx"}]},"status":{"phase":"Running"}})",
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","labels":{"b":"x"}},
          "extra":[1,2],"spec":{"containers":[{"name":"c","image":"nginx"},{"name":"d","image":"x"}]},
          "status":{"phase":"Succeeded"}})",
      // Members removed (the first and a middle one) and the rest reordered.
      R"({"kind":"Pod","spec":{"containers":[{"name":"d","image":"x"}]},"apiVersion":"v1",
          "metadata":{"name":"p","namespace":"ns","labels":{"b":"x"}}})",
      // Unchanged members reordered only: no patch.
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","labels":{"b":"x"}},
          "spec":{"containers":[{"name":"d","image":"x"}]}})",
      // A container without its merge key: no strategic diff exists; the object replaces.
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","labels":{"b":"x"}},
          "spec":{"containers":[{"image":"y"}]}})",
  };
  std::vector<Value> objects;
  objects.reserve(versions.size());
  for (const auto& text : versions) objects.push_back(parse_json(text).value());
  for (Way way : {Way::decoded, Way::compact, Way::spaced})
    for (PatchKind kind : {PatchKind::strategic, PatchKind::merge}) {
      CAPTURE(static_cast<int>(way));
      CAPTURE(static_cast<int>(kind));
      ObjectState state = make_state(objects[0]);
      CHECK(state.json == formats::to_json(objects[0]));
      std::vector<std::string> expected, recorded;
      for (std::size_t i = 1; i < objects.size(); ++i) {
        Value patch = whole_patch(objects[i - 1], objects[i], kind);
        if (patch.size() > 0) expected.push_back(formats::to_json(patch));
        auto made = diff_by(way, state, objects[i], kind);
        REQUIRE(made);
        if (!*made) continue;
        CHECK((*made)->kind == kind);
        recorded.push_back(formats::to_json((*made)->value));
        // The state is now the object's, as received (spaced text included) or decoded.
        CHECK(parse_json(state.json).value() == objects[i]);
      }
      CHECK(recorded == expected);
      CHECK(expected.size() == objects.size() - 2);  // the reordering alone recorded nothing
      if (kind == PatchKind::strategic)
        CHECK(expected.back().find("\"$patch\":\"replace\"") != std::string::npos);
    }
}

TEST_CASE("differ: an update that changes nothing is no patch") {
  for (Way way : {Way::decoded, Way::compact, Way::spaced}) {
    CAPTURE(static_cast<int>(way));
    ObjectState state = make_state(k_pod);
    auto made = diff_by(way, state, k_pod, PatchKind::strategic);
    REQUIRE(made);
    CHECK_FALSE(made->has_value());
    CHECK(parse_json(state.json).value() == k_pod);
    // The same object spelled differently (an escaped character) differs as text only: no patch.
    Received escaped(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns"},
        "spec":{"containers":[{"name":"c","image":"ngin\u0078"}]},"status":{"phase":"Running"}})");
    auto again = diff_text(state, escaped.view(), PatchKind::strategic);
    REQUIRE(again);
    CHECK_FALSE(again->has_value());
    CHECK(parse_json(state.json).value() == k_pod);
  }
}

TEST_CASE("differ: an update whose changed member is not JSON is an Error, and the state stays") {
  ObjectState state = make_state(k_pod);
  std::string before = state.json;
  // Its structure walks, but a scalar in it is not JSON: only parsing the changed member finds out.
  Received broken(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns"},
      "spec":{"containers":[{"name":"c","image":nginx_two}]},"status":{"phase":"Running"}})");
  auto made = diff_text(state, broken.view(), PatchKind::strategic);
  REQUIRE_FALSE(made);
  CHECK(made.error().kind == ErrorKind::parse);
  CHECK(made.error().message.starts_with("an event's object is not JSON"));
  CHECK(state.json == before);
  // The next readable update diffs against the state kept.
  Value fixed = k_pod;
  fixed["spec"]["containers"].as_array()[0].set("image", "nginx:2");
  auto next = diff_text(state, Received(fixed, false).view(), PatchKind::strategic);
  REQUIRE(next);
  REQUIRE(next->has_value());
  CHECK((*next)->value == whole_patch(k_pod, fixed, PatchKind::strategic));
  CHECK((*next)->value.at({"status"}) == nullptr);
}

TEST_CASE("differ: custom resources get JSON merge patches, never strategic ones") {
  // A list of objects without merge keys: a strategic diff does not exist for a built-in type's
  // merge list, but a custom resource's merge patch replaces the list as a whole.
  Value v1 = parse_json(R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},
      "spec":{"containers":[{"image":"a"}],"size":1}})")
                 .value();
  Value v2 = parse_json(R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},
      "spec":{"containers":[{"image":"b"}],"size":null}})")
                 .value();
  for (Way way : {Way::decoded, Way::compact, Way::spaced}) {
    CAPTURE(static_cast<int>(way));
    ObjectState state = make_state(v1);
    auto made = diff_by(way, state, v2, PatchKind::merge);
    REQUIRE(made);
    REQUIRE(made->has_value());
    CHECK((*made)->kind == PatchKind::merge);
    CHECK((*made)->value == formats::create_merge_patch(v1, v2));
    CHECK(formats::to_json((*made)->value).find("$patch") == std::string::npos);
    CHECK((*made)->value.at({"spec", "containers"}) != nullptr);
  }
}

TEST_CASE("differ: a state without member ends (an empty object) still diffs a text update") {
  ObjectState state = make_state(Value::object());
  CHECK(state.ends.empty());
  auto made = diff_text(state, Received(k_pod, false).view(), PatchKind::merge);
  REQUIRE(made);
  REQUIRE(made->has_value());
  CHECK((*made)->value == k_pod);
  CHECK(state.json == formats::to_json(k_pod));
  CHECK(state.ends.size() == k_pod.size());
}
