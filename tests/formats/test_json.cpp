#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "tests/formats/test_patch_generators.hpp"

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

TEST_CASE("to_json escapes every control character wherever it sits in a long string") {
  // Strings are scanned 8 bytes at a time: put each special byte at every offset of a word.
  for (int c = 0; c < 0x80; ++c) {
    for (std::size_t at = 0; at < 17; ++at) {
      std::string s(20, 'x');
      s[at] = static_cast<char>(c);
      auto text = to_json(Value(s));
      std::string escaped;
      switch (c) {
        case '"':
          escaped = "\\\"";
          break;
        case '\\':
          escaped = "\\\\";
          break;
        case '\b':
          escaped = "\\b";
          break;
        case '\t':
          escaped = "\\t";
          break;
        case '\n':
          escaped = "\\n";
          break;
        case '\f':
          escaped = "\\f";
          break;
        case '\r':
          escaped = "\\r";
          break;
        default:
          if (c < 0x20) {
            const char* hex = "0123456789ABCDEF";
            escaped = std::string("\\u00") + hex[c >> 4] + hex[c & 15];
          } else {
            escaped = std::string(1, static_cast<char>(c));
          }
      }
      REQUIRE(text == "\"" + std::string(at, 'x') + escaped + std::string(19 - at, 'x') + "\"");
      auto back = parse_json(text);
      REQUIRE(back);
      CHECK(back->as_string() == s);
    }
  }
}

TEST_CASE("parse_json refuses malformed UTF-8 in strings and reads escapes and unicode") {
  // Overlong, surrogate, beyond U+10FFFF, truncated, a stray continuation byte.
  for (const char* bad : {"\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"ab\xe2\x82\"",
                          "\"\x80\"", "{\"k\xff\":1}"}) {
    auto v = parse_json(bad);
    REQUIRE_FALSE(v);
    CHECK(v.error().message.find("Invalid encoding in string") != std::string::npos);
  }
  auto v = parse_json(R"({"a\"b":"x\u00e9\ud83d\ude00\n\/y","n":[1,-2.5e3,{}],"t":true,"f":false,"z":null})");
  REQUIRE(v);
  CHECK(v->find("a\"b")->as_string() == "x\xc3\xa9\xf0\x9f\x98\x80\n/y");
  CHECK(to_json(*v) ==
        "{\"a\\\"b\":\"x\xc3\xa9\xf0\x9f\x98\x80\\n/"
        "y\",\"n\":[1,-2.5e3,{}],\"t\":true,\"f\":false,\"z\":null}");
  CHECK(parse_json("\"\xe2\x9c\x93 \xf0\x9f\x98\x80\"")->as_string() == "\xe2\x9c\x93 \xf0\x9f\x98\x80");
  // Errors read as they always did: the byte where RapidJSON gave up, and why.
  auto e = parse_json(R"({"a":"\u00e9", "b": tru})");
  REQUIRE_FALSE(e);
  CHECK(e.error().message == "invalid JSON at byte 23: Invalid value.");
}

TEST_CASE("is_json_of is to_json(value) == text") {
  auto v =
      parse_json(R"({"a":[1,"x\ty",{"b":null,"c":true}],"d":"\u0001\"","e":{},"f":[],"g":-1.5e3,"h":false})");
  REQUIRE(v);
  std::string text = to_json(*v);
  CHECK(is_json_of(*v, text));
  // Any other text: each byte changed, any prefix, anything more.
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string changed = text;
    changed[i] = changed[i] == 'x' ? 'y' : 'x';
    CHECK_FALSE(is_json_of(*v, changed));
    CHECK_FALSE(is_json_of(*v, text.substr(0, i)));
  }
  CHECK_FALSE(is_json_of(*v, text + " "));
  // Equal values written differently are different texts.
  CHECK_FALSE(is_json_of(
      *v, R"({"h":false,"a":[1,"x\ty",{"b":null,"c":true}],"d":"\u0001\"","e":{},"f":[],"g":-1.5e3})"));
  CHECK(is_json_of(Value("é\n"), "\"é\\n\""));
  CHECK(is_json_of(Value(), "null"));
}

TEST_CASE("split_json_object finds every member's text, compact or indented, and refuses malformed objects") {
  testing::ObjectGenerator gen(7);
  std::vector<JsonMember> members;
  for (int i = 0; i < 200; ++i) {
    Value object = i % 3 == 0 ? gen.pod() : i % 3 == 1 ? gen.deployment() : gen.widget();
    object.set("we\"ird\\key\n", Value::array());
    object["metadata"].set("annotations", Value::object());
    object["metadata"]["annotations"].set("quote", "a \"quoted\\\" } ] { [ value\\");
    for (const std::string& text : {to_json(object), to_json_pretty(object)}) {
      REQUIRE(split_json_object(text, members));
      const auto& expected = object.as_object();
      REQUIRE(members.size() == expected.size());
      for (std::size_t k = 0; k < members.size(); ++k) {
        CHECK(members[k].key == expected[k].key);
        auto value = parse_json(members[k].value);
        REQUIRE(value);
        CHECK(*value == expected[k].value);
      }
    }
    // Every proper prefix of an object is not one.
    std::string text = to_json(object["metadata"]);
    for (std::size_t cut = 0; cut < text.size(); ++cut)
      CHECK_FALSE(split_json_object(std::string_view(text).substr(0, cut), members));
  }
  REQUIRE(split_json_object(" { } ", members));
  CHECK(members.empty());
  for (const char* bad : {"", "[]", "\"s\"", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":[1}}", "{\"a\":{\"b\":1]}",
                          "{\"a\":1}x", "{\"a\":1 \"b\":2}", "{a:1}", "{\"a\":}", "{\"a\":[1,]}",
                          "{\"a\":{\"b\"}}", "{\"a\":\"\\\"}", "{\"a\":[[[[1]]]}"})
    CHECK_MESSAGE(!split_json_object(bad, members), bad);
  std::string deep(2000, '[');
  deep = "{\"a\":" + deep + std::string(2000, ']') + "}";
  CHECK_FALSE(split_json_object(deep, members));
}

TEST_CASE("json_string_value unescapes a string literal") {
  CHECK(json_string_value("\"plain\"") == "plain");
  CHECK(json_string_value(R"("a\"b\\c\u00e9\n")") == "a\"b\\c\xc3\xa9\n");
  CHECK_FALSE(json_string_value("plain"));
  CHECK_FALSE(json_string_value("\"a\\\""));
  CHECK_FALSE(json_string_value("1"));
}
