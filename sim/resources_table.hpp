#pragma once
// Internal to sim/: what discovery needs beyond ResourceInfo. The built-in table keeps each
// resource's storageVersionHash and its full list of subresources (pods/log, pods/eviction...)
// as a real kube-apiserver 1.32 serves them; custom resources get theirs from has_status and
// has_scale.
#include <string>
#include <vector>

#include "sim/resources.hpp"

namespace ktape::sim::detail {

// One subresource entry as discovery lists it ("status" of "pods").
struct Subresource {
  std::string name;     // "status", "scale", "log"
  std::string group;    // response kind's group when it differs from the parent's ("autoscaling")
  std::string version;  // response kind's version when it differs ("v1"), else ""
  std::string kind;     // response kind ("Pod", "Scale", "PodExecOptions")
  std::vector<std::string> verbs;
};

struct BuiltinResource {
  ResourceInfo info;
  std::string storage_version_hash;       // "" where the real server lists none
  std::vector<Subresource> subresources;  // sorted by name, as discovery lists them
};

// The built-in resources in the order /apis lists their groups, resources sorted by name.
const std::vector<BuiltinResource>& builtin_table();

// The subresources discovery lists for `info`: the built-in table's entry when `info` is a
// built-in resource, else status and scale from its flags.
std::vector<Subresource> subresources_of(const ResourceInfo& info);

// The storageVersionHash of a built-in resource, "" for anything else.
std::string storage_version_hash_of(const ResourceInfo& info);

}  // namespace ktape::sim::detail
