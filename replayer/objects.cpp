#include "replayer/objects.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>

#include "formats/state.hpp"

namespace ktape::replayer {

namespace {

constexpr std::string_view k_server_fields[] = {
    "uid",           "resourceVersion", "creationTimestamp", "generation",
    "managedFields", "selfLink",        "deletionTimestamp", "deletionGracePeriodSeconds",
};

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// Splits on commas outside parentheses ("a in (x,y),b" -> "a in (x,y)", "b").
std::vector<std::string> split_requirements(std::string_view text) {
  std::vector<std::string> parts;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] == '(') ++depth;
    if (i < text.size() && text[i] == ')') --depth;
    if (i == text.size() || (text[i] == ',' && depth == 0)) {
      std::string part = trim(text.substr(start, i - start));
      if (!part.empty()) parts.push_back(part);
      start = i + 1;
    }
  }
  return parts;
}

std::vector<std::string> split_values(std::string_view list) {
  std::vector<std::string> values;
  for (auto& v : split_requirements(list)) values.push_back(v);
  return values;
}

// A label key: [prefix/]name of letters, digits, '-', '_' and '.'.
bool valid_key(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
  });
}

bool glob_any(const std::vector<std::string>& globs, std::string_view name) {
  std::string n(name);
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return ::fnmatch(g.c_str(), n.c_str(), 0) == 0; });
}

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

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  LabelSelector selector;
  for (const std::string& part : split_requirements(text)) {
    Requirement req;
    auto bad = [&] {
      return fail(ErrorKind::invalid,
                  "label selector \"" + std::string(text) + "\": bad requirement \"" + part + "\"");
    };
    std::size_t paren = part.find('(');
    std::size_t op_pos;
    if (paren != std::string::npos) {
      if (part.back() != ')') return bad();
      std::string head = trim(std::string_view(part).substr(0, paren));
      std::size_t space = head.find(' ');
      if (space == std::string::npos) return bad();
      req.key = trim(std::string_view(head).substr(0, space));
      std::string op = trim(std::string_view(head).substr(space + 1));
      if (op == "in")
        req.op = Op::in;
      else if (op == "notin")
        req.op = Op::not_in;
      else
        return bad();
      req.values = split_values(std::string_view(part).substr(paren + 1, part.size() - paren - 2));
    } else if ((op_pos = part.find("!=")) != std::string::npos) {
      req = {trim(std::string_view(part).substr(0, op_pos)),
             Op::not_equals,
             {trim(std::string_view(part).substr(op_pos + 2))}};
    } else if ((op_pos = part.find('=')) != std::string::npos) {
      std::size_t skip = part.compare(op_pos, 2, "==") == 0 ? 2 : 1;
      req = {trim(std::string_view(part).substr(0, op_pos)),
             Op::equals,
             {trim(std::string_view(part).substr(op_pos + skip))}};
    } else if (part.front() == '!') {
      req = {trim(std::string_view(part).substr(1)), Op::not_exists, {}};
    } else {
      req = {part, Op::exists, {}};
    }
    if (!valid_key(req.key)) return bad();
    selector.m_requirements.push_back(std::move(req));
  }
  return selector;
}

bool LabelSelector::matches(const formats::Value& labels) const {
  for (const Requirement& req : m_requirements) {
    const formats::Value* v = labels.find(req.key);
    std::optional<std::string> value;
    if (v != nullptr && v->is_string()) value = v->as_string();
    bool listed = value && std::find(req.values.begin(), req.values.end(), *value) != req.values.end();
    bool ok = false;
    switch (req.op) {
      case Op::equals:
      case Op::in:
        ok = listed;
        break;
      case Op::not_equals:
      case Op::not_in:
        ok = !listed;
        break;
      case Op::exists:
        ok = v != nullptr;
        break;
      case Op::not_exists:
        ok = v == nullptr;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

Result<Filter> Filter::make(const Selection& selection, const kube::Discovery& discovery) {
  Filter filter;
  filter.m_selection = selection;
  auto resolve_all = [&](const std::vector<std::string>& names,
                         std::vector<GroupResource>& out) -> Result<void> {
    for (const auto& name : names) {
      auto r = discovery.resolve(name);
      if (!r)
        return fail(ErrorKind::not_found, "--resource " + name + ": the target serves no such resource");
      out.push_back({r->group, r->resource});
    }
    return {};
  };
  if (auto r = resolve_all(selection.resources, filter.m_resources); !r) return fail(r.error());
  if (auto r = resolve_all(selection.exclude_resources, filter.m_excluded); !r) return fail(r.error());
  auto labels = LabelSelector::parse(selection.label_selector);
  if (!labels) return fail(labels.error());
  filter.m_labels = std::move(*labels);
  return filter;
}

bool Filter::contains(const std::vector<GroupResource>& list, const kube::ApiResource& resource) {
  return std::any_of(list.begin(), list.end(), [&](const GroupResource& gr) {
    return gr.group == resource.group && gr.resource == resource.resource;
  });
}

bool Filter::selected(const kube::ApiResource& resource, std::string_view ns,
                      const formats::Value* object) const {
  if (!m_resources.empty() && !contains(m_resources, resource)) return false;
  if (contains(m_excluded, resource)) return false;
  std::string_view scope_name = ns;
  if (resource.group.empty() && resource.resource == "namespaces" && object != nullptr)
    scope_name = object->string_at({"metadata", "name"});
  if ((!scope_name.empty() || resource.resource == "namespaces") && !namespace_selected(scope_name))
    return false;
  if (object != nullptr && !m_labels.empty()) {
    const formats::Value* labels = object->at({"metadata", "labels"});
    static const formats::Value k_none = formats::Value::object();
    return m_labels.matches(labels != nullptr ? *labels : k_none);
  }
  return true;
}

bool Filter::namespace_selected(std::string_view name) const {
  if (!m_selection.namespaces.empty() && !glob_any(m_selection.namespaces, name)) return false;
  return !glob_any(m_selection.exclude_namespaces, name);
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
