// run_workload against a simulated cluster started in the test (real HTTP through kube::Client):
// the setup's Deployment -> ReplicaSet -> Pod chains and their counts, the same seed giving the same
// objects and operations, the stop conditions, and the errors it promises.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "formats/json.hpp"
#include "kube/client.hpp"
#include "sim/server.hpp"
#include "workload/workload.hpp"

using namespace ktape;
using namespace ktape::workload;
using namespace std::chrono_literals;
using formats::Value;

namespace {

// Every object in the workload's namespaces, keyed "Kind namespace/name".
using Objects = std::map<std::string, Value>;

struct Cluster {
  std::unique_ptr<sim::Server> server;
  std::unique_ptr<kube::Client> client;

  explicit Cluster(bool garbage_collector = true) {
    sim::ServerOptions options;
    options.garbage_collector = garbage_collector;
    auto started = sim::Server::start(std::move(options));
    REQUIRE(started);
    server = std::move(*started);
    kube::RestConfig config;
    config.server = server->url();
    auto made = kube::Client::create(config);
    REQUIRE(made);
    client = std::move(*made);
  }

  Result<WorkloadStats> run(const WorkloadOptions& options, bool setup_only = false) {
    std::atomic<bool> stop{setup_only};  // a stop already set runs the setup and no operation
    return run_workload(*client, options, stop, {});
  }

  Objects objects(const std::string& prefix) {
    auto discovery = client->discover();
    REQUIRE(discovery);
    Objects out;
    for (const char* name : {"namespaces", "deployments.apps", "replicasets.apps", "pods", "configmaps",
                             "secrets", "services", "widgets.ktape.example.com"}) {
      auto resource = discovery->resolve(name);
      if (!resource) continue;  // no CRD when the options ask for no custom resources
      auto page = client->list_all(*resource, {});
      REQUIRE(page);
      for (auto& item : page->items) {
        std::string ns(item.string_at({"metadata", "namespace"}));
        std::string object_name(item.string_at({"metadata", "name"}));
        bool ours = (ns.empty() ? object_name : ns).starts_with(prefix + "-");
        if (ours && object_name != "kube-root-ca.crt")
          out[std::string(item.string_at({"kind"})) + " " + ns + "/" + object_name] = std::move(item);
      }
    }
    return out;
  }
};

std::vector<const Value*> of_kind(const Objects& objects, const std::string& kind) {
  std::vector<const Value*> out;
  for (const auto& [key, value] : objects)
    if (key.starts_with(kind + " ")) out.push_back(&value);
  return out;
}

std::string uid(const Value& object) { return std::string(object.string_at({"metadata", "uid"})); }

// The objects of `kind` whose controller ownerReference is `owner` (kind and uid).
std::vector<const Value*> owned_by(const Objects& objects, const std::string& kind, const Value& owner) {
  std::vector<const Value*> out;
  for (const Value* v : of_kind(objects, kind)) {
    const Value* refs = v->at({"metadata", "ownerReferences"});
    if (!refs || refs->size() != 1) continue;
    const Value& ref = refs->as_array()[0];
    if (ref.string_at({"uid"}) == uid(owner) && ref.string_at({"kind"}) == owner.string_at({"kind"}) &&
        ref.string_at({"name"}) == owner.string_at({"metadata", "name"}))
      out.push_back(v);
  }
  return out;
}

std::uint64_t total(const WorkloadStats& stats) {
  std::uint64_t n = 0;
  for (const auto& [kind, count] : stats.operations) n += count;
  return n;
}

// Drops what the server allocates per cluster inside a spec: Service IPs, and the service-account
// token volume (and its mounts) whose name has a random suffix.
void drop_allocated(Value& spec) {
  spec.erase("clusterIP");
  spec.erase("clusterIPs");
  auto generated = [](const Value& v) { return v.string_at({"name"}).starts_with("kube-api-access-"); };
  auto prune = [&](Value* list) {
    if (list == nullptr || !list->is_array()) return;
    auto& items = list->as_array();
    std::erase_if(items, generated);
  };
  prune(spec.find("volumes"));
  for (const char* containers : {"containers", "initContainers"}) {
    Value* list = spec.find(containers);
    if (list == nullptr || !list->is_array()) continue;
    for (auto& c : list->as_array()) prune(c.find("volumeMounts"));
  }
}

// What the same seed must reproduce: names, specs and data (uids, timestamps and allocated values
// differ per cluster).
std::map<std::string, std::string> content(const Objects& objects) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : objects) {
    Value kept = Value::object();
    for (const char* field : {"spec", "data"})
      if (const Value* v = value.find(field)) kept.set(field, *v);
    if (Value* spec = kept.find("spec"); spec != nullptr && spec->is_object()) drop_allocated(*spec);
    if (const Value* labels = value.at({"metadata", "labels"})) kept.set("labels", *labels);
    out[key] = formats::to_json(kept);
  }
  return out;
}

