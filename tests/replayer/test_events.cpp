// The event phase (replayer/events.cpp) against a scripted target: order, time scaling, concurrency,
// owner waits, ownership cycles and Ctrl+C between events.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "tests/replayer/target.hpp"

using namespace ktape;
using namespace ktape::replayer;
using namespace ktape::replayer::test;
using namespace std::chrono_literals;

namespace {


std::string cm(const std::string& name, const std::string& uid, const std::string& owners = "") {
  return object_json("v1", "ConfigMap", "demo", name, uid, owners, R"("data":{"v":"0"})");
}

std::string create_cm(const std::string& name, std::int64_t at, const std::string& owners = "") {
  return event_doc("", "configmaps", "demo", name, "create", at, cm(name, "u-" + name, owners));
}

std::string patch_cm(const std::string& name, std::int64_t at, int seq) {
  return event_doc("", "configmaps", "demo", name, "patch", at,
                   R"({"data":{"seq":")" + std::to_string(seq) + R"("}})");
}

// The requests whose path is `path`, in arrival order.
std::vector<Request> on(const std::vector<Request>& requests, const std::string& path) {
  std::vector<Request> out;
  for (const auto& r : requests)
    if (r.path == path) out.push_back(r);
  return out;
}

Request the(const std::vector<Request>& requests, const std::string& method, const std::string& path) {
  auto it = std::find_if(requests.begin(), requests.end(),
                         [&](const Request& r) { return r.method == method && r.path == path; });
  REQUIRE_MESSAGE(it != requests.end(), method << " " << path);
  return *it;
}

std::string problems_text(const SummaryReport& report) {
  std::string out;
  for (const auto& p : report.problems) out += p + "\n";
  return out;
}

}  // namespace

TEST_CASE("events: one object's events stay in recorded order with 8 in flight; independent ones overlap") {
  Replay r;
  r.options.concurrency = 8;
  // Every write is held a moment, so that whatever may overlap does.
  r.target.script([](const Request& request) -> std::optional<Reply> {
    if (request.method != "GET") std::this_thread::sleep_for(30ms);
    return std::nullopt;
  });
  std::string file = namespace_doc("demo", "u-ns");
  const std::vector<std::string> names = {"a", "b", "c", "d", "e", "f", "g", "h"};
  std::int64_t at = 0;
  for (const auto& name : names) file += create_cm(name, at += k_ms);
  for (int seq = 1; seq <= 6; ++seq) file += patch_cm("a", at += k_ms, seq);
  file += event_doc("", "configmaps", "demo", "a", "delete", at += k_ms);
  SummaryReport report = r.run(file);

  auto requests = r.target.requests();
  auto a = on(requests, k_cms + "/a");
  REQUIRE(a.size() == 7);
  for (int seq = 1; seq <= 6; ++seq) {
    CHECK(a[seq - 1].method == "PATCH");
    CHECK(a[seq - 1].string_at({"data", "seq"}) == std::to_string(seq));
  }
  CHECK(a[6].method == "DELETE");
  for (std::size_t i = 1; i < a.size(); ++i) CHECK(a[i].arrived >= a[i - 1].answered);  // one at a time
  CHECK(r.target.peak_in_flight(k_cms + "/a") == 1);
  // a's create came back before its first patch was sent.
  auto creates = on(requests, k_cms);
  REQUIRE(creates.size() == names.size());
  auto create_a = std::find_if(creates.begin(), creates.end(), [](const Request& c) {
    return c.string_at({"metadata", "name"}) == "a";
  });
  REQUIRE(create_a != creates.end());
  CHECK(a[0].arrived >= create_a->answered);
  // The eight creates of independent objects were in flight together.
  CHECK(r.target.peak_in_flight(k_cms) >= 2);
  CHECK(report.by_resource["configmaps"].created == names.size());
  CHECK(report.by_resource["configmaps"].patched == 6);
  CHECK(report.by_resource["configmaps"].deleted == 1);
  CHECK(report.totals.failed == 0);
}

TEST_CASE("events: recorded time is scaled by the speed on the injected clock") {
  for (double speed : {1.0, 10.0}) {
    CAPTURE(speed);
    Replay r;
    r.options.speed = speed;
    r.target.use_clock(r.clock);
    std::string file = namespace_doc("demo", "u-ns");
    for (int i = 0; i < 3; ++i) file += create_cm("c" + std::to_string(i), i * 10 * k_second);
    SummaryReport report = r.run(file);
    auto creates = on(r.target.requests(), k_cms);
    REQUIRE(creates.size() == 3);
    for (const auto& c : creates) {
      auto at = std::chrono::nanoseconds(
          std::stoll(std::string(c.string_at({"metadata", "name"})).substr(1)) * 10 * k_second);
      auto due = std::chrono::duration_cast<std::chrono::nanoseconds>(at / speed);
      REQUIRE(c.clock_arrived);
      CHECK(c.clock_arrived->time_since_epoch() >= due);  // never early
    }
    // The replay took the scaled span of the recording, 20 s / speed, and not a nap more.
    auto span = std::chrono::duration_cast<std::chrono::nanoseconds>(20s / speed);
    CHECK(r.clock->elapsed() == span);
    CHECK(report.elapsed == span);
    CHECK(report.totals.created == 4);
  }
}

