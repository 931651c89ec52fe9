// adoption_patch (restore/adopt.hpp): ktape's Update entry moved into its Apply entry, other
// managers' entries and ktape's subresource entries left as they are.
#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "restore/adopt.hpp"

using namespace ktape;
using namespace ktape::restore;
using formats::Value;

namespace {

Value parsed(const std::string& json) {
  auto v = formats::parse_json(json);
  REQUIRE(v);
  return *v;
}

const std::string k_update =
    R"({"manager":"ktape","operation":"Update","apiVersion":"v1","time":"T1","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:x":{}},"f:metadata":{"f:labels":{"f:tier":{}}}}})";
const std::string k_other =
    R"({"manager":"kubectl-label","operation":"Update","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{"f:team":{}}}}})";
const std::string k_status =
    R"({"manager":"ktape","operation":"Update","apiVersion":"v1","subresource":"status","fieldsType":"FieldsV1","fieldsV1":{"f:status":{}}})";

}  // namespace

TEST_CASE("adoption_patch moves ktape's Update entry into its Apply entry") {
  SUBCASE("no Update entry of the manager: nothing to adopt") {
    auto fields = parsed("[" + k_other + "," + k_status + "]");
    CHECK_FALSE(has_update_entry(fields, "ktape"));
    CHECK_FALSE(adoption_patch(fields, "ktape", "7"));
  }
  SUBCASE("no Apply entry yet: the Update entry becomes it") {
    auto fields = parsed("[" + k_update + "," + k_other + "," + k_status + "]");
    REQUIRE(has_update_entry(fields, "ktape"));
    auto patch = adoption_patch(fields, "ktape", "7");
    REQUIRE(patch);
    auto expected = parsed(
        R"([{"op":"test","path":"/metadata/resourceVersion","value":"7"},
      {"op":"replace","path":"/metadata/managedFields","value":[)" +
        k_other + "," + k_status +
        R"(,{"manager":"ktape","operation":"Apply","apiVersion":"v1","time":"T1","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:x":{}},"f:metadata":{"f:labels":{"f:tier":{}}}}}]}])");
    CHECK(formats::to_json(*patch) == formats::to_json(expected));
  }
  SUBCASE("an Apply entry already: the fields are united into it") {
    auto fields = parsed(
        R"([{"manager":"ktape","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:y":{}},"f:metadata":{"f:labels":{"f:app":{}}}}},)" +
        k_update + "]");
    auto patch = adoption_patch(fields, "ktape", "8");
    REQUIRE(patch);
    const Value* entries = patch->as_array()[1].find("value");
    REQUIRE(entries != nullptr);
    REQUIRE(entries->size() == 1);
    auto united =
        parsed(R"({"f:data":{"f:y":{},"f:x":{}},"f:metadata":{"f:labels":{"f:app":{},"f:tier":{}}}})");
    CHECK(*entries->as_array()[0].find("fieldsV1") == united);
    CHECK(entries->as_array()[0].string_at({"operation"}) == "Apply");
  }
}
