// A replay into the simulated cluster (a real apiserver over HTTP, in-process on a free loopback
// port): the UIDs it assigns are what children are re-linked to, status lands through /status,
// and its garbage collector meets the replay's deletes.
#include <doctest/doctest.h>

#include "sim/server.hpp"
#include "tests/replayer/target.hpp"

using namespace ktape;
using namespace ktape::replayer;
using namespace ktape::replayer::test;

namespace {

struct SimTarget {
  std::unique_ptr<sim::Server> server;
  std::unique_ptr<kube::Client> client;
  kube::Discovery discovery;

  SimTarget() {
    auto started = sim::Server::start({});
    REQUIRE(started);
    server = std::move(*started);
    kube::RestConfig config;
    config.server = server->url();
    auto made = kube::Client::create(config);
    REQUIRE(made);
    client = std::move(*made);
    auto found = client->discover();
    REQUIRE(found);
    discovery = std::move(*found);
  }
  std::optional<formats::Value> get(const std::string& resource, const std::string& name) {
    auto r = discovery.resolve(resource);
    REQUIRE(r);
    auto got = client->get(*r, "demo", name);
    if (!got) return std::nullopt;
    return *got;
  }
};

std::string uid_of(const formats::Value& object) {
  return std::string(object.string_at({"metadata", "uid"}));
}

std::string owner_uid_of(const formats::Value& object) {
  const formats::Value* refs = object.at({"metadata", "ownerReferences"});
  REQUIRE(refs != nullptr);
  REQUIRE(refs->size() == 1);
  return std::string(refs->as_array()[0].string_at({"uid"}));
}

const char* const k_pod_spec = R"("spec":{"containers":[{"name":"c","image":"busybox"}]})";
const char* const k_rs_spec =
    R"("spec":{"replicas":1,"selector":{"matchLabels":{"app":"w"}},"template":{"metadata":{"labels":{"app":"w"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}})";

// A Deployment in the snapshot; its ReplicaSet and Pod created by events, the Pod before its owner.
std::string chain_recording() {
  std::string file = namespace_doc("demo", "u-ns");
  file += snapshot_doc(object_json("apps/v1", "Deployment", "demo", "web", "u-dep", "",
                                   std::string(k_rs_spec) + R"(,"status":{"replicas":1,"readyReplicas":1})"));
  file += event_doc("", "pods", "demo", "web-1-x", "create", 1 * k_ms,
                    object_json("v1", "Pod", "demo", "web-1-x", "u-pod",
                                owner_json("apps/v1", "ReplicaSet", "web-1", "u-rs"), k_pod_spec));
  file += event_doc("apps", "replicasets", "demo", "web-1", "create", 2 * k_ms,
                    object_json("apps/v1", "ReplicaSet", "demo", "web-1", "u-rs",
                                owner_json("apps/v1", "Deployment", "web", "u-dep"), k_rs_spec));
  return file;
}

}  // namespace

TEST_CASE("replay into the simulated cluster: children carry the UIDs it gave their owners") {
  SimTarget sim;
  Recordings files;
  ReplayOptions options;
  options.speed = 0;
  options.path = files.write("chain.yaml", chain_recording());
  Controls controls;
  auto report = replay(*sim.client, options, controls);
  REQUIRE_MESSAGE(report, report.error().message);
  CHECK(report->totals.created == 4);
  CHECK(report->totals.failed == 0);
  CHECK(report->errors.empty());
  CHECK(report->relinked == 2);

  auto dep = sim.get("deployments.apps", "web");
  auto rs = sim.get("replicasets.apps", "web-1");
  auto pod = sim.get("pods", "web-1-x");
  REQUIRE(dep);
  REQUIRE(rs);
  REQUIRE(pod);
  CHECK(uid_of(*dep) != "u-dep");
  CHECK(owner_uid_of(*rs) == uid_of(*dep));
  CHECK(owner_uid_of(*pod) == uid_of(*rs));
  CHECK(dep->at({"status", "readyReplicas"}) != nullptr);  // written through /status
  CHECK(dep->at({"status", "readyReplicas"})->as_int64() == 1);
}

