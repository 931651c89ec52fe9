#include "store/state.hpp"

#include <cctype>

#include "formats/patch.hpp"

namespace ktape::store {

using formats::Method;
using formats::RecordingEntry;
using formats::ResourcePatch;
using formats::Value;

std::string guess_plural(std::string_view kind) {
  std::string lower(kind);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return formats::normalize_plural(lower + "s");
}

RecordedState::RecordedState(PluralResolver resolver) : m_resolver(std::move(resolver)) {
  if (!m_resolver) m_resolver = [](std::string_view, std::string_view kind) { return guess_plural(kind); };
}

std::string RecordedState::key(std::string_view api_version, std::string_view resource,
                               std::string_view namespace_name, std::string_view name) {
  std::string k;
  k.reserve(api_version.size() + resource.size() + namespace_name.size() + name.size() + 3);
  k.append(api_version)
      .append("|")
      .append(resource)
      .append("|")
      .append(namespace_name)
      .append("|")
      .append(name);
  return k;
}

const std::string& RecordedState::plural_of(std::string_view api_version, std::string_view kind) {
  if (m_last_plural.empty() || api_version != m_last_api_version || kind != m_last_kind) {
    m_last_plural = m_resolver(api_version, kind);
    m_last_api_version = api_version;
    m_last_kind = kind;
  }
  return m_last_plural;
}

Result<void> RecordedState::apply(RecordingEntry&& entry) {
  if (entry.kind == RecordingEntry::Kind::object) {
    Value& o = entry.object;
    auto api_version = o.string_at({"apiVersion"});
    const auto& resource = plural_of(api_version, o.string_at({"kind"}));
    auto k =
        key(api_version, resource, o.string_at({"metadata", "namespace"}), o.string_at({"metadata", "name"}));
    m_objects.insert_or_assign(std::move(k), std::move(o));
    return {};
  }
  if (entry.event.method == Method::create) {
    const ResourcePatch& ev = entry.event;
    auto k = key(ev.resource.api_version(), ev.resource.resource, ev.namespace_name, ev.name);
    m_objects.insert_or_assign(std::move(k), std::move(entry.event.template_value));
    return {};
  }
  return apply(static_cast<const RecordingEntry&>(entry));
}

Result<void> RecordedState::apply(const RecordingEntry& entry) {
  if (entry.kind == RecordingEntry::Kind::object) {
    const Value& o = entry.object;
    auto api_version = o.string_at({"apiVersion"});
    const auto& resource = plural_of(api_version, o.string_at({"kind"}));
    m_objects[key(api_version, resource, o.string_at({"metadata", "namespace"}),
                  o.string_at({"metadata", "name"}))] = o;
    return {};
  }
  const ResourcePatch& ev = entry.event;
  std::string k = key(ev.resource.api_version(), ev.resource.resource, ev.namespace_name, ev.name);
  auto describe = [&] {
    return ev.resource.api_version() + " " + ev.resource.resource + " " +
           (ev.namespace_name.empty() ? ev.name : ev.namespace_name + "/" + ev.name);
  };
  switch (ev.method) {
    case Method::create:
      m_objects[k] = ev.template_value;
      return {};
    case Method::remove:
      if (m_objects.erase(k) == 0)
        return fail(ErrorKind::not_found, "delete of " + describe() + ", which does not exist");
      return {};
    case Method::patch: {
      auto it = m_objects.find(k);
      if (it == m_objects.end())
        return fail(ErrorKind::not_found, "patch of " + describe() + ", which does not exist");
      // In place: the state owns the object, and a patch that fails leaves it as it was.
      auto patched = formats::apply_strategic_merge_patch_in_place(it->second, ev.template_value);
      if (!patched) return fail(with_context(patched.error(), "patch of " + describe()));
      return {};
    }
  }
  return {};
}

}  // namespace ktape::store
