// JSON merge patch (RFC 7386), JSON patch (RFC 6902), content types and dispatch.
#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "formats/patch.hpp"

using namespace ktape;
using namespace ktape::formats;

namespace {

Value j(std::string_view text) {
  auto v = parse_json(text);
  REQUIRE_MESSAGE(v, std::string(text));
  return *v;
}

}  // namespace

TEST_CASE("content_type and patch_type_from_content_type round-trip") {
  for (PatchType t : {PatchType::json, PatchType::merge, PatchType::strategic})
    CHECK(patch_type_from_content_type(content_type(t)) == t);
  CHECK(content_type(PatchType::strategic) == "application/strategic-merge-patch+json");
  CHECK(patch_type_from_content_type("Application/Merge-Patch+JSON; charset=utf-8") == PatchType::merge);
  CHECK_FALSE(patch_type_from_content_type("application/apply-patch+yaml"));
  CHECK_FALSE(patch_type_from_content_type("application/json"));
}

TEST_CASE("apply_merge_patch follows RFC 7386's examples") {
  // The table of RFC 7386 appendix A.
  const char* cases[][3] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const auto& c : cases) {
    CAPTURE(c[1]);
    CHECK(apply_merge_patch(j(c[0]), j(c[1])) == j(c[2]));
  }
}

TEST_CASE("create_merge_patch writes the smallest patch") {
  const Value original = j(R"({"a":1,"b":{"c":[1,2],"d":"x","e":{"f":1}},"g":true})");
  const Value modified = j(R"({"a":1,"b":{"c":[2,1],"d":"x","e":{}},"h":null,"i":{"j":2}})");
  const Value patch = create_merge_patch(original, modified);
  CHECK(patch == j(R"({"b":{"c":[2,1],"e":{"f":null}},"g":null,"h":null,"i":{"j":2}})"));
  CHECK(create_merge_patch(original, original) == j("{}"));
  CHECK(create_merge_patch(original, j("[1]")) == j("[1]"));
  // Unchanged numbers written differently are still equal JSON.
  CHECK(create_merge_patch(j(R"({"n":1.0})"), j(R"({"n":1})")) == j("{}"));
  const Value round = apply_merge_patch(original, create_merge_patch(original, j(R"({"a":1,"b":{}})")));
  CHECK(round == j(R"({"a":1,"b":{}})"));
}

TEST_CASE("apply_json_patch runs every RFC 6902 operation") {
  const Value doc = j(R"({"a":{"b":[1,2,3]},"c":"x","k/l":1,"m~n":2})");
  SUBCASE("add") {
    CHECK(*apply_json_patch(doc, j(R"([{"op":"add","path":"/a/b/1","value":9}])")) ==
          j(R"({"a":{"b":[1,9,2,3]},"c":"x","k/l":1,"m~n":2})"));
    CHECK(*apply_json_patch(doc, j(R"([{"op":"add","path":"/a/b/-","value":4}])")) ==
          j(R"({"a":{"b":[1,2,3,4]},"c":"x","k/l":1,"m~n":2})"));
    CHECK(*apply_json_patch(doc, j(R"([{"op":"add","path":"/a/b/3","value":4}])")) ==
          j(R"({"a":{"b":[1,2,3,4]},"c":"x","k/l":1,"m~n":2})"));
    CHECK(*apply_json_patch(doc, j(R"([{"op":"add","path":"/c","value":{"d":1}}])")) ==
          j(R"({"a":{"b":[1,2,3]},"c":{"d":1},"k/l":1,"m~n":2})"));
    CHECK(*apply_json_patch(doc, j(R"([{"op":"add","path":"","value":[1]}])")) == j("[1]"));
  }
  SUBCASE("remove and replace with escaped pointers") {
    CHECK(*apply_json_patch(
              doc, j(R"([{"op":"remove","path":"/k~1l"},{"op":"replace","path":"/m~0n","value":3}])")) ==
          j(R"({"a":{"b":[1,2,3]},"c":"x","m~n":3})"));
    CHECK(*apply_json_patch(doc, j(R"([{"op":"remove","path":"/a/b/0"}])")) ==
          j(R"({"a":{"b":[2,3]},"c":"x","k/l":1,"m~n":2})"));
    // As kube-apiserver 1.32 does: replacing a missing member of an object adds it.
    CHECK(*apply_json_patch(doc, j(R"([{"op":"replace","path":"/a/z","value":4}])")) ==
          j(R"({"a":{"b":[1,2,3],"z":4},"c":"x","k/l":1,"m~n":2})"));
  }
  SUBCASE("move, copy and test") {
    CHECK(*apply_json_patch(doc, j(R"([{"op":"move","from":"/c","path":"/a/c"}])")) ==
          j(R"({"a":{"b":[1,2,3],"c":"x"},"k/l":1,"m~n":2})"));
    CHECK(*apply_json_patch(doc, j(R"([{"op":"copy","from":"/a/b/2","path":"/z"}])")) ==
          j(R"({"a":{"b":[1,2,3]},"c":"x","k/l":1,"m~n":2,"z":3})"));
    CHECK(apply_json_patch(doc, j(R"([{"op":"test","path":"/a","value":{"b":[1,2,3.0]}}])")));
  }
}

