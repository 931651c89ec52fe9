// IgnoredFields::equal against what it stands for: copies normalised by store::normalize_for_diff
// and compared with ==, on hand-picked pairs and on generated ones (objects shaped like Kubernetes
// objects, mutated in ignored and compared fields alike).
#include <doctest/doctest.h>

#include <random>

#include "formats/json.hpp"
#include "restore/compare.hpp"

using namespace ktape;
using formats::Value;

namespace {

Value json(const std::string& text) {
  auto v = formats::parse_json(text);
  REQUIRE(v);
  return *v;
}

bool normalised_equal(const Value& a, const Value& b, const store::DiffOptions& options) {
  Value x = a, y = b;
  store::normalize_for_diff(x, options);
  store::normalize_for_diff(y, options);
  return x == y;
}

// Keys that hit the ignored tree (metadata's server fields, owner UIDs, status, the fields the
// options below name) and keys that do not.
const std::vector<std::string> k_keys = {
    "metadata", "status",          "spec",        "data",           "uid", "labels", "x.y", "a/b", "replicas",
    "name",     "resourceVersion", "annotations", "ownerReferences"};

class Generator {
 public:
  explicit Generator(unsigned seed) : m_rng(seed) {}

  Value object(int depth) {
    Value v = Value::object();
    for (int i = 0, n = pick(4); i < n; ++i) v.set(k_keys[index(k_keys.size())], value(depth + 1));
    return v;
  }

  // A Kubernetes-like object: metadata with server-set fields and owners, spec, status, data.
  Value resource() {
    Value v = object(1);
    Value& meta = v["metadata"];
    if (!meta.is_object()) meta = Value::object();
    for (const char* f : {"uid", "resourceVersion", "generation", "creationTimestamp", "name"})
      if (pick(2) == 0) meta.set(f, scalar());
    if (pick(2) == 0) {
      Value owners = Value::array();
      for (int i = 0, n = pick(3); i < n; ++i) owners.push_back(object(3)).set("uid", scalar());
      meta.set("ownerReferences", std::move(owners));
    }
    if (pick(2) == 0) meta.set("annotations", object(3));
    if (pick(2) == 0) v.set("status", object(2));
    if (pick(2) == 0) v.set("spec", object(2));
    return v;
  }

  // A copy of `v` changed at one random place (or reordered, or not at all).
  void mutate(Value& v, int depth = 0) {
    if (v.is_object() && v.size() > 0 && depth < 5) {
      auto& members = v.as_object();
      switch (pick(6)) {
        case 0:
          members.erase(members.begin() + static_cast<long>(index(members.size())));
          return;
        case 1:
          v.set(k_keys[index(k_keys.size())], value(depth + 1));
          return;
        case 2:
          std::reverse(members.begin(), members.end());
          return;
        default:
          mutate(members[index(members.size())].value, depth + 1);
          return;
      }
    }
    if (v.is_array() && v.size() > 0 && pick(4) != 0) return mutate(v.as_array()[index(v.size())], depth + 1);
    v = pick(3) == 0 ? value(depth) : scalar();
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(m_rng); }
  std::size_t index(std::size_t n) { return static_cast<std::size_t>(pick(static_cast<int>(n))); }

  Value scalar() {
    switch (pick(5)) {
      case 0:
        return Value(formats::Number{pick(2) == 0 ? "1" : "1.0"});  // equal numbers, other text
      case 1:
        return Value(pick(2) == 0);
      case 2:
        return Value();
      default:
        return Value(std::string(1, static_cast<char>('a' + pick(3))));
    }
  }

  Value value(int depth) {
    if (depth > 3) return scalar();
    switch (pick(4)) {
      case 0:
        return object(depth);
      case 1: {
        Value a = Value::array();
        for (int i = 0, n = pick(3); i < n; ++i) a.push_back(value(depth + 1));
        return a;
      }
      default:
        return scalar();
    }
  }

  std::mt19937 m_rng;
};

}  // namespace

TEST_CASE("IgnoredFields::equal leaves out what normalize_for_diff removes, and nothing else") {
  store::DiffOptions options;
  options.ignore_status = true;
  options.ignore_fields = {"spec.replicas", "/metadata/annotations/a~1b"};
  restore::IgnoredFields ignored(options);
  Value a = json(R"({"kind":"ConfigMap","metadata":{"name":"n","uid":"1","resourceVersion":"5",
      "ownerReferences":[{"kind":"D","name":"d","uid":"o1"}],"annotations":{"a/b":"x","k":"v"}},
      "spec":{"replicas":3,"x":1},"status":{"ready":true},"data":{"k":"v"}})");
  SUBCASE("server-set fields, owner UIDs, status and the named fields differ") {
    Value b = json(R"({"data":{"k":"v"},"kind":"ConfigMap","metadata":{"name":"n","uid":"2",
        "generation":7,"ownerReferences":[{"uid":"o2","name":"d","kind":"D"}],
        "annotations":{"k":"v"}},"spec":{"x":1.0,"replicas":5}})");
    CHECK(ignored.equal(a, b));
    CHECK(normalised_equal(a, b, options));
  }
  SUBCASE("a compared field differs") {
    for (const char* text : {R"({"data":{"k":"w"}})", R"({"metadata":{"name":"m"}})", R"({"spec":{"x":2}})",
                             R"({"metadata":{"ownerReferences":[{"kind":"D","name":"e","uid":"o1"}]}})",
                             R"({"metadata":{"annotations":{"a/b":"x","k":"w"}}})", R"({"extra":1})"}) {
      Value b = a;
      const Value change = json(text);
      for (const auto& m : change.as_object()) {
        if (m.key == "metadata") {
          for (const auto& mm : m.value.as_object()) b["metadata"].set(mm.key, mm.value);
        } else {
          b.set(m.key, m.value);
        }
      }
      CAPTURE(text);
      CHECK_FALSE(ignored.equal(a, b));
      CHECK_FALSE(normalised_equal(a, b, options));
    }
  }
  SUBCASE("status counts without ignore_status") {
    restore::IgnoredFields with_status(store::DiffOptions{});
    Value b = a;
    b.set("status", json(R"({"ready":false})"));
    CHECK_FALSE(with_status.equal(a, b));
    CHECK(ignored.equal(a, b));
  }
}

TEST_CASE("IgnoredFields::equal agrees with normalize_for_diff and == on generated objects") {
  for (bool ignore_status : {false, true}) {
    store::DiffOptions options;
    options.ignore_status = ignore_status;
    options.ignore_fields = {"spec.replicas", "/metadata/annotations/x.y", "/metadata/annotations/a~1b",
                             "data.uid", "no.such.path"};
    restore::IgnoredFields ignored(options);
    Generator gen(ignore_status ? 11 : 7);
    int equal = 0, different = 0;
    for (int i = 0; i < 4000; ++i) {
      Value a = gen.resource();
      Value b = a;
      for (int m = 0, n = i % 3; m < n; ++m) gen.mutate(b);
      bool expected = normalised_equal(a, b, options);
      CAPTURE(formats::to_json(a));
      CAPTURE(formats::to_json(b));
      REQUIRE(ignored.equal(a, b) == expected);
      REQUIRE(ignored.equal(b, a) == expected);
      ++(expected ? equal : different);
    }
    // Both answers were exercised, each many times.
    CHECK(equal > 1000);
    CHECK(different > 500);
  }
}
