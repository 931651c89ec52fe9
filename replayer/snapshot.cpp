// The snapshot phase: namespaces, then CRDs (waited on until Established), then the rest in owner
// layers, each layer with bounded concurrency.
#include <atomic>
#include <thread>
#include <unordered_map>

#include "ownerref/scheduler.hpp"
#include "replayer/policy.hpp"
#include "replayer/run.hpp"

namespace ktape::replayer {

namespace {

enum class Stage { namespaces, crds, rest };

Stage stage_of(const formats::Value& object) {
  std::string_view kind = object.string_at({"kind"});
  if (kind == "Namespace" && object.string_at({"apiVersion"}) == "v1") return Stage::namespaces;
  if (kind == "CustomResourceDefinition") return Stage::crds;
  return Stage::rest;
}

// The key LabelMemory knows a snapshot object by.
std::string key_of(const kube::ApiResource& resource, const formats::Value& object) {
  return object_key(resource.group, resource.kind,
                    resource.namespaced ? object.string_at({"metadata", "namespace"}) : "",
                    object.string_at({"metadata", "name"}));
}

// Why the replay leaves the snapshot object alone (policy.hpp), counted as a skip outside a dry
// run; nullopt when it is replayed. Remembers --owned skip's choice for the object's events.
std::optional<std::string_view> left_alone_here(Run& run, const kube::ApiResource& resource,
                                                const formats::Value& object) {
  auto why = left_alone(run.options, resource.group, resource.kind,
                        resource.namespaced ? object.string_at({"metadata", "namespace"}) : "",
                        object.string_at({"metadata", "name"}), &object);
  if (run.options.owned == OwnedObjects::skip)
    run.owned.created(key_of(resource, object), why != k_owned_skip);
  if (why && !run.options.dry_run) run.summary.skip(counted_name(resource), *why);
  return why;
}

// Creates one snapshot object, or in a dry run sets `plan` to what would happen to it (`planned`).
// Returns why it is not created ("" when it is, or would be).
std::string create_one(Run& run, formats::Value& object, bool& planned, std::string& plan) {
  auto resource = run.catalog.find_object(object);
  std::string label = ownerref::describe_object(object);
  if (!resource) {
    std::string why = "the target does not serve " + std::string(object.string_at({"apiVersion"})) + " " +
                      std::string(object.string_at({"kind"}));
    if (run.options.dry_run) {
      plan = plan_skip("", label, why);
      planned = true;
      return why;
    }
    run.summary.count(std::string(object.string_at({"kind"})), Outcome::failed);
    run.summary.error("create " + label + ": " + why);
    return why;
  }
  bool selected = run.filter.snapshot_selected(*resource, object);
  if (run.filter.has_labels()) run.labels.created(key_of(*resource, object), selected);
  if (!selected) return "left out by the selection (--resource, -n, -l)";
  if (auto why = left_alone_here(run, *resource, object)) return std::string(*why);
  if (run.options.dry_run) {
    plan = plan_create(run, *resource, object, std::nullopt);
    planned = true;
    return "";
  }
  run.applier.create(*resource, std::move(object));
  return "";
}

// Creates `objects[i]` for every selected i in `indices`, concurrently; a dry run prints the plan
// of each in input order instead.
void create_all(Run& run, std::vector<formats::Value>& objects, const std::vector<std::size_t>& indices) {
  std::vector<std::string> plans(run.options.dry_run ? indices.size() : 0);
  parallel_for(indices.size(), run.options.concurrency, [&](std::size_t n) {
    if (run.controls.stop) return;
    bool planned = false;
    std::string plan;
    std::string why = create_one(run, objects[indices[n]], planned, plan);
    if (!run.options.dry_run) return;
    if (!planned && !why.empty()) plan = plan_skip("", ownerref::describe_object(objects[indices[n]]), why);
    plans[n] = std::move(plan);
  });
  for (const auto& plan : plans)
    if (!plan.empty()) run.plan(plan);
}

// Moves out of `rest` (into run.awaiting_namespace) the objects whose namespace neither the
// snapshot nor the target holds. A dry run plans them where they stand.
void defer_until_namespace(Run& run, std::vector<formats::Value>& objects, std::vector<std::size_t>& rest,
                           const std::vector<std::size_t>& namespaces) {
  auto ns_resource = run.catalog.find({"", "v1", "namespaces"});
  if (run.options.dry_run || !ns_resource) return;
  std::unordered_map<std::string, bool> present;  // namespace name -> the snapshot or the target holds it
  for (std::size_t i : namespaces) present[std::string(objects[i].string_at({"metadata", "name"}))] = true;
  std::erase_if(rest, [&](std::size_t i) {
    std::string ns(objects[i].string_at({"metadata", "namespace"}));
    if (ns.empty()) return false;
    auto [it, fresh] = present.try_emplace(ns, true);
    if (fresh) {
      auto got = run.client.get(*ns_resource, "", ns);
      it->second = got || !is_not_found(got.error());
    }
    if (it->second) return false;
    run.awaiting_namespace[ns].push_back(std::move(objects[i]));
    return true;
  });
}

}  // namespace

void create_awaiting(Run& run) {
  std::vector<formats::Value> left;
  for (auto& [ns, objects] : run.awaiting_namespace)
    for (auto& object : objects) left.push_back(std::move(object));
  run.awaiting_namespace.clear();
  std::vector<std::size_t> all(left.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  create_all(run, left, all);
}

void parallel_for(std::size_t count, int concurrency, const std::function<void(std::size_t)>& fn) {
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < count; i = next++) fn(i);
  };
  std::size_t threads = std::min<std::size_t>(count, static_cast<std::size_t>(std::max(concurrency, 1)));
  if (threads <= 1) return work();
  std::vector<std::jthread> pool;
  pool.reserve(threads);
  for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(work);
}

void run_snapshot(Run& run, std::vector<formats::Value> objects) {
  std::vector<std::size_t> namespaces, crds, rest;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    switch (stage_of(objects[i])) {
      case Stage::namespaces:
        namespaces.push_back(i);
        break;
      case Stage::crds:
        crds.push_back(i);
        break;
      case Stage::rest:
        rest.push_back(i);
        break;
    }
  }
  if (run.options.dry_run && !objects.empty())
    run.plan("snapshot: " + std::to_string(objects.size()) + " objects");
  create_all(run, objects, namespaces);
  create_all(run, objects, crds);
  defer_until_namespace(run, objects, rest, namespaces);
  std::vector<ownerref::Node> nodes;
  nodes.reserve(rest.size());
  for (std::size_t i : rest) nodes.push_back(ownerref::node_of(objects[i]));
  ownerref::Plan plan = ownerref::plan_layers(std::move(nodes));
  for (const auto& problem : plan.problems) run.summary.problem(problem.message);
  for (std::size_t layer = 0; layer < plan.layers.size() && !run.controls.stop; ++layer) {
    std::vector<std::size_t> indices;
    for (ownerref::NodeId id : plan.layers[layer]) indices.push_back(rest[id]);
    if (run.options.dry_run)
      run.plan("layer " + std::to_string(layer + 1) + ": " + std::to_string(indices.size()) + " objects");
    create_all(run, objects, indices);
  }
}

}  // namespace ktape::replayer