TEST_CASE("apply_json_patch errors name the operation index and path") {
  const Value doc = j(R"({"a":{"b":[1,2,3]},"c":"x"})");
  struct Case {
    const char* patch;
    const char* words;
  };
  const Case cases[] = {
      {R"([{"op":"test","path":"/c","value":"x"},{"op":"test","path":"/c","value":"y"}])",
       R"(json patch operation 1 (test "/c"): test failed)"},
      {R"([{"op":"remove","path":"/nope"}])", R"(json patch operation 0 (remove "/nope"): no member "nope")"},
      {R"([{"op":"replace","path":"/a/b/3","value":1}])", "index 3 is out of range"},
      {R"([{"op":"add","path":"/a/b/01","value":1}])", "\"01\" is not an array index"},
      {R"([{"op":"add","path":"/x/y","value":1}])", "no member \"x\""},
      {R"([{"op":"add","path":"a","value":1}])", "must start with \"/\""},
      {R"([{"op":"add","path":"/a~2","value":1}])", "\"~\" must be followed by 0 or 1"},
      {R"([{"op":"frobnicate","path":"/a"}])", "unknown op \"frobnicate\""},
      {R"([{"op":"add","path":"/a"}])", "\"add\" needs a \"value\""},
      {R"([{"op":"move","from":"/a","path":"/a/b/0"}])", "cannot move a value into itself"},
      {R"([{"op":"copy","path":"/a"}])", "\"from\" is missing"},
      {R"({"op":"add"})", "must be a JSON array"},
      {R"([{"op":"remove","path":""}])", "cannot remove the whole document"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.patch);
    auto result = apply_json_patch(doc, j(c.patch));
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::invalid);
    CHECK_MESSAGE(result.error().message.find(c.words) != std::string::npos, result.error().message);
  }
}

TEST_CASE("apply_patch dispatches by type") {
  const Value doc = j(R"({"apiVersion":"v1","kind":"Pod","metadata":{"finalizers":["a"]}})");
  CHECK(apply_patch(PatchType::merge, doc, j(R"({"metadata":{"finalizers":["b"]}})"))
            ->at({"metadata", "finalizers"})
            ->size() == 1);
  CHECK(apply_patch(PatchType::strategic, doc, j(R"({"metadata":{"finalizers":["b"]}})"))
            ->at({"metadata", "finalizers"})
            ->size() == 2);
  CHECK(apply_patch(PatchType::json, doc, j(R"([{"op":"remove","path":"/metadata/finalizers/0"}])"))
            ->at({"metadata", "finalizers"})
            ->size() == 0);
}
