// diff_sides: reading the two sides of a diff (recordings or a live cluster) into normalised,
// selected states.
#include <algorithm>
#include <set>
#include <thread>

#include "store/diff.hpp"
#include "store/state_at.hpp"

namespace ktape::store {

namespace {

using formats::Value;
using kube::ApiResource;
using kube::Discovery;

struct KeyParts {
  std::string group, version, resource, namespace_name, name;
};

KeyParts split_key(std::string_view key) {
  std::string_view parts[4];
  for (auto& part : parts) {
    auto bar = key.find('|');
    part = key.substr(0, bar);
    key.remove_prefix(std::min(bar + 1, key.size()));
  }
  KeyParts k;
  auto slash = parts[0].find('/');
  k.group = slash == std::string_view::npos ? "" : std::string(parts[0].substr(0, slash));
  k.version = std::string(slash == std::string_view::npos ? parts[0] : parts[0].substr(slash + 1));
  k.resource = std::string(parts[1]);
  k.namespace_name = std::string(parts[2]);
  k.name = std::string(parts[3]);
  return k;
}

// The resource of an object under `key`: from discovery when it serves it, else made up from the
// object (so that a recording's resources that no server is asked about can still be selected).
ApiResource resource_of(const Discovery& discovery, const KeyParts& k, const Value& object) {
  if (const auto* r = discovery.find(k.group, k.version, k.resource)) return *r;
  ApiResource r;
  r.group = k.group;
  r.version = k.version;
  r.resource = k.resource;
  r.kind = std::string(object.string_at({"kind"}));
  r.namespaced = !k.namespace_name.empty();
  r.verbs = {"list", "watch"};
  r.preferred = true;
  return r;
}

// The length of "apiVersion|resource|" at the start of an object key: the keys of one resource
// share it, and a state's keys are sorted, so each resource is one run of keys.
std::size_t resource_prefix(std::string_view key) {
  auto bar = key.find('|');
  bar = bar == std::string_view::npos ? bar : key.find('|', bar + 1);
  return bar == std::string_view::npos ? key.size() : bar + 1;
}

// The namespace part of an object key.
std::string_view key_namespace(std::string_view key) {
  key.remove_prefix(resource_prefix(key));
  return key.substr(0, key.find('|'));
}

// resource_of for each object of a state in key order, computed once per run of one resource (and
// again only for an object whose kind differs from its run's when discovery does not know it).
class ResourceRuns {
 public:
  explicit ResourceRuns(const Discovery& discovery) : m_discovery(discovery) {}

  const ApiResource& of(const std::string& key, const Value& object) {
    std::string_view prefix = std::string_view(key).substr(0, resource_prefix(key));
    bool same_run = m_valid && prefix == m_prefix;
    if (same_run && (m_known || object.string_at({"kind"}) == m_resource.kind)) return m_resource;
    auto k = split_key(key);
    m_known = m_discovery.find(k.group, k.version, k.resource) != nullptr;
    m_resource = resource_of(m_discovery, k, object);
    m_prefix = prefix;
    m_valid = true;
    return m_resource;
  }

