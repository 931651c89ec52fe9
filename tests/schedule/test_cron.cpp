// The cron parser against hand-checked next times (UTC, so no daylight-saving jumps).
#include <doctest/doctest.h>

#include "formats/time.hpp"
#include "schedule/cron.hpp"

using ktape::schedule::next_tick;
using ktape::schedule::parse_schedule;

namespace {

ktape::schedule::TimePoint at(const char* rfc3339) {
  auto t = ktape::formats::parse_rfc3339(rfc3339);
  REQUIRE(t);
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(*t);
}

std::string next_of(const char* spec, const char* after) {
  auto s = parse_schedule(spec);
  REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
  auto n = next_tick(*s, at(after));
  REQUIRE(n);
  return ktape::formats::format_rfc3339(*n);
}

}  // namespace

TEST_CASE("next_tick: specs against hand-checked next times") {
  struct Row {
    const char* spec;
    const char* after;
    const char* next;
  };
  // 2026-12-07 is a Monday; 2028 is a leap year.
  const Row rows[] = {
      {"* * * * *", "2026-12-07T15:04:05Z", "2026-12-07T15:05:00Z"},
      {"* * * * *", "2026-12-07T15:04:00Z", "2026-12-07T15:05:00Z"},  // strictly after
      {"0 */6 * * *", "2026-12-07T15:04:05Z", "2026-12-07T18:00:00Z"},
      {"0 */6 * * *", "2026-12-07T23:30:00Z", "2026-12-08T00:00:00Z"},
      {"30 2 * * *", "2026-12-31T02:30:00Z", "2027-01-01T02:30:00Z"},
      {"@hourly", "2026-12-07T15:59:59Z", "2026-12-07T16:00:00Z"},
      {"@daily", "2026-12-07T15:04:05Z", "2026-12-08T00:00:00Z"},
      {"@weekly", "2026-12-07T15:04:05Z", "2026-12-13T00:00:00Z"},  // the next Sunday
      {"@monthly", "2026-12-07T15:04:05Z", "2027-01-01T00:00:00Z"},
      {"@yearly", "2026-12-07T15:04:05Z", "2027-01-01T00:00:00Z"},
      {"15,45 9-17 * * mon-fri", "2026-12-11T17:45:00Z", "2026-12-14T09:15:00Z"},  // Fri -> Mon
      {"0 12 * * SAT", "2026-12-07T00:00:00Z", "2026-12-12T12:00:00Z"},
      {"0 0 * * 7", "2026-12-07T00:00:00Z", "2026-12-13T00:00:00Z"},  // 7 is Sunday
      {"0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
      {"0 0 31 * *", "2026-12-31T00:00:00Z", "2027-01-31T00:00:00Z"},
      {"0 0 31 * *", "2027-01-31T00:00:00Z", "2027-03-31T00:00:00Z"},  // February has none
      {"5/20 * * * *", "2026-12-07T15:46:00Z", "2026-12-07T16:05:00Z"},
      {"10-30/10 * * * *", "2026-12-07T15:21:00Z", "2026-12-07T15:30:00Z"},
      {"0 0 1 jan,jul *", "2026-12-07T00:00:00Z", "2027-01-01T00:00:00Z"},
      {"0 0 1 Feb-Mar *", "2026-12-07T00:00:00Z", "2027-02-01T00:00:00Z"},
      // Both day fields restricted: either matches (the 13th, or a Friday).
      {"0 0 13 * fri", "2026-12-07T00:00:00Z", "2026-12-11T00:00:00Z"},
      {"0 0 13 * fri", "2026-12-11T00:00:00Z", "2026-12-13T00:00:00Z"},
      // One restricted, the other "*/1": both must match (cron's star rule).
      {"0 0 13 * */1", "2026-12-07T00:00:00Z", "2026-12-13T00:00:00Z"},
      {"59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"},
      {"@every 30m", "2026-12-07T15:04:05Z", "2026-12-07T15:34:05Z"},
      {"@every 1h30m", "2026-12-07T15:04:05Z", "2026-12-07T16:34:05Z"},
      {"@every 1s", "2026-12-07T15:04:05Z", "2026-12-07T15:04:06Z"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.spec);
    CAPTURE(row.after);
    CHECK(next_of(row.spec, row.after) == row.next);
  }
}

TEST_CASE("next_tick: consecutive ticks of a step schedule stay on its grid") {
  auto s = parse_schedule("*/15 * * * *");
  REQUIRE(s);
  auto t = at("2026-12-07T23:50:00Z");
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    t = *next_tick(*s, t);
    seen.push_back(ktape::formats::format_rfc3339(t));
  }
  CHECK(seen ==
        std::vector<std::string>{"2026-12-08T00:00:00Z", "2026-12-08T00:15:00Z", "2026-12-08T00:30:00Z"});
}

TEST_CASE("parse_schedule: bad specs are errors naming the spec and the field") {
  struct Row {
    const char* spec;
    const char* words;
  };
  const Row rows[] = {
      {"61 * * * *", "minute: 61 is out of range 0-59"},
      {"* 24 * * *", "hour: 24 is out of range 0-23"},
      {"* * 0 * *", "day of month: 0 is out of range 1-31"},
      {"* * * 13 *", "month: 13 is out of range 1-12"},
      {"* * * * 8", "day of week: 8 is out of range 0-7"},
      {"* * * foo *", "month: \"foo\" is not a number or name"},
      {"*/0 * * * *", "minute: step \"0\" is not a positive number"},
      {"30-10 * * * *", "minute: range \"30-10\" runs backwards"},
      {"1,,2 * * * *", "minute: an empty list item"},
      {"* * * *", "expected 5 fields"},
      {"* * * * * *", "got 6 fields"},
      {"@fortnightly", "unknown macro"},
      {"@every", "@every needs one duration"},
      {"@every 0s", "@every needs one duration of at least 1s"},
      {"@every 10x", "@every needs one duration"},
      {"0 0 30 2 *", "never fires"},
      {"", "empty"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.spec);
    auto s = parse_schedule(row.spec);
    REQUIRE_FALSE(s);
    CHECK(s.error().kind == ktape::ErrorKind::parse);
    CHECK(s.error().message.find(row.words) != std::string::npos);
    CHECK(s.error().message.find(std::string("\"") + row.spec + "\"") != std::string::npos);
  }
}
