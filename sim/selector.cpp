#include "sim/selector.hpp"

#include <map>
#include <set>

namespace ktape::sim {

using formats::split_selector;
using formats::trim_selector;

ApiResult<FieldSelector> FieldSelector::parse(std::string_view text) {
  FieldSelector s;
  if (trim_selector(text).empty()) return s;
  for (std::string_view part : split_selector(text)) {
    Requirement r;
    std::size_t pos = part.find_first_of("=!");
    if (pos == std::string_view::npos || pos == 0)
      return tl::unexpected(err_bad_request("invalid selector: '" + std::string(text) +
                                            "'; can't understand '" + std::string(part) + "'"));
    r.path = std::string(trim_selector(part.substr(0, pos)));
    std::string_view rest = part.substr(pos);
    if (rest.starts_with("!=")) {
      r.equals = false, rest.remove_prefix(2);
    } else if (rest.starts_with("==")) {
      rest.remove_prefix(2);
    } else if (rest.starts_with("=")) {
      rest.remove_prefix(1);
    } else {
      return tl::unexpected(err_bad_request("invalid selector: '" + std::string(text) + "'"));
    }
    r.value = std::string(trim_selector(rest));
    s.m_requirements.push_back(std::move(r));
  }
  return s;
}

ApiResult<void> check_field_selector(std::string_view group, std::string_view resource,
                                     const FieldSelector& fields) {
  // kubernetes pkg/registry/*/strategy.go GetAttrs / AddFieldLabelConversionFunc (1.32).
  static const std::map<std::string, std::set<std::string>, std::less<>> extra = {
      {"/pods",
       {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"}},
      {"/secrets", {"type"}},
      {"/namespaces", {"status.phase"}},
      {"/nodes", {"spec.unschedulable"}},
      {"/replicationcontrollers", {"status.replicas"}},
      {"/services", {"spec.clusterIP", "spec.type"}},
      {"/events",
       {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
        "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
        "reportingComponent", "source", "type"}},
      {"apps/replicasets", {"status.replicas"}},
      {"batch/jobs", {"status.successful"}},
      {"certificates.k8s.io/certificatesigningrequests", {"spec.signerName"}},
  };
  std::string key = std::string(group) + "/" + std::string(resource);
  auto it = extra.find(key);
  for (const auto& r : fields.requirements()) {
    if (r.path == "metadata.name" || r.path == "metadata.namespace") continue;
    if (it == extra.end())
      return tl::unexpected(err_bad_request(
          "\"" + r.path +
          "\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""));
    if (!it->second.count(r.path))
      return tl::unexpected(err_bad_request("field label not supported: " + r.path));
  }
  return {};
}

}  // namespace ktape::sim
