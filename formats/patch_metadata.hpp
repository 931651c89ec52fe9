#pragma once
// The strategic-merge-patch metadata of the built-in API types: for each definition, the fields
// that carry a patch strategy or a merge key, or lead to a definition that does. Built from
// formats/data/patch-metadata.json (embedded at build time, parsed once on first use).
// Private to formats/: patch.hpp is the public API.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ktape::formats::detail {

// The embedded JSON text of formats/data/patch-metadata.json (generated source).
extern const std::string_view k_patch_metadata_json;

struct Definition;

enum class FieldShape { ref, list, map };

struct FieldMeta {
  FieldShape shape = FieldShape::ref;
  // The definition of the value (ref), of each element (list) or of each map value (map);
  // nullptr when nothing below carries metadata.
  const Definition* type = nullptr;
  std::string merge_key;     // x-kubernetes-patch-merge-key; empty when none
  bool merge = false;        // x-kubernetes-patch-strategy contains "merge"
  bool retain_keys = false;  // ... contains "retainKeys"
  bool replace = false;      // ... is "replace"
};

struct Definition {
  std::string name;  // "io.k8s.api.core.v1.PodSpec"
  std::map<std::string, FieldMeta, std::less<>> fields;
  FieldMeta as_map_value;  // how a value of a map<string, this> is described
};

// Where a value sits in the schema: an object read as a struct (each key its own field), or as a
// map whose every value is a `def` (map_of). A default Schema means "no metadata here".
struct Schema {
  const Definition* def = nullptr;
  bool map_of = false;

  // The metadata of `key`, or nullptr when the key has none.
  const FieldMeta* field(std::string_view key) const;
  // The schema of the object stored under `key`.
  Schema object_at(std::string_view key) const;
  // The schema of each element of the list stored under `key`.
  Schema element_at(std::string_view key) const;
  // The definition name for messages ("io.k8s.api.core.v1.PodSpec"), or "unknown".
  std::string_view name() const;
};

// The root schema of a built-in type ("apps/v1", "Deployment"); nullopt when the type is not in
// the table (a custom resource). A built-in type without any directive has a default Schema.
std::optional<Schema> find_root_schema(std::string_view api_version, std::string_view kind);

}  // namespace ktape::formats::detail
