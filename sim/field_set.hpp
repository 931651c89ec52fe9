#pragma once
// Sets of field paths as server-side apply counts them (sigs.k8s.io/structured-merge-diff), over
// the schema-less JSON the simulated cluster stores: what an applied configuration sets, what a
// write added, changed or removed, and their FieldsV1 form (`{"f:data":{"f:color":{}}}`, list
// items `k:{"name":"c"}` by their keys, set items `v:"x"`, `.` for a node that is itself a
// member). How lists and maps merge comes from the built-in types' OpenAPI
// (sim/data/openapi-merge.json, trimmed by sim/data/trim_merge.py): lists are atomic unless
// declared a map (by keys) or a set, objects granular unless declared atomic. A kind without a
// schema (a custom resource) has granular objects and atomic lists.
#include <map>
#include <string>
#include <vector>

#include "formats/value.hpp"

namespace ktape::sim {

struct Definition;

// A node of a set of paths; its key in the parent is the path element ("f:name", "k:{...}",
// "v:...", "i:3"). `member`: the path ending here is in the set.
struct FieldSet {
  bool member = false;
  std::map<std::string, FieldSet> children;

  bool empty() const { return !member && children.empty(); }
  void unite(const FieldSet& other);
  void subtract(const FieldSet& other);  // removes the members of `other` (not their subtrees)
  FieldSet intersect(const FieldSet& other) const;
  bool operator==(const FieldSet& other) const = default;

  // FieldsV1 JSON and back; a malformed FieldsV1 reads as far as it is well-formed.
  formats::Value to_fields_v1() const;
  static FieldSet from_fields_v1(const formats::Value& fields);
  // The member paths as the real server prints them (".spec.containers[name=\"c\"].image"),
  // in its order: the members of a node before the paths below its children.
  std::vector<std::string> paths() const;
};

enum class ListType { atomic, set, map };

// How a value at some path merges: where its properties lead, and its list or map type.
struct FieldType {
  const Definition* def = nullptr;   // an object of this definition
  const Definition* elem = nullptr;  // the items of a list, or the values of a map
  bool atomic = false;               // an object that is one field (x-kubernetes-map-type: atomic)
  bool map_of = false;               // an object whose values are `elem` (or scalars when null)
  ListType list = ListType::atomic;
  const std::vector<std::string>* keys = nullptr;  // the keys of a list of ListType::map
};

// The type of a built-in kind's objects; a type without a schema for other kinds.
FieldType kind_field_type(std::string_view group_version, std::string_view kind);

// The paths an applied configuration sets (ToFieldSet): its leaves, its list items, and its
// empty or null objects.
FieldSet fields_of(const formats::Value& config, const FieldType& type);

// What changed from `before` to `after` (either may be nullptr: absent): `changed` receives the
// added and modified paths, `removed` the removed ones; an object or list that appears or goes as
// a whole is a member itself.
void compare_fields(const formats::Value* before, const formats::Value* after, const FieldType& type,
                    FieldSet& changed, FieldSet& removed);

// What compare_fields() puts in `changed`, as FieldsV1, built in one pass (a create's fast path).
formats::Value added_fields_v1(const formats::Value& before, const formats::Value& after,
                               const FieldType& type);

// The Go zero value of a built-in kind as the real server's field manager sees it on a create:
// the structs that are not pointers ({}), the required lists and objects (null); {} for others.
formats::Value zero_object(const FieldType& type);

// Removes the members of `paths` from `object` (fields, list items by key or value).
void remove_fields(formats::Value& object, const FieldSet& paths, const FieldType& type);

}  // namespace ktape::sim
