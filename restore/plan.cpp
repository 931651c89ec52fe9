// make_plan: the recorded state at a time against the live target, within the selection, as the
// steps that make the target equal to it.
#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <unordered_map>

#include "replayer/objects.hpp"
#include "replayer/policy.hpp"
#include "restore/restore.hpp"
#include "store/diff.hpp"
#include "store/state_at.hpp"

namespace ktape::restore {

namespace {

using formats::Value;
using kube::ApiResource;
using kube::Discovery;

// The Deployment controller bumps this on every rollout, so a restored Deployment could never
// equal its recorded self with it compared.
constexpr std::string_view k_revision_annotation = "/metadata/annotations/deployment.kubernetes.io~1revision";
// Objects per LIST page: fewer round trips than client-go's 500 when a restore reads a whole
// namespace, while a page stays a few MB.
constexpr std::int64_t k_page = 5000;
constexpr std::string_view k_not_pruned = "not in the recorded state (--prune deletes it)";
constexpr std::string_view k_owned_kept = "a controller in the target makes it (--owned replay restores it)";

struct KeyParts {
  std::string api_version, resource, namespace_name, name;
};

KeyParts split_key(std::string_view key) {
  KeyParts k;
  std::string* parts[] = {&k.api_version, &k.resource, &k.namespace_name, &k.name};
  for (auto* part : parts) {
    auto bar = key.find('|');
    *part = std::string(key.substr(0, bar));
    key.remove_prefix(std::min(bar == std::string_view::npos ? key.size() : bar + 1, key.size()));
  }
  return k;
}

std::pair<std::string, std::string> split_api_version(std::string_view api_version) {
  auto slash = api_version.find('/');
  if (slash == std::string_view::npos) return {"", std::string(api_version)};
  return {std::string(api_version.substr(0, slash)), std::string(api_version.substr(slash + 1))};
}

// What the target serves, plus what the state's CRDs define (created before their objects).
struct Resources {
  Discovery served;
  std::vector<ApiResource> defined;  // by CRDs in the state, not served yet

