#pragma once
// Owner references as ownerref reads them: the identity of an object and the owner references it
// carries, taken from a formats::Value. Pure functions of their arguments; safe from any thread.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/patch.hpp"
#include "formats/value.hpp"

namespace ktape::ownerref {

// An object's identity by name, as the apiserver addresses it. Two incarnations of one name (the
// object deleted, then created again) share a key and differ by UID.
struct ObjectKey {
  std::string group;  // API group; "" for the core group ("apps" for "apps/v1")
  std::string kind;   // "Deployment"
  std::string ns;     // namespace; "" for a cluster-scoped object
  std::string name;

  friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
};

struct ObjectKeyHash {
  std::size_t operator()(const ObjectKey& key) const noexcept;
};

// For unordered containers keyed by std::string that look up by std::string_view, with
// std::equal_to<> (no temporary string per lookup).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// The fields of one metadata.ownerReferences entry that ownerref uses; absent fields are "".
struct OwnerRef {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;

  friend bool operator==(const OwnerRef&, const OwnerRef&) = default;
};

// "apps" for "apps/v1", "" for "v1" (the core group).
std::string group_of(std::string_view api_version);

// The key of a whole object from apiVersion, kind, metadata.namespace and metadata.name; nullopt
// when kind or metadata.name is missing (such an object cannot be addressed by name).
std::optional<ObjectKey> key_of(const formats::Value& object);

// metadata.uid, or "" when absent or not a string.
std::string_view uid_of(const formats::Value& object);

// One ownerReferences entry; an entry that is not an object gives an OwnerRef with every field "".
OwnerRef owner_ref_of(const formats::Value& entry);

// Every entry of metadata.ownerReferences in order; empty when the field is absent or not a list.
std::vector<OwnerRef> owner_refs_of(const formats::Value& object);

// The owner references a patch adds or sets, in order (a patch event that names an owner the
// target does not have yet can wait for it like a create): merge, every metadata.ownerReferences
// entry; strategic, those entries except $patch directives; json, the values of add and replace
// operations on /metadata/ownerReferences (the list, an entry, an entry's /uid, or a value for
// /metadata or the whole document). Parts with the wrong shape are skipped; rewriting reports them.
std::vector<OwnerRef> owners_added_by(formats::PatchType type, const formats::Value& patch);

// For messages, in kubectl's spelling: "Deployment.apps demo/web", "Namespace demo".
std::string describe(const ObjectKey& key);
// "apps/v1 Deployment web (uid 5d1c2f0e-...)"; "(no uid)" when the reference has none.
std::string describe(const OwnerRef& ref);
// A whole object: "apps/v1 Deployment demo/web", "v1 Namespace demo".
std::string describe_object(const formats::Value& object);

}  // namespace ktape::ownerref
