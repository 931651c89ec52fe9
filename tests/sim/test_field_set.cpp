// Field sets as server-side apply counts them, on the built-in types' merge rules.
#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "sim/field_set.hpp"

using namespace ktape;
using namespace ktape::sim;
using formats::Value;

namespace {

Value json(const std::string& text) {
  auto v = formats::parse_json(text);
  REQUIRE(v);
  return *v;
}

const char* k_deployment = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
  "spec":{"selector":{"matchLabels":{"app":"web"}},"strategy":{"type":"RollingUpdate",
  "rollingUpdate":{"maxSurge":"25%"}},"template":{"metadata":{"labels":{"app":"web"}},
  "spec":{"containers":[{"name":"app","image":"nginx","ports":[{"containerPort":80}]}]}}}})";

}  // namespace

TEST_CASE("fields_of: list items by merge key (defaulted key fields included), atomic objects as one field") {
  FieldType type = kind_field_type("apps/v1", "Deployment");
  FieldSet set = fields_of(json(k_deployment), type);
  Value v1 = set.to_fields_v1();
  const Value* containers = v1.at({"f:spec", "f:template", "f:spec", "f:containers"});
  REQUIRE(containers);
  const Value* item = containers->find(R"(k:{"name":"app"})");
  REQUIRE(item);
  CHECK(item->contains("."));
  CHECK(item->contains("f:image"));
  const Value* ports = item->find("f:ports");
  REQUIRE(ports);
  // protocol is a key of container ports; an item that leaves it out is keyed by its default
  CHECK(ports->contains(R"(k:{"containerPort":80,"protocol":"TCP"})"));
  // a LabelSelector is atomic: one field, nothing below it
  const Value* selector = v1.at({"f:spec", "f:selector"});
  REQUIRE(selector);
  CHECK(selector->size() == 0);
  // an applied configuration owns no object as a whole
  CHECK_FALSE(v1.at({"f:spec", "f:strategy", "f:rollingUpdate", "."}));
}

TEST_CASE("compare_fields from the zero object: structs that are not pointers are never added whole") {
  FieldType type = kind_field_type("apps/v1", "Deployment");
  Value zero = zero_object(type);
  CHECK(zero.at({"spec", "template", "spec"}));
  CHECK(zero.at({"spec", "strategy"}));
  const Value* containers = zero.at({"spec", "template", "spec", "containers"});
  REQUIRE(containers);
  CHECK(containers->is_null());
  Value object = json(k_deployment);
  FieldSet changed, removed;
  compare_fields(&zero, &object, type, changed, removed);
  Value v1 = changed.to_fields_v1();
  CHECK_FALSE(v1.at({"f:spec", "f:strategy", "."}));                            // non-pointer struct
  CHECK(v1.at({"f:spec", "f:strategy", "f:rollingUpdate", "."}));               // a pointer: added whole
  CHECK_FALSE(v1.at({"f:spec", "f:template", "f:spec", "f:containers", "."}));  // null in the zero value
  CHECK(v1.at({"f:spec", "f:template", "f:metadata", "f:labels", "."}));
}

TEST_CASE("compare_fields: modified, added and removed leaves; set lists by value") {
  FieldType type = kind_field_type("v1", "ConfigMap");
  Value before = json(R"({"metadata":{"finalizers":["a","b"]},"data":{"x":"1","y":"2"}})");
  Value after = json(R"({"metadata":{"finalizers":["a","c"]},"data":{"x":"9","z":"3"}})");
  FieldSet changed, removed;
  compare_fields(&before, &after, type, changed, removed);
  CHECK(changed.paths() == std::vector<std::string>{".data.x", ".data.z", ".metadata.finalizers[=\"c\"]"});
  CHECK(removed.paths() == std::vector<std::string>{".data.y", ".metadata.finalizers[=\"b\"]"});
}

TEST_CASE("FieldSet: FieldsV1 round trip, set operations, printed paths") {
  Value v1 = json(
      R"({"f:data":{".":{},"f:a":{},"f:b":{}},"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:name":{}}}}})");
  FieldSet set = FieldSet::from_fields_v1(v1);
  CHECK(set.to_fields_v1() == v1);
  CHECK(set.paths() == std::vector<std::string>{".data", ".data.a", ".data.b",
                                                ".spec.ports[port=80,protocol=\"TCP\"]",
                                                ".spec.ports[port=80,protocol=\"TCP\"].name"});
  FieldSet other = FieldSet::from_fields_v1(json(R"({"f:data":{"f:a":{}}})"));
  CHECK(set.intersect(other).paths() == std::vector<std::string>{".data.a"});
  set.subtract(other);
  CHECK(set.to_fields_v1().at({"f:data"})->contains("."));  // only the member removed, not the node
  CHECK_FALSE(set.to_fields_v1().at({"f:data"})->contains("f:a"));
  other.unite(FieldSet::from_fields_v1(json(R"({"f:data":{"f:c":{}}})")));
  CHECK(other.paths() == std::vector<std::string>{".data.a", ".data.c"});
}

TEST_CASE("remove_fields: fields and list items by key") {
  FieldType type = kind_field_type("apps/v1", "Deployment");
  Value object = json(k_deployment);
  FieldSet gone = FieldSet::from_fields_v1(json(
      R"({"f:spec":{"f:strategy":{"f:rollingUpdate":{}},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{}}}}}}}})"));
  remove_fields(object, gone, type);
  CHECK_FALSE(object.at({"spec", "strategy", "rollingUpdate"}));
  CHECK(object.at({"spec", "strategy", "type"}));
  const Value* containers = object.at({"spec", "template", "spec", "containers"});
  REQUIRE(containers);
  REQUIRE(containers->size() == 1);
  CHECK(containers->as_array()[0].string_at({"image"}) == "nginx");
  CHECK(containers->as_array()[0].at({"ports"})->size() == 0);
}
