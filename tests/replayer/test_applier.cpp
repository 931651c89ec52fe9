// What the Applier (replayer/applier.cpp) sends for each recorded change, against a scripted
// target: --on-existing, conflicts, throttling and server errors, status through /status, and
// the summary's counts against what the target saw.
#include <doctest/doctest.h>

#include <algorithm>

#include "formats/json.hpp"
#include "replayer/policy.hpp"
#include "tests/replayer/target.hpp"

using namespace ktape;
using namespace ktape::replayer;
using namespace ktape::replayer::test;
using namespace std::chrono_literals;

namespace {

std::string create_cm(const std::string& name, std::int64_t at, const std::string& owners = "") {
  return event_doc("", "configmaps", "demo", name, "create", at,
                   object_json("v1", "ConfigMap", "demo", name, "u-" + name, owners, R"("data":{"v":"1"})"));
}

formats::Value existing_cm(const std::string& name, const std::string& uid, const std::string& rv) {
  auto v = formats::parse_json(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
                               R"(","namespace":"demo","uid":")" + uid + R"(","resourceVersion":")" + rv +
                               R"("},"data":{"v":"target"}})");
  REQUIRE(v);
  return *v;
}

std::vector<std::string> lines_on(const ScriptedTarget& target, const std::string& path) {
  std::vector<std::string> out;
  for (const auto& r : target.requests())
    if (r.path == path) out.push_back(r.method + " " + std::to_string(r.status));
  return out;
}

Request last_on(const std::vector<Request>& requests, const std::string& method, const std::string& path) {
  auto it = std::find_if(requests.rbegin(), requests.rend(),
                         [&](const Request& r) { return r.method == method && r.path == path; });
  REQUIRE_MESSAGE(it != requests.rend(), method << " " << path);
  return *it;
}

}  // namespace

TEST_CASE("applier: a create that meets an existing object follows --on-existing; its children follow it") {
  Replay r;
  r.target.put(k_cms, existing_cm("web", "target-uid", "5"));
  std::string file = namespace_doc("demo", "u-ns") + create_cm("web", 1 * k_ms) +
                     create_cm("child", 2 * k_ms, owner_json("v1", "ConfigMap", "web", "u-web"));
  SUBCASE("skip maps the target's object") {
    r.options.on_existing = OnExisting::skip;
    SummaryReport report = r.run(file);
    CHECK(lines_on(r.target, k_cms + "/web") == std::vector<std::string>{"GET 200"});
    CHECK(last_on(r.target.requests(), "POST", k_cms).owner_uid() == "target-uid");
    CHECK(r.target.stored(k_cms + "/web")->string_at({"data", "v"}) == "target");
    CHECK(report.by_resource["configmaps"].skipped == 1);
    CHECK(report.by_resource["configmaps"].created == 1);
  }
  SUBCASE("update puts the recorded object at the target's resourceVersion") {
    r.options.on_existing = OnExisting::update;
    SummaryReport report = r.run(file);
    CHECK(lines_on(r.target, k_cms + "/web") == std::vector<std::string>{"GET 200", "PUT 200"});
    Request put = last_on(r.target.requests(), "PUT", k_cms + "/web");
    CHECK(put.string_at({"metadata", "resourceVersion"}) == "5");
    CHECK(put.string_at({"data", "v"}) == "1");
    CHECK(last_on(r.target.requests(), "POST", k_cms).owner_uid() == "target-uid");
    CHECK(report.by_resource["configmaps"].patched == 1);
    CHECK(report.by_resource["configmaps"].created == 1);
  }
  SUBCASE("recreate deletes it, waits until it is gone, creates the recorded one") {
    r.options.on_existing = OnExisting::recreate;
    SummaryReport report = r.run(file);
    CHECK(lines_on(r.target, k_cms + "/web") == std::vector<std::string>{"DELETE 200", "GET 404"});
    auto requests = r.target.requests();
    auto posts = std::count_if(requests.begin(), requests.end(), [](const Request& q) {
      return q.line() == "POST " + k_cms && q.string_at({"metadata", "name"}) == "web";
    });
    CHECK(posts == 2);  // the 409, then the create
    CHECK(last_on(r.target.requests(), "POST", k_cms).owner_uid() == "new-web");
    CHECK(r.target.stored(k_cms + "/web")->string_at({"data", "v"}) == "1");
    CHECK(report.by_resource["configmaps"].created == 2);
  }
}

TEST_CASE(
    "applier: an existing object gone before it is read (the target's controller removed it) is created") {
  // The target's own controllers made the object (a Service's Endpoints) and removed it again
  // between the replay's create (409) and its read of what exists (404).
  Replay r;
  r.options.on_existing = OnExisting::skip;
  r.target.script([](const Request& request) -> std::optional<Reply> {
    if (request.line() != "POST " + k_cms || request.nth != 0) return std::nullopt;
    return status_reply(409, "AlreadyExists", "configmaps \"web\" already exists");
  });
  SummaryReport report = r.run(namespace_doc("demo", "u-ns") + create_cm("web", 1 * k_ms));
  CHECK(lines_on(r.target, k_cms + "/web") == std::vector<std::string>{"GET 404"});
  CHECK(lines_on(r.target, k_cms) == std::vector<std::string>{"POST 409", "POST 201"});
  CHECK(r.target.stored(k_cms + "/web")->string_at({"data", "v"}) == "1");
  CHECK(report.by_resource["configmaps"].created == 1);
  CHECK(report.totals.failed == 0);
}

