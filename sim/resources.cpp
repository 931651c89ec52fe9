// The resource table: built-in lookups and the resources a CustomResourceDefinition serves.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <tuple>

#include "sim/resources.hpp"
#include "sim/resources_table.hpp"

namespace ktape::sim {

using formats::Value;

std::string ResourceInfo::group_version() const { return group.empty() ? version : group + "/" + version; }

const std::vector<ResourceInfo>& builtin_resources() {
  static const std::vector<ResourceInfo> resources = [] {
    std::vector<ResourceInfo> out;
    for (const auto& entry : detail::builtin_table()) out.push_back(entry.info);
    return out;
  }();
  return resources;
}

namespace detail {
namespace {

const BuiltinResource* find_builtin(const ResourceInfo& info) {
  if (info.custom) return nullptr;
  for (const auto& entry : builtin_table()) {
    if (entry.info.resource == info.resource && entry.info.group == info.group &&
        entry.info.version == info.version)
      return &entry;
  }
  return nullptr;
}

}  // namespace

std::vector<Subresource> subresources_of(const ResourceInfo& info) {
  if (const auto* entry = find_builtin(info)) return entry->subresources;
  std::vector<Subresource> out;
  // autoscaling/v1 Scale is what every scale subresource answers with, CRDs included.
  if (info.has_scale) out.push_back({"scale", "autoscaling", "v1", "Scale", {"get", "patch", "update"}});
  if (info.has_status) out.push_back({"status", "", "", info.kind, {"get", "patch", "update"}});
  return out;
}

std::string storage_version_hash_of(const ResourceInfo& info) {
  const auto* entry = find_builtin(info);
  return entry ? entry->storage_version_hash : std::string();
}

}  // namespace detail

namespace {

// Kubernetes version priority: "v2" > "v1" > "v1beta2" > "v1beta1" > "v1alpha1" > anything else
// (alphabetical). Returns a key that sorts ascending in that order.
std::tuple<int, long, int, long, std::string> version_priority(const std::string& v) {
  auto number_at = [&](std::size_t pos, std::size_t& end) {
    long n = -1;
    auto [ptr, ec] = std::from_chars(v.data() + pos, v.data() + v.size(), n);
    end = static_cast<std::size_t>(ptr - v.data());
    return ec == std::errc() ? n : -1L;
  };
  std::size_t end = 0;
  long major = v.size() > 1 && v[0] == 'v' ? number_at(1, end) : -1;
  if (major < 0) return {3, 0, 0, 0, v};
  if (end == v.size()) return {0, -major, 0, 0, {}};
  for (auto [word, rank] : {std::pair{"beta", 1}, std::pair{"alpha", 2}}) {
    std::string_view rest(v.data() + end, v.size() - end);
    std::string_view w(word);
    if (rest.substr(0, w.size()) != w) continue;
    std::size_t minor_end = 0;
    long minor = number_at(end + w.size(), minor_end);
    if (minor >= 0 && minor_end == v.size()) return {rank, -major, 0, -minor, {}};
  }
  return {3, 0, 0, 0, v};
}

std::vector<std::string> string_list(const Value* list) {
  std::vector<std::string> out;
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& item : list->as_array())
    if (item.is_string()) out.push_back(item.as_string());
  return out;
}

std::string lowercase(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Result<ResourceInfo> base_info_from_crd(const Value& crd) {
  const Value* spec = crd.find("spec");
  std::string crd_name(crd.string_at({"metadata", "name"}, "<unnamed>"));
  auto missing = [&](std::string_view field) {
    return fail(ErrorKind::invalid,
                "CustomResourceDefinition " + crd_name + ": " + std::string(field) + " is required");
  };
  if (spec == nullptr || !spec->is_object()) return missing("spec");
  ResourceInfo info;
  info.group = spec->string_at({"group"});
  info.resource = spec->string_at({"names", "plural"});
  info.kind = spec->string_at({"names", "kind"});
  if (info.group.empty()) return missing("spec.group");
  if (info.resource.empty()) return missing("spec.names.plural");
  if (info.kind.empty()) return missing("spec.names.kind");
  info.singular = spec->string_at({"names", "singular"});
  if (info.singular.empty()) info.singular = lowercase(info.kind);
  info.namespaced = spec->string_at({"scope"}, "Namespaced") != "Cluster";
  // The verb order a real apiextensions-apiserver 1.32 lists (discovery/crd_group_version.json).
  info.verbs = {"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"};
  info.short_names = string_list(spec->at({"names", "shortNames"}));
  info.categories = string_list(spec->at({"names", "categories"}));
  info.custom = true;
  return info;
}

}  // namespace

Result<std::vector<ResourceInfo>> resources_from_crd(const Value& crd) {
  auto base = base_info_from_crd(crd);
  if (!base) return fail(base.error());
  const Value* versions = crd.at({"spec", "versions"});
  if (versions == nullptr || !versions->is_array() || versions->size() == 0)
    return fail(ErrorKind::invalid, "CustomResourceDefinition " +
                                        std::string(crd.string_at({"metadata", "name"}, "<unnamed>")) +
                                        ": spec.versions must list at least one version");
  std::vector<ResourceInfo> out;
  for (const auto& version : versions->as_array()) {
    const Value* served = version.find("served");
    if (served == nullptr || !served->is_bool() || !served->as_bool()) continue;
    std::string name(version.string_at({"name"}));
    if (name.empty())
      return fail(ErrorKind::invalid, "CustomResourceDefinition " + base->resource + "." + base->group +
                                          ": spec.versions[].name is required");
    ResourceInfo info = *base;
    info.version = name;
    info.has_status = version.at({"subresources", "status"}) != nullptr;
    info.has_scale = version.at({"subresources", "scale"}) != nullptr;
    out.push_back(std::move(info));
  }
  std::stable_sort(out.begin(), out.end(), [](const ResourceInfo& a, const ResourceInfo& b) {
    return version_priority(a.version) < version_priority(b.version);
  });
  return out;
}

}  // namespace ktape::sim
