#pragma once
// What to record: resources by kubectl-style names, namespaces by glob, a label selector. The same
// selection flags serve record, export and replay.
#include <string>
#include <string_view>
#include <vector>

#include "formats/error.hpp"
#include "formats/value.hpp"
#include "kube/discovery.hpp"

namespace ktape::recorder {

struct Selection {
  std::vector<std::string> resources;           // --resource/--filter; empty = every list+watchable resource
  std::vector<std::string> exclude_resources;   // --exclude-resource
  std::vector<std::string> namespaces;          // -n globs; empty = all namespaces
  std::vector<std::string> exclude_namespaces;  // --exclude-namespace globs
  std::string label_selector;                   // -l, applied by the server
};

// Noisy resources left out unless named in Selection::resources: core events,
// events.k8s.io events and coordination.k8s.io leases (they churn and replay meaninglessly).
bool excluded_by_default(const kube::ApiResource& resource);

// The resources to record, at their group's preferred version, each list+watchable. An unknown
// name is a not_found Error naming it; a named resource that cannot be listed and watched is an
// invalid Error.
Result<std::vector<kube::ApiResource>> select_resources(const kube::Discovery& discovery,
                                                        const Selection& selection);

// True when an object in namespace `ns` is selected ("" = cluster-scoped: always, except Namespace
// objects, which are selected by their own name).
bool namespace_selected(const Selection& selection, std::string_view ns);
// The object-level filter for one resource (namespace globs); always true when nothing restricts.
bool object_selected(const Selection& selection, const kube::ApiResource& resource,
                     const formats::Value& object);
// The one namespace the server can filter by (a single -n without glob characters), else "".
std::string server_side_namespace(const Selection& selection);

// The selection as recorded in the header: names of what is recorded and the filters.
formats::Value describe(const Selection& selection, const std::vector<kube::ApiResource>& resources);

}  // namespace ktape::recorder
