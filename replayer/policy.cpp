#include "replayer/policy.hpp"

namespace ktape::replayer {

namespace {

// One row: objects of `kind` in `group`; `ns` "*" for any namespace (or cluster-scoped), `name`
// exact, "*" for any, or a prefix ending in '*' ("system:*").
struct ControlPlaneRow {
  std::string_view group, kind, ns, name;
};

// Where each comes from: kube-apiserver's bootstrap controllers (the kubernetes Service and its
// Endpoints/EndpointSlice, the system namespaces, the bootstrap RBAC policy, the APF
// configuration, the APIService registrations, its own identity Leases in kube-system) and
// kube-controller-manager (kube-root-ca.crt by root-ca-cert-publisher, default ServiceAccounts
// by the serviceaccount controller, leader-election Leases in kube-system, node Leases).
constexpr ControlPlaneRow k_control_plane[] = {
    {"", "Service", "default", "kubernetes"},
    {"", "Endpoints", "default", "kubernetes"},
    {"discovery.k8s.io", "EndpointSlice", "default", "kubernetes"},
    {"", "ConfigMap", "*", "kube-root-ca.crt"},
    {"", "ServiceAccount", "*", "default"},
    {"", "Namespace", "*", "default"},
    {"", "Namespace", "*", "kube-system"},
    {"", "Namespace", "*", "kube-public"},
    {"", "Namespace", "*", "kube-node-lease"},
    {"rbac.authorization.k8s.io", "ClusterRole", "*", "system:*"},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", "*", "system:*"},
    {"rbac.authorization.k8s.io", "Role", "*", "system:*"},
    {"rbac.authorization.k8s.io", "RoleBinding", "*", "system:*"},
    {"apiregistration.k8s.io", "APIService", "*", "*"},
    {"flowcontrol.apiserver.k8s.io", "FlowSchema", "*", "*"},
    {"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration", "*", "*"},
    {"coordination.k8s.io", "Lease", "kube-system", "*"},
    {"coordination.k8s.io", "Lease", "kube-node-lease", "*"},
};

bool matches(std::string_view pattern, std::string_view value) {
  if (pattern == "*") return true;
  if (!pattern.empty() && pattern.back() == '*')
    return value.substr(0, pattern.size() - 1) == pattern.substr(0, pattern.size() - 1);
  return pattern == value;
}

bool names(const Error& error, std::string_view field) {
  return error.message.find(field) != std::string::npos;
}

bool drop_cluster_ip(formats::Value& service) {
  formats::Value* spec = service.find("spec");
  if (spec == nullptr || !spec->is_object() || spec->string_at({"clusterIP"}) == "None") return false;
  bool dropped = spec->erase("clusterIP");
  return spec->erase("clusterIPs") || dropped;
}

bool drop_node_ports(formats::Value& service) {
  formats::Value* ports = service.at({"spec", "ports"});
  if (ports == nullptr || !ports->is_array()) return false;
  bool dropped = false;
  for (auto& port : ports->as_array())
    if (port.is_object()) dropped = port.erase("nodePort") || dropped;
  return dropped;
}

}  // namespace

bool control_plane_owns(std::string_view group, std::string_view kind, std::string_view ns,
                        std::string_view name) {
  for (const auto& row : k_control_plane)
    if (row.group == group && row.kind == kind && matches(row.ns, ns) && matches(row.name, name)) return true;
  return false;
}

std::optional<std::string_view> left_alone(const ReplayOptions& options, std::string_view group,
                                           std::string_view kind, std::string_view ns, std::string_view name,
                                           const formats::Value* object) {
  if (options.control_plane == ControlPlaneObjects::keep && control_plane_owns(group, kind, ns, name))
    return k_kept_control_plane;
  if (options.owned == OwnedObjects::skip && object != nullptr && has_controller_owner(*object))
    return k_owned_skip;
  return std::nullopt;
}

bool has_controller_owner(const formats::Value& object) {
  const formats::Value* refs = object.at({"metadata", "ownerReferences"});
  if (refs == nullptr || !refs->is_array()) return false;
  for (const auto& ref : refs->as_array()) {
    const formats::Value* controller = ref.is_object() ? ref.find("controller") : nullptr;
    if (controller != nullptr && controller->is_bool() && controller->as_bool()) return true;
  }
  return false;
}

bool already_allocated(const Error& error) {
  return error.http_status == 422 && names(error, "already allocated");
}

std::optional<Dropped> drop_refused_service_values(formats::Value& service, const Error& error) {
  if (error.http_status != 422) return std::nullopt;
  const std::string ip(service.string_at({"spec", "clusterIP"}));
  if (names(error, "spec.clusterIP") && drop_cluster_ip(service)) return Dropped{"clusterIP " + ip};
  if (names(error, "nodePort") && drop_node_ports(service)) return Dropped{"nodePort"};
  return std::nullopt;
}

std::string drop_node_name(formats::Value& pod) {
  formats::Value* spec = pod.find("spec");
  if (spec == nullptr || !spec->is_object()) return "";
  std::string node(spec->string_at({"nodeName"}));
  spec->erase("nodeName");
  if (spec->size() == 0) pod.erase("spec");  // a patch that only bound the Pod
  return node;
}

}  // namespace ktape::replayer
