// make_plan: the recorded state at a time against the live target, within the selection, as the
// steps that make the target equal to it.
#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_set>

#include "replayer/objects.hpp"
#include "replayer/policy.hpp"
#include "restore/adopt.hpp"
#include "restore/compare.hpp"
#include "restore/restore.hpp"
#include "restore/sides.hpp"
#include "store/diff.hpp"

namespace ktape::restore {

namespace {

using formats::Value;
using kube::ApiResource;
using kube::Discovery;

// The Deployment controller bumps this on every rollout, so a restored Deployment could never
// equal its recorded self with it compared.
constexpr std::string_view k_revision_annotation = "/metadata/annotations/deployment.kubernetes.io~1revision";
constexpr std::string_view k_not_pruned = "not in the recorded state (--prune deletes it)";
constexpr std::string_view k_owned_kept = "a controller in the target makes it (--owned replay restores it)";

// A resource the plan can name although nobody serves it (for the pre-flight's problem).
ApiResource made_up(const KeyParts& k, const Value& object) {
  ApiResource r;
  std::tie(r.group, r.version) = split_api_version(k.api_version);
  r.resource = std::string(k.resource);
  r.kind = std::string(object.string_at({"kind"}));
  r.namespaced = !k.namespace_name.empty();
  r.verbs = {"create", "get", "list", "update", "delete"};
  return r;
}

store::DiffOptions diff_options(const RestoreOptions& options) {
  store::DiffOptions d;
  d.ignore_status = options.status == replayer::StatusMode::drop;
  d.ignore_fields = options.ignore_fields;
  d.ignore_fields.emplace_back(k_revision_annotation);
  return d;
}

// Why a write to this object is left out, or "" when it is not.
std::string_view left_alone(const RestoreOptions& options, const ApiResource& r, const KeyParts& k,
                            const Value* desired, const Value* live) {
  if (replayer::control_plane_owns(r.group, r.kind, k.namespace_name, k.name))
    return replayer::k_kept_control_plane;
  if (options.owned == replayer::OwnedObjects::skip &&
      ((desired != nullptr && replayer::has_controller_owner(*desired)) ||
       (live != nullptr && replayer::has_controller_owner(*live))))
    return k_owned_kept;
  return {};
}

struct Builder {
  const RestoreOptions& options;
  const Resources& resources;
  Plan plan;

  ApiResource resource_of(const KeyParts& k, const Value& object) {
    if (const auto* r = resources.find(k)) return *r;
    std::string name(k.resource);  // appended, not "." + group: GCC 12's -O3 -Werror=restrict
    if (k.api_version.find('/') != std::string_view::npos)
      name.append(".").append(split_api_version(k.api_version).first);
    if (std::find(plan.unserved.begin(), plan.unserved.end(), name) == plan.unserved.end())
      plan.unserved.push_back(name);
    return made_up(k, object);
  }

  // `desired`: the state's object (nullptr when only the target has it); `current`: the target's.
  void add(const std::string& key, const Value* desired, const Value* current,
           std::vector<std::string> fields) {
    auto k = split_key(key);
    Step step;
    step.resource = resource_of(k, desired != nullptr ? *desired : *current);
    step.namespace_name = std::string(k.namespace_name);
    step.name = std::string(k.name);
    step.fields = std::move(fields);
    step.reason = std::string(left_alone(options, step.resource, k, desired, current));
    if (!step.reason.empty()) {
      step.action = Action::keep;
    } else if (current == nullptr) {
      step.action = Action::create;
    } else if (desired != nullptr) {
      step.action = Action::update;
    } else {
      step.action = options.prune ? Action::remove : Action::keep;
      if (!options.prune) step.reason = std::string(k_not_pruned);
    }
    if (step.action == Action::create || step.action == Action::update) step.desired = *desired;
    if (current != nullptr) {
      step.live_version = std::string(current->string_at({"metadata", "resourceVersion"}));
      step.live_uid = std::string(ownerref::uid_of(*current));
      const Value* managed = current->at({"metadata", "managedFields"});
      if (step.action == Action::update && options.update == UpdateMethod::apply && managed != nullptr &&
          has_update_entry(*managed, k_field_manager))
        step.live_fields = *managed;
    }
    plan.steps.push_back(std::move(step));
  }
};

// The comparison of the two sides within the selection, object by object in key order: equal
// pairs are only counted (IgnoredFields decides without copying them); each differing object is
// handed to the Builder, a changed pair with the fields store::diff_states names (from copies).
class Comparison {
 public:
  Comparison(const RestoreOptions& options, const Resources& resources, const kube::SelectionMatcher& matcher)
      : m_resources(resources), m_matcher(matcher), m_diff(diff_options(options)), m_ignored(m_diff) {}

  void run(const store::ObjectMap& state, const store::ObjectMap& live, Builder& builder) {
    auto x = state.begin();
    auto y = live.begin();
    while (x != state.end() || y != live.end()) {
      const bool only_state = y == live.end() || (x != state.end() && x->first < y->first);
      const bool only_live = !only_state && (x == state.end() || y->first < x->first);
      const Value* desired = !only_live && selected(x->first, x->second) ? &x->second : nullptr;
      const Value* current = !only_state && selected(y->first, y->second) ? &y->second : nullptr;
      builder.plan.state_selected += desired != nullptr;
      builder.plan.live_selected += current != nullptr;
      if (desired != nullptr || current != nullptr)
        pair(only_live ? y->first : x->first, desired, current, builder);
      if (!only_live) ++x;
      if (!only_state) ++y;
    }
  }

