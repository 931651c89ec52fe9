#include <doctest/doctest.h>

#include "replayer/schedule.hpp"
#include "replayer/summary.hpp"

using namespace std::chrono_literals;
using ktape::replayer::Schedule;

namespace {
const Schedule::TimePoint k_start{std::chrono::seconds(1000)};
}

TEST_CASE("Schedule scales recorded time by the speed") {
  Schedule at1(k_start, 0ns, 1);
  CHECK(at1.due(2s) == k_start + 2s);
  Schedule at10(k_start, 0ns, 10);
  CHECK(at10.due(2s) == k_start + 200ms);
  CHECK(at10.position(k_start + 100ms) == 1s);
}

TEST_CASE("Schedule: speed 0 and events before --from are due at once") {
  Schedule asap(k_start, 0ns, 0);
  CHECK(asap.due(1h) == Schedule::TimePoint::min());
  Schedule seek(k_start, 10s, 1);
  CHECK(seek.due(5s) == Schedule::TimePoint::min());
  CHECK(seek.due(12s) == k_start + 2s);
}

TEST_CASE("Schedule: a pause shifts what comes after by the paused time") {
  Schedule s(k_start, 0ns, 1);
  s.pause(k_start + 1s);
  CHECK(s.due(2s) == Schedule::TimePoint::max());
  CHECK(s.position(k_start + 5s) == 1s);
  s.resume(k_start + 4s);
  CHECK(s.due(2s) == k_start + 5s);
}

TEST_CASE("Schedule: a speed change continues from the current position") {
  Schedule s(k_start, 0ns, 1);
  s.set_speed(10, k_start + 1s, 0ns);
  CHECK(s.position(k_start + 1s) == 1s);
  CHECK(s.due(11s) == k_start + 2s);
  // from as-fast-as-possible, the schedule continues from the last event dispatched
  Schedule fast(k_start, 0ns, 0);
  fast.set_speed(1, k_start + 1s, 30s);
  CHECK(fast.due(31s) == k_start + 2s);
}

TEST_CASE("percentile is nearest-rank and Summary reports p50, p99 and max") {
  std::vector<std::chrono::nanoseconds> samples;
  for (int i = 100; i >= 1; --i) samples.emplace_back(i * 1000);
  CHECK(ktape::replayer::percentile(samples, 0.5) == 50us);
  CHECK(ktape::replayer::percentile(samples, 0.99) == 99us);
  std::vector<std::chrono::nanoseconds> none;
  CHECK(ktape::replayer::percentile(none, 0.99) == 0ns);

  ktape::replayer::Summary summary(1);
  for (int i = 1; i <= 100; ++i) summary.late(std::chrono::milliseconds(i));
  summary.late(-5ms);  // early counts as on time
  summary.count("pods", ktape::replayer::Outcome::created);
  summary.count("pods", ktape::replayer::Outcome::failed);
  summary.error("first");
  summary.error("second");
  auto report = summary.report();
  CHECK(report.lateness.samples == 101);
  CHECK(report.lateness.p50 == 50ms);
  CHECK(report.lateness.p99 == 99ms);
  CHECK(report.lateness.max == 100ms);
  CHECK(report.by_resource["pods"].total() == 2);
  CHECK(report.errors.size() == 1);
  CHECK(report.errors_not_listed == 1);
  auto text = ktape::replayer::format_summary(report);
  CHECK(text.find("pods: 1 created, 0 patched, 0 deleted, 0 skipped, 1 failed") != std::string::npos);
  CHECK(text.find("... and 1 more") != std::string::npos);
}
