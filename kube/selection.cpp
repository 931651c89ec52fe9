#include "kube/selection.hpp"

#include <fnmatch.h>

#include <algorithm>

namespace ktape::kube {

namespace {

bool is_namespace_resource(const ApiResource& r) { return r.group.empty() && r.resource == "namespaces"; }

}  // namespace

bool glob_any(const std::vector<std::string>& globs, std::string_view text) {
  std::string t(text);
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return ::fnmatch(g.c_str(), t.c_str(), 0) == 0; });
}

bool namespace_selected(const Selection& selection, std::string_view name) {
  if (glob_any(selection.exclude_namespaces, name)) return false;
  return selection.namespaces.empty() || glob_any(selection.namespaces, name);
}

bool in_selected_namespace(const Selection& selection, const ApiResource& resource, std::string_view ns,
                           const formats::Value* object) {
  if (is_namespace_resource(resource))
    return namespace_selected(selection, object != nullptr ? object->string_at({"metadata", "name"}) : ns);
  return ns.empty() || namespace_selected(selection, ns);
}

Result<std::vector<ApiResource>> resolve_resources(const Discovery& discovery,
                                                   const std::vector<std::string>& names,
                                                   std::string_view flag) {
  std::vector<ApiResource> out;
  for (const auto& name : names) {
    auto r = discovery.resolve(name);
    if (!r)
      return fail(ErrorKind::not_found,
                  std::string(flag) + " " + name +
                      ": the server serves no such resource (see kubectl api-resources)");
    if (!contains_resource(out, *r)) out.push_back(std::move(*r));
  }
  return out;
}

bool contains_resource(const std::vector<ApiResource>& list, const ApiResource& resource) {
  return std::any_of(list.begin(), list.end(), [&](const ApiResource& r) {
    return r.group == resource.group && r.resource == resource.resource;
  });
}

bool excluded_by_default(const ApiResource& r) {
  return (r.resource == "events" && (r.group.empty() || r.group == "events.k8s.io")) ||
         (r.resource == "leases" && r.group == "coordination.k8s.io");
}

std::string server_side_namespace(const Selection& selection) {
  if (selection.namespaces.size() != 1 || !selection.exclude_namespaces.empty()) return {};
  const auto& ns = selection.namespaces[0];
  return ns.find_first_of("*?[") == std::string::npos ? ns : std::string();
}

formats::Value describe(const Selection& selection, const std::vector<ApiResource>& resources) {
  auto strings = [](const std::vector<std::string>& v) {
    formats::Value a = formats::Value::array();
    for (const auto& s : v) a.push_back(s);
    return a;
  };
  formats::Value names = formats::Value::array();
  for (const auto& r : resources) names.push_back(r.qualified_name());
  formats::Value out = formats::Value::object();
  out.set("resources", std::move(names));
  out.set("namespaces", strings(selection.namespaces));
  out.set("excludeNamespaces", strings(selection.exclude_namespaces));
  out.set("excludeResources", strings(selection.exclude_resources));
  out.set("labelSelector", selection.label_selector);
  return out;
}

Result<SelectionMatcher> SelectionMatcher::make(const Selection& selection, const Discovery& discovery) {
  SelectionMatcher matcher;
  matcher.m_selection = selection;
  auto resources = resolve_resources(discovery, selection.resources, "--resource");
  if (!resources) return fail(resources.error());
  matcher.m_resources = std::move(*resources);
  auto excluded = resolve_resources(discovery, selection.exclude_resources, "--exclude-resource");
  if (!excluded) return fail(excluded.error());
  matcher.m_excluded = std::move(*excluded);
  auto labels = formats::LabelSelector::parse(selection.label_selector);
  if (!labels) return fail(labels.error());
  matcher.m_labels = std::move(*labels);
  return matcher;
}

bool SelectionMatcher::resource_selected(const ApiResource& resource) const {
  if (!m_resources.empty() && !contains_resource(m_resources, resource)) return false;
  return !contains_resource(m_excluded, resource);
}

bool SelectionMatcher::namespace_selected(std::string_view name) const {
  return kube::namespace_selected(m_selection, name);
}

bool SelectionMatcher::selected(const ApiResource& resource, std::string_view ns,
                                const formats::Value* object) const {
  if (!resource_selected(resource)) return false;
  if (!in_selected_namespace(m_selection, resource, ns, object)) return false;
  if (object == nullptr || m_labels.empty()) return true;
  const formats::Value* labels = object->at({"metadata", "labels"});
  static const formats::Value k_none = formats::Value::object();
  return m_labels.matches(labels != nullptr ? *labels : k_none);
}

}  // namespace ktape::kube
