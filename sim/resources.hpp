#pragma once
// The simulated cluster's resource table and the documents derived from it: legacy and aggregated
// discovery, and the meta.k8s.io/v1 Table that `kubectl get` asks for. Everything here is pure
// data transformation (no I/O, no locks); the server decides what is served and calls these.
// The built-in table is C++ data that mirrors a real kube-apiserver 1.32 (shared/k8s-reference).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/error.hpp"
#include "formats/value.hpp"

namespace ktape::sim {

// One served group/version/resource. Subresources are flags, not entries of their own.
struct ResourceInfo {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string resource;  // plural, "pods"
  std::string kind;      // "Pod"
  std::string singular;  // "pod"
  bool namespaced = true;
  std::vector<std::string> verbs;        // as discovery lists them, in its order
  std::vector<std::string> short_names;  // "po"
  std::vector<std::string> categories;   // "all" for `kubectl get all`
  bool has_status = false;               // serves the status subresource
  bool has_scale = false;                // serves the scale subresource
  bool custom = false;                   // served for a CRD: strategic merge patch -> 415
  std::string group_version() const;     // "v1", "apps/v1"
};

// Every built-in resource of a kube-apiserver 1.32, preferred versions first within a group
// (autoscaling/v2 before autoscaling/v1). Read-only subresources such as pods/log are not
// listed here (discovery adds them); create-only resources (tokenreviews) are included.
const std::vector<ResourceInfo>& builtin_resources();

// The resources a CustomResourceDefinition (apiextensions.k8s.io/v1 object) serves: one per
// version with `served: true`, sorted by Kubernetes version priority (v2, v1, v1beta1,
// v1alpha1, then others alphabetically), so the first is the group's preferred version as on a
// real server. Subresources come from each version's `subresources` (status, scale); `custom` is
// set. An Error (invalid) names the field when spec.group, spec.names.plural/kind or
// spec.versions is absent or malformed. An empty result means no version is served.
Result<std::vector<ResourceInfo>> resources_from_crd(const formats::Value& crd);

// GET /api: the APIVersions document.
formats::Value discovery_core_versions();
// GET /api/v1: APIResourceList of the core resources in `served` (others are ignored), with
// subresource entries ("pods/status", "pods/log") after their parent.
formats::Value discovery_core_resources(const std::vector<ResourceInfo>& served);
// GET /apis: APIGroupList of every non-core group in `served`, in first-seen order; the
// preferred version of a group is the first version seen for it.
formats::Value discovery_groups(const std::vector<ResourceInfo>& served);
// GET /apis/GROUP/VERSION: APIResourceList, or nullopt when nothing in `served` has that
// group and version (the server answers 404).
std::optional<formats::Value> discovery_group_version(const std::vector<ResourceInfo>& served,
                                                      std::string_view group, std::string_view version);
// Accept `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`: the aggregated
// discovery document for /api (`core` true: the core group only) or /apis (every other group).
formats::Value aggregated_discovery(const std::vector<ResourceInfo>& served, bool core);

// A meta.k8s.io/v1 Table for `kubectl get` (rows with cells and PartialObjectMetadata objects),
// for a list (and, with one object, for a watch event). Columns follow the real server's
// printers for pods, deployments, namespaces, nodes, configmaps, services...; other resources
// get NAME and AGE. AGE is measured against the current wall clock. `resource_version` and
// `continue_token` go to metadata (an empty continue token is omitted).
formats::Value make_table(const ResourceInfo& info, const std::vector<formats::Value>& objects,
                          std::string_view resource_version, std::string_view continue_token);

// kubectl's human duration ("5s", "3m2s", "2d", "4y100d") for `seconds` elapsed. Clock skew:
// -1 s and above print "0s", anything older prints "<invalid>", as kubectl's printer does.
std::string human_duration(long long seconds);

}  // namespace ktape::sim