TEST_CASE("applier: a 409 Conflict on update is retried with the fresh resourceVersion") {
  Replay r;
  r.options.on_existing = OnExisting::update;
  r.target.put(k_cms, existing_cm("web", "target-uid", "5"));
  // The first PUT loses a race: someone wrote the object (resourceVersion 6) in between.
  r.target.script([&r](const Request& request) -> std::optional<Reply> {
    if (request.method != "PUT" || request.nth != 0) return std::nullopt;
    r.target.put(k_cms, existing_cm("web", "target-uid", "6"));
    return status_reply(409, "Conflict", "the object has been modified; please apply your changes");
  });
  SummaryReport report = r.run(namespace_doc("demo", "u-ns") + create_cm("web", 1 * k_ms));
  CHECK(lines_on(r.target, k_cms + "/web") ==
        std::vector<std::string>{"GET 200", "PUT 409", "GET 200", "PUT 200"});
  std::vector<std::string> versions;
  for (const auto& q : r.target.requests())
    if (q.method == "PUT") versions.emplace_back(q.string_at({"metadata", "resourceVersion"}));
  CHECK(versions == std::vector<std::string>{"5", "6"});
  CHECK(report.by_resource["configmaps"].patched == 1);
  CHECK(report.totals.failed == 0);
}

TEST_CASE("applier: a 429 with Retry-After is waited for (on the client's clock), retried and counted") {
  Replay r;
  auto client_clock = std::make_shared<kube::test::FakeClock>();
  kube::ClientOptions client_options;
  client_options.clock = client_clock;
  r.client = r.target.client(client_options);
  r.target.script([](const Request& request) -> std::optional<Reply> {
    if (request.line() != "POST " + k_cms || request.nth != 0) return std::nullopt;
    Reply reply = status_reply(429, "TooManyRequests", "slow down");
    reply.retry_after = "3";
    return reply;
  });
  SummaryReport report = r.run(namespace_doc("demo", "u-ns") + create_cm("web", 1 * k_ms));
  CHECK(lines_on(r.target, k_cms) == std::vector<std::string>{"POST 429", "POST 201"});
  CHECK(r.client->retries() == 1);
  auto sleeps = client_clock->sleeps();
  CHECK(std::count(sleeps.begin(), sleeps.end(), std::chrono::nanoseconds(3s)) == 1);
  CHECK(report.by_resource["configmaps"].created == 1);
  CHECK(report.totals.failed == 0);
  CHECK(report.errors.empty());
}

TEST_CASE("applier: 5xx answers: a create is not repeated and fails; a delete is retried") {
  Replay r;
  auto client_clock = std::make_shared<kube::test::FakeClock>();
  kube::ClientOptions client_options;
  client_options.clock = client_clock;
  r.client = r.target.client(client_options);
  r.target.put(k_cms, existing_cm("old", "target-uid", "5"));
  r.target.script([](const Request& request) -> std::optional<Reply> {
    if (request.line() == "POST " + k_cms && request.string_at({"metadata", "name"}) == "web")
      return status_reply(500, "InternalError", "etcd is unwell");
    if (request.line() == "DELETE " + k_cms + "/old" && request.nth < 2)
      return status_reply(503, "ServiceUnavailable", "try again");
    return std::nullopt;
  });
  SummaryReport report = r.run(namespace_doc("demo", "u-ns") + create_cm("web", 1 * k_ms) +
                               event_doc("", "configmaps", "demo", "old", "delete", 2 * k_ms));
  CHECK(lines_on(r.target, k_cms) == std::vector<std::string>{"POST 500"});  // POST is not idempotent
  CHECK(lines_on(r.target, k_cms + "/old") ==
        std::vector<std::string>{"DELETE 503", "DELETE 503", "DELETE 200"});
  CHECK(r.client->retries() == 2);
  CHECK(report.by_resource["configmaps"].failed == 1);
  CHECK(report.by_resource["configmaps"].deleted == 1);
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].find("create v1 ConfigMap demo/web") != std::string::npos);
  CHECK(report.errors[0].find("etcd is unwell") != std::string::npos);
  CHECK(report.errors[0].find("500") != std::string::npos);
}

