#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "recorder/recorder.hpp"
#include "store/digest.hpp"

using namespace ktape;

TEST_CASE("redact_secret keeps the structure, hides the values, and stays valid base64") {
  auto secret = formats::parse_json(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},
    "data":{"password":"aHVudGVyMg==","user":"YWRtaW4=","same":"aHVudGVyMg=="},"stringData":{"token":"t0ps3cret"}})");
  REQUIRE(secret);
  recorder::redact_secret(*secret);
  auto text = formats::to_json(*secret);
  CHECK(text.find("aHVudGVyMg==") == std::string::npos);
  CHECK(text.find("t0ps3cret") == std::string::npos);
  const auto& data = *secret->find("data");
  CHECK(data.size() == 3);
  CHECK(data.string_at({"password"}) == data.string_at({"same"}));  // equal values stay equal
  CHECK(data.string_at({"password"}) != data.string_at({"user"}));
  // base64 of a 64-character hex digest: 88 characters from the base64 alphabet.
  auto pw = std::string(data.string_at({"password"}));
  CHECK(pw.size() == 88);
  CHECK(pw.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
        std::string::npos);
  CHECK(secret->string_at({"stringData", "token"}) == store::sha256_hex("t0ps3cret"));
  CHECK(secret->string_at({"metadata", "name"}) == "db");
}