  std::optional<ApiResource> find(const KeyParts& k) const {
    auto [group, version] = split_api_version(k.api_version);
    if (const auto* r = served.find(group, version, k.resource)) return *r;
    for (const auto& r : defined)
      if (r.group == group && r.version == version && r.resource == k.resource) return r;
    return std::nullopt;
  }
};

// A resource the plan can name although nobody serves it (for the pre-flight's problem).
ApiResource made_up(const KeyParts& k, const Value& object) {
  ApiResource r;
  std::tie(r.group, r.version) = split_api_version(k.api_version);
  r.resource = k.resource;
  r.kind = std::string(object.string_at({"kind"}));
  r.namespaced = !k.namespace_name.empty();
  r.verbs = {"create", "get", "list", "update", "delete"};
  return r;
}

store::PluralResolver resolver_of(const Discovery& discovery) {
  return [&discovery](std::string_view api_version, std::string_view kind) {
    for (const auto& r : discovery.resources)
      if (r.kind == kind && r.api_version() == api_version) return r.resource;
    return store::guess_plural(kind);
  };
}

struct StateSide {
  store::ObjectMap objects;  // as recorded
  std::vector<std::string> header_resources;
  std::string server_version;
};

Result<StateSide> read_state(const RestoreOptions& options, const Discovery& discovery) {
  auto opened = store::open_recording(options.path);
  if (!opened) return fail(opened.error());
  StateSide out;
  if (opened->header) {
    out.server_version = opened->header->server_version;
    if (const Value* rs = opened->header->selection.find("resources"); rs != nullptr && rs->is_array())
      for (const auto& r : rs->as_array())
        if (r.is_string()) out.header_resources.push_back(r.as_string());
  }
  store::RecordedState state(resolver_of(discovery));
  auto rest = store::apply_until(opened->reader, state, options.at_ns);
  if (!rest) return fail(rest.error());
  out.objects = state.release_objects();
  return out;
}

// The resources to list in the target: --resource when given, else every resource of the state's
// objects and of the recording's header (what was recorded), each once, list-able ones only.
std::vector<ApiResource> live_resources(const Resources& resources, const kube::SelectionMatcher& matcher,
                                        const StateSide& state) {
  if (!matcher.resources().empty()) return matcher.resources();
  std::vector<ApiResource> out;
  auto add = [&](const ApiResource& r) {
    if (!kube::contains_resource(out, r) && r.has_verb("list") && matcher.resource_selected(r) &&
        !kube::excluded_by_default(r))
      out.push_back(r);
  };
  for (const auto& [key, object] : state.objects) {
    auto k = split_key(key);
    auto [group, version] = split_api_version(k.api_version);
    if (const auto* r = resources.served.find(group, version, k.resource)) add(*r);
  }
  for (const auto& name : state.header_resources)
    if (auto r = resources.served.resolve(name)) add(*r);
  return out;
}

struct LiveSide {
  store::ObjectMap objects;
  std::set<std::string> namespaces;  // every namespace the target has
};

Result<void> list_into(kube::Client& client, const ApiResource& r, const kube::ListOptions& list,
                       const std::function<void(Value&&)>& take) {
  auto pager = client.list(r, list);
  for (;;) {
    auto page = pager.next();
    if (!page) return fail(with_context(page.error(), "listing " + r.qualified_name()));
    if (!*page) return {};
    for (auto& item : (*page)->items) take(std::move(item));
  }
}

Result<LiveSide> read_live(kube::Client& client, const std::vector<ApiResource>& resources,
                           const RestoreOptions& options, const Discovery& discovery) {
  LiveSide out;
  kube::ListOptions list;
  list.namespace_name = kube::server_side_namespace(options.selection);
  list.label_selector = options.selection.label_selector;
  list.limit = k_page;
  for (const auto& r : resources) {
    auto listed = list_into(client, r, list, [&](Value&& item) {
      auto key =
          store::RecordedState::key(r.api_version(), r.resource, item.string_at({"metadata", "namespace"}),
                                    item.string_at({"metadata", "name"}));
      out.objects.emplace(std::move(key), std::move(item));
    });
    if (!listed) return fail(listed.error());
  }
  auto ns = discovery.resolve("namespaces");
  if (!ns) return out;
  auto listed = list_into(client, *ns, {}, [&](Value&& item) {
    out.namespaces.emplace(item.string_at({"metadata", "name"}));
  });
  if (!listed) return fail(listed.error());
  return out;
}

store::DiffOptions diff_options(const RestoreOptions& options) {
  store::DiffOptions d;
  d.ignore_status = options.status == replayer::StatusMode::drop;
  d.ignore_fields = options.ignore_fields;
  d.ignore_fields.emplace_back(k_revision_annotation);
  return d;
}

// Selected and normalised copies of `objects`, by key.
store::ObjectMap selected_normalised(const store::ObjectMap& objects, const Resources& resources,
                                     const kube::SelectionMatcher& matcher, const store::DiffOptions& d) {
  store::ObjectMap out;
  for (const auto& [key, object] : objects) {
    auto k = split_key(key);
    auto r = resources.find(k);
    if (!matcher.selected(r ? *r : made_up(k, object), k.namespace_name, &object)) continue;
    Value copy = object;
    store::normalize_for_diff(copy, d);
    out.emplace(key, std::move(copy));
  }
  return out;
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
  const StateSide& state;
  const LiveSide& live;
  Plan plan;

  ApiResource resource_of(const KeyParts& k, const Value& object) {
    if (auto r = resources.find(k)) return *r;
    std::string name = k.resource;  // appended, not "." + group: GCC 12's -O3 -Werror=restrict
    if (k.api_version.find('/') != std::string::npos)
      name.append(".").append(split_api_version(k.api_version).first);
    if (std::find(plan.unserved.begin(), plan.unserved.end(), name) == plan.unserved.end())
      plan.unserved.push_back(name);
    return made_up(k, object);
  }

  void add(const store::DiffEntry& e, const std::string& key) {
    auto k = split_key(key);
    const Value* desired = e.action == store::DiffAction::added ? nullptr : &state.objects.at(key);
    const Value* current = e.action == store::DiffAction::removed ? nullptr : &live.objects.at(key);
    Step step;
    step.resource = resource_of(k, desired != nullptr ? *desired : *current);
    step.namespace_name = k.namespace_name;
    step.name = k.name;
    step.fields = e.fields;
    step.reason = std::string(left_alone(options, step.resource, k, desired, current));
    if (!step.reason.empty()) {
      step.action = Action::keep;
    } else if (e.action == store::DiffAction::removed) {
      step.action = Action::create;
    } else if (e.action == store::DiffAction::modified) {
      step.action = Action::update;
    } else {
      step.action = options.prune ? Action::remove : Action::keep;
      if (!options.prune) step.reason = std::string(k_not_pruned);
    }
    if (step.action == Action::create || step.action == Action::update) step.desired = *desired;
    if (current != nullptr) {
      step.live_version = std::string(current->string_at({"metadata", "resourceVersion"}));
      step.live_uid = std::string(ownerref::uid_of(*current));
    }
    plan.steps.push_back(std::move(step));
  }
};

// Calls `each` with the key and diff entry of every object that differs between `a` (the state)
// and `b` (the target), in key order; counts the equal ones in `unchanged`. store::diff_states
// compares (and names the changed fields of) each differing pair.
void for_each_difference(const store::ObjectMap& a, const store::ObjectMap& b,
                         const std::function<void(const std::string&, store::DiffEntry&&)>& each,
                         std::size_t& unchanged) {
  auto x = a.begin();
  auto y = b.begin();
  while (x != a.end() || y != b.end()) {
    const bool only_a = y == b.end() || (x != a.end() && x->first < y->first);
    const bool only_b = !only_a && (x == a.end() || y->first < x->first);
    const std::string& key = only_b ? y->first : x->first;
    if (!only_a && !only_b && x->second == y->second) {
      ++unchanged;
    } else {
      store::ObjectMap one_a, one_b;
      if (!only_b) one_a.emplace(x->first, x->second);
      if (!only_a) one_b.emplace(y->first, y->second);
      auto entries = store::diff_states(one_a, one_b);
      if (!entries.empty()) each(key, std::move(entries.front()));
    }
    if (!only_b) ++x;
    if (!only_a) ++y;
  }
}

void add_links(Plan& plan, const store::ObjectMap& state, const store::ObjectMap& live) {
  for (const auto& [key, object] : state) {
    auto it = live.find(key);
    auto k = ownerref::key_of(object);
    if (it == live.end() || !k) continue;
    auto old_uid = ownerref::uid_of(object), new_uid = ownerref::uid_of(it->second);
    if (!old_uid.empty() && !new_uid.empty())
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
  auto state = read_state(options, *discovery);
  if (!state) return fail(state.error());
  lap(timings.read_state);
  Resources resources{*discovery, {}};
  for (const auto& [key, object] : state->objects)
    if (auto r = replayer::resource_of_crd(object); r && !discovery->find(r->group, r->version, r->resource))
      resources.defined.push_back(*r);
  auto live = read_live(client, live_resources(resources, *matcher, *state), options, *discovery);
  if (!live) return fail(live.error());
  lap(timings.list);
  auto d = diff_options(options);
  auto a = selected_normalised(state->objects, resources, *matcher, d);
  auto b = selected_normalised(live->objects, resources, *matcher, d);
  Builder builder{options, resources, *state, *live, {}};
  builder.plan.state_selected = a.size();
  builder.plan.live_selected = b.size();
  builder.plan.recorded_server_version = state->server_version;
  for_each_difference(
      a, b, [&](const std::string& key, store::DiffEntry&& e) { builder.add(e, key); },
      builder.plan.unchanged);
  add_links(builder.plan, state->objects, live->objects);
  add_needed_namespaces(builder.plan, state->objects, live->namespaces, *discovery);
  order_steps(builder.plan, state->objects);
  builder.plan.discovery = std::move(*discovery);
  lap(timings.compare);
  builder.plan.timings = timings;
  return std::move(builder.plan);
}

}  // namespace ktape::restore
