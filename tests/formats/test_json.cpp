#include <doctest/doctest.h>

#include "formats/json.hpp"

using namespace ktape;
using namespace ktape::formats;

TEST_CASE("parse_json keeps numbers exactly") {
  const char* text =
      R"({"big":123456789012345678901234567890,"i":-9223372036854775808,"f":0.1,"e":1.5e300,"z":-0.0})";
  auto v = parse_json(text);
  REQUIRE(v);
  CHECK(v->find("big")->number_text() == "123456789012345678901234567890");
  CHECK(v->find("i")->as_int64() == INT64_MIN);
  CHECK(to_json(*v) == text);
  // Beyond a double's range is refused, as Go's decoder (and so the apiserver) refuses it.
  auto huge = parse_json("[1e400]");
  REQUIRE_FALSE(huge);
  CHECK(huge.error().message.find("too big") != std::string::npos);
}

TEST_CASE("parse_json reports the offset of malformed input") {
  auto v = parse_json(R"({"a": [1, 2,})");
  REQUIRE_FALSE(v);
  CHECK(v.error().kind == ErrorKind::parse);
  CHECK(v.error().message.find("byte 12") != std::string::npos);
  CHECK_FALSE(parse_json("{} x"));
  CHECK_FALSE(parse_json("\"\xff\""));  // invalid UTF-8
}

TEST_CASE("to_json escapes control characters and keeps unicode") {
  Value v = Value::object();
  v.set("s", "tab\there \"q\" \\ \x01 é ✓");
  auto text = to_json(v);
  CHECK(text == "{\"s\":\"tab\\there \\\"q\\\" \\\\ \\u0001 é ✓\"}");
  auto back = parse_json(text);
  REQUIRE(back);
  CHECK(*back == v);
}

TEST_CASE("Value equality ignores member order and compares numbers by value") {
  auto a = parse_json(R"({"x":1,"y":[1,2,{"z":null}]})");
  auto b = parse_json(R"({"y":[1,2,{"z":null}],"x":1.0})");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  auto c = parse_json(R"({"y":[2,1,{"z":null}],"x":1})");
  CHECK(*a != *c);
  CHECK(Value("1") != Value(1));
}

TEST_CASE("Value object helpers") {
  Value v;
  v["metadata"]["name"] = "web";
  v["metadata"].set("namespace", "demo");
  CHECK(v.string_at({"metadata", "name"}) == "web");
  CHECK(v.string_at({"metadata", "uid"}, "none") == "none");
  CHECK(v.at({"metadata", "namespace"})->as_string() == "demo");
  CHECK(v["metadata"].erase("name"));
  CHECK_FALSE(v["metadata"].erase("name"));
  CHECK(v.at({"metadata", "name"}) == nullptr);
  Value n(std::int64_t{42});
  CHECK(n.as_int64() == 42);
  CHECK(Value(2.5).number_text() == "2.5");
}