WorkloadOptions small_options(std::uint64_t seed) {
  WorkloadOptions o;
  o.seed = seed;
  o.rate = 0;
  o.workers = 1;
  o.prefix = "wt";
  return o;
}

}  // namespace

TEST_CASE("the setup: namespaces, each Deployment -> one ReplicaSet -> its Pods, linked by uid") {
  Cluster cluster;
  WorkloadOptions o = small_options(3);
  o.namespaces = 2;
  o.deployments_per_namespace = 3;
  o.configmaps_per_namespace = 2;
  o.custom_resources_per_namespace = 2;
  auto stats = cluster.run(o, true);
  REQUIRE(stats);
  CHECK(stats->operations.empty());
  CHECK(stats->failures == 0);
  Objects objects = cluster.objects(o.prefix);
  CHECK(of_kind(objects, "Namespace").size() == 2);
  CHECK(objects.contains("Namespace /wt-0"));
  CHECK(objects.contains("Namespace /wt-1"));
  auto deployments = of_kind(objects, "Deployment");
  CHECK(deployments.size() == 6);
  for (const Value* d : deployments) {
    CAPTURE(d->string_at({"metadata", "name"}));
    auto replicasets = owned_by(objects, "ReplicaSet", *d);
    REQUIRE(replicasets.size() == 1);
    const Value& rs = *replicasets[0];
    auto replicas = d->at({"spec", "replicas"})->as_int64().value_or(-1);
    CHECK(replicas >= 1);
    CHECK(replicas <= o.max_replicas);
    CHECK(rs.at({"spec", "replicas"})->as_int64() == replicas);
    auto pods = owned_by(objects, "Pod", rs);
    CHECK(static_cast<std::int64_t>(pods.size()) == replicas);
    for (const Value* pod : pods) CHECK(pod->string_at({"status", "phase"}) == "Running");
    CHECK(rs.at({"status", "readyReplicas"})->as_int64() == replicas);
    CHECK(d->at({"status", "availableReplicas"})->as_int64() == replicas);
    std::string service_key = "Service " + std::string(d->string_at({"metadata", "namespace"})) + "/" +
                              std::string(d->string_at({"metadata", "name"}));
    CHECK(objects.contains(service_key));
  }
  CHECK(of_kind(objects, "ReplicaSet").size() == 6);
  CHECK(objects.contains("ConfigMap wt-0/settings"));
  CHECK(of_kind(objects, "ConfigMap").size() == 4);
  CHECK(objects.contains("Secret wt-1/credentials"));
  CHECK(of_kind(objects, "Secret").size() == 2);
  CHECK(of_kind(objects, "Widget").size() == 4);
  // setup_objects counts namespaces, ConfigMaps, Secrets, Services, Deployments and ReplicaSets.
  std::size_t counted = 0;
  for (const char* kind : {"Namespace", "ConfigMap", "Secret", "Service", "Deployment", "ReplicaSet"})
    counted += of_kind(objects, kind).size();
  CHECK(stats->setup_objects == counted);
}

TEST_CASE("the same seed and options give the same objects and operations; another seed does not") {
  WorkloadOptions o = small_options(21);
  o.operations = 120;
  // Without the garbage collector the end state depends on the operations alone, not on timing.
  Cluster a(false), b(false), c(false);
  auto first = a.run(o);
  auto second = b.run(o);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(total(*first) == 120);
  CHECK(first->operations == second->operations);
  CHECK(first->requests == second->requests);
  CHECK(first->failures == 0);
  auto objects = content(a.objects(o.prefix));
  CHECK(objects.size() > 20);
  CHECK(objects == content(b.objects(o.prefix)));

  o.seed = 22;
  auto other = c.run(o);
  REQUIRE(other);
  CHECK(objects != content(c.objects(o.prefix)));
}

