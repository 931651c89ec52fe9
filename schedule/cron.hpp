#pragma once
// Schedules for unattended exports: standard 5-field cron ("minute hour day-of-month month
// day-of-week", as Vixie cron and Kubernetes CronJobs read them) and the macros @yearly,
// @monthly, @weekly, @daily, @hourly and @every DURATION. Every time is UTC: a schedule never
// meets a daylight-saving jump, and "0 2 * * *" is 02:00 UTC wherever ktape runs.
#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "formats/error.hpp"

namespace ktape::schedule {

using TimePoint = std::chrono::system_clock::time_point;

// A parsed schedule. Build it with parse_schedule.
struct Schedule {
  std::string spec;                // as given, for messages
  std::chrono::seconds every{0};   // @every: the interval (> 0); 0 for a cron schedule
  std::bitset<60> minutes;         // 0-59
  std::bitset<24> hours;           // 0-23
  std::bitset<32> days_of_month;   // 1-31 (bit 0 unused)
  std::bitset<13> months;          // 1-12 (bit 0 unused)
  std::bitset<7> days_of_week;     // 0-6, Sunday = 0 (7 is read as Sunday too)
  bool day_of_month_star = false;  // the field was "*" (or "*/N")
  bool day_of_week_star = false;   // the field was "*" (or "*/N")
};

// Parses `spec`. Each field takes "*", a number, a range "a-b", a step "*/n", "a-b/n" or "a/n"
// (from a to the field's maximum), and comma-separated lists of those; months take jan-dec and
// days of week sun-sat (any case, also in ranges). As in cron, when both day fields are
// restricted a day matching either one matches. @every takes a Go-style duration of whole seconds
// ("30m", "1h30m", "90s"), at least 1s. A spec that can never fire ("0 0 30 2 *") is an error.
// Errors name the spec, the field and the value ("schedule \"61 * * * *\": minute: 61 is out of
// range 0-59").
Result<Schedule> parse_schedule(std::string_view spec);

// The first tick strictly after `after`, in UTC, to the second (cron: on a whole minute).
// @every: `after` + the interval, so a runner that passes its previous tick keeps a fixed grid.
// nullopt only when no tick exists within 8 years (which parse_schedule already rejects).
std::optional<TimePoint> next_tick(const Schedule& schedule, TimePoint after);

}  // namespace ktape::schedule
