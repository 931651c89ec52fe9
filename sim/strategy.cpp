// Registry strategies (PrepareForCreate/PrepareForUpdate) and mutating admission plugins of the
// built-in kinds, dispatched by resource.
#include "sim/strategy.hpp"

#include <array>
#include <functional>
#include <set>
#include <tuple>
#include <unordered_map>

#include "sim/object_util.hpp"

namespace ktape::sim {

using formats::Value;

namespace {

std::string base64(std::string_view in) {
  static constexpr char k_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += k_chars[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += k_chars[(v >> 18) & 63];
    out += k_chars[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += k_chars[(v >> 18) & 63];
    out += k_chars[(v >> 12) & 63];
    out += k_chars[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

void add_finalizer(Value& object, std::string_view finalizer) {
  Value& list = detail::metadata_of(object)["finalizers"];
  if (!list.is_array()) list = Value::array();
  for (const Value& f : list.as_array())
    if (f.is_string() && f.as_string() == finalizer) return;
  list.push_back(Value(finalizer));
}

// A container's cpu/memory requests and limits, for the QoS class.
struct Resources {
  const Value* requests = nullptr;
  const Value* limits = nullptr;
};

std::vector<Resources> all_container_resources(const Value& spec) {
  std::vector<Resources> out;
  for (const char* list : {"containers", "initContainers"}) {
    const Value* cs = spec.find(list);
    if (!cs || !cs->is_array()) continue;
    for (const Value& c : cs->as_array())
      out.push_back({c.at({"resources", "requests"}), c.at({"resources", "limits"})});
  }
  return out;
}

// kubernetes pkg/apis/core/helper/qos: Guaranteed when every container limits cpu and memory and
// requests (when given) equal the limits; BestEffort when none requests or limits either.
std::string qos_class(const Value& spec) {
  bool any = false, guaranteed = true;
  for (const Resources& r : all_container_resources(spec)) {
    for (const char* res : {"cpu", "memory"}) {
      const Value* req = r.requests ? r.requests->find(res) : nullptr;
      const Value* lim = r.limits ? r.limits->find(res) : nullptr;
      if (req || lim) any = true;
      if (!lim || (req && *req != *lim)) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

Value toleration(const char* key) {
  Value t = Value::object();
  t.set("key", key);
  t.set("operator", "Exists");
  t.set("effect", "NoExecute");
  t.set("tolerationSeconds", 300);  // DefaultTolerationSeconds admission: 300 s
  return t;
}

// DefaultTolerationSeconds: tolerate not-ready and unreachable nodes for 300 s unless the pod
// already tolerates them.
void default_tolerations(Value& spec) {
  Value& list = spec["tolerations"];
  if (!list.is_array()) list = Value::array();
  for (const char* key : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
    bool has = false;
    for (const Value& t : list.as_array()) {
      std::string_view effect = t.string_at({"effect"});
      if (t.string_at({"key"}) == key && (effect.empty() || effect == "NoExecute")) has = true;
    }
    if (has) continue;
    static const Value k_not_ready = toleration("node.kubernetes.io/not-ready");
    static const Value k_unreachable = toleration("node.kubernetes.io/unreachable");
    list.push_back(std::string_view(key) == "node.kubernetes.io/not-ready" ? k_not_ready : k_unreachable);
  }
}

Value key_path(const char* key, const char* path) {
  Value v = Value::object();
  v.set("key", key);
  v.set("path", path);
  return v;
}

// The projected volume the ServiceAccount admission plugin adds (BoundServiceAccountTokenVolume),
// without its name.
Value make_token_volume() {
  Value token = Value::object();
  token.set("expirationSeconds", 3607);  // the plugin's 1 h plus the 7 s it adds for skew
  token.set("path", "token");
  Value sa = Value::object();
  sa.set("serviceAccountToken", token);
  Value cm = Value::object();
  cm["configMap"].set("items", formats::Array{key_path("ca.crt", "ca.crt")});
  cm["configMap"].set("name", "kube-root-ca.crt");
  Value field = Value::object();
  field.set("apiVersion", "v1");
  field.set("fieldPath", "metadata.namespace");
  Value item = Value::object();
  item.set("fieldRef", field);
  item.set("path", "namespace");
  Value downward = Value::object();
  downward["downwardAPI"].set("items", formats::Array{item});
  Value projected = Value::object();
  projected.set("defaultMode", 420);
  projected.set("sources", formats::Array{sa, cm, downward});
  Value volume = Value::object();
  volume.set("name", "");
  volume.set("projected", std::move(projected));
  return volume;
}

// The token volume named `name`: a copy of one built once, since every Pod create adds one.
Value token_volume(const std::string& name) {
  static const Value k_template = make_token_volume();
  Value volume = k_template;
  volume.set("name", name);
  return volume;
}

constexpr std::string_view k_token_mount = "/var/run/secrets/kubernetes.io/serviceaccount";

bool mounts_token(const Value& container) {
  const Value* mounts = container.find("volumeMounts");
  if (!mounts || !mounts->is_array()) return false;
  for (const Value& m : mounts->as_array())
    if (m.string_at({"mountPath"}) == k_token_mount) return true;
  return false;
}

// ServiceAccount admission: the default account, and its token mounted in every container.
void service_account(Value& spec) {
  if (spec.string_at({"serviceAccountName"}).empty())
    spec.set("serviceAccountName", spec.string_at({"serviceAccount"}, "default"));
  spec.set("serviceAccount", spec.string_at({"serviceAccountName"}));
  const Value* automount = spec.find("automountServiceAccountToken");
  if (automount && automount->is_bool() && !automount->as_bool()) return;
  std::string name = "kube-api-access-" + detail::random_suffix();
  bool added = false;
  for (const char* list : {"initContainers", "containers"}) {
    Value* cs = spec.find(list);
    if (!cs || !cs->is_array()) continue;
    for (Value& c : cs->as_array()) {
      if (!c.is_object() || mounts_token(c)) continue;
      static const Value k_mount = [] {
        Value m = Value::object();
        m.set("mountPath", k_token_mount);
        m.set("name", "");
        m.set("readOnly", true);
        return m;
      }();
      Value mount = k_mount;
      mount.set("name", name);
      c["volumeMounts"].push_back(std::move(mount));
      added = true;
    }
  }
  if (added) spec["volumes"].push_back(token_volume(name));
}

// One LimitRange default (`from`: "default" or "defaultRequest") merged into a container's
// resources (`into`); returns the note LimitRanger writes ("cpu, memory request for container
// app"), empty when nothing was set.
std::string merge_limit_default(Value& container, const Value& item, const char* from, const char* into,
                                const std::string& what) {
  const Value* defaults = item.find(from);
  if (!defaults || !defaults->is_object()) return {};
  std::set<std::string> set;
  for (const formats::Member& m : defaults->as_object()) {
    Value& target = container["resources"][into];
    if (target.find(m.key)) continue;
    target.set(m.key, m.value);
    set.insert(m.key);
  }
  if (set.empty()) return {};
  std::string note;
  for (const auto& k : set) {
    if (!note.empty()) note += ", ";
    note += k;
  }
  note.append(" ").append(what).append(" for ");
  return note;
}

// One LimitRange item of type Container applied to every container and init container.
void apply_limit_item(Value& spec, const Value& item, std::vector<std::string>& notes) {
  static constexpr std::array<std::pair<const char*, const char*>, 2> k_lists = {
      std::pair{"containers", "container"}, std::pair{"initContainers", "init container"}};
  for (const auto& [list, kind] : k_lists) {
    Value* cs = spec.find(list);
    if (!cs || !cs->is_array()) continue;
    for (Value& c : cs->as_array()) {
      std::string who = std::string(kind) + " " + std::string(c.string_at({"name"}));
      for (const auto& [from, into, what] :
           {std::tuple{"defaultRequest", "requests", "request"}, std::tuple{"default", "limits", "limit"}}) {
        std::string note = merge_limit_default(c, item, from, into, what);
        if (!note.empty()) notes.push_back(note + who);
      }
    }
  }
}

// LimitRanger admission: container defaults of the namespace's LimitRanges, and the annotation
// that says what was set ("cpu, memory request for container app; ...").
void limit_ranger(Value& pod, const std::vector<Value>& limit_ranges) {
  std::vector<std::string> notes;
  Value& spec = pod["spec"];
  for (const Value& lr : limit_ranges) {
    const Value* items = lr.at({"spec", "limits"});
    if (!items || !items->is_array()) continue;
    for (const Value& item : items->as_array())
      if (item.string_at({"type"}) == "Container") apply_limit_item(spec, item, notes);
  }
  if (notes.empty()) return;
  std::string text = "LimitRanger plugin set: ";
  for (std::size_t i = 0; i < notes.size(); ++i) text += (i ? "; " : "") + notes[i];
  detail::metadata_of(pod)["annotations"].set("kubernetes.io/limit-ranger", text);
}

// In-place resize: a regular container that names cpu or memory gets their NotRequired policy.
void resize_policies(Value& spec) {
  Value* cs = spec.find("containers");
  if (!cs || !cs->is_array()) return;
  for (Value& c : cs->as_array()) {
    if (!c.is_object() || c.find("resizePolicy")) continue;
    formats::Array policies;
    for (const char* res : {"cpu", "memory"}) {
      const Value* req = c.at({"resources", "requests", res});
      const Value* lim = c.at({"resources", "limits", res});
      if (!req && !lim) continue;
      Value p = Value::object();
      p.set("resourceName", res);
      p.set("restartPolicy", "NotRequired");
      policies.push_back(std::move(p));
    }
    if (!policies.empty()) c.set("resizePolicy", std::move(policies));
  }
}

void create_pod(Value& pod, const std::vector<Value>& limit_ranges) {
  Value& spec = pod["spec"];
  if (!spec.is_object()) return;
  service_account(spec);
  default_tolerations(spec);
  if (!spec.find("priority")) {
    std::string_view cls = spec.string_at({"priorityClassName"});
    // The two built-in classes; without a default class every other pod has priority 0.
    spec.set("priority", cls == "system-node-critical"      ? 2000001000
                         : cls == "system-cluster-critical" ? 2000000000
                                                            : 0);
  }
  if (!spec.find("preemptionPolicy")) spec.set("preemptionPolicy", "PreemptLowerPriority");
  limit_ranger(pod, limit_ranges);
  resize_policies(spec);
  Value status = Value::object();
  status.set("phase", "Pending");
  status.set("qosClass", qos_class(spec));
  pod.set("status", std::move(status));
}

// A Job without manualSelector (generateSelector of the real strategy): the template gets the
// job-name and controller-uid labels (both the batch.kubernetes.io/ and the legacy names) where
// the client did not set them, and the selector its controller-uid match label; a value the
// client set is kept, for validation to refuse when it is not this Job's.
void create_job(Value& job) {
  Value& spec = job["spec"];
  if (!spec.is_object()) return;
  const Value* manual = spec.find("manualSelector");
  if (manual && manual->is_bool() && manual->as_bool()) return;
  const std::string uid = detail::metadata_string(job, "uid");
  const std::string name = detail::metadata_string(job, "name");
  Value& labels = spec["template"]["metadata"]["labels"];
  if (!labels.is_object()) labels = Value::object();
  // In the order Go writes a map's keys.
  for (const auto& [key, value] :
       {std::pair<const char*, const std::string*>{"batch.kubernetes.io/controller-uid", &uid},
        {"batch.kubernetes.io/job-name", &name},
        {"controller-uid", &uid},
        {"job-name", &name}})
    if (!labels.find(key)) labels.set(key, *value);
  Value& match = spec["selector"]["matchLabels"];
  if (!match.is_object()) match = Value::object();
  if (!match.find("batch.kubernetes.io/controller-uid")) match.set("batch.kubernetes.io/controller-uid", uid);
  Value& own = detail::metadata_of(job)["labels"];
  if (own.size() == 0) own = labels;
}

// The deployment controller's first revision, which the real one writes at once.
void create_deployment(Value& d) {
  detail::metadata_of(d)["annotations"].set("deployment.kubernetes.io/revision", "1");
}

void create_daemon_set(Value& ds) {
  detail::metadata_of(ds)["annotations"].set("deprecated.daemonset.template.generation", "1");
}

void create_claim(Value& pvc) { add_finalizer(pvc, "kubernetes.io/pvc-protection"); }

void create_volume(Value& pv) {
  add_finalizer(pv, "kubernetes.io/pv-protection");
  pv["status"].set("lastPhaseTransitionTime", detail::now_rfc3339());
}

using CreateStep = std::function<void(Value&, const std::vector<Value>&)>;

const std::unordered_map<std::string, CreateStep>& create_steps() {
  static const std::unordered_map<std::string, CreateStep> steps = {
      {"/pods", [](Value& o, const std::vector<Value>& lr) { create_pod(o, lr); }},
      {"batch/jobs", [](Value& o, const std::vector<Value>&) { create_job(o); }},
      {"apps/daemonsets", [](Value& o, const std::vector<Value>&) { create_daemon_set(o); }},
      {"apps/deployments", [](Value& o, const std::vector<Value>&) { create_deployment(o); }},
      {"/persistentvolumeclaims", [](Value& o, const std::vector<Value>&) { create_claim(o); }},
      {"/persistentvolumes", [](Value& o, const std::vector<Value>&) { create_volume(o); }},
      {"/secrets", [](Value& o, const std::vector<Value>&) { merge_string_data(o); }},
  };
  return steps;
}

}  // namespace

bool uses_generation(const ResourceInfo& info) {
  // Resources whose registry strategy sets metadata.generation (checked on kube-apiserver 1.32).
  static const std::set<std::string, std::less<>> with_generation = {
      "/replicationcontrollers",
      "/podtemplates",
      "apps/deployments",
      "apps/replicasets",
      "apps/statefulsets",
      "apps/daemonsets",
      "batch/jobs",
      "batch/cronjobs",
      "networking.k8s.io/ingresses",
      "networking.k8s.io/ingressclasses",
      "networking.k8s.io/networkpolicies",
      "policy/poddisruptionbudgets",
      "scheduling.k8s.io/priorityclasses",
      "discovery.k8s.io/endpointslices",
      "apiextensions.k8s.io/customresourcedefinitions",
      "admissionregistration.k8s.io/validatingwebhookconfigurations",
      "admissionregistration.k8s.io/mutatingwebhookconfigurations",
      "admissionregistration.k8s.io/validatingadmissionpolicies",
      "admissionregistration.k8s.io/validatingadmissionpolicybindings",
      "flowcontrol.apiserver.k8s.io/flowschemas",
      "flowcontrol.apiserver.k8s.io/prioritylevelconfigurations",
  };
  return info.custom || with_generation.count(info.group + "/" + info.resource) > 0;
}

void prepare_for_create(const ResourceInfo& info, Value& object, const std::vector<Value>& limit_ranges) {
  auto it = create_steps().find(info.group + "/" + info.resource);
  if (it != create_steps().end()) it->second(object, limit_ranges);
}

void prepare_for_update(const ResourceInfo& info, const Value& old, Value& object) {
  if (info.group.empty() && info.resource == "secrets") merge_string_data(object);
  // What admission and the strategy added on create stays, since clients rarely send it back.
  if (info.group.empty() && info.resource == "pods") {
    if (const Value* status = old.find("status")) object.set("status", *status);
  }
}

void merge_string_data(Value& secret) {
  const Value* found = secret.find("stringData");
  if (!found) return;
  Value strings = *found;  // a copy: adding `data` below may move the members
  secret.erase("stringData");
  if (!strings.is_object()) return;
  Value& data = secret["data"];
  if (!data.is_object()) data = Value::object();
  for (const formats::Member& m : strings.as_object())
    if (m.value.is_string()) data.set(m.key, base64(m.value.as_string()));
}

}  // namespace ktape::sim
