// Column printers of the resources `kubectl get` users look at most, after the real server's
// (pkg/printers/internalversion): pods, deployments, replicasets, namespaces, nodes,
// configmaps, secrets, services. Descriptions of the captured ones are the real server's text.
#include <algorithm>
#include <map>

#include "sim/table_printers.hpp"

namespace ktape::sim::table {

using formats::Value;

namespace {

const char* const k_name_description =
    "Name must be unique within a namespace. Is required when creating resources, although some resources "
    "may "
    "allow a client to request the generation of an appropriate name automatically. Name is primarily "
    "intended "
    "for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const char* const k_age_description =
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this "
    "value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

Value name_column() { return column("Name", k_name_description, 0, "name"); }
Value age_column() { return column("Age", k_age_description); }

std::string text_at(const Value& v, std::initializer_list<std::string_view> path, std::string_view fallback) {
  std::string_view s = v.string_at(path);
  return std::string(s.empty() ? fallback : s);
}
std::int64_t int_at(const Value& v, std::initializer_list<std::string_view> path, std::int64_t fallback = 0) {
  const Value* n = v.at(path);
  auto i = n != nullptr ? n->as_int64() : std::nullopt;
  return i.value_or(fallback);
}
std::size_t size_at(const Value& v, std::initializer_list<std::string_view> path) {
  const Value* n = v.at(path);
  return n != nullptr ? n->size() : 0;
}
const formats::Array& items_at(const Value& v, std::initializer_list<std::string_view> path) {
  static const formats::Array empty;
  const Value* n = v.at(path);
  return n != nullptr && n->is_array() ? n->as_array() : empty;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep, std::string_view empty) {
  if (parts.empty()) return std::string(empty);
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : std::string(sep)) + p;
  return out;
}

// "k=v,k2=v2" of a map of strings, sorted by key (labels.SelectorFromSet's String()).
std::string map_selector(const Value* labels) {
  std::vector<std::string> parts;
  if (labels != nullptr && labels->is_object())
    for (const auto& m : labels->as_object())
      parts.push_back(m.key + "=" + (m.value.is_string() ? m.value.as_string() : std::string()));
  std::sort(parts.begin(), parts.end());
  return join(parts, ",", "<none>");
}

// A metav1.LabelSelector as its string form: requirements sorted by key.
std::string label_selector(const Value* selector) {
  if (selector == nullptr || !selector->is_object()) return "<none>";
  std::vector<std::pair<std::string, std::string>> parts;
  if (const Value* labels = selector->find("matchLabels"); labels != nullptr && labels->is_object())
    for (const auto& m : labels->as_object())
      parts.emplace_back(m.key, m.key + "=" + (m.value.is_string() ? m.value.as_string() : std::string()));
  for (const auto& e : items_at(*selector, {"matchExpressions"})) {
    std::string key(e.string_at({"key"})), op(e.string_at({"operator"}));
    std::vector<std::string> values;
    for (const auto& v : items_at(e, {"values"}))
      if (v.is_string()) values.push_back(v.as_string());
    std::sort(values.begin(), values.end());
    std::string set = "(" + join(values, ",", "") + ")";
    if (op == "In") parts.emplace_back(key, std::string(key).append(" in ").append(set));
    if (op == "NotIn") parts.emplace_back(key, std::string(key).append(" notin ").append(set));
    if (op == "Exists") parts.emplace_back(key, key);
    if (op == "DoesNotExist") parts.emplace_back(key, "!" + key);
  }
  std::stable_sort(parts.begin(), parts.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> texts;
  texts.reserve(parts.size());
  for (auto& p : parts) texts.push_back(std::move(p.second));
  return join(texts, ",", "<none>");
}

std::vector<std::string> container_field(const Value& object, std::string_view field) {
  std::vector<std::string> out;
  for (const auto& c : items_at(object, {"spec", "template", "spec", "containers"}))
    out.emplace_back(c.string_at({field}));
  return out;
}

std::string name_of(const Value& object) { return std::string(object.string_at({"metadata", "name"})); }

// --- pods -------------------------------------------------------------------------------------

// The STATUS cell: the pod's reason or phase, overridden by the last container that is waiting
// or terminated, "Terminating" once deleted (the real printer's main rules).
std::string pod_status(const Value& pod) {
  std::string reason = text_at(pod, {"status", "reason"}, text_at(pod, {"status", "phase"}, "Pending"));
  bool running_and_ready = false;
  const auto& statuses = items_at(pod, {"status", "containerStatuses"});
  for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {
    std::string waiting(it->string_at({"state", "waiting", "reason"}));
    std::string terminated(it->string_at({"state", "terminated", "reason"}));
    if (!waiting.empty()) {
      reason = waiting;
    } else if (!terminated.empty()) {
      reason = terminated;
    } else if (const Value* t = it->at({"state", "terminated"}); t != nullptr) {
      std::int64_t signal = int_at(*t, {"signal"});
      reason = signal != 0 ? "Signal:" + std::to_string(signal)
                           : "ExitCode:" + std::to_string(int_at(*t, {"exitCode"}));
    } else if (it->at({"state", "running"}) != nullptr) {
      const Value* ready = it->find("ready");
      running_and_ready = running_and_ready || (ready != nullptr && ready->is_bool() && ready->as_bool());
    }
  }
  if (reason == "Completed" && running_and_ready) reason = "Running";
  if (pod.at({"metadata", "deletionTimestamp"}) != nullptr)
    reason = reason == "NodeLost" ? "Unknown" : "Terminating";
  return reason;
}

Value pod_cells(const Value& pod) {
  std::int64_t ready = 0, restarts = 0;
  for (const auto& status : items_at(pod, {"status", "containerStatuses"})) {
    const Value* r = status.find("ready");
    if (r != nullptr && r->is_bool() && r->as_bool()) ++ready;
    restarts += int_at(status, {"restartCount"});
  }
  std::size_t total = items_at(pod, {"spec", "containers"}).size();
  const auto& gates = items_at(pod, {"spec", "readinessGates"});
  std::string gate_cell = "<none>";
  if (!gates.empty()) {
    std::size_t true_gates = 0;
    for (const auto& gate : gates)
      for (const auto& condition : items_at(pod, {"status", "conditions"}))
        if (condition.string_at({"type"}) == gate.string_at({"conditionType"}) &&
            condition.string_at({"status"}) == "True")
          ++true_gates;
    gate_cell = std::to_string(true_gates) + "/" + std::to_string(gates.size());
  }
  return Value(formats::Array{name_of(pod), std::to_string(ready) + "/" + std::to_string(total),
                              pod_status(pod), std::to_string(restarts), age_of(pod),
                              text_at(pod, {"status", "podIP"}, "<none>"),
                              text_at(pod, {"spec", "nodeName"}, "<none>"),
                              text_at(pod, {"status", "nominatedNodeName"}, "<none>"), gate_cell});
}

Printer pod_printer() {
  return {
      {name_column(), column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
       column("Status", "The aggregate status of the containers in this pod."),
       column(
           "Restarts",
           "The number of times the containers in this pod have been restarted and when the last container "
           "in this pod has restarted."),
       age_column(),
       column("IP",
              "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet "
              "allocated.",
              1),
       column("Node", "NodeName indicates in which node this pod is scheduled.", 1),
       column("Nominated Node",
              "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be "
              "scheduled right away as preemption victims receive their graceful termination periods.",
              1),
       column(
           "Readiness Gates",
           "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all "
           "its containers are ready AND all conditions specified in the readiness gates have status equal "
           "to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
           1)},
      pod_cells};
}

// --- workloads --------------------------------------------------------------------------------

std::vector<Value> workload_wide_columns(std::string_view owner) {
  return {
      column("Containers", "Names of each container in the template.", 1),
      column("Images", "Images referenced by each container in the template.", 1),
      column("Selector",
             "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones "
             "affected by this " +
                 std::string(owner) + ".",
             1)};
}

Printer deployment_printer() {
  std::vector<Value> columns{
      name_column(), column("Ready", "Number of the pod with ready state"),
      column("Up-to-date",
             "Total number of non-terminated pods targeted by this deployment that have the desired template "
             "spec."),
      column(
          "Available",
          "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
      age_column()};
  for (auto& c : workload_wide_columns("deployment")) columns.push_back(std::move(c));
  return {columns, [](const Value& d) {
            // spec.replicas defaults to 1, as the real server's defaulting would have set it.
            std::string ready = std::to_string(int_at(d, {"status", "readyReplicas"})) + "/" +
                                std::to_string(int_at(d, {"spec", "replicas"}, 1));
            return Value(formats::Array{name_of(d), ready, int_at(d, {"status", "updatedReplicas"}),
                                        int_at(d, {"status", "availableReplicas"}), age_of(d),
                                        join(container_field(d, "name"), ",", "<none>"),
                                        join(container_field(d, "image"), ",", "<none>"),
                                        label_selector(d.at({"spec", "selector"}))});
          }};
}

Printer replicaset_printer() {
  std::vector<Value> columns{name_column(), column("Desired", "Number of desired pods."),
                             column("Current", "Number of actually running pods."),
                             column("Ready", "Number of ready pods."), age_column()};
  for (auto& c : workload_wide_columns("replica set")) columns.push_back(std::move(c));
  return {
      columns, [](const Value& r) {
        return Value(formats::Array{name_of(r), int_at(r, {"spec", "replicas"}, 1),
                                    int_at(r, {"status", "replicas"}), int_at(r, {"status", "readyReplicas"}),
                                    age_of(r), join(container_field(r, "name"), ",", "<none>"),
                                    join(container_field(r, "image"), ",", "<none>"),
                                    label_selector(r.at({"spec", "selector"}))});
      }};
}

// --- cluster objects --------------------------------------------------------------------------

Printer namespace_printer() {
  return {{name_column(), column("Status", "The status of the namespace"), age_column()},
          [](const Value& ns) {
            return Value(formats::Array{name_of(ns), text_at(ns, {"status", "phase"}, "Active"), age_of(ns)});
          }};
}

std::string node_status(const Value& node) {
  std::string status = "Unknown";
  for (const auto& condition : items_at(node, {"status", "conditions"}))
    if (condition.string_at({"type"}) == "Ready")
      status = condition.string_at({"status"}) == "True" ? "Ready" : "NotReady";
  const Value* unschedulable = node.at({"spec", "unschedulable"});
  if (unschedulable != nullptr && unschedulable->is_bool() && unschedulable->as_bool())
    status += ",SchedulingDisabled";
  return status;
}

std::string node_roles(const Value& node) {
  std::vector<std::string> roles;
  if (const Value* labels = node.at({"metadata", "labels"}); labels != nullptr && labels->is_object()) {
    const std::string prefix = "node-role.kubernetes.io/";
    for (const auto& m : labels->as_object()) {
      if (m.key.rfind(prefix, 0) == 0 && m.key.size() > prefix.size())
        roles.push_back(m.key.substr(prefix.size()));
      if (m.key == "kubernetes.io/role" && m.value.is_string() && !m.value.as_string().empty())
        roles.push_back(m.value.as_string());
    }
  }
  std::sort(roles.begin(), roles.end());
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
  return join(roles, ",", "<none>");
}

std::string node_address(const Value& node, std::string_view type) {
  for (const auto& a : items_at(node, {"status", "addresses"}))
    if (a.string_at({"type"}) == type) return std::string(a.string_at({"address"}));
  return "<none>";
}

Printer node_printer() {
  return {
      {name_column(), column("Status", "The status of the node"), column("Roles", "The roles of the node"),
       age_column(), column("Version", "Kubelet Version reported by the node."),
       column("Internal-IP", "List of internal IPs for the node.", 1),
       column("External-IP", "List of external IPs for this node.", 1),
       column("OS-Image",
              "OS image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
       column("Kernel-Version",
              "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
       column("Container-Runtime",
              "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
              "containerd://1.4.2).",
              1)},
      [](const Value& n) {
        return Value(formats::Array{
            name_of(n), node_status(n), node_roles(n), age_of(n),
            text_at(n, {"status", "nodeInfo", "kubeletVersion"}, ""), node_address(n, "InternalIP"),
            node_address(n, "ExternalIP"), text_at(n, {"status", "nodeInfo", "osImage"}, "<unknown>"),
            text_at(n, {"status", "nodeInfo", "kernelVersion"}, "<unknown>"),
            text_at(n, {"status", "nodeInfo", "containerRuntimeVersion"}, "<unknown>")});
      }};
}

// --- configuration and services ---------------------------------------------------------------

Printer configmap_printer() {
  return {
      {name_column(),
       column(
           "Data",
           "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' "
           "or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in "
           "Data must not overlap with the keys in the BinaryData field, this is enforced during validation "
           "process."),
       age_column()},
      [](const Value& cm) {
        auto count = static_cast<std::int64_t>(size_at(cm, {"data"}) + size_at(cm, {"binaryData"}));
        return Value(formats::Array{name_of(cm), count, age_of(cm)});
      }};
}

Printer secret_printer() {
  return {{name_column(), column("Type", "The type of the secret"),
           column("Data", "The number of entries in the data."), age_column()},
          [](const Value& s) {
            return Value(formats::Array{name_of(s), text_at(s, {"type"}, "Opaque"),
                                        static_cast<std::int64_t>(size_at(s, {"data"})), age_of(s)});
          }};
}

std::string service_external_ip(const Value& svc) {
  std::string type = text_at(svc, {"spec", "type"}, "ClusterIP");
  std::vector<std::string> ips;
  for (const auto& ip : items_at(svc, {"spec", "externalIPs"}))
    if (ip.is_string()) ips.push_back(ip.as_string());
  if (type == "ExternalName") return text_at(svc, {"spec", "externalName"}, "<none>");
  if (type == "LoadBalancer") {
    for (const auto& ingress : items_at(svc, {"status", "loadBalancer", "ingress"}))
      ips.push_back(text_at(ingress, {"ip"}, text_at(ingress, {"hostname"}, "")));
    return join(ips, ",", "<pending>");
  }
  return join(ips, ",", "<none>");
}

std::string service_ports(const Value& svc) {
  std::vector<std::string> ports;
  for (const auto& p : items_at(svc, {"spec", "ports"})) {
    std::string text = std::to_string(int_at(p, {"port"}));
    if (std::int64_t node_port = int_at(p, {"nodePort"}); node_port != 0)
      text += ":" + std::to_string(node_port);
    ports.push_back(text + "/" + text_at(p, {"protocol"}, "TCP"));
  }
  return join(ports, ",", "<none>");
}

Printer service_printer() {
  return {
      {name_column(), column("Type", "The type of the service"),
       column("Cluster-IP", "The cluster IP of the service"),
       column("External-IP", "The external IP of the service"), column("Port(s)", "The ports of the service"),
       age_column(),
       column("Selector", "Route service traffic to pods with label keys and values matching this selector.",
              1)},
      [](const Value& s) {
        return Value(formats::Array{name_of(s), text_at(s, {"spec", "type"}, "ClusterIP"),
                                    text_at(s, {"spec", "clusterIP"}, "<none>"), service_external_ip(s),
                                    service_ports(s), age_of(s), map_selector(s.at({"spec", "selector"}))});
      }};
}

Printer default_printer() {
  return {{name_column(), age_column()}, [](const Value& o) {
            return Value(formats::Array{name_of(o), age_of(o)});
          }};
}

}  // namespace

const Printer& printer_for(const ResourceInfo& info) {
  // Keyed by "group/resource"; custom resources always get the default printer.
  static const std::map<std::string, Printer> printers{{"/pods", pod_printer()},
                                                       {"apps/deployments", deployment_printer()},
                                                       {"apps/replicasets", replicaset_printer()},
                                                       {"/namespaces", namespace_printer()},
                                                       {"/nodes", node_printer()},
                                                       {"/configmaps", configmap_printer()},
                                                       {"/secrets", secret_printer()},
                                                       {"/services", service_printer()}};
  static const Printer fallback = default_printer();
  if (info.custom) return fallback;
  auto it = printers.find(info.group + "/" + info.resource);
  return it == printers.end() ? fallback : it->second;
}

}  // namespace ktape::sim::table
