// Legacy (APIVersions, APIGroupList, APIResourceList) and aggregated (apidiscovery.k8s.io/v2)
// discovery documents, shaped member by member like a real kube-apiserver 1.32's answers
// (shared/k8s-reference/discovery/).
#include <algorithm>

#include "sim/resources.hpp"
#include "sim/resources_table.hpp"

namespace ktape::sim {

using formats::Value;

namespace {

Value string_array(const std::vector<std::string>& items) {
  Value out = Value::array();
  for (const auto& item : items) out.push_back(item);
  return out;
}

// The resources of one group/version, sorted by name as the real server lists them.
std::vector<const ResourceInfo*> resources_of(const std::vector<ResourceInfo>& served, std::string_view group,
                                              std::string_view version) {
  std::vector<const ResourceInfo*> out;
  for (const auto& info : served)
    if (info.group == group && info.version == version) out.push_back(&info);
  std::stable_sort(out.begin(), out.end(),
                   [](const ResourceInfo* a, const ResourceInfo* b) { return a->resource < b->resource; });
  return out;
}

// APIResource for the resource itself: name, singularName, namespaced, kind, verbs, then the
// optional shortNames, categories, storageVersionHash.
Value legacy_resource(const ResourceInfo& info) {
  Value out = Value::object();
  out.set("name", info.resource);
  out.set("singularName", info.singular);
  out.set("namespaced", info.namespaced);
  out.set("kind", info.kind);
  out.set("verbs", string_array(info.verbs));
  if (!info.short_names.empty()) out.set("shortNames", string_array(info.short_names));
  if (!info.categories.empty()) out.set("categories", string_array(info.categories));
  std::string hash = detail::storage_version_hash_of(info);
  if (!hash.empty()) out.set("storageVersionHash", hash);
  return out;
}

// APIResource for a subresource ("pods/status"): no singular name; group and version only when
// the response kind lives elsewhere (autoscaling/v1 Scale).
Value legacy_subresource(const ResourceInfo& info, const detail::Subresource& sub) {
  Value out = Value::object();
  out.set("name", info.resource + "/" + sub.name);
  out.set("singularName", "");
  out.set("namespaced", info.namespaced);
  if (!sub.group.empty() || !sub.version.empty()) {
    out.set("group", sub.group);
    out.set("version", sub.version);
  }
  out.set("kind", sub.kind);
  out.set("verbs", string_array(sub.verbs));
  return out;
}

Value resource_list(const std::vector<ResourceInfo>& served, std::string_view group,
                    std::string_view version) {
  Value resources = Value::array();
  for (const auto* info : resources_of(served, group, version)) {
    resources.push_back(legacy_resource(*info));
    for (const auto& sub : detail::subresources_of(*info))
      resources.push_back(legacy_subresource(*info, sub));
  }
  return resources;
}

Value group_version_entry(const std::string& group, const std::string& version) {
  Value out = Value::object();
  out.set("groupVersion", group + "/" + version);
  out.set("version", version);
  return out;
}

// Non-core groups in first-seen order, each with its versions in first-seen order.
std::vector<std::pair<std::string, std::vector<std::string>>> groups_of(
    const std::vector<ResourceInfo>& served) {
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const auto& info : served) {
    if (info.group.empty()) continue;
    auto it =
        std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == info.group; });
    if (it == groups.end()) it = groups.insert(groups.end(), {info.group, {}});
    if (std::find(it->second.begin(), it->second.end(), info.version) == it->second.end())
      it->second.push_back(info.version);
  }
  return groups;
}

Value response_kind(std::string_view group, std::string_view version, std::string_view kind) {
  Value out = Value::object();
  out.set("group", group);
  out.set("version", version);
  out.set("kind", kind);
  return out;
}