TEST_CASE("replay into the simulated cluster: a delete's garbage collection is not a failed change") {
  SimTarget sim;
  Recordings files;
  ReplayOptions options;
  options.speed = 0;
  std::string file = chain_recording();
  file += event_doc("apps", "deployments", "demo", "web", "delete", 3 * k_ms);
  // Recorded a moment after the delete (each resource's watch is stamped on its own): the target's
  // collector may have removed the Pod already.
  file +=
      event_doc("", "pods", "demo", "web-1-x", "patch", 4 * k_ms, R"({"metadata":{"labels":{"late":"1"}}})");
  options.path = files.write("gc.yaml", file);
  Controls controls;
  auto report = replay(*sim.client, options, controls);
  REQUIRE_MESSAGE(report, report.error().message);
  CHECK(report->totals.failed == 0);
  CHECK(report->by_resource["deployments.apps"].deleted == 1);
  CHECK(report->by_resource["pods"].patched + report->by_resource["pods"].skipped == 1);
  // The collector follows the re-linked references down the chain.
  CHECK(eventually([&] { return !sim.get("replicasets.apps", "web-1") && !sim.get("pods", "web-1-x"); }));
}

// The scheduler's binding, recorded as a change that sets spec.nodeName (and the PodScheduled
// condition): the simulated cluster, like a real one, refuses that change as a patch.
TEST_CASE("replay into the simulated cluster: a recorded spec.nodeName is a binding, not a patch") {
  SimTarget sim;
  Recordings files;
  std::string file = namespace_doc("demo", "u-ns");
  for (const char* name : {"p1", "p2"})
    file += event_doc("", "pods", "demo", name, "create", 1 * k_ms,
                      object_json("v1", "Pod", "demo", name, std::string("u-") + name, "", k_pod_spec));
  for (const char* name : {"p1", "p2"})
    file +=
        event_doc("", "pods", "demo", name, "patch", 2 * k_ms,
                  R"({"spec":{"nodeName":"node-a"},"status":{"conditions":[{"type":"PodScheduled",)"
                  R"("status":"True","lastProbeTime":null,"lastTransitionTime":"2026-12-07T11:00:00Z"}]}})");
  // A later change of the bound Pod, recorded with its node unchanged beside it.
  file += event_doc("", "pods", "demo", "p1", "patch", 3 * k_ms,
                    R"({"metadata":{"labels":{"seen":"yes"}},"spec":{"nodeName":"node-a"}})");

  SUBCASE("the recorded node, set by POST pods/NAME/binding") {
    ReplayOptions options;
    options.speed = 0;
    options.path = files.write("bound.yaml", file);
    Controls controls;
    auto report = replay(*sim.client, options, controls);
    REQUIRE_MESSAGE(report, report.error().message);
    CHECK(report->totals.failed == 0);
    CHECK(report->errors.empty());
    CHECK(report->by_resource["pods"].patched == 3);
    for (const char* name : {"p1", "p2"}) {
      auto pod = sim.get("pods", name);
      REQUIRE(pod);
      CHECK(pod->string_at({"spec", "nodeName"}) == "node-a");
      const formats::Value* conditions = pod->at({"status", "conditions"});
      REQUIRE(conditions != nullptr);
      CHECK(conditions->as_array().at(0).string_at({"type"}) == "PodScheduled");
    }
    CHECK(sim.get("pods", "p1")->string_at({"metadata", "labels", "seen"}) == "yes");

    // Run again over the same target: already bound to that node is not a failure.
    Controls again;
    options.on_existing = OnExisting::skip;
    auto second = replay(*sim.client, options, again);
    REQUIRE_MESSAGE(second, second.error().message);
    CHECK(second->totals.failed == 0);
  }
  SUBCASE("--drop-node-name: no binding, the target's scheduler places the Pods") {
    ReplayOptions options;
    options.speed = 0;
    options.drop_node_name = true;
    options.path = files.write("unbound.yaml", file);
    Controls controls;
    auto report = replay(*sim.client, options, controls);
    REQUIRE_MESSAGE(report, report.error().message);
    CHECK(report->totals.failed == 0);
    CHECK(sim.get("pods", "p2")->at({"spec", "nodeName"}) == nullptr);
  }
}
