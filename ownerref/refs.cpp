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
