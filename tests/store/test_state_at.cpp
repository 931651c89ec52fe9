// --at's moments placed on a recording's timeline: RFC 3339 times and UTC times of day against the
// header's startTime.
#include <doctest/doctest.h>

#include "store/state_at.hpp"

using namespace ktape;

namespace {

constexpr std::int64_t k_second = 1'000'000'000;

std::optional<formats::Header> started_at(std::string start) {
  formats::Header h;
  h.start_time = std::move(start);
  return h;
}

}  // namespace

TEST_CASE("recorded_offset: RFC 3339 times and UTC times of day, counted from the header's startTime") {
  auto header = started_at("2026-12-07T14:00:00.500000000Z");
  auto rfc = store::recorded_offset(header, "2026-12-07T14:32:07Z");
  REQUIRE_MESSAGE(rfc, rfc.error().message);
  CHECK(*rfc == (32 * 60 + 7) * k_second - k_second / 2);
  auto offset = store::recorded_offset(header, "2026-12-07T15:32:07+01:00");  // the same moment
  REQUIRE(offset);
  CHECK(*offset == *rfc);

  auto tod = store::recorded_offset(header, "14:32:07");
  REQUIRE(tod);
  CHECK(*tod == *rfc);
  auto minutes = store::recorded_offset(header, "14:32");
  REQUIRE(minutes);
  CHECK(*minutes == 32 * 60 * k_second - k_second / 2);
  // Earlier in the day than the start: the recording's next day.
  auto next_day = store::recorded_offset(header, "01:00:00");
  REQUIRE(next_day);
  CHECK(*next_day == 11 * 3600 * k_second - k_second / 2);
}

TEST_CASE("recorded_offset: a moment before the start, an unknown form and a missing header are errors") {
  auto header = started_at("2026-12-07T14:00:00Z");
  auto before = store::recorded_offset(header, "2026-12-07T13:59:59Z");
  REQUIRE_FALSE(before);
  CHECK(before.error().message.find("before the recording started") != std::string::npos);
  for (const char* bad : {"yesterday", "25:00", "14:60", "14:32:7", ""}) {
    auto r = store::recorded_offset(header, bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("time of day") != std::string::npos);
  }
  auto kwok = store::recorded_offset(std::nullopt, "14:32:07");
  REQUIRE_FALSE(kwok);
  CHECK(kwok.error().message.find("no ktape header") != std::string::npos);
}
