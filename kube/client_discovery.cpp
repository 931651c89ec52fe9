// Discovery for kube::Client: aggregated when served, else the legacy documents in parallel.
#include <future>

#include "kube/client.hpp"
#include "kube/client_impl.hpp"

namespace ktape::kube {
namespace {

using formats::Value;

// Asks for aggregated discovery (v2, then v2beta1 as 1.26-1.29 serve it) and falls back to the
// legacy documents in the same request, as kubectl does.
constexpr std::string_view k_aggregated_accept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

bool is_aggregated(const Value& doc) { return doc.string_at({"kind"}) == "APIGroupDiscoveryList"; }

// The group versions a legacy /api (APIVersions) and /apis (APIGroupList) announce.
std::vector<LegacyGroupVersion> announced(const Value& core, const Value& groups) {
  std::vector<LegacyGroupVersion> out;
  if (const Value* versions = core.find("versions"); versions && versions->is_array()) {
    bool first = true;
    for (const auto& v : versions->as_array()) {
      if (v.is_string()) out.push_back({"", v.as_string(), first, {}});
      first = false;
    }
  }
  if (const Value* list = groups.find("groups"); list && list->is_array()) {
    for (const auto& group : list->as_array()) {
      std::string name(group.string_at({"name"}));
      std::string preferred(group.string_at({"preferredVersion", "version"}));
      const Value* versions = group.find("versions");
      if (!versions || !versions->is_array()) continue;
      for (const auto& v : versions->as_array()) {
        std::string version(v.string_at({"version"}));
        out.push_back({name, version, version == preferred, {}});
      }
    }
  }
  return out;
}

}  // namespace

Result<Discovery> Client::discover() {
  auto core = get_path("/api", k_aggregated_accept);
  if (!core) return fail(core.error());
  auto groups = get_path("/apis", k_aggregated_accept);
  if (!groups && !is_not_found(groups.error())) return fail(groups.error());
  Value no_groups;
  const Value& group_doc = groups ? *groups : no_groups;
  if (is_aggregated(*core) && (group_doc.is_null() || is_aggregated(group_doc))) {
    return parse_aggregated_discovery(*core, group_doc);
  }
  std::vector<LegacyGroupVersion> documents = announced(*core, group_doc);
  std::vector<std::future<Result<Value>>> answers;
  for (const auto& gv : documents) {
    std::string path = gv.group.empty() ? "/api/" + gv.version : "/apis/" + gv.group + "/" + gv.version;
    answers.push_back(std::async(std::launch::async, [this, path] { return get_path(path); }));
  }
  std::vector<LegacyGroupVersion> answered;
  std::optional<Error> first_error;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    auto answer = answers[i].get();
    if (!answer) {
      if (!first_error) first_error = answer.error();
      continue;
    }
    documents[i].resource_list = std::move(*answer);
    answered.push_back(std::move(documents[i]));
  }
  // An aggregated API that is down (a metrics server) must not hide the rest of the cluster.
  if (answered.empty() && first_error) return fail(*first_error);
  return parse_legacy_discovery(answered);
}

}  // namespace ktape::kube
