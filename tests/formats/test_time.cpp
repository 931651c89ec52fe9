#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "formats/time.hpp"

using namespace ktape;
using namespace ktape::formats;
using namespace std::chrono;

TEST_CASE("parse_rfc3339 reads fractions and offsets") {
  auto base = parse_rfc3339("2026-11-21T19:28:42Z");
  REQUIRE(base);
  CHECK(format_rfc3339(*base) == "2026-11-21T19:28:42Z");
  auto frac = parse_rfc3339("2026-11-21T19:28:42.1Z");
  REQUIRE(frac);
  CHECK((*frac - *base) == milliseconds{100});
  auto offset = parse_rfc3339("2026-11-21T21:28:42.000000+02:00");
  REQUIRE(offset);
  CHECK(*offset == *base);
  CHECK(format_rfc3339(*frac, TimePrecision::micro) == "2026-11-21T19:28:42.100000Z");
  CHECK(format_rfc3339(*frac, TimePrecision::nano) == "2026-11-21T19:28:42.100000000Z");
  CHECK_FALSE(parse_rfc3339("2026-13-21T19:28:42Z"));
  CHECK_FALSE(parse_rfc3339("2026-11-21 19:28:42Z"));
  CHECK_FALSE(parse_rfc3339("2026-11-21T19:28:42"));
  CHECK_FALSE(parse_rfc3339("yesterday"));
}

TEST_CASE("parse_time_marker accepts kwok's marker and reports damaged ones") {
  auto ok = parse_time_marker("$(time-offset-nanosecond -1500)");
  REQUIRE(ok);
  CHECK(*ok == std::optional<std::int64_t>{-1500});
  auto none = parse_time_marker("just text");
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  auto bad = parse_time_marker("$(time-offset-nanosecond 12x)");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("malformed time marker") != std::string::npos);
}

TEST_CASE("relativize_times rewrites time fields only, absolutize_times reverses it") {
  auto base = *parse_rfc3339("2026-11-21T19:00:00Z");
  auto obj = parse_json(R"({"metadata":{"creationTimestamp":"2026-11-21T19:00:01Z",
    "annotations":{"when":"2026-11-21T19:00:01Z"},
    "managedFields":[{"time":"2026-11-21T19:00:02Z"}]},
    "data":{"creationTimestamp":"2026-11-21T19:00:01Z"},
    "status":{"conditions":[{"type":"Ready","lastTransitionTime":"2026-11-21T18:59:59Z"}],
              "message":"2026-11-21T19:00:01Z"}})");
  REQUIRE(obj);
  Value v = *obj;
  CHECK(relativize_times(v, base) == 3);
  CHECK(v.string_at({"metadata", "creationTimestamp"}) == "$(time-offset-nanosecond 1000000000)");
  CHECK(v.string_at({"metadata", "annotations", "when"}) == "2026-11-21T19:00:01Z");
  CHECK(v.string_at({"data", "creationTimestamp"}) == "2026-11-21T19:00:01Z");
  CHECK(v.string_at({"status", "message"}) == "2026-11-21T19:00:01Z");
  CHECK(v.at({"status", "conditions"})->as_array()[0].string_at({"lastTransitionTime"}) ==
        "$(time-offset-nanosecond -1000000000)");

  auto replay_base = *parse_rfc3339("2030-01-01T00:00:00Z");
  auto n = absolutize_times(v, replay_base, MarkerScope::time_fields);
  REQUIRE(n);
  CHECK(*n == 3);
  CHECK(v.string_at({"metadata", "creationTimestamp"}) == "2030-01-01T00:00:01.000000Z");
  CHECK(v.at({"status", "conditions"})->as_array()[0].string_at({"lastTransitionTime"}) ==
        "2029-12-31T23:59:59.000000Z");
}

TEST_CASE("absolutize_times in kwok files rewrites embedded markers and names a damaged field") {
  auto base = *parse_rfc3339("2030-01-01T00:00:00Z");
  Value v = *parse_json(R"j({"spec":{"note":"at $(time-offset-nanosecond 2000000) ok"}})j");
  auto n = absolutize_times(v, base, MarkerScope::everywhere);
  REQUIRE(n);
  CHECK(*n == 1);
  CHECK(v.string_at({"spec", "note"}) == "at 2030-01-01T00:00:00.002000Z ok");

  Value bad =
      *parse_json(R"j({"status":{"conditions":[{"lastTransitionTime":"$(time-offset-nanosecond x)"}]}})j");
  auto err = absolutize_times(bad, base, MarkerScope::time_fields);
  REQUIRE_FALSE(err);
  CHECK(err.error().message.find("status.conditions[0].lastTransitionTime") != std::string::npos);
}