Value aggregated_resource(const ResourceInfo& info) {
  Value out = Value::object();
  out.set("resource", info.resource);
  out.set("responseKind", response_kind("", "", info.kind));
  out.set("scope", info.namespaced ? "Namespaced" : "Cluster");
  out.set("singularResource", info.singular);
  out.set("verbs", string_array(info.verbs));
  if (!info.short_names.empty()) out.set("shortNames", string_array(info.short_names));
  if (!info.categories.empty()) out.set("categories", string_array(info.categories));
  auto subs = detail::subresources_of(info);
  if (!subs.empty()) {
    Value list = Value::array();
    for (const auto& sub : subs) {
      Value entry = Value::object();
      entry.set("subresource", sub.name);
      entry.set("responseKind", response_kind(sub.group, sub.version, sub.kind));
      entry.set("verbs", string_array(sub.verbs));
      list.push_back(std::move(entry));
    }
    out.set("subresources", std::move(list));
  }
  return out;
}

Value aggregated_version(const std::vector<ResourceInfo>& served, const std::string& group,
                         const std::string& version) {
  Value resources = Value::array();
  for (const auto* info : resources_of(served, group, version))
    resources.push_back(aggregated_resource(*info));
  Value out = Value::object();
  out.set("version", version);
  out.set("resources", std::move(resources));
  out.set("freshness", "Current");
  return out;
}

Value aggregated_group(const std::vector<ResourceInfo>& served, const std::string& group,
                       const std::vector<std::string>& versions) {
  Value metadata = Value::object();
  if (!group.empty()) metadata.set("name", group);
  metadata.set("creationTimestamp", nullptr);
  Value version_list = Value::array();
  for (const auto& version : versions) version_list.push_back(aggregated_version(served, group, version));
  Value out = Value::object();
  out.set("metadata", std::move(metadata));
  out.set("versions", std::move(version_list));
  return out;
}

}  // namespace

Value discovery_core_versions() {
  // serverAddressByClientCIDRs is required by the type but depends on where the server listens;
  // an empty list tells clients to keep using the address they already have.
  Value out = Value::object();
  out.set("kind", "APIVersions");
  out.set("versions", string_array({"v1"}));
  out.set("serverAddressByClientCIDRs", Value::array());
  return out;
}

Value discovery_core_resources(const std::vector<ResourceInfo>& served) {
  Value out = Value::object();
  out.set("kind", "APIResourceList");
  out.set("groupVersion", "v1");
  out.set("resources", resource_list(served, "", "v1"));
  return out;
}

Value discovery_groups(const std::vector<ResourceInfo>& served) {
  Value groups = Value::array();
  for (const auto& [name, versions] : groups_of(served)) {
    Value version_list = Value::array();
    for (const auto& version : versions) version_list.push_back(group_version_entry(name, version));
    Value group = Value::object();
    group.set("name", name);
    group.set("versions", std::move(version_list));
    group.set("preferredVersion", group_version_entry(name, versions.front()));
    groups.push_back(std::move(group));
  }
  Value out = Value::object();
  out.set("kind", "APIGroupList");
  out.set("apiVersion", "v1");
  out.set("groups", std::move(groups));
  return out;
}

std::optional<Value> discovery_group_version(const std::vector<ResourceInfo>& served, std::string_view group,
                                             std::string_view version) {
  if (resources_of(served, group, version).empty()) return std::nullopt;
  Value out = Value::object();
  out.set("kind", "APIResourceList");
  out.set("apiVersion", "v1");
  out.set("groupVersion",
          group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version));
  out.set("resources", resource_list(served, group, version));
  return out;
}

Value aggregated_discovery(const std::vector<ResourceInfo>& served, bool core) {
  Value items = Value::array();
  if (core) {
    if (!resources_of(served, "", "v1").empty()) items.push_back(aggregated_group(served, "", {"v1"}));
  } else {
    for (const auto& [name, versions] : groups_of(served))
      items.push_back(aggregated_group(served, name, versions));
  }
  Value out = Value::object();
  out.set("kind", "APIGroupDiscoveryList");
  out.set("apiVersion", "apidiscovery.k8s.io/v2");
  out.set("metadata", Value::object());
  out.set("items", std::move(items));
  return out;
}

}  // namespace ktape::sim
