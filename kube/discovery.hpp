#pragma once
// What a server serves: every group/version/resource with its kind, scope, verbs, short names,
// categories and subresources, and the preferred version of each group. Built from aggregated
// discovery (apidiscovery.k8s.io/v2) when the server offers it, else from the legacy documents
// (/api, /api/v1, /apis, /apis/G/V). Parsing is pure, so it is tested on captured documents.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/error.hpp"
#include "formats/value.hpp"

namespace ktape::kube {

// One served resource at one version. Subresources ("status", "scale") are listed on their parent,
// never as resources of their own.
struct ApiResource {
  std::string group;     // "" for the core group, "apps", "example.com"
  std::string version;   // "v1"
  std::string resource;  // plural, lower case: "deployments"
  std::string kind;      // "Deployment"
  std::string singular;  // "deployment" (discovery may leave it empty; then kind in lower case)
  bool namespaced = true;
  std::vector<std::string> verbs;         // "get", "list", "watch", "create", ...
  std::vector<std::string> short_names;   // "deploy"
  std::vector<std::string> categories;    // "all"
  std::vector<std::string> subresources;  // "status", "scale"
  bool preferred = false;                 // this version is the group's preferred version

  std::string api_version() const;  // "apps/v1", or "v1" for the core group
  bool has_verb(std::string_view verb) const;
  bool has_subresource(std::string_view name) const;
  // "deployments.apps" (or "pods" for core): kubectl's way to name it.
  std::string qualified_name() const;
};

struct Discovery {
  std::vector<ApiResource> resources;  // every version, groups in the server's order
  bool aggregated = false;             // built from aggregated discovery

  // Resolves a kubectl-style name: plural, singular, short name or kind (any case), optionally
  // qualified by group ("deployments.apps", "Deployment.apps") or version and group
  // ("deployments.v1.apps"). Returns the group's preferred version unless a version is named;
  // the core group wins over others for an unqualified name, as in kubectl. An unknown name is a
  // not_found Error naming it.
  Result<ApiResource> resolve(std::string_view name) const;
  // The resource at the preferred version of its group, one entry per group/resource.
  std::vector<ApiResource> preferred() const;
  // Exact lookup by group, version and plural; nullptr when not served.
  const ApiResource* find(std::string_view group, std::string_view version, std::string_view resource) const;
};

// Aggregated discovery: the APIGroupDiscoveryList of /api and of /apis (either may be null).
Result<Discovery> parse_aggregated_discovery(const formats::Value& core, const formats::Value& groups);

// Legacy discovery: one APIResourceList per group version, with the group's preferred version.
struct LegacyGroupVersion {
  std::string group;
  std::string version;
  bool preferred = false;
  formats::Value resource_list;  // the APIResourceList document of /api/V or /apis/G/V
};
Result<Discovery> parse_legacy_discovery(const std::vector<LegacyGroupVersion>& documents);

}  // namespace ktape::kube
