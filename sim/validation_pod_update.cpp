// What a Pod update may change, and the go-cmp diff of core.PodSpec the real server words its
// refusal with (kubernetes pkg/apis/core/validation ValidatePodUpdate, 1.32).
#include <algorithm>
#include <cctype>
#include <iterator>

#include "sim/validation.hpp"

namespace ktape::sim::detail {

using formats::Value;

namespace {

enum class Shape { string, pointer, composite };

struct SpecField {
  const char* go;    // the internal core.PodSpec field
  const char* json;  // its v1 JSON name
  Shape shape;
};

// core.PodSpec's fields in declaration order (1.32); the v1 fields hostNetwork, hostPID, hostIPC
// and shareProcessNamespace live in its SecurityContext.
constexpr SpecField k_fields[] = {
    {"Volumes", "volumes", Shape::composite},
    {"InitContainers", "initContainers", Shape::composite},
    {"Containers", "containers", Shape::composite},
    {"EphemeralContainers", "ephemeralContainers", Shape::composite},
    {"RestartPolicy", "restartPolicy", Shape::string},
    {"TerminationGracePeriodSeconds", "terminationGracePeriodSeconds", Shape::pointer},
    {"ActiveDeadlineSeconds", "activeDeadlineSeconds", Shape::pointer},
    {"DNSPolicy", "dnsPolicy", Shape::string},
    {"NodeSelector", "nodeSelector", Shape::composite},
    {"ServiceAccountName", "serviceAccountName", Shape::string},
    {"AutomountServiceAccountToken", "automountServiceAccountToken", Shape::pointer},
    {"NodeName", "nodeName", Shape::string},
    {"SecurityContext", "securityContext", Shape::pointer},
    {"ImagePullSecrets", "imagePullSecrets", Shape::composite},
    {"Hostname", "hostname", Shape::string},
    {"Subdomain", "subdomain", Shape::string},
    {"SetHostnameAsFQDN", "setHostnameAsFQDN", Shape::pointer},
    {"Affinity", "affinity", Shape::pointer},
    {"SchedulerName", "schedulerName", Shape::string},
    {"Tolerations", "tolerations", Shape::composite},
    {"HostAliases", "hostAliases", Shape::composite},
    {"PriorityClassName", "priorityClassName", Shape::string},
    {"Priority", "priority", Shape::pointer},
    {"PreemptionPolicy", "preemptionPolicy", Shape::pointer},
    {"DNSConfig", "dnsConfig", Shape::pointer},
    {"ReadinessGates", "readinessGates", Shape::composite},
    {"RuntimeClassName", "runtimeClassName", Shape::pointer},
    {"Overhead", "overhead", Shape::composite},
    {"EnableServiceLinks", "enableServiceLinks", Shape::pointer},
    {"TopologySpreadConstraints", "topologySpreadConstraints", Shape::composite},
    {"OS", "os", Shape::pointer},
    {"SchedulingGates", "schedulingGates", Shape::composite},
    {"ResourceClaims", "resourceClaims", Shape::composite},
    {"Resources", "resources", Shape::pointer},
};

constexpr const char* k_forbidden =
    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

std::string go_key(const std::string& json) {
  std::string out = json;
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

// Go's %+v-like rendering cmp uses for a nested value (zero members left out).
std::string go_nested(const Value& v) {
  if (v.is_string()) return go_quote(v.as_string());
  if (v.is_number()) return v.number_text();
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_array()) {
    std::string out = "{";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + go_nested(v.as_array()[i]);
    return out + "}";
  }
  if (v.is_object()) {
    std::string out = "{";
    bool first = true;
    for (const formats::Member& m : v.as_object()) {
      out += (first ? "" : ", ") + go_key(m.key) + ": " +
             (m.value.is_number() && m.key.find("Seconds") != std::string::npos ? "&" : "") +
             go_nested(m.value);
      first = false;
    }
    return out + "}";
  }
  return "nil";
}

std::string go_field(const SpecField& f, const Value* v) {
  if (f.shape == Shape::string) return go_quote(v && v->is_string() ? v->as_string() : "");
  if (!v || v->is_null()) return "nil";
  if (f.shape == Shape::pointer) return std::string("&").append(go_nested(*v));
  return go_nested(*v);
}

std::string ellipsis(std::size_t n) {
  return "  \t... // " + std::to_string(n) + (n == 1 ? " identical field\n" : " identical fields\n");
}

// cmp.Diff(old, new) of two PodSpecs as the reporter prints a struct: changed fields as -/+
// lines, two unchanged fields of context around them, the rest elided.
std::string spec_diff(const Value& old_spec, const Value& new_spec) {
  constexpr std::size_t n = std::size(k_fields);
  std::vector<bool> changed(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Value* a = old_spec.find(k_fields[i].json);
    const Value* b = new_spec.find(k_fields[i].json);
    changed[i] = go_field(k_fields[i], a) != go_field(k_fields[i], b);
  }
  std::vector<bool> shown(n);
  std::vector<std::pair<std::size_t, std::size_t>> elided;  // [from, to)
  std::size_t i = 0;
  while (i < n) {
    if (changed[i]) {
      shown[i++] = true;
      continue;
    }
    std::size_t end = i;
    while (end < n && !changed[end]) ++end;
    std::size_t equal = end - i, lo = 0, hi = 0;
    while (lo < 2 && lo + hi < equal && i != 0) ++lo;
    while (hi < 2 && lo + hi < equal && end != n) ++hi;
    if (equal - (lo + hi) == 1) ++hi;
    for (std::size_t k = i; k < i + lo; ++k) shown[k] = true;
    for (std::size_t k = end - hi; k < end; ++k) shown[k] = true;
    if (equal > lo + hi) elided.emplace_back(i + lo, end - hi);
    i = end;
  }
  std::size_t width = 0;
  for (std::size_t k = 0; k < n; ++k)
    if (shown[k]) width = std::max(width, std::string_view(k_fields[k].go).size());
  auto line = [&](const char* mark, std::size_t k, const Value* v) {
    std::string name = std::string(k_fields[k].go) + ":";
    return std::string(mark) + "\t" + name + std::string(width + 2 - name.size(), ' ') +
           go_field(k_fields[k], v) + ",\n";
  };
  std::string out = "  core.PodSpec{\n";
  std::size_t next_elided = 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (next_elided < elided.size() && elided[next_elided].first == k) {
      out += ellipsis(elided[next_elided].second - k);
      k = elided[next_elided++].second - 1;
      continue;
    }
    if (!shown[k]) continue;
    if (changed[k]) {
      out += line("- ", k, old_spec.find(k_fields[k].json));
      out += line("+ ", k, new_spec.find(k_fields[k].json));
    } else {
      out += line("  ", k, new_spec.find(k_fields[k].json));
    }
  }
  return out + "  }\n";
}

// The new spec with what an update may change put back to the old values.
Value munged(const Value& new_spec, const Value& old_spec) {
  Value m = new_spec;
  for (const char* list : {"containers", "initContainers"}) {
    Value* now = m.find(list);
    const Value* was = old_spec.find(list);
    if (!now || !was || !now->is_array() || !was->is_array()) continue;
    for (std::size_t i = 0; i < now->size() && i < was->size(); ++i) {
      if (const Value* image = was->as_array()[i].find("image")) now->as_array()[i].set("image", *image);
    }
  }
  for (const char* key : {"activeDeadlineSeconds", "terminationGracePeriodSeconds", "tolerations"}) {
    if (const Value* was = old_spec.find(key)) {
      m.set(key, *was);
    } else {
      m.erase(key);
    }
  }
  return m;
}

}  // namespace

void validate_pod_update(const Value& object, const Value& old, FieldErrors& errors) {
  const Value* new_spec = object.find("spec");
  const Value* old_spec = old.find("spec");
  if (!new_spec || !old_spec) return;
  Value m = munged(*new_spec, *old_spec);
  if (m == *old_spec) return;
  errors.forbidden("spec", std::string(k_forbidden) + "\n" + spec_diff(*old_spec, m));
}

}  // namespace ktape::sim::detail