 private:
  bool selected(const std::string& key, const Value& object) const {
    auto k = split_key(key);
    if (const auto* r = m_resources.find(k)) return m_matcher.selected(*r, k.namespace_name, &object);
    return m_matcher.selected(made_up(k, object), k.namespace_name, &object);
  }

  void pair(const std::string& key, const Value* desired, const Value* current, Builder& builder) const {
    if (desired == nullptr || current == nullptr) return builder.add(key, desired, current, {});
    if (m_ignored.equal(*desired, *current)) {
      ++builder.plan.unchanged;
      return;
    }
    store::ObjectMap a, b;
    store::normalize_for_diff(a.emplace(key, *desired).first->second, m_diff);
    store::normalize_for_diff(b.emplace(key, *current).first->second, m_diff);
    auto entries = store::diff_states(a, b);
    if (entries.empty()) {  // IgnoredFields agrees with normalize_for_diff (test_compare.cpp)
      ++builder.plan.unchanged;
      return;
    }
    builder.add(key, desired, current, std::move(entries.front().fields));
  }

  const Resources& m_resources;
  const kube::SelectionMatcher& m_matcher;
  store::DiffOptions m_diff;
  IgnoredFields m_ignored;
};

// Every string in `v` (UIDs among them, wherever an object carries them).
void collect_strings(const Value& v, std::unordered_set<std::string_view>& out) {
  if (v.is_string()) {
    out.insert(v.as_string());
  } else if (v.is_array()) {
    for (const auto& e : v.as_array()) collect_strings(e, out);
  } else if (v.is_object()) {
    for (const auto& m : v.as_object()) collect_strings(m.value, out);
  }
}

// Objects in both sides (selected or not) whose recorded UID a create or update refers to: their
// recorded UID and the target's, for the relinker. Only those: the relinker rewrites the UIDs the
// written objects carry, and recording all 20,000 of a large restore cost more than its writes.
void add_links(Plan& plan, const store::ObjectMap& state, const store::ObjectMap& live) {
  std::unordered_set<std::string_view> referenced;
  for (const auto& step : plan.steps)
    if (step.action == Action::create || step.action == Action::update)
      collect_strings(step.desired, referenced);
  auto y = live.begin();
  for (const auto& [key, object] : state) {
    while (y != live.end() && y->first < key) ++y;
    if (y == live.end()) return;
    auto old_uid = ownerref::uid_of(object);
    if (y->first != key || old_uid.empty() || !referenced.contains(old_uid)) continue;
    auto new_uid = ownerref::uid_of(y->second);
    auto k = ownerref::key_of(object);
    if (!new_uid.empty() && k)
      plan.links.push_back({std::move(*k), std::string(old_uid), std::string(new_uid)});
  }
}

}  // namespace

std::string_view action_name(Action action) {
  switch (action) {
    case Action::create:
      return "CREATE";
    case Action::update:
      return "UPDATE";
    case Action::remove:
      return "DELETE";
    case Action::keep:
      break;
  }
  return "KEEP";
}

std::string Step::label() const { return replayer::describe(resource, namespace_name, name); }

std::size_t Plan::count(Action action) const {
  return static_cast<std::size_t>(
      std::count_if(steps.begin(), steps.end(), [action](const Step& s) { return s.action == action; }));
}

std::size_t Plan::writes() const { return steps.size() - count(Action::keep); }

// order.cpp
void add_needed_namespaces(Plan& plan, const store::ObjectMap& state,
                           const std::set<std::string>& live_namespaces, const Discovery& discovery);
void order_steps(Plan& plan, const store::ObjectMap& state);

Result<Plan> make_plan(kube::Client& client, const RestoreOptions& options) {
  using clock = std::chrono::steady_clock;
  Plan::Timings timings;
  auto t = clock::now();
  auto lap = [&t](std::chrono::duration<double>& into) {
    auto now = clock::now();
    into = now - t;
    t = now;
  };
  auto discovery = client.discover();
  if (!discovery) return fail(with_context(discovery.error(), "discovering the target"));
  auto matcher = kube::SelectionMatcher::make(options.selection, *discovery);
  if (!matcher) return fail(matcher.error());
  lap(timings.discover);
  auto sides = read_sides(client, options, *discovery, *matcher);
  if (!sides) return fail(sides.error());
  lap(timings.read);
  const auto& state = sides->state.objects;
  Resources resources{*discovery, {}};
  for (const auto& [key, object] : state)
    if (auto r = replayer::resource_of_crd(object); r && !discovery->find(r->group, r->version, r->resource))
      resources.defined.push_back(*r);
  Builder builder{options, resources, {}};
  builder.plan.recorded_server_version = sides->state.server_version;
  Comparison(options, resources, *matcher).run(state, sides->live.objects, builder);
  add_links(builder.plan, state, sides->live.objects);
  add_needed_namespaces(builder.plan, state, sides->live.namespaces, *discovery);
  order_steps(builder.plan, state);
  builder.plan.discovery = std::move(*discovery);
  lap(timings.compare);
  builder.plan.timings = timings;
  return std::move(builder.plan);
}

}  // namespace ktape::restore
