// The order a plan's steps are applied in: namespaces, CRDs, then creates and updates owners
// before children (so that children re-link to their owners' UIDs in the target), deletes, keeps.
// Also the namespaces and CRDs the selected creates need although the selection left them out.
#include <algorithm>
#include <set>
#include <unordered_map>

#include "replayer/objects.hpp"
#include "restore/restore.hpp"
#include "store/diff.hpp"
#include "store/state.hpp"

namespace ktape::restore {

namespace {

using formats::Value;

constexpr std::string_view k_needed = "needed by the selected objects";

bool is_namespace(const kube::ApiResource& r) { return r.group.empty() && r.resource == "namespaces"; }
bool is_crd(const kube::ApiResource& r) {
  return r.group == "apiextensions.k8s.io" && r.resource == "customresourcedefinitions";
}

bool has_create(const Plan& plan, const std::string& resource, const std::string& name) {
  return std::any_of(plan.steps.begin(), plan.steps.end(), [&](const Step& s) {
    return s.action == Action::create && s.resource.resource == resource && s.name == name;
  });
}

// Adds a create of the state's object under `key` (when the state has it) with reason k_needed.
bool add_from_state(Plan& plan, const store::ObjectMap& state, const kube::Discovery& discovery,
                    const std::string& key, const char* resource_name) {
  auto it = state.find(key);
  auto r = discovery.resolve(resource_name);
  if (it == state.end() || !r) return false;
  Step step;
  step.action = Action::create;
  step.resource = *r;
  step.name = std::string(it->second.string_at({"metadata", "name"}));
  step.reason = std::string(k_needed);
  step.desired = it->second;
  plan.steps.push_back(std::move(step));
  return true;
}

// The depth of an object in its owner chain within the state: 0 without owners in the state.
class Depths {
 public:
  explicit Depths(const store::ObjectMap& state) : m_state(state) {}
  int of(const Value& object, int guard = 0) {
    const Value* refs = object.at({"metadata", "ownerReferences"});
    if (refs == nullptr || !refs->is_array() || guard > 32) return 0;  // 32: deeper is a cycle
    if (m_by_uid.empty())  // indexed at the first owned object: most restores write none
      for (const auto& [key, o] : m_state) m_by_uid.emplace(o.string_at({"metadata", "uid"}), &o);
    int depth = 0;
    for (const auto& ref : refs->as_array()) {
      auto it = m_by_uid.find(std::string(ref.string_at({"uid"})));
      if (it != m_by_uid.end()) depth = std::max(depth, 1 + of(*it->second, guard + 1));
    }
    return depth;
  }

 private:
  const store::ObjectMap& m_state;
  std::unordered_map<std::string, const Value*> m_by_uid;
};

int rank(const Step& step, Depths& depths) {
  constexpr int k_after_writes = 1 << 20;  // past any owner depth
  switch (step.action) {
    case Action::remove:
      return k_after_writes;
    case Action::keep:
      return k_after_writes + 1;
    case Action::create:
    case Action::update:
      break;
  }
  if (is_namespace(step.resource)) return 0;
  if (is_crd(step.resource)) return 1;
  return 2 + depths.of(step.desired);
}

}  // namespace

void add_needed_namespaces(Plan& plan, const store::ObjectMap& state,
                           const std::set<std::string>& live_namespaces, const kube::Discovery& discovery) {
  std::set<std::string> namespaces, crds;
  for (const auto& s : plan.steps) {
    if (s.action != Action::create) continue;
    if (!s.namespace_name.empty() && !live_namespaces.contains(s.namespace_name))
      namespaces.insert(s.namespace_name);
    if (!discovery.find(s.resource.group, s.resource.version, s.resource.resource))
      crds.insert(s.resource.resource + "." + s.resource.group);
  }
  for (const auto& ns : namespaces) {
    if (has_create(plan, "namespaces", ns)) continue;
    if (!add_from_state(plan, state, discovery, store::RecordedState::key("v1", "namespaces", "", ns),
                        "namespaces"))
      plan.missing_namespaces.push_back(ns);
  }
  for (const auto& crd : crds) {
    if (has_create(plan, "customresourcedefinitions", crd)) continue;
    add_from_state(plan, state, discovery,
                   store::RecordedState::key("apiextensions.k8s.io/v1", "customresourcedefinitions", "", crd),
                   "customresourcedefinitions.apiextensions.k8s.io");
  }
}

void order_steps(Plan& plan, const store::ObjectMap& state) {
  Depths depths(state);
  std::vector<std::pair<int, std::size_t>> order;
  order.reserve(plan.steps.size());
  for (std::size_t i = 0; i < plan.steps.size(); ++i) order.emplace_back(rank(plan.steps[i], depths), i);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<Step> sorted;
  sorted.reserve(plan.steps.size());
  for (const auto& [r, i] : order) {
    sorted.push_back(std::move(plan.steps[i]));
    sorted.back().layer = r;
  }
  plan.steps = std::move(sorted);
}

}  // namespace ktape::restore
