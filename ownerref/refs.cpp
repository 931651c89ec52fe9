#include "ownerref/refs.hpp"

#include <functional>

namespace ktape::ownerref {

using formats::Value;

std::size_t ObjectKeyHash::operator()(const ObjectKey& key) const noexcept {
  std::hash<std::string> h;
  std::size_t seed = h(key.name);
  // boost::hash_combine's mixing constant (the golden ratio), spreading the four parts apart.
  for (const std::string* part : {&key.ns, &key.kind, &key.group})
    seed ^= h(*part) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
  return seed;
}

std::string group_of(std::string_view api_version) {
  auto slash = api_version.find('/');
  if (slash == std::string_view::npos) return {};
  return std::string(api_version.substr(0, slash));
}

std::optional<ObjectKey> key_of(const Value& object) {
  std::string_view kind = object.string_at({"kind"});
  std::string_view name = object.string_at({"metadata", "name"});
  if (kind.empty() || name.empty()) return std::nullopt;
  return ObjectKey{group_of(object.string_at({"apiVersion"})), std::string(kind),
                   std::string(object.string_at({"metadata", "namespace"})), std::string(name)};
}

std::string_view uid_of(const Value& object) { return object.string_at({"metadata", "uid"}); }

OwnerRef owner_ref_of(const Value& entry) {
  return OwnerRef{std::string(entry.string_at({"apiVersion"})), std::string(entry.string_at({"kind"})),
                  std::string(entry.string_at({"name"})), std::string(entry.string_at({"uid"}))};
}

std::vector<OwnerRef> owner_refs_of(const Value& object) {
  std::vector<OwnerRef> refs;
  const Value* list = object.at({"metadata", "ownerReferences"});
  if (!list || !list->is_array()) return refs;
  refs.reserve(list->size());
  for (const Value& entry : list->as_array()) refs.push_back(owner_ref_of(entry));
  return refs;
}

namespace {

void append_entries(const Value* list, bool skip_directives, std::vector<OwnerRef>& out) {
  if (!list || !list->is_array()) return;
  for (const Value& entry : list->as_array()) {
    if (!entry.is_object() || (skip_directives && entry.contains("$patch"))) continue;
    out.push_back(owner_ref_of(entry));
  }
}

void append_operation(const Value& op, std::vector<OwnerRef>& out) {
  std::string_view verb = op.string_at({"op"});
  const Value* pointer = op.find("path");
  const Value* value = op.find("value");
  if ((verb != "add" && verb != "replace") || !pointer || !pointer->is_string() || !value) return;
  std::string_view path = pointer->as_string();
  constexpr std::string_view k_refs = "/metadata/ownerReferences";
  if (path.empty()) return append_entries(value->at({"metadata", "ownerReferences"}), false, out);
  if (path == "/metadata") return append_entries(value->find("ownerReferences"), false, out);
  if (!path.starts_with(k_refs)) return;
  std::string_view rest = path.substr(k_refs.size());
  if (rest.empty()) return append_entries(value, false, out);
  if (rest[0] != '/') return;
  std::size_t slash = rest.find('/', 1);
  if (slash == std::string_view::npos && value->is_object()) out.push_back(owner_ref_of(*value));
  if (slash != std::string_view::npos && rest.substr(slash) == "/uid" && value->is_string())
    out.push_back(OwnerRef{{}, {}, {}, value->as_string()});
}

}  // namespace

std::vector<OwnerRef> owners_added_by(formats::PatchType type, const Value& patch) {
  std::vector<OwnerRef> out;
  switch (type) {
    case formats::PatchType::merge:
      append_entries(patch.at({"metadata", "ownerReferences"}), false, out);
      break;
    case formats::PatchType::strategic:
      append_entries(patch.at({"metadata", "ownerReferences"}), true, out);
      break;
    case formats::PatchType::json:
      if (patch.is_array())
        for (const Value& op : patch.as_array()) append_operation(op, out);
      break;
  }
  return out;
}

std::string describe(const ObjectKey& key) {
  std::string out = key.kind;
  if (!key.group.empty()) out += "." + key.group;
  out += ' ';
  if (!key.ns.empty()) out += key.ns + "/";
  out += key.name;
  return out;
}

std::string describe(const OwnerRef& ref) {
  std::string out = ref.api_version.empty() ? "?" : ref.api_version;
  out += ' ';
  out += ref.kind.empty() ? "?" : ref.kind;
  out += ' ';
  out += ref.name.empty() ? "?" : ref.name;
  out += ref.uid.empty() ? " (no uid)" : " (uid " + ref.uid + ")";
  return out;
}

std::string describe_object(const Value& object) {
  std::string out(object.string_at({"apiVersion"}, "?"));
  out += ' ';
  out += object.string_at({"kind"}, "?");
  out += ' ';
  std::string_view ns = object.string_at({"metadata", "namespace"});
  if (!ns.empty()) out += std::string(ns) + "/";
  out += object.string_at({"metadata", "name"}, "?");
  return out;
}

}  // namespace ktape::ownerref
