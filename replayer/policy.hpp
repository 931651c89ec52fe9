#pragma once
// What a replay leaves to the target (issue 12): the objects the target's control plane makes
// and keeps itself (a data table), the objects a controller in the target makes (--owned skip),
// and the values a cluster allocates for itself (a Service's ClusterIP and NodePorts, a Pod's
// node) that the target may refuse. Pure functions of their arguments; safe from any thread.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/error.hpp"
#include "formats/value.hpp"
#include "replayer/options.hpp"

namespace ktape::replayer {

// The reasons a summary counts a skip by (SummaryReport::reasons); the words a user reads.
inline constexpr std::string_view k_kept_control_plane = "kept: the target's control plane manages it";
inline constexpr std::string_view k_controller_first = "skipped: the target's controller acted first";
// A status write the target refused as invalid (422): its controllers already wrote a status the
// recorded one would contradict (a Job's startTime, set by the target's Job controller before the
// recorded status arrives). The object is there; its status is the target's. Noted with the message.
inline constexpr std::string_view k_status_refused =
    "kept the target's status: it refused the recorded one (its controllers write it)";
inline constexpr std::string_view k_owned_skip =
    "skipped: a controller in the target makes it (--owned skip)";

// Whether the target's own control plane (kube-apiserver's bootstrap, kube-controller-manager)
// creates and maintains the object of kind `kind` in API group `group` named `ns`/`name` in every
// cluster: the default/kubernetes Service and its Endpoints and EndpointSlice, kube-root-ca.crt
// ConfigMaps, default ServiceAccounts, system: RBAC, APIServices, FlowSchemas,
// PriorityLevelConfigurations, the built-in namespaces, kube-system and kube-node-lease Leases.
// Replaying such an object fights the target (an allocated ClusterIP, a leader lease, a CA
// bundle the target signs); by default it is left alone.
bool control_plane_owns(std::string_view group, std::string_view kind, std::string_view ns,
                        std::string_view name);

// Why a replay under `options` leaves alone the object of kind `kind` in `group` named
// `ns`/`name` (k_kept_control_plane, k_owned_skip), or nullopt when it replays it. `object`: the
// whole object at its create, or null for a patch or delete (the control-plane table alone).
std::optional<std::string_view> left_alone(const ReplayOptions& options, std::string_view group,
                                           std::string_view kind, std::string_view ns, std::string_view name,
                                           const formats::Value* object);

// Whether `object` has an ownerReference with controller: true (a ReplicaSet of a Deployment, a
// Pod of a ReplicaSet, Job or StatefulSet): the object a controller in the target makes itself.
bool has_controller_owner(const formats::Value& object);

// What was taken out of a create the target refused, for the summary ("clusterIP 10.96.0.1").
struct Dropped {
  std::string what;
};

// Takes out of `service` (a v1 Service about to be created) the values the target refused in
// `error` (a 422 Invalid): spec.clusterIP and spec.clusterIPs when the message names them ("provided
// IP is already allocated", "not in the valid range"), or every spec.ports[].nodePort when it names
// a nodePort. A headless Service ("None") keeps its clusterIP. nullopt when the error is not one of
// these or nothing is left to take out, so that the caller does not retry.
std::optional<Dropped> drop_refused_service_values(formats::Value& service, const Error& error);

// Whether `error` (a create's answer) says the object's allocated value is already taken: a 422
// whose message says "already allocated". The object may exist in the target in another form (the
// default/kubernetes Service): the caller looks for it by name before anything else.
bool already_allocated(const Error& error);

// Removes spec.nodeName from a Pod (a create's object, or a patch's body; a spec left empty goes
// too): so that the target's scheduler places it, or, for a patch, so that the node is set by a
// binding. Returns the node name removed, "" when there was none.
std::string drop_node_name(formats::Value& pod);

}  // namespace ktape::replayer
