// The checks of each built-in kind (kubernetes pkg/apis/*/validation, 1.32), dispatched by
// resource. Pod specs are checked in validation_pod.cpp, wherever one appears.
#include <arpa/inet.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include "sim/cron.hpp"
#include "sim/validation.hpp"

namespace ktape::sim::detail {

using formats::Value;

namespace {

std::string str(const Value& o, std::string_view key) { return std::string(o.string_at({key})); }

const Value& empty_object() {
  static const Value v = Value::object();
  return v;
}

const Value& child(const Value& o, std::string_view key) {
  const Value* v = o.find(key);
  return v ? *v : empty_object();
}

std::string number_or_quoted(const Value* v) {
  if (!v) return "0";
  if (v->is_number()) return v->number_text();
  if (v->is_string()) return go_quote(v->as_string());
  return "0";
}

// A metav1.LabelSelector as Go's %#v prints it.
std::string go_selector(const Value& selector) {
  std::string out = "v1.LabelSelector{MatchLabels:";
  const Value* labels = selector.find("matchLabels");
  out += labels && labels->is_object() ? go_string_map(*labels) : "map[string]string(nil)";
  out += ", MatchExpressions:";
  const Value* exprs = selector.find("matchExpressions");
  if (!exprs || !exprs->is_array() || exprs->size() == 0) return out + "[]v1.LabelSelectorRequirement(nil)}";
  out += "[]v1.LabelSelectorRequirement{";
  for (std::size_t i = 0; i < exprs->size(); ++i) {
    const Value& e = exprs->as_array()[i];
    out += (i ? ", " : "") + std::string("v1.LabelSelectorRequirement{Key:") +
           go_quote(e.string_at({"key"})) + ", Operator:" + go_quote(e.string_at({"operator"})) + ", Values:";
    const Value* values = e.find("values");
    if (!values || !values->is_array()) {
      out += "[]string(nil)}";
      continue;
    }
    out += "[]string{";
    for (std::size_t j = 0; j < values->size(); ++j)
      out += (j ? ", " : "") +
             go_quote(values->as_array()[j].is_string() ? values->as_array()[j].as_string() : "");
    out += "}}";
  }
  return out + "}}";
}

bool selector_matches(const Value& selector, const Value& labels) {
  auto label = [&](const std::string& key) -> const Value* {
    return labels.is_object() ? labels.find(key) : nullptr;
  };
  if (const Value* match = selector.find("matchLabels"); match && match->is_object()) {
    for (const formats::Member& m : match->as_object()) {
      const Value* l = label(m.key);
      if (!l || *l != m.value) return false;
    }
  }
  if (const Value* exprs = selector.find("matchExpressions"); exprs && exprs->is_array()) {
    for (const Value& e : exprs->as_array()) {
      std::string key = str(e, "key"), op = str(e, "operator");
      const Value* l = label(key);
      bool in = false;
      if (const Value* values = e.find("values"); values && values->is_array() && l)
        in = std::find(values->as_array().begin(), values->as_array().end(), *l) != values->as_array().end();
      if ((op == "In" && !in) || (op == "NotIn" && in) || (op == "Exists" && !l) ||
          (op == "DoesNotExist" && l))
        return false;
    }
  }
  return true;
}

bool selector_empty(const Value& selector) {
  const Value* labels = selector.find("matchLabels");
  const Value* exprs = selector.find("matchExpressions");
  return (!labels || labels->size() == 0) && (!exprs || exprs->size() == 0);
}

void non_negative(const Value& spec, std::string_view key, const std::string& path, FieldErrors& errors) {
  const Value* v = spec.find(key);
  if (v && v->is_number() && v->as_int64() && *v->as_int64() < 0)
    errors.invalid(path + "." + std::string(key), v->number_text(), "must be greater than or equal to 0");
}

// The selector and template of a Deployment, ReplicaSet, StatefulSet or DaemonSet.
void validate_controller_spec(const Value& object, const Value* old, const std::string& kind,
                              FieldErrors& errors) {
  const Value& spec = child(object, "spec");
  if (kind != "DaemonSet") non_negative(spec, "replicas", "spec", errors);
  const Value* selector = spec.find("selector");
  if (!selector || !selector->is_object()) {
    errors.required("spec.selector");
  } else {
    validate_labels(selector->find("matchLabels"), "spec.selector.matchLabels", errors);
    if (selector_empty(*selector))
      errors.invalid("spec.selector", go_selector(*selector),
                     "empty selector is invalid for " + std::string(kind == "Deployment"    ? "deployment"
                                                                    : kind == "DaemonSet"   ? "daemonset"
                                                                    : kind == "StatefulSet" ? "statefulset"
                                                                                            : "deployment"));
  }
  const Value& tmpl = child(spec, "template");
  const Value& labels = child(child(tmpl, "metadata"), "labels");
  if (selector && selector->is_object() && !selector_empty(*selector) && !selector_matches(*selector, labels))
    errors.invalid("spec.template.metadata.labels", go_string_map(labels),
                   "`selector` does not match template `labels`");
  validate_labels(&labels, "spec.template.metadata.labels", errors);
  std::vector<std::string> claims;
  if (const Value* templates = spec.find("volumeClaimTemplates"); templates && templates->is_array())
    for (const Value& c : templates->as_array()) claims.emplace_back(c.string_at({"metadata", "name"}));
  validate_pod_spec(child(tmpl, "spec"), "spec.template.spec", errors, claims);
  std::string restart(tmpl.string_at({"spec", "restartPolicy"}));
  if (!restart.empty() && restart != "Always")
    errors.unsupported("spec.template.spec.restartPolicy", restart, {"Always"});
  if (old && kind != "ReplicationController") {
    const Value* old_selector = old->at({"spec", "selector"});
    if (selector && old_selector && *selector != *old_selector)
      errors.invalid("spec.selector", go_selector(*selector), "field is immutable");
  }
}

void deployment(const Value& o, const Value* old, FieldErrors& e) {
  validate_controller_spec(o, old, "Deployment", e);
}
void replica_set(const Value& o, const Value* old, FieldErrors& e) {
  validate_controller_spec(o, old, "ReplicaSet", e);
}
void daemon_set(const Value& o, const Value* old, FieldErrors& e) {
  validate_controller_spec(o, old, "DaemonSet", e);
}
void stateful_set(const Value& o, const Value* old, FieldErrors& e) {
  validate_controller_spec(o, old, "StatefulSet", e);
  std::string policy(o.string_at({"spec", "podManagementPolicy"}));
  if (!policy.empty() && policy != "OrderedReady" && policy != "Parallel")
    e.unsupported("spec.podManagementPolicy", policy, {"OrderedReady", "Parallel"});
}

// A Job's template may only restart OnFailure or Never.
void job_restart_policy(const Value& tmpl_spec, const std::string& path, FieldErrors& errors) {
  std::string restart = str(tmpl_spec, "restartPolicy");
  if (restart != "OnFailure" && restart != "Never")
    errors.required(path + ".restartPolicy", "valid values: \"OnFailure\", \"Never\"");
}

// validateGeneratedSelector: without manualSelector, the template carries this Job's uid and name
// under both label names and the selector is exactly the generated one.
void generated_selector(const Value& o, const Value* selector, FieldErrors& errors) {
  const std::string uid(o.string_at({"metadata", "uid"}));
  const std::string name(o.string_at({"metadata", "name"}));
  const Value* labels = o.at({"spec", "template", "metadata", "labels"});
  if (!labels || !labels->is_object()) {
    errors.required("spec.template.metadata.labels");
    return;
  }
  auto has_label = [&](const char* key, const std::string& expected) {
    std::string path = std::string("spec.template.metadata.labels[").append(key).append("]");
    std::string detail = std::string("must be '").append(expected).append("'");
    const Value* actual = labels->find(key);
    if (!actual) {
      errors.required(std::move(path), detail);
    } else if (!actual->is_string() || actual->as_string() != expected) {
      errors.invalid(std::move(path), go_string_map(*labels), detail);
    }
  };
  has_label("controller-uid", uid);
  has_label("job-name", name);
  has_label("batch.kubernetes.io/controller-uid", uid);
  has_label("batch.kubernetes.io/job-name", name);
  if (!selector) return;
  const Value* match = selector->find("matchLabels");
  const Value* generated = match ? match->find("batch.kubernetes.io/controller-uid") : nullptr;
  const Value* exprs = selector->find("matchExpressions");
  bool exact = generated && generated->is_string() && generated->as_string() == uid && match->size() == 1 &&
               (!exprs || exprs->size() == 0);
  if (!exact) errors.invalid("spec.selector", go_selector(*selector), "`selector` not auto-generated");
}

void job(const Value& o, const Value* old, FieldErrors& errors) {
  const Value& spec = child(o, "spec");
  const Value* selector = spec.find("selector");
  const Value* manual = spec.find("manualSelector");
  if (!(manual && manual->is_bool() && manual->as_bool())) generated_selector(o, selector, errors);
  for (const char* key : {"parallelism", "completions", "activeDeadlineSeconds", "backoffLimit"})
    non_negative(spec, key, "spec", errors);
  if (!selector) errors.required("spec.selector");
  const Value& tmpl = child(spec, "template");
  const Value& labels = child(child(tmpl, "metadata"), "labels");
  if (selector && !selector_empty(*selector) && !selector_matches(*selector, labels))
    errors.invalid("spec.template.metadata.labels", go_string_map(labels),
                   "`selector` does not match template `labels`");
  validate_labels(&labels, "spec.template.metadata.labels", errors);
  validate_pod_spec(child(tmpl, "spec"), "spec.template.spec", errors);
  job_restart_policy(child(tmpl, "spec"), "spec.template.spec", errors);
  if (old) {
    const Value* old_selector = old->at({"spec", "selector"});
    if (selector && old_selector && *selector != *old_selector)
      errors.invalid("spec.selector", go_selector(*selector), "field is immutable");
  }
}

void cron_job(const Value& o, const Value*, FieldErrors& errors) {
  std::string name(o.string_at({"metadata", "name"}));
  // The controller appends an 11-character suffix to Job names: 63 - 11 = 52.
  if (name.size() > 52) errors.invalid("metadata.name", go_quote(name), "must be no more than 52 characters");
  const Value& spec = child(o, "spec");
  std::string schedule = str(spec, "schedule");
  if (schedule.empty()) {
    errors.required("spec.schedule");
  } else if (auto bad = check_cron_schedule(schedule)) {
    errors.invalid("spec.schedule", go_quote(schedule), *bad);
  }
  std::string policy = str(spec, "concurrencyPolicy");
  if (!policy.empty() && policy != "Allow" && policy != "Forbid" && policy != "Replace")
    errors.unsupported("spec.concurrencyPolicy", policy, {"Allow", "Forbid", "Replace"});
  const Value& tmpl_spec = child(child(child(child(spec, "jobTemplate"), "spec"), "template"), "spec");
  validate_pod_spec(tmpl_spec, "spec.jobTemplate.spec.template.spec", errors);
  job_restart_policy(tmpl_spec, "spec.jobTemplate.spec.template.spec", errors);
}

// Port numbers 1-65535 (IsValidPortNum).
bool valid_port(const Value* v) {
  auto n = v && v->is_number() ? v->as_int64() : std::nullopt;
  return n && *n >= 1 && *n <= 65535;
}

void service_ports(const Value& spec, FieldErrors& errors) {
  const Value* ports = spec.find("ports");
  std::string type = str(spec, "type");
  if ((!ports || ports->size() == 0) && type != "ExternalName" && str(spec, "clusterIP") != "None") {
    errors.required("spec.ports");
    return;
  }
  if (!ports || !ports->is_array()) return;
  bool require_name = ports->size() > 1;
  std::set<std::string> names;
  for (std::size_t i = 0; i < ports->size(); ++i) {
    const Value& p = ports->as_array()[i];
    std::string at = "spec.ports[" + std::to_string(i) + "]";
    std::string name = str(p, "name");
    if (name.empty() && require_name) {
      errors.required(at + ".name");
    } else if (!name.empty()) {
      if (auto bad = check_dns1123_label(name))
        errors.invalid(at + ".name", go_quote(name), bad->substr(bad->find("\": ") + 3));
      if (!names.insert(name).second) errors.duplicate(at + ".name", go_quote(name));
    }
    if (!valid_port(p.find("port")))
      errors.invalid(at + ".port", number_or_quoted(p.find("port")),
                     "must be between 1 and 65535, inclusive");
    std::string protocol = str(p, "protocol");
    if (protocol != "TCP" && protocol != "UDP" && protocol != "SCTP")
      errors.unsupported(at + ".protocol", protocol, {"SCTP", "TCP", "UDP"});
    const Value* target = p.find("targetPort");
    if (target && target->is_number() && !valid_port(target))
      errors.invalid(at + ".targetPort", target->number_text(), "must be between 1 and 65535, inclusive");
    const Value* node_port = p.find("nodePort");
    if (node_port && type == "ClusterIP")
      errors.forbidden(at + ".nodePort", "may not be used when `type` is 'ClusterIP'");
  }
}

// Every clusterIPs entry but "None" is an IP address (IsValidIP). A new Service may give only
// clusterIP, which the real strategy copies to clusterIPs before validating.
void service_cluster_ips(const Value& spec, FieldErrors& errors) {
  const Value* ips = spec.find("clusterIPs");
  Value given;
  if ((!ips || !ips->is_array() || ips->size() == 0) && !str(spec, "clusterIP").empty()) {
    given = Value::array();
    given.push_back(str(spec, "clusterIP"));
    ips = &given;
  }
  if (!ips || !ips->is_array()) return;
  for (std::size_t i = 0; i < ips->size(); ++i) {
    const Value& ip = ips->as_array()[i];
    std::string text = ip.is_string() ? ip.as_string() : "";
    if (text == "None") continue;
    in6_addr addr{};
    if (::inet_pton(AF_INET, text.c_str(), &addr) == 1 || ::inet_pton(AF_INET6, text.c_str(), &addr) == 1)
      continue;
    errors.invalid("spec.clusterIPs[" + std::to_string(i) + "]", go_quote(text),
                   "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
  }
}

void service(const Value& o, const Value* old, FieldErrors& errors) {
  const Value& spec = child(o, "spec");
  service_ports(spec, errors);
  service_cluster_ips(spec, errors);
  std::string type = str(spec, "type");
  if (type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" && type != "ExternalName")
    errors.unsupported("spec.type", type, {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"});
  if (type == "ExternalName" && str(spec, "externalName").empty()) errors.required("spec.externalName");
  std::string affinity = str(spec, "sessionAffinity");
  if (!affinity.empty() && affinity != "ClientIP" && affinity != "None")
    errors.unsupported("spec.sessionAffinity", affinity, {"ClientIP", "None"});
  validate_labels(spec.find("selector"), "spec.selector", errors);
  if (!old) return;
  const Value* old_ips = old->at({"spec", "clusterIPs"});
  const Value* ips = spec.find("clusterIPs");
  if (old_ips && old_ips->is_array() && old_ips->size() && type != "ExternalName" &&
      (!ips || !ips->is_array() || ips->size() == 0 || ips->as_array()[0] != old_ips->as_array()[0])) {
    std::string printed = "[]string{";
    if (ips && ips->is_array())
      for (std::size_t i = 0; i < ips->size(); ++i)
        printed +=
            (i ? ", " : "") + go_quote(ips->as_array()[i].is_string() ? ips->as_array()[i].as_string() : "");
    errors.invalid("spec.clusterIPs[0]", printed + "}", "may not change once set");
  }
}

// ConfigMap and Secret keys: [-._a-zA-Z0-9]+, at most 253, not "." or "..", not starting "..".
void config_keys(const Value* map, const std::string& field, FieldErrors& errors) {
  if (!map || !map->is_object()) return;
  for (const formats::Member& m : map->as_object()) {
    const std::string& k = m.key;
    std::string at = field;
    at.append("[").append(k).append("]");
    bool charset = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
             c == '.' || c == '_';
    });
    if (k.size() > 253) errors.invalid(at, go_quote(k), "must be no more than 253 characters");
    if (!charset)
      errors.invalid(
          at, go_quote(k),
          "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
          "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
    if (k == ".") errors.invalid(at, go_quote(k), "must not be '.'");
    if (k == "..") errors.invalid(at, go_quote(k), "must not be '..'");
    if (k.size() > 2 && k.rfind("..", 0) == 0) errors.invalid(at, go_quote(k), "must not start with '..'");
  }
}

void immutable_data(const Value& o, const Value* old, FieldErrors& errors) {
  if (!old) return;
  const Value* was = old->find("immutable");
  if (!was || !was->is_bool() || !was->as_bool()) return;
  for (const char* key : {"data", "binaryData"}) {
    const Value* a = o.find(key);
    const Value* b = old->find(key);
    if ((a ? *a : Value()) != (b ? *b : Value()))
      errors.forbidden(key, "field is immutable when `immutable` is set");
  }
  const Value* now = o.find("immutable");
  if (!now || !now->is_bool() || !now->as_bool())
    errors.forbidden("immutable", "field is immutable when `immutable` is set");
}

void config_map(const Value& o, const Value* old, FieldErrors& errors) {
  config_keys(o.find("data"), "data", errors);
  config_keys(o.find("binaryData"), "binaryData", errors);
  if (const Value* data = o.find("data"); data && data->is_object())
    for (const formats::Member& m : data->as_object())
      if (const Value* bin = o.find("binaryData"); bin && bin->find(m.key))
        errors.invalid("data[" + m.key + "]", go_quote(m.key), "duplicate of key present in binaryData");
  immutable_data(o, old, errors);
}

void secret(const Value& o, const Value* old, FieldErrors& errors) {
  config_keys(o.find("data"), "data", errors);
  std::string type = str(o, "type");
  const Value& data = child(o, "data");
  auto need = [&](const char* key) {
    if (!data.find(key)) errors.required(std::string("data[") + key + "]");
  };
  if (type == "kubernetes.io/tls") need("tls.crt"), need("tls.key");
  if (type == "kubernetes.io/dockerconfigjson") need(".dockerconfigjson");
  if (type == "kubernetes.io/dockercfg") need(".dockercfg");
  if (type == "kubernetes.io/ssh-auth") need("ssh-privatekey");
  if (type == "kubernetes.io/service-account-token" &&
      o.string_at({"metadata", "annotations", "kubernetes.io/service-account.name"}).empty())
    errors.required("metadata.annotations[kubernetes.io/service-account.name]");
  if (old && old->string_at({"type"}) != o.string_at({"type"}))
    errors.invalid("type", go_quote(type), "field is immutable");
  immutable_data(o, old, errors);
}

void claim(const Value& o, const Value*, FieldErrors& errors) {
  const Value& spec = child(o, "spec");
  const Value* modes = spec.find("accessModes");
  if (!modes || !modes->is_array() || modes->size() == 0) {
    errors.required("spec.accessModes", "at least 1 access mode is required");
  } else {
    for (const Value& m : modes->as_array()) {
      std::string mode = m.is_string() ? m.as_string() : "";
      if (mode != "ReadOnlyMany" && mode != "ReadWriteMany" && mode != "ReadWriteOnce" &&
          mode != "ReadWriteOncePod")
        errors.unsupported("spec.accessModes", mode,
                           {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"});
    }
  }
  if (!spec.at({"resources", "requests", "storage"})) errors.required("spec.resources[storage]");
}

void role(const Value& o, const Value*, FieldErrors& errors) {
  const Value* rules = o.find("rules");
  if (!rules || !rules->is_array()) return;
  for (std::size_t i = 0; i < rules->size(); ++i) {
    const Value& r = rules->as_array()[i];
    std::string at = "rules[" + std::to_string(i) + "]";
    if (!r.find("verbs") || r.find("verbs")->size() == 0)
      errors.required(at + ".verbs", "verbs must contain at least one value");
    bool has_urls = r.find("nonResourceURLs") && r.find("nonResourceURLs")->size();
    if (!has_urls && (!r.find("apiGroups") || r.find("apiGroups")->size() == 0))
      errors.required(at + ".apiGroups", "resource rules must supply at least one api group");
    if (!has_urls && (!r.find("resources") || r.find("resources")->size() == 0))
      errors.required(at + ".resources", "resource rules must supply at least one resource");
  }
}

void binding(const Value& o, const Value* old, FieldErrors& errors, bool namespaced) {
  const Value& ref = child(o, "roleRef");
  std::string kind = str(ref, "kind");
  if (namespaced && kind != "Role" && kind != "ClusterRole") {
    errors.unsupported("roleRef.kind", kind, {"Role", "ClusterRole"});
  } else if (!namespaced && kind != "ClusterRole") {
    errors.unsupported("roleRef.kind", kind, {"ClusterRole"});
  }
  if (str(ref, "apiGroup") != "rbac.authorization.k8s.io")
    errors.unsupported("roleRef.apiGroup", str(ref, "apiGroup"), {"rbac.authorization.k8s.io"});
  if (str(ref, "name").empty()) errors.required("roleRef.name");
  if (const Value* subjects = o.find("subjects"); subjects && subjects->is_array()) {
    for (std::size_t i = 0; i < subjects->size(); ++i) {
      const Value& s = subjects->as_array()[i];
      std::string at = "subjects[" + std::to_string(i) + "]";
      if (str(s, "name").empty()) errors.required(at + ".name");
      std::string skind = str(s, "kind");
      if (skind != "ServiceAccount" && skind != "User" && skind != "Group")
        errors.unsupported(at + ".kind", skind, {"ServiceAccount", "User", "Group"});
      if (skind == "ServiceAccount" && !namespaced && str(s, "namespace").empty())
        errors.required(at + ".namespace");
    }
  }
  if (old && old->find("roleRef") && *old->find("roleRef") != ref)
    errors.invalid("roleRef",
                   "rbac.RoleRef{APIGroup:" + go_quote(str(ref, "apiGroup")) + ", Kind:" + go_quote(kind) +
                       ", Name:" + go_quote(str(ref, "name")) + "}",
                   "cannot change roleRef");
}

void role_binding(const Value& o, const Value* old, FieldErrors& e) { binding(o, old, e, true); }
void cluster_role_binding(const Value& o, const Value* old, FieldErrors& e) { binding(o, old, e, false); }

void pod(const Value& o, const Value* old, FieldErrors& errors) {
  validate_pod_spec(child(o, "spec"), "spec", errors);
  if (old) validate_pod_update(o, *old, errors);
}

}  // namespace

Validator find_validator(const ResourceInfo& info) {
  static const std::unordered_map<std::string, Validator> table = {
      {"/pods", pod},
      {"/services", service},
      {"/configmaps", config_map},
      {"/secrets", secret},
      {"/persistentvolumeclaims", claim},
      {"apps/deployments", deployment},
      {"apps/replicasets", replica_set},
      {"apps/daemonsets", daemon_set},
      {"apps/statefulsets", stateful_set},
      {"batch/jobs", job},
      {"batch/cronjobs", cron_job},
      {"rbac.authorization.k8s.io/roles", role},
      {"rbac.authorization.k8s.io/clusterroles", role},
      {"rbac.authorization.k8s.io/rolebindings", role_binding},
      {"rbac.authorization.k8s.io/clusterrolebindings", cluster_role_binding},
  };
  if (info.custom) return nullptr;
  auto it = table.find(info.group + "/" + info.resource);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace ktape::sim::detail
