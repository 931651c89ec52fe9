#pragma once
// What a real kube-apiserver 1.32's registry strategies and built-in admission plugins set on a
// built-in object beyond defaulting, by kind: Pod status (phase, qosClass), resize policies, the
// service-account token volume, default tolerations and priority; PVC and PV protection
// finalizers; a Job's generated selector and labels; a DaemonSet's template-generation
// annotation; Secret stringData merged into data; which kinds carry metadata.generation.
#include <string>
#include <vector>

#include "formats/value.hpp"
#include "sim/resources.hpp"

namespace ktape::sim {

// True when objects of `info` carry metadata.generation (set to 1 on create, bumped on a spec
// change), as the real registry strategies of these kinds do; every custom resource does.
bool uses_generation(const ResourceInfo& info);

// Sets what the real server sets on a new object of `info` after defaulting: `object` has its
// uid and namespace. `limit_ranges` are the LimitRange objects of the namespace (for Pods).
void prepare_for_create(const ResourceInfo& info, formats::Value& object,
                        const std::vector<formats::Value>& limit_ranges);

// The same for an update of `old` to `object` (stringData merged, server-set fields kept).
void prepare_for_update(const ResourceInfo& info, const formats::Value& old, formats::Value& object);

// Secret: stringData merged into data (base64), stringData dropped, as the v1 conversion does.
void merge_string_data(formats::Value& secret);

}  // namespace ktape::sim
