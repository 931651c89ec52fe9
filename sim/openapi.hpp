#pragma once
// The built-in API types' OpenAPI v3 schemas as the simulated cluster needs them: per
// definition, its property names, where each property leads (a definition, an array or a map of
// one), the `default` the real server's OpenAPI declares, and which strings are base64 bytes.
// Built from sim/data/openapi-defaults.json (trimmed from a real kube-apiserver 1.32's
// /openapi/v3 by sim/data/trim_openapi.py, embedded at build time), parsed once on first use and
// read-only afterwards, so any thread may use it.
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "formats/value.hpp"

namespace ktape::sim {

struct Definition;

struct Property {
  const Definition* ref = nullptr;              // the value is an object of this definition
  const Definition* items = nullptr;            // the value is an array of objects of this definition
  const Definition* map = nullptr;              // the value is a map whose values are of this definition
  std::optional<formats::Value> default_value;  // OpenAPI `default`, applied when absent
  bool bytes = false;                           // a base64 string (format: byte), or an array or map of them
};

struct Definition {
  std::string name;                                          // "io.k8s.api.core.v1.PodSpec"
  std::vector<std::pair<std::string, Property>> properties;  // sorted by name
  // Indexes of the properties that carry a default, so defaulting skips the others.
  std::vector<std::size_t> defaulted;
  // Property name -> index into `properties` (views into the names held there): defaulting
  // looks up every member of every object it walks, so this is a hash, not a search.
  std::unordered_map<std::string_view, std::size_t> index;
  // The property `key`, nullptr when the definition has none of that name.
  const Property* find(std::string_view key) const;
};

// The definition of a built-in kind ("apps/v1", "Deployment"), nullptr for other kinds.
const Definition* find_kind_definition(std::string_view group_version, std::string_view kind);
// A definition by name ("io.k8s.api.core.v1.PodSpec"), nullptr when absent.
const Definition* find_definition(std::string_view name);

}  // namespace ktape::sim
