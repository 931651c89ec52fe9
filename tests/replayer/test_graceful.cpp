// Graceful deletion on replay (replayer/graceful.cpp) against a scripted target that, like a real
// apiserver, refuses any patch of metadata.deletionTimestamp or deletionGracePeriodSeconds (422
// "field is immutable"): the start of a graceful delete goes as a DELETE with the recorded grace
// period, marked or not, and the object's later events follow as recorded.
#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "tests/replayer/target.hpp"

using namespace ktape;
using namespace ktape::replayer;
using namespace ktape::replayer::test;

namespace {

const std::string k_held = k_cms + "/held";
constexpr const char* k_when = "2026-12-07T11:00:30Z";

// A recorded event document with the recorder's "# graceful-delete" mark.
std::string marked(const std::string& doc) { return "---\n# graceful-delete\n" + doc.substr(4); }

std::string held_create() {
  return event_doc("", "configmaps", "demo", "held", "create", 1 * k_ms,
                   R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"held","namespace":"demo",)"
                   R"("uid":"u-held","finalizers":["example.com/hold"]},"data":{"x":"1"}})");
}

// The start of the delete as the watch showed it (a strategic patch from the recorder's differ).
std::string start(std::int64_t at, int grace, const std::string& more = "") {
  return event_doc("", "configmaps", "demo", "held", "patch", at,
                   R"({"metadata":{"deletionGracePeriodSeconds":)" + std::to_string(grace) +
                       R"(,"deletionTimestamp":")" + k_when + "\"" + more + "}}");
}

// Refuses what a real apiserver refuses; holds a gracefully deleted object (answers 200 without
// removing it, as finalizers and a grace period do).
std::optional<Reply> apiserver_rules(const Request& request) {
  if (request.method == "PATCH" && (request.body.find("deletionTimestamp") != std::string::npos ||
                                    request.body.find("deletionGracePeriodSeconds") != std::string::npos))
    return status_reply(422, "Invalid", "metadata.deletionTimestamp: Invalid value: field is immutable");
  if (request.method == "DELETE") {
    formats::Value body = request.json();
    const formats::Value* grace = body.at({"gracePeriodSeconds"});
    if (grace == nullptr || grace->as_int64() != 0)
      return Reply{200, R"({"kind":"Status","status":"Success"})", ""};
  }
  return std::nullopt;
}

std::vector<Request> on(const std::vector<Request>& requests, const std::string& path) {
  std::vector<Request> out;
  for (const auto& r : requests)
    if (r.path == path && r.method != "GET") out.push_back(r);
  return out;
}

std::optional<std::int64_t> grace_of(const Request& r) {
  formats::Value body = r.json();
  const formats::Value* g = body.at({"gracePeriodSeconds"});
  if (g == nullptr) return std::nullopt;
  return g->as_int64();
}

}  // namespace

TEST_CASE("graceful delete: a DELETE with the recorded grace period, then the object's events as recorded") {
  for (bool mark : {true, false}) {
    CAPTURE(mark);
    Replay r;
    r.target.script(apiserver_rules);
    std::string file = namespace_doc("demo", "u-ns");
    file += held_create();
    file += mark ? marked(start(2 * k_ms, 30)) : start(2 * k_ms, 30);
    // While terminating: a data change recorded with the deletion fields unchanged beside it.
    file += start(3 * k_ms, 30, R"(},"data":{"x":"2")");
    file +=
        event_doc("", "configmaps", "demo", "held", "patch", 4 * k_ms, R"({"metadata":{"finalizers":null}})");
    file += event_doc("", "configmaps", "demo", "held", "delete", 5 * k_ms);
    SummaryReport report = r.run(file);

    auto writes = on(r.target.requests(), k_held);
    std::vector<std::string> lines;
    for (const auto& w : writes) lines.push_back(w.method);
    CHECK(on(r.target.requests(), k_cms).size() == 1);  // the create
    REQUIRE(lines == std::vector<std::string>{"DELETE", "PATCH", "PATCH", "DELETE"});
    CHECK(grace_of(writes[0]) == 30);
    CHECK(writes[0].string_at({"propagationPolicy"}) == "Background");
    CHECK(writes[1].json() == formats::parse_json(R"({"data":{"x":"2"}})").value());
    CHECK(writes[2].json() == formats::parse_json(R"({"metadata":{"finalizers":null}})").value());
    CHECK(grace_of(writes[3]) == 0);  // the grace period is over: the recording says the object went
    for (const auto& w : r.target.requests()) {
      if (w.method != "PATCH") continue;
      CHECK(w.body.find("deletionTimestamp") == std::string::npos);
      CHECK(w.status == 200);
    }
    CHECK(report.totals.failed == 0);
    CHECK(report.errors.empty());
    CHECK(report.by_resource["configmaps"].deleted == 2);
    CHECK(report.by_resource["configmaps"].patched == 2);
    CHECK_FALSE(r.target.stored(k_held).has_value());
  }
}

TEST_CASE(
    "graceful delete: foreground propagation shows as its finalizer; a shorter grace period deletes again") {
  Replay r;
  r.target.script(apiserver_rules);
  std::string file = namespace_doc("demo", "u-ns");
  file += held_create();
  file += start(2 * k_ms, 30, R"(,"finalizers":["foregroundDeletion"])");
  file += start(3 * k_ms, 30);  // unchanged: nothing to send
  file += start(4 * k_ms, 5);   // kubectl delete --grace-period=5 on the terminating object
  SummaryReport report = r.run(file);
  auto writes = on(r.target.requests(), k_held);
  REQUIRE(writes.size() == 2);
  CHECK(writes[0].method == "DELETE");
  CHECK(writes[0].string_at({"propagationPolicy"}) == "Foreground");
  CHECK(grace_of(writes[0]) == 30);
  CHECK(writes[1].method == "DELETE");
  CHECK(grace_of(writes[1]) == 5);
  CHECK(report.totals.failed == 0);
}

TEST_CASE("graceful delete: an object the target removed at once leaves its later events skipped") {
  Replay r;  // the default target removes on DELETE, as an apiserver does an unscheduled Pod
  std::string file = namespace_doc("demo", "u-ns");
  file += held_create();
  file += marked(start(2 * k_ms, 30));
  file +=
      event_doc("", "configmaps", "demo", "held", "patch", 3 * k_ms, R"({"metadata":{"finalizers":null}})");
  file += event_doc("", "configmaps", "demo", "held", "delete", 4 * k_ms);
  SummaryReport report = r.run(file);
  auto writes = on(r.target.requests(), k_held);
  REQUIRE(writes.size() == 3);
  CHECK(writes[1].status == 404);
  CHECK(report.totals.failed == 0);
  CHECK(report.by_resource["configmaps"].deleted == 1);
  CHECK(report.by_resource["configmaps"].skipped == 2);
}
