#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "formats/time.hpp"
#include "store/retention.hpp"

using namespace ktape;
using namespace ktape::store;
using namespace std::chrono_literals;

namespace {

std::int64_t at(const std::string& rfc3339) {
  return formats::parse_rfc3339(rfc3339)->time_since_epoch().count();
}

RetentionCandidate rec(const std::string& name, const std::string& start, std::uint64_t bytes = 100) {
  return RetentionCandidate{name, at(start), bytes};
}

std::vector<std::string> kept(const std::vector<RetentionCandidate>& c, const RetentionPolicy& p,
                              const std::string& now = "2026-12-07T12:00:00Z") {
  auto plan = plan_retention(c, p, at(now));
  REQUIRE(plan.size() == c.size());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < c.size(); ++i) {
    CHECK_FALSE(plan[i].reasons.empty());  // every decision says why
    if (plan[i].keep) out.push_back(c[i].name);
  }
  return out;
}

// Two recordings a day, 2026-11-01 .. 2026-12-06, at 06:00 and 18:00, in shuffled order.
std::vector<RetentionCandidate> twice_daily() {
  std::vector<RetentionCandidate> c;
  for (int d = 0; d < 36; ++d) {
    auto day = std::chrono::sys_days{std::chrono::year{2026} / 11 / 1} + std::chrono::days{d};
    for (int h : {18, 6}) {
      auto t = day + std::chrono::hours{h};
      formats::TimePoint tp{t};
      c.push_back(RetentionCandidate{formats::format_rfc3339(tp), tp.time_since_epoch().count(), 100});
    }
  }
  std::swap(c[3], c[40]);
  return c;
}

}  // namespace

TEST_CASE("plan_retention: no policy keeps nothing; RetentionPolicy::any") {
  RetentionPolicy none;
  CHECK_FALSE(none.any());
  none.keep_weekly = 0;
  CHECK(none.any());
}

TEST_CASE("plan_retention: keep-last keeps the N newest, whatever the input order") {
  std::vector<RetentionCandidate> c{rec("b", "2026-12-02T00:00:00Z"), rec("d", "2026-12-04T00:00:00Z"),
                                    rec("a", "2026-12-01T00:00:00Z"), rec("c", "2026-12-03T00:00:00Z")};
  RetentionPolicy p;
  p.keep_last = 2;
  CHECK(kept(c, p) == std::vector<std::string>{"d", "c"});
  auto plan = plan_retention(c, p, 0);
  CHECK(plan[2].reasons == std::vector<std::string>{"not among the 2 newest"});
  CHECK(plan[1].reasons == std::vector<std::string>{"keep-last 2 (#1)"});
  p.keep_last = 0;
  CHECK(kept(c, p).empty());
}

TEST_CASE("plan_retention: older-than and max-size, and their union with keep-last") {
  std::vector<RetentionCandidate> c{
      rec("a", "2026-11-01T00:00:00Z", 500), rec("b", "2026-12-01T00:00:00Z", 300),
      rec("c", "2026-12-06T00:00:00Z", 300), rec("d", "2026-12-07T00:00:00Z", 300)};
  RetentionPolicy age;
  age.older_than = 24h * 5;
  CHECK(kept(c, age) == std::vector<std::string>{"c", "d"});
  CHECK(plan_retention(c, age, at("2026-12-07T12:00:00Z"))[0].reasons.front() == "older than 5d");

  RetentionPolicy size;
  size.max_size = 700;  // d and c fit (600); b would make 900: b and everything older go
  CHECK(kept(c, size) == std::vector<std::string>{"c", "d"});
  size.max_size = 299;
  CHECK(kept(c, size).empty());

  RetentionPolicy both = age;
  both.keep_last = 3;  // the union: the 3 newest, and whatever is newer than 5 days
  CHECK(kept(c, both) == std::vector<std::string>{"b", "c", "d"});
  auto plan = plan_retention(c, both, at("2026-12-07T12:00:00Z"));
  CHECK(plan[0].reasons == std::vector<std::string>{"not among the 3 newest", "older than 5d"});
  CHECK(plan[3].reasons.size() == 2);  // kept by both
}

TEST_CASE("plan_retention: daily, weekly and monthly buckets keep the newest of each, restic-style") {
  auto c = twice_daily();
  RetentionPolicy daily;
  daily.keep_daily = 3;
  CHECK(kept(c, daily) ==
        std::vector<std::string>{"2026-12-04T18:00:00Z", "2026-12-05T18:00:00Z", "2026-12-06T18:00:00Z"});

  RetentionPolicy weekly;
  weekly.keep_weekly = 2;  // ISO weeks: Sun 2026-12-06 ends one, Sun 2026-11-29 the one before
  CHECK(kept(c, weekly) == std::vector<std::string>{"2026-11-29T18:00:00Z", "2026-12-06T18:00:00Z"});

  RetentionPolicy monthly;
  monthly.keep_monthly = 5;  // only two months have recordings
  CHECK(kept(c, monthly) == std::vector<std::string>{"2026-11-30T18:00:00Z", "2026-12-06T18:00:00Z"});

  RetentionPolicy union_of = daily;
  union_of.keep_monthly = 2;
  CHECK(kept(c, union_of).size() == 4);
}
