// The Go SetDefaults_* of the built-in API types that the OpenAPI documents do not carry
// (k8s.io/kubernetes pkg/apis/*/v1*/defaults.go, 1.32), keyed by OpenAPI definition name.
#include <algorithm>
#include <cctype>
#include <string_view>
#include <unordered_map>

#include "sim/defaulting.hpp"

namespace ktape::sim::detail {

using formats::Value;

namespace {

bool absent(const Value& o, std::string_view key) {
  const Value* v = o.find(key);
  return !v || v->is_null();
}

void set_default(Value& o, std::string_view key, Value value) {
  if (absent(o, key)) o.set(key, std::move(value));
}

bool is_true(const Value* v) { return v && v->is_bool() && v->as_bool(); }

// Always for ":latest" or an untagged image (a digest counts as a tag), else IfNotPresent.
void container(Value& c) {
  if (absent(c, "imagePullPolicy")) {
    std::string_view image = c.string_at({"image"});
    std::string_view tail = image.substr(image.rfind('/') == std::string_view::npos ? 0 : image.rfind('/'));
    bool tagged = tail.find(':') != std::string_view::npos || image.find('@') != std::string_view::npos;
    bool latest = tail.size() >= 7 && tail.substr(tail.size() - 7) == ":latest";
    c.set("imagePullPolicy", !tagged || latest ? "Always" : "IfNotPresent");
  }
  set_default(c, "terminationMessagePath", "/dev/termination-log");
  set_default(c, "terminationMessagePolicy", "File");
}

void pod_spec(Value& spec) {
  set_default(spec, "dnsPolicy", "ClusterFirst");
  set_default(spec, "restartPolicy", "Always");
  set_default(spec, "terminationGracePeriodSeconds", 30);
  set_default(spec, "securityContext", Value::object());
  set_default(spec, "schedulerName", "default-scheduler");
  if (!is_true(spec.find("hostNetwork"))) return;
  // With the host's network a container port is a host port.
  for (const char* list : {"containers", "initContainers"}) {
    Value* cs = spec.find(list);
    if (!cs || !cs->is_array()) continue;
    for (Value& c : cs->as_array()) {
      Value* ports = c.find("ports");
      if (!ports || !ports->is_array()) continue;
      for (Value& p : ports->as_array())
        if (p.is_object() && absent(p, "hostPort") && p.find("containerPort"))
          p.set("hostPort", *p.find("containerPort"));
    }
  }
}

// SetDefaults_Pod: service links on, and requests default to the limits given.
void pod(Value& pod) {
  Value& spec = pod["spec"];
  if (!spec.is_object()) return;
  set_default(spec, "enableServiceLinks", true);
  for (const char* list : {"containers", "initContainers"}) {
    Value* cs = spec.find(list);
    if (!cs || !cs->is_array()) continue;
    for (Value& c : cs->as_array()) {
      const Value* found = c.at({"resources", "limits"});
      if (!found || !found->is_object() || found->size() == 0) continue;
      const Value limits = *found;  // a copy: adding `requests` may move the members
      Value& requests = c["resources"]["requests"];
      for (const formats::Member& m : limits.as_object()) set_default(requests, m.key, m.value);
    }
  }
}

void probe(Value& p) {
  set_default(p, "timeoutSeconds", 1);
  set_default(p, "periodSeconds", 10);
  set_default(p, "successThreshold", 1);
  set_default(p, "failureThreshold", 3);
}

void http_get(Value& h) {
  set_default(h, "path", "/");
  set_default(h, "scheme", "HTTP");
}

// A volume without a source is an emptyDir.
void volume(Value& v) {
  for (const formats::Member& m : v.as_object())
    if (m.key != "name") return;
  v.set("emptyDir", Value::object());
}

void mode_420(Value& v) { set_default(v, "defaultMode", 420); }
void host_path(Value& v) { set_default(v, "type", ""); }
void field_ref(Value& v) { set_default(v, "apiVersion", "v1"); }
void token_projection(Value& v) { set_default(v, "expirationSeconds", 3600); }
void claim_spec(Value& v) { set_default(v, "volumeMode", "Filesystem"); }
void claim(Value& v) { set_default(v["status"], "phase", "Pending"); }
void secret(Value& v) { set_default(v, "type", "Opaque"); }
void volume_spec(Value& v) {
  set_default(v, "persistentVolumeReclaimPolicy", "Retain");
  set_default(v, "volumeMode", "Filesystem");
}
void volume_object(Value& v) { set_default(v["status"], "phase", "Pending"); }

void service(Value& svc) {
  Value& spec = svc["spec"];
  if (!spec.is_object()) return;
  set_default(spec, "sessionAffinity", "None");
  set_default(spec, "type", "ClusterIP");
  std::string type(spec.string_at({"type"}));
  if (spec.string_at({"sessionAffinity"}) == "ClientIP")
    set_default(spec["sessionAffinityConfig"]["clientIP"], "timeoutSeconds", 10800);
  if (Value* ports = spec.find("ports"); ports && ports->is_array()) {
    for (Value& p : ports->as_array()) {
      if (!p.is_object()) continue;
      set_default(p, "protocol", "TCP");
      const Value* target = p.find("targetPort");
      bool unset = !target || target->is_null() || (target->is_number() && target->as_int64() == 0) ||
                   (target->is_string() && target->as_string().empty());
      if (unset && p.find("port")) p.set("targetPort", *p.find("port"));
    }
  }
  if (type == "NodePort" || type == "LoadBalancer") set_default(spec, "externalTrafficPolicy", "Cluster");
  if (type != "ExternalName") set_default(spec, "internalTrafficPolicy", "Cluster");
  if (type == "LoadBalancer") set_default(spec, "allocateLoadBalancerNodePorts", true);
}

void limit_range_item(Value& item) {
  if (item.string_at({"type"}) != "Container") return;
  Value def = item.find("default") ? *item.find("default") : Value::object();
  Value req = item.find("defaultRequest") ? *item.find("defaultRequest") : Value::object();
  auto fill = [](Value& to, const Value* from) {
    if (!from || !from->is_object()) return;
    for (const formats::Member& m : from->as_object()) set_default(to, m.key, m.value);
  };
  fill(def, item.find("max"));
  fill(req, &def);
  fill(req, item.find("min"));
  if (def.is_object() && def.size()) item.set("default", def);
  if (req.is_object() && req.size()) item.set("defaultRequest", req);
}

void replication_controller(Value& rc) {
  Value& spec = rc["spec"];
  if (!spec.is_object()) return;
  const Value* labels = spec.at({"template", "metadata", "labels"});
  if (labels && labels->is_object() && labels->size()) {
    if (absent(spec, "selector") || spec.find("selector")->size() == 0) spec.set("selector", *labels);
    Value& meta = rc["metadata"];
    if (absent(meta, "labels") || meta.find("labels")->size() == 0) meta.set("labels", *labels);
  }
  set_default(spec, "replicas", 1);
}

}  // namespace

namespace {
void deployment(Value& d);
void replica_set(Value& rs);
void stateful_set(Value& s);
void daemon_set(Value& d);
void job(Value& j);
void cron_job(Value& c);
void hpa_v2(Value& h);
void hpa_v1(Value& h);
void network_policy(Value& n);
void subject(Value& s);
void storage_class(Value& s);
void csi_driver(Value& d);
void priority_class(Value& p);
void tcp_port(Value& p);
void webhook(Value& w);
void mutating_webhook(Value& w);
void rule_with_operations(Value& r);
void crd_spec(Value& s);
void crd_names(Value& names);
void object_meta(Value& meta);
}  // namespace

Defaulter find_go_defaulter(std::string_view definition) {
  static const std::unordered_map<std::string_view, Defaulter> table = {
      {"io.k8s.api.core.v1.Pod", pod},
      {"io.k8s.api.core.v1.PodSpec", pod_spec},
      {"io.k8s.api.core.v1.Container", container},
      {"io.k8s.api.core.v1.EphemeralContainer", container},
      {"io.k8s.api.core.v1.Probe", probe},
      {"io.k8s.api.core.v1.HTTPGetAction", http_get},
      {"io.k8s.api.core.v1.Volume", volume},
      {"io.k8s.api.core.v1.SecretVolumeSource", mode_420},
      {"io.k8s.api.core.v1.ConfigMapVolumeSource", mode_420},
      {"io.k8s.api.core.v1.DownwardAPIVolumeSource", mode_420},
      {"io.k8s.api.core.v1.ProjectedVolumeSource", mode_420},
      {"io.k8s.api.core.v1.HostPathVolumeSource", host_path},
      {"io.k8s.api.core.v1.ObjectFieldSelector", field_ref},
      {"io.k8s.api.core.v1.ServiceAccountTokenProjection", token_projection},
      {"io.k8s.api.core.v1.PersistentVolumeClaimSpec", claim_spec},
      {"io.k8s.api.core.v1.PersistentVolumeClaim", claim},
      {"io.k8s.api.core.v1.PersistentVolumeSpec", volume_spec},
      {"io.k8s.api.core.v1.PersistentVolume", volume_object},
      {"io.k8s.api.core.v1.Secret", secret},
      {"io.k8s.api.core.v1.Service", service},
      {"io.k8s.api.core.v1.LimitRangeItem", limit_range_item},
      {"io.k8s.api.core.v1.ReplicationController", replication_controller},
      {"io.k8s.api.apps.v1.Deployment", deployment},
      {"io.k8s.api.apps.v1.ReplicaSet", replica_set},
      {"io.k8s.api.apps.v1.StatefulSet", stateful_set},
      {"io.k8s.api.apps.v1.DaemonSet", daemon_set},
      {"io.k8s.api.batch.v1.Job", job},
      {"io.k8s.api.batch.v1.CronJob", cron_job},
      {"io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler", hpa_v2},
      {"io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler", hpa_v1},
      {"io.k8s.api.networking.v1.NetworkPolicy", network_policy},
      {"io.k8s.api.rbac.v1.Subject", subject},
      {"io.k8s.api.storage.v1.StorageClass", storage_class},
      {"io.k8s.api.storage.v1.CSIDriver", csi_driver},
      {"io.k8s.api.scheduling.v1.PriorityClass", priority_class},
      {"io.k8s.api.core.v1.EndpointPort", tcp_port},
      {"io.k8s.api.discovery.v1.EndpointPort", tcp_port},
      {"io.k8s.api.networking.v1.NetworkPolicyPort", tcp_port},
      {"io.k8s.api.admissionregistration.v1.ValidatingWebhook", webhook},
      {"io.k8s.api.admissionregistration.v1.MutatingWebhook", mutating_webhook},
      {"io.k8s.api.admissionregistration.v1.RuleWithOperations", rule_with_operations},
      {"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionSpec", crd_spec},
      {"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionNames", crd_names},
      {"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", object_meta},
  };
  auto it = table.find(definition);
  return it == table.end() ? nullptr : it->second;
}

namespace {

Value& spec_of(Value& o) {
  Value& spec = o["spec"];
  return spec;
}

void deployment(Value& d) {
  Value& spec = spec_of(d);
  if (!spec.is_object()) return;
  set_default(spec, "replicas", 1);
  set_default(spec["strategy"], "type", "RollingUpdate");
  if (spec.string_at({"strategy", "type"}) == "RollingUpdate") {
    Value& ru = spec["strategy"]["rollingUpdate"];
    set_default(ru, "maxUnavailable", "25%");
    set_default(ru, "maxSurge", "25%");
  }
  set_default(spec, "revisionHistoryLimit", 10);
  set_default(spec, "progressDeadlineSeconds", 600);
}

void replica_set(Value& rs) {
  if (spec_of(rs).is_object()) set_default(rs["spec"], "replicas", 1);
}

void stateful_set(Value& s) {
  Value& spec = spec_of(s);
  if (!spec.is_object()) return;
  set_default(spec, "podManagementPolicy", "OrderedReady");
  set_default(spec["updateStrategy"], "type", "RollingUpdate");
  if (spec.string_at({"updateStrategy", "type"}) == "RollingUpdate")
    set_default(spec["updateStrategy"]["rollingUpdate"], "partition", 0);
  Value& retention = spec["persistentVolumeClaimRetentionPolicy"];
  set_default(retention, "whenDeleted", "Retain");
  set_default(retention, "whenScaled", "Retain");
  set_default(spec, "replicas", 1);
  set_default(spec, "revisionHistoryLimit", 10);
  if (Value* claims = spec.find("volumeClaimTemplates"); claims && claims->is_array()) {
    for (Value& c : claims->as_array()) {
      if (!c.is_object()) continue;
      set_default(c, "apiVersion", "v1");
      set_default(c, "kind", "PersistentVolumeClaim");
    }
  }
}

void daemon_set(Value& d) {
  Value& spec = spec_of(d);
  if (!spec.is_object()) return;
  set_default(spec["updateStrategy"], "type", "RollingUpdate");
  if (spec.string_at({"updateStrategy", "type"}) == "RollingUpdate") {
    Value& ru = spec["updateStrategy"]["rollingUpdate"];
    set_default(ru, "maxUnavailable", 1);
    set_default(ru, "maxSurge", 0);
  }
  set_default(spec, "revisionHistoryLimit", 10);
}

void job(Value& j) {
  Value& spec = spec_of(j);
  if (!spec.is_object()) return;
  if (absent(spec, "completions") && absent(spec, "parallelism")) spec.set("completions", 1);
  set_default(spec, "parallelism", 1);
  if (absent(spec, "backoffLimitPerIndex")) set_default(spec, "backoffLimit", 6);
  set_default(spec, "completionMode", "NonIndexed");
  set_default(spec, "suspend", false);
  set_default(spec, "podReplacementPolicy",
              absent(spec, "podFailurePolicy") ? "TerminatingOrFailed" : "Failed");
  set_default(spec, "manualSelector", false);
  const Value* labels = spec.at({"template", "metadata", "labels"});
  Value& meta = j["metadata"];
  if (labels && labels->is_object() && labels->size() &&
      (absent(meta, "labels") || meta.find("labels")->size() == 0))
    meta.set("labels", *labels);
}

void cron_job(Value& c) {
  Value& spec = spec_of(c);
  if (!spec.is_object()) return;
  set_default(spec, "concurrencyPolicy", "Allow");
  set_default(spec, "suspend", false);
  set_default(spec, "successfulJobsHistoryLimit", 3);
  set_default(spec, "failedJobsHistoryLimit", 1);
}

Value scaling_policy(const char* type, int value) {
  Value p = Value::object();
  p.set("type", type);
  p.set("value", value);
  p.set("periodSeconds", 15);
  return p;
}

void hpa_v2(Value& h) {
  Value& spec = spec_of(h);
  if (!spec.is_object()) return;
  set_default(spec, "minReplicas", 1);
  if (absent(spec, "metrics") || spec.find("metrics")->size() == 0) {
    // One metric: CPU at 80 % utilization (autoscaling's DefaultCPUUtilization).
    Value target = Value::object();
    target.set("type", "Utilization");
    target.set("averageUtilization", 80);
    Value resource = Value::object();
    resource.set("name", "cpu");
    resource.set("target", target);
    Value metric = Value::object();
    metric.set("type", "Resource");
    metric.set("resource", resource);
    spec.set("metrics", formats::Array{metric});
  }
  Value* behavior = spec.find("behavior");
  if (!behavior || !behavior->is_object()) return;
  Value& up = (*behavior)["scaleUp"];
  set_default(up, "stabilizationWindowSeconds", 0);
  set_default(up, "selectPolicy", "Max");
  set_default(up, "policies", formats::Array{scaling_policy("Pods", 4), scaling_policy("Percent", 100)});
  Value& down = (*behavior)["scaleDown"];
  set_default(down, "selectPolicy", "Max");
  set_default(down, "policies", formats::Array{scaling_policy("Percent", 100)});
}

void hpa_v1(Value& h) {
  if (spec_of(h).is_object()) set_default(h["spec"], "minReplicas", 1);
}

void network_policy(Value& n) {
  Value& spec = spec_of(n);
  if (!spec.is_object()) return;
  if (Value* types = spec.find("policyTypes"); types && types->is_array() && types->size()) return;
  formats::Array types{Value("Ingress")};
  if (const Value* egress = spec.find("egress"); egress && egress->is_array() && egress->size())
    types.emplace_back("Egress");
  spec.set("policyTypes", std::move(types));
}

void subject(Value& s) {
  std::string_view kind = s.string_at({"kind"});
  if (kind == "User" || kind == "Group") set_default(s, "apiGroup", "rbac.authorization.k8s.io");
}

void storage_class(Value& s) {
  set_default(s, "reclaimPolicy", "Delete");
  set_default(s, "volumeBindingMode", "Immediate");
}

void csi_driver(Value& d) {
  Value& spec = spec_of(d);
  if (!spec.is_object()) return;
  set_default(spec, "attachRequired", true);
  set_default(spec, "podInfoOnMount", false);
  set_default(spec, "storageCapacity", false);
  set_default(spec, "fsGroupPolicy", "ReadWriteOnceWithFSType");
  set_default(spec, "requiresRepublish", false);
  set_default(spec, "seLinuxMount", false);
  set_default(spec, "volumeLifecycleModes", formats::Array{Value("Persistent")});
}

// Ports of Endpoints, EndpointSlices and NetworkPolicies speak TCP unless they say otherwise.
void tcp_port(Value& p) { set_default(p, "protocol", "TCP"); }

void priority_class(Value& p) { set_default(p, "preemptionPolicy", "PreemptLowerPriority"); }

void webhook(Value& w) {
  set_default(w, "failurePolicy", "Fail");
  set_default(w, "matchPolicy", "Equivalent");
  set_default(w, "namespaceSelector", Value::object());
  set_default(w, "objectSelector", Value::object());
  set_default(w, "timeoutSeconds", 10);
  if (Value* svc = w.at({"clientConfig", "service"}); svc && svc->is_object()) set_default(*svc, "port", 443);
}

void mutating_webhook(Value& w) {
  webhook(w);
  set_default(w, "reinvocationPolicy", "Never");
}

void rule_with_operations(Value& r) { set_default(r, "scope", "*"); }

void crd_spec(Value& s) {
  Value& conversion = s["conversion"];
  set_default(conversion, "strategy", "None");
}

void crd_names(Value& names) {
  std::string kind(names.string_at({"kind"}));
  if (kind.empty()) return;
  std::string lower = kind;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  set_default(names, "singular", lower);
  set_default(names, "listKind", kind + "List");
}

// Go writes an unset metav1.Time as null: a nested ObjectMeta (a template's) shows
// creationTimestamp: null.
void object_meta(Value& meta) { set_default(meta, "creationTimestamp", nullptr); }

}  // namespace

}  // namespace ktape::sim::detail
