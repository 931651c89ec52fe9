// The pre-flight check: one pass over the recording (or the window) against the target.
#include <map>
#include <set>

#include "ownerref/refs.hpp"
#include "replayer/objects.hpp"
#include "replayer/policy.hpp"
#include "replayer/replayer.hpp"

namespace ktape::replayer {

namespace {

constexpr std::size_t k_listed = 20;  // problems of one sort listed one by one, then counted

struct Findings {
  std::set<std::string> crd_defined;  // "kind|group|Kind" and "resource|group|plural" of the file's CRDs
  std::set<std::string> uids;         // every object UID the file creates
  std::set<std::string> namespaces;   // namespaces the file creates
  std::map<std::string, std::string> needed_namespaces;            // namespace -> first object in it
  std::vector<std::pair<std::string, ownerref::OwnerRef>> owners;  // object label, its owner
  // resource label -> (the "group|kind" or "group|plural" a CRD of the file may define, count)
  std::map<std::string, std::pair<std::string, std::size_t>> unserved;
  const ReplayOptions* options = nullptr;  // what the replay leaves alone (policy.hpp)
};

// Whether the replay creates `object` (snapshot: namespaces by -n, CRDs always; events: the
// selection); objects of resources not served yet (a CRD of the file) are counted in.
bool replayed(const Filter& filter, const ReplayOptions& options,
              const std::optional<kube::ApiResource>& served, const formats::Value& object, bool snapshot,
              std::string_view ns) {
  if (!served) return true;
  if (left_alone(options, served->group, served->kind, served->namespaced ? ns : "",
                 object.string_at({"metadata", "name"}), &object))
    return false;
  if (snapshot) return filter.snapshot_selected(*served, object);
  return filter.selected(*served, ns, &object);
}

// `event_ns`: a create event's target namespace (its template may leave metadata.namespace out).
void note_object(Findings& f, const Catalog& catalog, const Filter& filter, const formats::Value& object,
                 bool namespaced_hint, std::optional<std::chrono::nanoseconds> at, Preflight& result,
                 std::string_view event_ns = {}) {
  std::string label = ownerref::describe_object(object);
  if (auto crd = resource_of_crd(object)) {
    f.crd_defined.insert("kind|" + crd->group + "|" + crd->kind);
    f.crd_defined.insert("resource|" + crd->group + "|" + crd->resource);
  }
  if (std::string uid(ownerref::uid_of(object)); !uid.empty()) f.uids.insert(uid);
  if (object.string_at({"kind"}) == "Namespace" && object.string_at({"apiVersion"}) == "v1")
    f.namespaces.insert(std::string(object.string_at({"metadata", "name"})));
  std::string ns(object.string_at({"metadata", "namespace"}));
  auto served = catalog.find_object(object);
  if (std::string uid(ownerref::uid_of(object));
      !uid.empty() &&
      replayed(filter, *f.options, served, object, !at, event_ns.empty() ? std::string_view(ns) : event_ns))
    result.creates.try_emplace(std::move(uid), FileObject{label, at});
  if (!ns.empty() && (served ? served->namespaced : namespaced_hint)) f.needed_namespaces.emplace(ns, label);
  for (auto& ref : ownerref::owner_refs_of(object)) f.owners.emplace_back(label, ref);
  if (!served) {
    auto& [crd_key, count] = f.unserved[std::string(object.string_at({"apiVersion"})) + " " +
                                        std::string(object.string_at({"kind"}))];
    crd_key = "kind|" + ownerref::group_of(object.string_at({"apiVersion"})) + "|" +
              std::string(object.string_at({"kind"}));
    ++count;
  }
}

void note_event(Findings& f, const Catalog& catalog, const Filter& filter,
                const formats::ResourcePatch& event, Preflight& result) {
  if (event.method == formats::Method::create && event.template_value.is_object())
    return note_object(f, catalog, filter, event.template_value, !event.namespace_name.empty(),
                       std::chrono::nanoseconds(event.duration_ns), result, event.namespace_name);
  if (event.method == formats::Method::patch)
    for (auto& ref : ownerref::owners_added_by(formats::PatchType::strategic, event.template_value))
      f.owners.emplace_back(event.resource.api_version() + " " + event.resource.resource + " " + event.name,
                            ref);
  if (!catalog.find(event.resource)) {
    auto& [crd_key, count] = f.unserved[resource_label(event.resource)];
    crd_key = "resource|" + event.resource.group + "|" + formats::normalize_plural(event.resource.resource);
    ++count;
  }
}

template <typename F>
void listed(std::vector<std::string>& out, std::size_t& shown, F line) {
  if (shown++ < k_listed) out.push_back(line());
}

void evaluate(Findings& f, kube::Client& client, const Catalog& catalog, Preflight& result) {
  for (const auto& [resource, entry] : f.unserved) {
    const auto& [crd_key, count] = entry;
    if (f.crd_defined.count(crd_key)) continue;
    result.problems.push_back("the target does not serve " + resource + " (" + std::to_string(count) +
                              " objects or events in the file)");
  }
  std::size_t shown = 0;
  // Pairs, not structured bindings, where a lambda reads them (clang before 16 cannot capture those).
  for (const auto& owner : f.owners)
    if (!owner.second.uid.empty() && !f.uids.count(owner.second.uid))
      listed(result.problems, shown, [&] {
        return owner.first + ": owner " + ownerref::describe(owner.second) + " is not in the file";
      });
  if (shown > k_listed)
    result.problems.push_back("... and " + std::to_string(shown - k_listed) + " more missing owners");
  auto ns_resource = catalog.find({"", "v1", "namespaces"});
  shown = 0;
  for (const auto& needed : f.needed_namespaces) {
    const std::string& ns = needed.first;
    if (f.namespaces.count(ns) || !ns_resource) continue;
    auto got = client.get(*ns_resource, "", ns);
    if (!got && is_not_found(got.error()))
      listed(result.problems, shown, [&] {
        std::string line = needed.second + ": namespace ";
        line += ns;
        line += " is neither in the file nor in the target";
        return line;
      });
  }
  if (shown > k_listed)
    result.problems.push_back("... and " + std::to_string(shown - k_listed) + " more missing namespaces");
}

}  // namespace

Result<Preflight> preflight(kube::Client& client, const ReplayOptions& options) {
  auto discovery = client.discover();
  if (!discovery) return fail(with_context(discovery.error(), "discovery of the target"));
  auto filter = Filter::make(options.selection, *discovery);
  if (!filter) return fail(filter.error());
  Catalog catalog(std::move(*discovery));
  auto reader = formats::RecordingReader::open(options.path, {std::nullopt, 4096});
  if (!reader) return fail(reader.error());
  Preflight result;
  Findings findings;
  findings.options = &options;
  // Parsing the file is most of a snapshot replay's own work: the snapshot section is kept for the
  // replay until an event shows that the replay reads the file again anyway.
  bool keep = true, in_snapshot = true;
  while (true) {
    auto entry = reader->next();
    if (!entry) {
      result.warnings.push_back(entry.error().message + " (what comes before it is replayed)");
      if (in_snapshot) result.snapshot_error = entry.error();
      break;
    }
    if (!*entry) break;
    if ((*entry)->kind == formats::RecordingEntry::Kind::object) {
      ++result.objects;
      note_object(findings, catalog, *filter, (*entry)->object, true, std::nullopt, result);
      if (keep && in_snapshot) result.snapshot.push_back(std::move((*entry)->object));
      continue;
    }
    in_snapshot = false;
    if (keep && !options.snapshot_only) {
      keep = false;
      result.snapshot = {};
    }
    const auto& event = (*entry)->event;
    if (options.snapshot_only || (options.to && std::chrono::nanoseconds(event.duration_ns) > *options.to))
      continue;
    ++result.events;
    note_event(findings, catalog, *filter, event, result);
  }
  evaluate(findings, client, catalog, result);
  result.snapshot_kept = keep;
  if (!keep) result.snapshot_error.reset();
  return result;
}

}  // namespace ktape::replayer
