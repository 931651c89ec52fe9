#include "recorder/selection.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <set>

namespace ktape::recorder {

namespace {

bool glob_match(const std::string& pattern, std::string_view text) {
  return ::fnmatch(pattern.c_str(), std::string(text).c_str(), 0) == 0;
}

bool any_glob(const std::vector<std::string>& patterns, std::string_view text) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return glob_match(p, text); });
}

bool listable(const kube::ApiResource& r) { return r.has_verb("list") && r.has_verb("watch"); }

std::string key(const kube::ApiResource& r) { return r.group + "/" + r.resource; }

Result<std::set<std::string>> resolve_all(const kube::Discovery& discovery,
                                          const std::vector<std::string>& names,
                                          std::vector<kube::ApiResource>* resolved) {
  std::set<std::string> keys;
  for (const auto& name : names) {
    auto r = discovery.resolve(name);
    if (!r) return fail(r.error());
    if (keys.insert(key(*r)).second && resolved) resolved->push_back(*r);
  }
  return keys;
}

}  // namespace

bool excluded_by_default(const kube::ApiResource& r) {
  return (r.resource == "events" && (r.group.empty() || r.group == "events.k8s.io")) ||
         (r.resource == "leases" && r.group == "coordination.k8s.io");
}

Result<std::vector<kube::ApiResource>> select_resources(const kube::Discovery& discovery,
                                                        const Selection& selection) {
  auto excluded = resolve_all(discovery, selection.exclude_resources, nullptr);
  if (!excluded) return fail(excluded.error());
  std::vector<kube::ApiResource> out;
  if (!selection.resources.empty()) {
    std::vector<kube::ApiResource> named;
    auto keys = resolve_all(discovery, selection.resources, &named);
    if (!keys) return fail(keys.error());
    for (auto& r : named) {
      if (excluded->count(key(r))) continue;
      if (!listable(r))
        return fail(ErrorKind::invalid, "resource " + r.qualified_name() + " cannot be listed and watched");
      out.push_back(std::move(r));
    }
    return out;
  }
  for (auto& r : discovery.preferred())
    if (listable(r) && !excluded_by_default(r) && !excluded->count(key(r))) out.push_back(std::move(r));
  return out;
}

bool namespace_selected(const Selection& selection, std::string_view ns) {
  if (ns.empty()) return true;
  if (any_glob(selection.exclude_namespaces, ns)) return false;
  return selection.namespaces.empty() || any_glob(selection.namespaces, ns);
}

bool object_selected(const Selection& selection, const kube::ApiResource& resource,
                     const formats::Value& object) {
  if (resource.group.empty() && resource.resource == "namespaces")
    return namespace_selected(selection, object.string_at({"metadata", "name"}));
  return namespace_selected(selection, object.string_at({"metadata", "namespace"}));
}

std::string server_side_namespace(const Selection& selection) {
  if (selection.namespaces.size() != 1 || !selection.exclude_namespaces.empty()) return {};
  const auto& ns = selection.namespaces[0];
  return ns.find_first_of("*?[") == std::string::npos ? ns : std::string();
}

formats::Value describe(const Selection& selection, const std::vector<kube::ApiResource>& resources) {
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

}  // namespace ktape::recorder
