#include "recorder/selection.hpp"

namespace ktape::recorder {

namespace {

bool listable(const kube::ApiResource& r) { return r.has_verb("list") && r.has_verb("watch"); }

}  // namespace

Result<std::vector<kube::ApiResource>> select_resources(const kube::Discovery& discovery,
                                                        const kube::Selection& selection) {
  auto excluded = kube::resolve_resources(discovery, selection.exclude_resources, "--exclude-resource");
  if (!excluded) return fail(excluded.error());
  std::vector<kube::ApiResource> out;
  if (!selection.resources.empty()) {
    auto named = kube::resolve_resources(discovery, selection.resources, "--resource");
    if (!named) return fail(named.error());
    for (auto& r : *named) {
      if (kube::contains_resource(*excluded, r)) continue;
      if (!listable(r))
        return fail(ErrorKind::invalid, "resource " + r.qualified_name() + " cannot be listed and watched");
      out.push_back(std::move(r));
    }
    return out;
  }
  for (auto& r : discovery.preferred())
    if (listable(r) && !kube::excluded_by_default(r) && !kube::contains_resource(*excluded, r))
      out.push_back(std::move(r));
  return out;
}

}  // namespace ktape::recorder
