// The snapshot phase (replayer/snapshot.cpp) against a scripted target: namespaces, then CRDs
// (waited on until Established), then owners before children in layers, status through /status.
#include <doctest/doctest.h>

#include <algorithm>
#include <future>

#include "tests/replayer/target.hpp"

using namespace ktape;
using namespace ktape::replayer;
using namespace ktape::replayer::test;
using namespace std::chrono_literals;

namespace {

// The arrival order of the first `method` request on `path`.
std::size_t index_of(const std::vector<Request>& requests, const std::string& method,
                     const std::string& path) {
  auto it = std::find_if(requests.begin(), requests.end(),
                         [&](const Request& r) { return r.method == method && r.path == path; });
  REQUIRE_MESSAGE(it != requests.end(), method << " " << path);
  return it->order;
}

const Request& at(const std::vector<Request>& requests, std::size_t order) { return requests.at(order); }

}  // namespace

TEST_CASE("snapshot: namespaces, then CRDs until Established, then owners before children, layer by layer") {
  Replay r;
  r.options.concurrency = 4;
  // The file lists children before owners and the namespace and CRD last.
  std::string file;
  file += snapshot_doc(object_json("v1", "Pod", "demo", "web-1-x", "u-pod",
                                   owner_json("apps/v1", "ReplicaSet", "web-1", "u-rs"),
                                   R"("status":{"phase":"Running"})"));
  file += snapshot_doc(object_json("apps/v1", "ReplicaSet", "demo", "web-1", "u-rs",
                                   owner_json("apps/v1", "Deployment", "web", "u-dep")));
  file += snapshot_doc(object_json("v1", "ConfigMap", "demo", "plain", "u-cm"));
  file += snapshot_doc(object_json("example.com/v1", "Widget", "demo", "w", "u-w"));
  file += snapshot_doc(object_json("apps/v1", "Deployment", "demo", "web", "u-dep", "",
                                   R"("spec":{"replicas":1},"status":{"replicas":1})"));
  file += snapshot_doc(crd_json("example.com", "Widget", "widgets"));
  file += namespace_doc("demo", "u-ns");
  SummaryReport report = r.run(file);
  auto requests = r.target.requests();

  std::size_t ns = index_of(requests, "POST", "/api/v1/namespaces");
  std::size_t crd = index_of(requests, "POST", k_crds);
  std::size_t established = index_of(requests, "GET", k_crds + "/widgets.example.com");
  std::size_t dep = index_of(requests, "POST", k_deps);
  std::size_t cm = index_of(requests, "POST", k_cms);
  std::size_t widget = index_of(requests, "POST", k_widgets);
  std::size_t rs = index_of(requests, "POST", k_rss);
  std::size_t pod = index_of(requests, "POST", k_pods);
  CHECK(ns == 0);
  CHECK(crd > ns);
  CHECK(established > crd);
  for (std::size_t layer1 : {dep, cm, widget}) {
    CHECK(layer1 > established);
    CHECK(at(requests, layer1).arrived >= at(requests, crd).answered);
    CHECK(rs > layer1);
  }
  CHECK(pod > rs);
  // Each layer starts once the one before it has been answered, and children carry new UIDs.
  CHECK(at(requests, rs).arrived >= at(requests, dep).answered);
  CHECK(at(requests, pod).arrived >= at(requests, rs).answered);
  CHECK(at(requests, rs).owner_uid() == "new-web");
  CHECK(at(requests, pod).owner_uid() == "new-web-1");
  // Status through /status, after the create, for the resources that have it.
  std::size_t dep_status = index_of(requests, "PATCH", k_deps + "/web/status");
  CHECK(dep_status > dep);
  CHECK_FALSE(at(requests, dep).json().contains("status"));
  CHECK(index_of(requests, "PATCH", k_pods + "/web-1-x/status") > pod);
  CHECK(report.totals.created == 7);
  CHECK(report.totals.failed == 0);
  CHECK(report.by_resource["widgets.example.com"].created == 1);
  CHECK(report.problems.empty());
  CHECK(report.errors.empty());
}

TEST_CASE("snapshot: a layer's objects are created concurrently, bounded by --concurrency") {
  Replay r;
  r.options.concurrency = 3;
  r.target.script([](const Request& request) -> std::optional<Reply> {
    if (request.method == "POST") std::this_thread::sleep_for(40ms);
    return std::nullopt;
  });
  std::string file = namespace_doc("demo", "u-ns");
  for (int i = 0; i < 9; ++i)
    file += snapshot_doc(
        object_json("v1", "ConfigMap", "demo", "c" + std::to_string(i), "u-c" + std::to_string(i)));
  SummaryReport report = r.run(file);
  CHECK(r.target.peak_in_flight(k_cms) >= 2);
  CHECK(r.target.peak_in_flight(k_cms) <= 3);
  CHECK(report.by_resource["configmaps"].created == 9);
}

TEST_CASE("snapshot: an ownership cycle is reported, its objects are still created") {
  Replay r;
  std::string file = namespace_doc("demo", "u-ns");
  file += snapshot_doc(
      object_json("v1", "ConfigMap", "demo", "a", "u-a", owner_json("v1", "ConfigMap", "b", "u-b")));
  file += snapshot_doc(
      object_json("v1", "ConfigMap", "demo", "b", "u-b", owner_json("v1", "ConfigMap", "a", "u-a")));
  auto done = std::async(std::launch::async, [&] { return r.attempt(file); });
  REQUIRE(done.wait_for(20s) == std::future_status::ready);
  auto report = done.get();
  REQUIRE(report);
  std::string problems;
  for (const auto& p : report->problems) problems += p + "\n";
  CHECK(problems.find("cycle") != std::string::npos);
  CHECK(report->by_resource["configmaps"].created == 2);
}

TEST_CASE("snapshot: an object whose namespace the file creates only as an event waits for that create") {
  // A recorder lists each resource at its own moment: a ConfigMap and its owned child listed just
  // after their namespace was created sit in the snapshot, the namespace among the events.
  Replay r;
  r.options.force =
      true;  // past the pre-flight's "namespace nowhere is neither in the file nor in the target"
  std::string file;
  file += snapshot_doc(object_json("v1", "ConfigMap", "late", "early-listed", "u-cm"));
  file += snapshot_doc(object_json("v1", "ConfigMap", "late", "child", "u-child",
                                   owner_json("v1", "ConfigMap", "early-listed", "u-cm")));
  file += snapshot_doc(object_json("v1", "ConfigMap", "nowhere", "orphan", "u-orphan"));
  file += event_doc("", "namespaces", "", "late", "create", 1000000,
                    object_json("v1", "Namespace", "", "late", "u-late"));
  SummaryReport report = r.run(file);
  auto requests = r.target.requests();

  std::size_t ns = index_of(requests, "POST", "/api/v1/namespaces");
  std::size_t cm = index_of(requests, "POST", "/api/v1/namespaces/late/configmaps");
  CHECK(cm > ns);
  CHECK(at(requests, cm).arrived >= at(requests, ns).answered);
  CHECK(report.totals.created == 3);
  // The child is re-linked to its owner's new UID, created first.
  auto child = std::find_if(requests.begin(), requests.end(), [](const Request& q) {
    return q.method == "POST" && q.string_at({"metadata", "name"}) == "child";
  });
  REQUIRE(child != requests.end());
  CHECK(child->owner_uid() == "new-early-listed");
  // A namespace that nothing creates: the object is tried at the end and fails as before.
  CHECK(report.totals.failed == 1);
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].find("nowhere") != std::string::npos);
}