 private:
  const Discovery& m_discovery;
  bool m_valid = false;
  bool m_known = false;  // m_resource came from discovery, so it does not depend on the object
  std::string m_prefix;
  ApiResource m_resource;
};

// A discovery document describing what two recordings hold, for --resource when no server is
// involved: plural, kind and singular (kind in lower case) resolve; short names do not.
Discovery discovery_of(const ObjectMap& a, const ObjectMap& b) {
  Discovery d;
  std::set<std::string> seen;
  for (const auto* side : {&a, &b}) {
    std::string_view run;  // the resource prefix of the previous key: only a new run can be new
    for (const auto& [key, object] : *side) {
      std::string_view prefix = std::string_view(key).substr(0, resource_prefix(key));
      if (prefix == run) continue;
      run = prefix;
      auto k = split_key(key);
      if (!seen.insert(k.group + "/" + k.version + "/" + k.resource).second) continue;
      d.resources.push_back(resource_of(Discovery{}, k, object));
    }
  }
  return d;
}

// Drops the objects the selection leaves out; with `normalize`, first normalises each object
// (normalize_for_diff) in the same pass over the state, so a state is walked once, not twice.
void select(ObjectMap& objects, const kube::SelectionMatcher& matcher, const Discovery& discovery,
            const DiffOptions* normalize = nullptr) {
  ResourceRuns runs(discovery);
  for (auto it = objects.begin(); it != objects.end();) {
    if (normalize != nullptr) normalize_for_diff(it->second, *normalize);
    bool keep = matcher.selected(runs.of(it->first, it->second), key_namespace(it->first), &it->second);
    it = keep ? std::next(it) : objects.erase(it);
  }
}

// A plural resolver answering from discovery by apiVersion and kind (custom resources with
// irregular plurals included), falling back to guess_plural.
PluralResolver resolver_of(const Discovery* discovery) {
  if (discovery == nullptr) return {};
  return [discovery](std::string_view api_version, std::string_view kind) {
    for (const auto& r : discovery->resources)
      if (r.kind == kind && r.api_version() == api_version) return r.resource;
    return guess_plural(kind);
  };
}

struct FileSide {
  ObjectMap objects;
  std::vector<std::string> header_resources;  // the header's selection.resources, qualified names
};

// A recording's state, not yet normalised (select does it).
Result<FileSide> read_file_side(const DiffSide& side, const Discovery* discovery) {
  auto opened = open_recording(side.path);
  if (!opened) return fail(opened.error());
  FileSide out;
  if (opened->header)
    if (const Value* rs = opened->header->selection.find("resources"); rs != nullptr && rs->is_array())
      for (const auto& r : rs->as_array())
        if (r.is_string()) out.header_resources.push_back(r.as_string());
  RecordedState state(resolver_of(discovery));
  auto rest = apply_until(opened->reader, state, side.at_ns);
  if (!rest) return fail(rest.error());
  out.objects = state.release_objects();
  return out;
}

// The resources to list on the live side: --resource when given, else what the recording holds
// and what its header says was recorded.
std::vector<ApiResource> live_resources(const Discovery& discovery, const kube::SelectionMatcher& matcher,
                                        const FileSide& file) {
  if (!matcher.resources().empty()) return matcher.resources();
  std::vector<ApiResource> out;
  auto add = [&](const ApiResource& r) {
    if (!kube::contains_resource(out, r) && r.has_verb("list") && matcher.resource_selected(r))
      out.push_back(r);
  };
  for (const auto& [key, object] : file.objects) {
    auto k = split_key(key);
    if (const auto* r = discovery.find(k.group, k.version, k.resource)) add(*r);
  }
  for (const auto& name : file.header_resources)
    if (auto r = discovery.resolve(name)) add(*r);
  return out;
}

Result<ObjectMap> read_live_side(kube::Client& client, const std::vector<ApiResource>& resources,
                                 const DiffOptions& options) {
  ObjectMap out;
  kube::ListOptions list;
  list.namespace_name = kube::server_side_namespace(options.selection);
  list.label_selector = options.selection.label_selector;
  for (const auto& r : resources) {
    auto pager = client.list(r, list);
    for (;;) {
      auto page = pager.next();
      if (!page) return fail(with_context(page.error(), "listing " + r.qualified_name()));
      if (!*page) break;
      for (auto& item : (*page)->items) {
        auto key = RecordedState::key(r.api_version(), r.resource, item.string_at({"metadata", "namespace"}),
                                      item.string_at({"metadata", "name"}));
        normalize_for_diff(item, options);
        out.emplace(std::move(key), std::move(item));
      }
    }
  }
  return out;
}

// One recording side and one live side (in either order).
Result<std::pair<ObjectMap, ObjectMap>> read_with_live(const DiffSide& file_side, const DiffSide& live_side,
                                                       const DiffOptions& options, bool live_first) {
  auto discovery = live_side.live->discover();
  if (!discovery) return fail(with_context(discovery.error(), live_side.label));
  auto matcher = kube::SelectionMatcher::make(options.selection, *discovery);
  if (!matcher) return fail(matcher.error());
  auto file = read_file_side(file_side, &*discovery);
  if (!file) return fail(file.error());
  auto live = read_live_side(*live_side.live, live_resources(*discovery, *matcher, *file), options);
  if (!live) return fail(with_context(live.error(), live_side.label));
  select(file->objects, *matcher, *discovery, &options);
  select(*live, *matcher, *discovery);
  if (live_first) return std::pair{std::move(*live), std::move(file->objects)};
  return std::pair{std::move(file->objects), std::move(*live)};
}

}  // namespace

Result<std::vector<DiffEntry>> diff_sides(const DiffSide& a, const DiffSide& b, const DiffOptions& options) {
  if (a.live != nullptr && b.live != nullptr)
    return fail(ErrorKind::invalid,
                "diff compares a recording with a cluster or two recordings, not two clusters");
  if (a.live != nullptr || b.live != nullptr) {
    auto states =
        a.live != nullptr ? read_with_live(b, a, options, true) : read_with_live(a, b, options, false);
    if (!states) return fail(states.error());
    return diff_states(states->first, states->second);
  }
  FileSide x;
  // The two recordings are read at once, one on a thread of its own (joined before y is used).
  Result<FileSide> y = fail(ErrorKind::cancelled, "not read");
  {
    std::jthread reader([&] { y = read_file_side(b, nullptr); });
    auto x_read = read_file_side(a, nullptr);
    reader.join();
    if (!x_read) return fail(x_read.error());
    x = std::move(*x_read);
  }
  if (!y) return fail(y.error());
  auto discovery = discovery_of(x.objects, y->objects);
  auto matcher = kube::SelectionMatcher::make(options.selection, discovery);
  if (!matcher) return fail(with_context(matcher.error(), "in " + a.label + " or " + b.label));
  {
    std::jthread select_x([&] { select(x.objects, *matcher, discovery, &options); });
    select(y->objects, *matcher, discovery, &options);
  }
  // Each object is freed once compared; what is left of the two maps (their keys) is freed at once.
  auto entries = diff_states_moving(x.objects, y->objects);
  {
    std::jthread free_x([&] { ObjectMap gone = std::move(x.objects); });
    ObjectMap gone = std::move(y->objects);
  }
  return entries;
}

}  // namespace ktape::store
