// Validation of a PodSpec (Pods and every pod template) and of a Pod's update, in the order of
// kubernetes pkg/apis/core/validation (1.32).
#include <algorithm>
#include <set>

#include "sim/api_error.hpp"
#include "sim/validation.hpp"

namespace ktape::sim::detail {

using formats::Value;

namespace {

std::string str(const Value& o, std::string_view key) { return std::string(o.string_at({key})); }

std::string number_text(const Value* v) {
  if (!v) return "0";
  if (v->is_number()) return v->number_text();
  if (v->is_string()) return go_quote(v->as_string());
  return "0";
}

// The detail of a DNS-1123 label check without its "Invalid value: ..." prefix.
std::optional<std::string> label_detail(std::string_view name) {
  auto bad = check_dns1123_label(name);
  if (!bad) return std::nullopt;
  std::size_t colon = bad->find("\": ");
  return colon == std::string::npos ? *bad : bad->substr(colon + 3);
}

// IANA_SVC_NAME (k8s.io/apimachinery validation.IsValidPortName), every failed rule in order.
std::vector<std::string> port_name_problems(std::string_view name) {
  std::vector<std::string> out;
  if (name.size() > 15) out.emplace_back("must be no more than 15 characters");
  bool charset = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
  if (!charset) out.emplace_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (std::none_of(name.begin(), name.end(),
                   [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }))
    out.emplace_back("must contain at least one letter (a-z)");
  if (name.find("--") != std::string_view::npos) out.emplace_back("must not contain consecutive hyphens");
  if (!name.empty() && (name.front() == '-' || name.back() == '-'))
    out.emplace_back("must not begin or end with a hyphen");
  return out;
}

void validate_ports(const Value& c, const std::string& path, FieldErrors& errors) {
  const Value* ports = c.find("ports");
  if (!ports || !ports->is_array()) return;
  std::set<std::string> names;
  for (std::size_t i = 0; i < ports->size(); ++i) {
    const Value& p = ports->as_array()[i];
    std::string at = path + ".ports[" + std::to_string(i) + "]";
    std::string name = str(p, "name");
    if (!name.empty()) {
      for (const auto& problem : port_name_problems(name))
        errors.invalid(at + ".name", go_quote(name), problem);
      if (!names.insert(name).second) errors.duplicate(at + ".name", go_quote(name));
    }
    auto port =
        p.find("containerPort") ? p.find("containerPort")->as_int64() : std::optional<std::int64_t>(0);
    if (!port || *port == 0) {
      errors.required(at + ".containerPort");
    } else if (*port < 1 || *port > 65535) {
      errors.invalid(at + ".containerPort", number_text(p.find("containerPort")),
                     "must be between 1 and 65535, inclusive");
    }
    if (auto host = p.find("hostPort") ? p.find("hostPort")->as_int64() : std::nullopt;
        host && *host != 0 && (*host < 1 || *host > 65535))
      errors.invalid(at + ".hostPort", number_text(p.find("hostPort")),
                     "must be between 1 and 65535, inclusive");
    std::string protocol = str(p, "protocol");
    if (protocol.empty()) {
      errors.required(at + ".protocol");
    } else if (protocol != "TCP" && protocol != "UDP" && protocol != "SCTP") {
      errors.unsupported(at + ".protocol", protocol, {"SCTP", "TCP", "UDP"});
    }
  }
}

void validate_container(const Value& c, const std::string& path, const std::set<std::string>& volumes,
                        std::set<std::string>& names, FieldErrors& errors) {
  std::string name = str(c, "name");
  if (name.empty()) {
    errors.required(path + ".name");
  } else if (auto bad = label_detail(name)) {
    errors.invalid(path + ".name", go_quote(name), *bad);
  }
  if (str(c, "image").empty()) errors.required(path + ".image");
  validate_ports(c, path, errors);
  if (const Value* mounts = c.find("volumeMounts"); mounts && mounts->is_array()) {
    for (std::size_t i = 0; i < mounts->size(); ++i) {
      const Value& m = mounts->as_array()[i];
      std::string at = path + ".volumeMounts[" + std::to_string(i) + "]";
      std::string mount = str(m, "name");
      if (mount.empty()) {
        errors.required(at + ".name");
      } else if (!volumes.count(mount)) {
        errors.not_found(at + ".name", go_quote(mount));
      }
      if (str(m, "mountPath").empty()) errors.required(at + ".mountPath");
    }
  }
  std::string policy = str(c, "imagePullPolicy");
  if (policy.empty()) {
    errors.required(path + ".imagePullPolicy");
  } else if (policy != "Always" && policy != "IfNotPresent" && policy != "Never") {
    errors.unsupported(path + ".imagePullPolicy", policy, {"Always", "IfNotPresent", "Never"});
  }
  // After the checks every container type shares, as validateContainers orders them.
  if (!name.empty() && !label_detail(name) && !names.insert(name).second)
    errors.duplicate(path + ".name", go_quote(name));
}

std::set<std::string> validate_volumes(const Value& spec, const std::string& path, FieldErrors& errors) {
  std::set<std::string> names;
  const Value* volumes = spec.find("volumes");
  if (!volumes || !volumes->is_array()) return names;
  for (std::size_t i = 0; i < volumes->size(); ++i) {
    const Value& v = volumes->as_array()[i];
    std::string at = path + ".volumes[" + std::to_string(i) + "]";
    std::string name = str(v, "name");
    if (name.empty()) {
      errors.required(at + ".name");
    } else if (auto bad = label_detail(name)) {
      errors.invalid(at + ".name", go_quote(name), *bad);
    } else if (!names.insert(name).second) {
      errors.duplicate(at + ".name", go_quote(name));
    }
    std::size_t sources = v.is_object() ? v.size() - (v.find("name") ? 1 : 0) : 0;
    if (sources > 1) errors.forbidden(at, "may not specify more than 1 volume type");
  }
  return names;
}

}  // namespace

void validate_pod_spec(const Value& spec, const std::string& path, FieldErrors& errors,
                       const std::vector<std::string>& claim_templates) {
  std::set<std::string> volumes = validate_volumes(spec, path, errors);
  volumes.insert(claim_templates.begin(), claim_templates.end());
  std::set<std::string> names;
  const Value* containers = spec.find("containers");
  if (!containers || !containers->is_array() || containers->size() == 0) {
    errors.required(path + ".containers");
  } else {
    for (std::size_t i = 0; i < containers->size(); ++i)
      validate_container(containers->as_array()[i], path + ".containers[" + std::to_string(i) + "]", volumes,
                         names, errors);
  }
  if (const Value* init = spec.find("initContainers"); init && init->is_array()) {
    for (std::size_t i = 0; i < init->size(); ++i)
      validate_container(init->as_array()[i], path + ".initContainers[" + std::to_string(i) + "]", volumes,
                         names, errors);
  }
  std::string restart = str(spec, "restartPolicy");
  if (restart.empty()) {
    errors.required(path + ".restartPolicy");
  } else if (restart != "Always" && restart != "OnFailure" && restart != "Never") {
    errors.unsupported(path + ".restartPolicy", restart, {"Always", "OnFailure", "Never"});
  }
  std::string dns = str(spec, "dnsPolicy");
  if (dns.empty()) {
    errors.required(path + ".dnsPolicy");
  } else if (dns != "ClusterFirstWithHostNet" && dns != "ClusterFirst" && dns != "Default" && dns != "None") {
    errors.unsupported(path + ".dnsPolicy", dns,
                       {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"});
  }
  if (const Value* grace = spec.find("terminationGracePeriodSeconds");
      grace && grace->as_int64() && *grace->as_int64() < 0)
    errors.invalid(path + ".terminationGracePeriodSeconds", grace->number_text(),
                   "must be greater than or equal to 0");
}

}  // namespace ktape::sim::detail