TEST_CASE("applier: a created object's recorded status is written through /status") {
  Replay r;
  const std::string dep = object_json("apps/v1", "Deployment", "demo", "web", "u-dep", "",
                                      R"("spec":{"replicas":3},"status":{"replicas":3,"readyReplicas":2})");
  std::string file =
      namespace_doc("demo", "u-ns") + event_doc("apps", "deployments", "demo", "web", "create", k_ms, dep);
  SUBCASE("--status keep") {
    SummaryReport report = r.run(file);
    CHECK(r.target.write_lines() == std::vector<std::string>{"POST /api/v1/namespaces", "POST " + k_deps,
                                                             "PATCH " + k_deps + "/web/status"});
    auto requests = r.target.requests();
    CHECK_FALSE(last_on(requests, "POST", k_deps).json().contains("status"));  // created without it
    Request status = last_on(requests, "PATCH", k_deps + "/web/status");
    CHECK(status.content_type == "application/json-patch+json");
    auto expected =
        formats::parse_json(R"([{"op":"add","path":"/status","value":{"replicas":3,"readyReplicas":2}}])");
    REQUIRE(expected);
    CHECK(status.json() == *expected);
    CHECK(report.by_resource["deployments.apps"].created == 1);
    CHECK(report.errors.empty());
  }
  SUBCASE("--status drop") {
    r.options.status = StatusMode::drop;
    r.run(file);
    CHECK(r.target.write_lines() == std::vector<std::string>{"POST /api/v1/namespaces", "POST " + k_deps});
  }
}

TEST_CASE("applier: the summary counts exactly what the target saw done") {
  Replay r;
  r.target.put(k_cms, existing_cm("there", "target-uid", "5"));
  std::string file = namespace_doc("demo", "u-ns");
  std::int64_t at = 0;
  for (const char* name : {"a", "b", "c", "there"}) file += create_cm(name, at += k_ms);
  file += event_doc("", "configmaps", "demo", "a", "patch", at += k_ms, R"({"data":{"v":"2"}})");
  file += event_doc("", "configmaps", "demo", "b", "patch", at += k_ms, R"({"data":{"v":"2"}})");
  file += event_doc("", "configmaps", "demo", "ghost", "patch", at += k_ms, R"({"data":{"v":"2"}})");
  file += event_doc("", "configmaps", "demo", "c", "delete", at += k_ms);
  file += event_doc("", "configmaps", "demo", "never", "delete", at += k_ms);
  SummaryReport report = r.run(file);

  Counts seen;
  for (const auto& q : r.target.requests()) {
    if (q.path.rfind(k_cms, 0) != 0) continue;
    if (q.method == "POST") (q.status == 201 ? seen.created : seen.skipped) += 1;  // 409: skip maps it
    if (q.method == "PATCH") (q.status == 200 ? seen.patched : seen.failed) += 1;
    if (q.method == "DELETE") (q.status == 200 ? seen.deleted : seen.skipped) += 1;  // 404: already gone
  }
  const Counts& counted = report.by_resource["configmaps"];
  CHECK(counted.created == seen.created);
  CHECK(counted.patched == seen.patched);
  CHECK(counted.deleted == seen.deleted);
  CHECK(counted.skipped == seen.skipped);
  CHECK(counted.failed == seen.failed);
  // ... and that is what the recording asked for.
  CHECK(seen.created == 3);
  CHECK(seen.patched == 2);
  CHECK(seen.deleted == 1);
  CHECK(seen.skipped == 2);
  CHECK(seen.failed == 1);
  CHECK(report.by_resource["namespaces"].created == 1);
  CHECK(report.by_resource.size() == 2);
  CHECK(report.totals.total() == counted.total() + 1);
  CHECK(report.errors.size() == 1);
  CHECK_FALSE(report.stopped);
}

TEST_CASE("applier: a status the target refuses as invalid is kept as the target's, counted and noted") {
  // A real target's Job controller sets status.startTime before the recorded status arrives; a
  // recorded status without it is refused (422), as kube-apiserver 1.32 does.
  Replay r;
  r.target.script([](const Request& request) -> std::optional<Reply> {
    if (request.method != "PATCH" || request.path != k_deps + "/web/status") return std::nullopt;
    return status_reply(422, "Invalid", "Deployment.apps \"web\" is invalid: status.replicas: Invalid value");
  });
  std::string file =
      namespace_doc("demo", "u-ns") +
      event_doc("apps", "deployments", "demo", "web", "create", 1 * k_ms,
                object_json("apps/v1", "Deployment", "demo", "web", "u-dep", "",
                            R"("spec":{"replicas":1},"status":{"replicas":1})")) +
      event_doc("apps", "deployments", "demo", "web", "patch", 2 * k_ms, R"({"status":{"replicas":2}})");
  SummaryReport report = r.run(file);
  CHECK(lines_on(r.target, k_deps + "/web/status") == std::vector<std::string>{"PATCH 422", "PATCH 422"});
  CHECK(report.totals.failed == 0);
  CHECK(report.by_resource["deployments.apps"].created == 1);
  CHECK(report.reasons[std::string(k_status_refused)] == 2);
  REQUIRE(report.notes.size() == 2);
  CHECK(report.notes[0].find("recorded status refused: ") != std::string::npos);
  CHECK(report.notes[0].find("status.replicas") != std::string::npos);
}