TEST_CASE("events: a child waits for its owner's create and carries its new UID; a grandchild too") {
  Replay r;
  // The owners' creates are slow: a child that did not wait would overtake them.
  r.target.script([](const Request& request) -> std::optional<Reply> {
    if (request.method == "POST" && (request.path == k_deps || request.path == k_rss))
      std::this_thread::sleep_for(100ms);
    return std::nullopt;
  });
  const std::string dep =
      object_json("apps/v1", "Deployment", "demo", "web", "u-dep", "", R"("spec":{"replicas":1})");
  const std::string rs = object_json("apps/v1", "ReplicaSet", "demo", "web-1", "u-rs",
                                     owner_json("apps/v1", "Deployment", "web", "u-dep"));
  const std::string pod = object_json("v1", "Pod", "demo", "web-1-x", "u-pod",
                                      owner_json("apps/v1", "ReplicaSet", "web-1", "u-rs"));
  std::string file = namespace_doc("demo", "u-ns");
  SUBCASE("owners recorded first") {
    file += event_doc("apps", "deployments", "demo", "web", "create", 1 * k_ms, dep);
    file += event_doc("apps", "replicasets", "demo", "web-1", "create", 2 * k_ms, rs);
    file += event_doc("", "pods", "demo", "web-1-x", "create", 3 * k_ms, pod);
  }
  SUBCASE("the grandchild recorded first, its owners after it") {
    file += event_doc("", "pods", "demo", "web-1-x", "create", 1 * k_ms, pod);
    file += event_doc("apps", "replicasets", "demo", "web-1", "create", 2 * k_ms, rs);
    file += event_doc("apps", "deployments", "demo", "web", "create", 3 * k_ms, dep);
  }
  SummaryReport report = r.run(file);
  auto requests = r.target.requests();
  Request dep_post = the(requests, "POST", k_deps);
  Request rs_post = the(requests, "POST", k_rss);
  Request pod_post = the(requests, "POST", k_pods);
  CHECK(rs_post.arrived >= dep_post.answered);
  CHECK(pod_post.arrived >= rs_post.answered);
  CHECK(rs_post.owner_uid() == "new-web");
  CHECK(pod_post.owner_uid() == "new-web-1");
  CHECK(report.totals.created == 4);
  CHECK(report.totals.failed == 0);
  CHECK(report.relinked == 2);
  CHECK(report.dangling == 0);
  CHECK(report.problems.empty());
}

TEST_CASE("events: an ownership cycle is reported and both objects are created; the replay ends") {
  Replay r;
  std::string file = namespace_doc("demo", "u-ns");
  file += create_cm("a", 1 * k_ms, owner_json("v1", "ConfigMap", "b", "u-b"));
  file += create_cm("b", 2 * k_ms, owner_json("v1", "ConfigMap", "a", "u-a"));
  file += create_cm("after", 3 * k_ms);
  auto done = std::async(std::launch::async, [&] { return r.attempt(file); });
  REQUIRE(done.wait_for(20s) == std::future_status::ready);
  auto report = done.get();
  REQUIRE(report);
  CHECK(problems_text(*report).find("ownership cycle") != std::string::npos);
  CHECK(report->by_resource["configmaps"].created == 3);
  CHECK(on(r.target.requests(), k_cms).size() == 3);
}

TEST_CASE("events: a 404 fails a patch and skips a delete (the object is already gone)") {
  Replay r;
  std::string file = namespace_doc("demo", "u-ns");
  file += patch_cm("ghost", 1 * k_ms, 1);
  file += event_doc("", "configmaps", "demo", "gone", "delete", 2 * k_ms);
  SummaryReport report = r.run(file);
  // The patch and the delete are on different objects: either may go first.
  auto lines = r.target.write_lines();
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "POST /api/v1/namespaces");
  std::sort(lines.begin() + 1, lines.end());
  CHECK(lines[1] == "DELETE " + k_cms + "/gone");
  CHECK(lines[2] == "PATCH " + k_cms + "/ghost");
  CHECK(report.by_resource["configmaps"].failed == 1);
  CHECK(report.by_resource["configmaps"].skipped == 1);
  CHECK(report.by_resource["configmaps"].deleted == 0);
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].find("patch v1 ConfigMap demo/ghost") != std::string::npos);
  CHECK(report.errors[0].find("not found") != std::string::npos);
}

TEST_CASE("events: Ctrl+C between events: nothing after it is sent, what was in flight finishes") {
  Replay r;
  r.options.speed = 1;
  r.clock->set_limit(2500ms);  // the pacing holds between the third and the fourth event
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  r.target.script([released](const Request& request) -> std::optional<Reply> {
    if (request.method == "POST" && request.string_at({"metadata", "name"}) == "c2") released.wait();
    return std::nullopt;
  });
  std::string file = namespace_doc("demo", "u-ns");
  for (int i = 0; i < 5; ++i) file += create_cm("c" + std::to_string(i), i * k_second);
  auto done = std::async(std::launch::async, [&] { return r.attempt(file); });
  REQUIRE(eventually([&] { return on(r.target.requests(), k_cms).size() == 3; }));
  r.controls.stop = true;  // as the signal handler does, from another thread
  r.clock->set_limit(std::chrono::nanoseconds::max());
  release.set_value();
  REQUIRE(done.wait_for(20s) == std::future_status::ready);
  auto report = done.get();
  REQUIRE(report);
  auto creates = on(r.target.requests(), k_cms);
  REQUIRE(creates.size() == 3);
  // c1 and c2 may arrive in either order: the clock reached their times at once.
  std::set<std::string> names;
  for (const auto& c : creates) {
    names.insert(c.string_at({"metadata", "name"}));
    CHECK(c.status == 201);  // c2 among them, in flight when the replay was stopped
  }
  CHECK(names == std::set<std::string>{"c0", "c1", "c2"});
  CHECK(report->stopped);
  CHECK(report->by_resource["configmaps"].created == 3);
  CHECK(report->totals.failed == 0);
  CHECK(r.clock->elapsed() < 3s);  // the fourth event's time never came
}
