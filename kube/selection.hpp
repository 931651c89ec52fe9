#pragma once
// What a command selects, the same for every command (DESIGN.md): resources by kubectl-style names
// (--resource, --exclude-resource), namespaces by glob (-n, --exclude-namespace), a label selector
// (-l). record and export select from a live cluster, replay from a recording; each adds its own
// rules on top (the recorder lists only list+watchable resources and leaves noisy ones out by
// default; the replay always keeps CRDs and decides -l at each object's create).
#include <string>
#include <string_view>
#include <vector>

#include "formats/error.hpp"
#include "formats/label_selector.hpp"
#include "formats/value.hpp"
#include "kube/discovery.hpp"

namespace ktape::kube {

struct Selection {
  // --resource/--filter, kubectl-style names; empty = every resource (record and export: every
  // list+watchable one, minus excluded_by_default).
  std::vector<std::string> resources;
  std::vector<std::string> exclude_resources;   // --exclude-resource, kubectl-style names
  std::vector<std::string> namespaces;          // -n globs; empty = all namespaces
  std::vector<std::string> exclude_namespaces;  // --exclude-namespace globs
  // -l: "app=web,tier!=db,env in (a,b),!x"; "" = all. Record and export have the server apply it.
  std::string label_selector;
};

// True when `text` matches one of `globs` (shell globs: `*`, `?`, `[...]`, as fnmatch(3) without
// flags); false when `globs` is empty.
bool glob_any(const std::vector<std::string>& globs, std::string_view text);

// -n and --exclude-namespace on one namespace name: false when an exclude glob matches it (excludes
// win over includes), else true when there is no -n or one of its globs matches. The name "" is
// matched like any other (only a glob such as "*" matches it).
bool namespace_selected(const Selection& selection, std::string_view name);

// The namespace rule for one object of `resource` in namespace `ns` ("" = cluster-scoped): objects
// of cluster-scoped resources always pass, a Namespace object passes by its own name (read from
// `object`; when `object` is null, as for a patch or delete, `ns` is taken as its name), any other
// object by `ns`.
bool in_selected_namespace(const Selection& selection, const ApiResource& resource, std::string_view ns,
                           const formats::Value* object);

// The names given to `flag` ("--resource", "--exclude-resource"), resolved against `discovery` as
// Discovery::resolve does (kubectl-style: "pods", "deploy", "deployments.apps", "Deployment.apps";
// the group's preferred version unless a version is named), in order, each group/resource once.
// An unknown name is a not_found Error naming the flag and the name
// ("--resource gizmos: the server serves no such resource (see kubectl api-resources)").
Result<std::vector<ApiResource>> resolve_resources(const Discovery& discovery,
                                                   const std::vector<std::string>& names,
                                                   std::string_view flag);

// True when `list` holds `resource` by group and plural (any version).
bool contains_resource(const std::vector<ApiResource>& list, const ApiResource& resource);

// Noisy resources left out unless named in Selection::resources: core events, events.k8s.io
// events and coordination.k8s.io leases (they churn and replay meaninglessly).
bool excluded_by_default(const ApiResource& resource);

// The one namespace the server can filter by (a single -n without glob characters and no
// --exclude-namespace), else "".
std::string server_side_namespace(const Selection& selection);

// The selection as a recording's header carries it: {"resources": the qualified names of
// `resources`, "namespaces", "excludeNamespaces", "excludeResources", "labelSelector"}.
formats::Value describe(const Selection& selection, const std::vector<ApiResource>& resources);

// A Selection resolved against one server's discovery, its label selector parsed: the object-level
// matcher. Cheap to copy; safe to use from many threads at once.
class SelectionMatcher {
 public:
  // Resolves --resource and --exclude-resource (resolve_resources: an unknown name is a not_found
  // Error) and parses -l (a malformed selector is an invalid Error quoting it).
  static Result<SelectionMatcher> make(const Selection& selection, const Discovery& discovery);

  // By group and plural: in --resource when it was given, and not in --exclude-resource.
  bool resource_selected(const ApiResource& resource) const;
  // kube::namespace_selected on this selection.
  bool namespace_selected(std::string_view name) const;
  // True when an object of `resource` in namespace `ns` is selected: resource_selected,
  // in_selected_namespace, and the label selector on `object`'s metadata.labels. A null `object`
  // (a patch or delete, which carries no labels) is decided by resource and namespace alone.
  bool selected(const ApiResource& resource, std::string_view ns, const formats::Value* object) const;
  // True when -l was given.
  bool has_labels() const { return !m_labels.empty(); }

  const Selection& selection() const { return m_selection; }
  // --resource resolved (empty: every resource), in the order named.
  const std::vector<ApiResource>& resources() const { return m_resources; }
  // --exclude-resource resolved.
  const std::vector<ApiResource>& excluded() const { return m_excluded; }

 private:
  SelectionMatcher() = default;
  Selection m_selection;
  std::vector<ApiResource> m_resources, m_excluded;
  formats::LabelSelector m_labels;
};

}  // namespace ktape::kube
