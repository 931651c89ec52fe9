#include "replayer/objects.hpp"

#include <cctype>

#include "formats/recording.hpp"

namespace ktape::replayer {

namespace {

constexpr std::string_view k_server_fields[] = {
    "uid",           "resourceVersion", "creationTimestamp", "generation",
    "managedFields", "selfLink",        "deletionTimestamp", "deletionGracePeriodSeconds",
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void strip_server_fields(formats::Value& object) {
  formats::Value* metadata = object.find("metadata");
  if (metadata == nullptr || !metadata->is_object()) return;
  for (auto field : k_server_fields) metadata->erase(field);
}

Result<Filter> Filter::make(const kube::Selection& selection, const kube::Discovery& discovery) {
  auto matcher = kube::SelectionMatcher::make(selection, discovery);
  if (!matcher) return fail(matcher.error());
  return Filter(std::move(*matcher));
}

bool Filter::snapshot_selected(const kube::ApiResource& resource, const formats::Value& object) const {
  if (resource.group.empty() && resource.kind == "Namespace")
    return namespace_selected(object.string_at({"metadata", "name"}));
  if (resource.kind == "CustomResourceDefinition" && resource.group == "apiextensions.k8s.io") return true;
  return selected(resource, object.string_at({"metadata", "namespace"}), &object);
}

void LabelMemory::created(const std::string& key, bool selected) {
  std::lock_guard lock(m_mutex);
  if (selected)
    m_left_out.erase(key);
  else
    m_left_out.insert(key);
}

bool LabelMemory::selected(const std::string& key) const {
  std::lock_guard lock(m_mutex);
  return !m_left_out.count(key);
}

void LabelMemory::deleted(const std::string& key) {
  std::lock_guard lock(m_mutex);
  m_left_out.erase(key);
}

std::string object_key(std::string_view group, std::string_view kind, std::string_view ns,
                       std::string_view name) {
  std::string key(group);
  key.append("|").append(kind).append("|").append(ns).append("|").append(name);
  return key;
}

std::optional<kube::ApiResource> Catalog::find(const formats::GroupVersionResource& gvr) const {
  std::lock_guard lock(m_mutex);
  if (const auto* r = m_discovery.find(gvr.group, gvr.version, gvr.resource)) return *r;
  std::string plural = formats::normalize_plural(gvr.resource);
  if (const auto* r = m_discovery.find(gvr.group, gvr.version, plural)) return *r;
  for (const auto& r : m_discovery.resources)
    if (r.group == gvr.group && r.version == gvr.version && lower(r.kind) + "s" == gvr.resource) return r;
  return std::nullopt;
}

std::optional<kube::ApiResource> Catalog::find_object(const formats::Value& object) const {
  std::string_view api_version = object.string_at({"apiVersion"});
  std::string_view kind = object.string_at({"kind"});
  std::lock_guard lock(m_mutex);
  for (const auto& r : m_discovery.resources)
    if (r.kind == kind && r.api_version() == api_version) return r;
  return std::nullopt;
}

Result<void> Catalog::refresh(kube::Client& client) {
  auto discovery = client.discover();
  if (!discovery) return fail(with_context(discovery.error(), "discovery"));
  std::lock_guard lock(m_mutex);
  m_discovery = std::move(*discovery);
  return {};
}

kube::Discovery Catalog::discovery() const {
  std::lock_guard lock(m_mutex);
  return m_discovery;
}

std::string describe(const kube::ApiResource& resource, std::string_view ns, std::string_view name) {
  std::string out = resource.api_version() + " " + resource.kind + " ";
  if (!ns.empty()) out += std::string(ns) + "/";
  return out + std::string(name);
}

std::string resource_label(const formats::GroupVersionResource& gvr) {
  std::string plural = formats::normalize_plural(gvr.resource);
  return gvr.group.empty() ? plural : plural + "." + gvr.group;
}

std::optional<kube::ApiResource> resource_of_crd(const formats::Value& object) {
  if (object.string_at({"kind"}) != "CustomResourceDefinition") return std::nullopt;
  kube::ApiResource r;
  r.group = std::string(object.string_at({"spec", "group"}));
  r.resource = std::string(object.string_at({"spec", "names", "plural"}));
  r.kind = std::string(object.string_at({"spec", "names", "kind"}));
  r.namespaced = object.string_at({"spec", "scope"}, "Namespaced") == "Namespaced";
  if (const formats::Value* versions = object.at({"spec", "versions"}); versions && versions->is_array())
    for (const auto& v : versions->as_array())
      if (const formats::Value* storage = v.find("storage");
          r.version.empty() || (storage != nullptr && storage->is_bool() && storage->as_bool()))
        r.version = std::string(v.string_at({"name"}));
  return r;
}

}  // namespace ktape::replayer