TEST_CASE("operations: exactly as many as asked across workers, and no ownerReference left dangling") {
  Cluster cluster;
  WorkloadOptions o = small_options(8);
  o.workers = 2;
  o.operations = 150;
  auto stats = cluster.run(o);
  REQUIRE(stats);
  CHECK(total(*stats) == 150);
  CHECK(stats->failures == 0);
  CHECK(stats->requests > 150);
  const std::set<std::string> known{"pod-status",      "scale",   "configmap", "widget",
                                    "configmap-churn", "rollout", "secret",    "deployment-churn"};
  for (const auto& [kind, count] : stats->operations) CHECK(known.contains(kind));
  CHECK(stats->operations.size() >= 4);  // 150 draws by weight reach most kinds

  // Deleted Deployments leave their ReplicaSets and Pods to the garbage collector; once it has run,
  // every owner named by an ownerReference exists with that uid.
  auto dangling = [&] {
    Objects objects = cluster.objects(o.prefix);
    std::set<std::string> uids;
    for (const auto& [key, value] : objects) uids.insert(uid(value));
    std::size_t n = 0;
    for (const auto& [key, value] : objects)
      if (const Value* refs = value.at({"metadata", "ownerReferences"}))
        for (const auto& ref : refs->as_array())
          n += uids.contains(std::string(ref.string_at({"uid"}))) ? 0 : 1;
    return n;
  };
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (dangling() != 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  CHECK(dangling() == 0);
}

TEST_CASE("duration and rate bound the operations; the stop flag ends the run") {
  Cluster cluster;
  WorkloadOptions o = small_options(4);
  o.namespaces = 1;
  o.rate = 40;
  o.duration = 500ms;
  auto stats = cluster.run(o);
  REQUIRE(stats);
  CHECK(stats->elapsed >= 500ms);
  CHECK(total(*stats) >= 1);
  CHECK(total(*stats) <= 22);  // 40/s for 0.5 s, the first one at once

  std::atomic<bool> stop{false};
  o.prefix = "stopped";
  o.duration = 0s;  // no limit but the flag
  o.rate = 200;
  std::thread stopper([&] {
    // Long enough for the setup (namespaces, ConfigMaps, Deployments) to finish under
    // AddressSanitizer on a loaded machine, where 300 ms left no time for a single operation.
    std::this_thread::sleep_for(2s);
    stop = true;
  });
  auto stopped = run_workload(*cluster.client, o, stop, {});
  stopper.join();
  REQUIRE(stopped);
  CHECK(total(*stopped) >= 1);
}

TEST_CASE("errors: a namespace that exists fails the setup; failed calls are counted and logged") {
  Cluster cluster;
  WorkloadOptions o = small_options(5);
  o.namespaces = 1;
  REQUIRE(cluster.run(o, true));
  auto again = cluster.run(o, true);
  REQUIRE_FALSE(again);
  CHECK(again.error().message.find("namespace wt-0") != std::string::npos);
  CHECK(again.error().message.find("--prefix") != std::string::npos);

  SUBCASE("a call that fails is counted and logged, and the workload goes on") {
    o.prefix = "big";
    o.deployments_per_namespace = 2;
    o.pod_padding = 4 * 1024 * 1024;  // above the cluster's 3 MiB body limit: every Pod create fails
    std::vector<std::string> lines;
    std::mutex mutex;
    std::atomic<bool> stop{true};
    auto stats = run_workload(*cluster.client, o, stop, [&](const std::string& line) {
      std::lock_guard lock(mutex);
      lines.push_back(line);
    });
    REQUIRE(stats);
    CHECK(stats->failures > 0);
    CHECK(lines.size() == stats->failures);
    REQUIRE_FALSE(lines.empty());
    CHECK(lines[0].starts_with("workload: create pod: "));
    auto objects = cluster.objects(o.prefix);
    CHECK(of_kind(objects, "Deployment").size() == 2);
    CHECK(of_kind(objects, "Pod").empty());
  }

  SUBCASE("no custom resources: no CRD is created") {
    o.prefix = "nocrd";
    o.custom_resources_per_namespace = 0;
    Cluster fresh;
    REQUIRE(fresh.run(o, true));
    auto discovery = fresh.client->discover();
    REQUIRE(discovery);
    CHECK_FALSE(discovery->resolve("widgets.ktape.example.com"));
    CHECK(of_kind(fresh.objects(o.prefix), "Deployment").size() == 3);
  }
}
