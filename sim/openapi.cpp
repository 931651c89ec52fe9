#include "sim/openapi.hpp"

#include <algorithm>
#include <map>

#include "formats/json.hpp"

namespace ktape::sim {

// The embedded JSON text of sim/data/openapi-defaults.json (generated source).
extern const std::string_view k_openapi_defaults_json;

namespace {

using formats::Value;

struct Table {
  std::unordered_map<std::string, Definition> definitions;
  std::unordered_map<std::string, const Definition*> kinds;  // "apps/v1/Deployment"
};

const Definition* lookup(const Table& table, const Value* name) {
  if (!name || !name->is_string()) return nullptr;
  auto it = table.definitions.find(name->as_string());
  return it == table.definitions.end() ? nullptr : &it->second;
}

Property read_property(const Table& table, const Value& v) {
  Property p;
  p.ref = lookup(table, v.find("ref"));
  p.items = lookup(table, v.find("items"));
  p.map = lookup(table, v.find("map"));
  if (const Value* d = v.find("default")) p.default_value = *d;
  const Value* bytes = v.find("byte");
  p.bytes = bytes && bytes->is_bool() && bytes->as_bool();
  return p;
}

// Two passes: create every definition, then fill properties that point at the others.
Table build_table() {
  Table table;
  auto parsed = formats::parse_json(k_openapi_defaults_json);
  if (!parsed || !parsed->find("schemas") || !parsed->find("kinds")) return table;
  const Value& schemas = *parsed->find("schemas");
  if (!schemas.is_object()) return table;
  for (const formats::Member& m : schemas.as_object()) table.definitions[m.key].name = m.key;
  for (const formats::Member& m : schemas.as_object()) {
    if (!m.value.is_object()) continue;
    Definition& def = table.definitions[m.key];
    for (const formats::Member& prop : m.value.as_object())
      def.properties.emplace_back(prop.key, read_property(table, prop.value));
    std::sort(def.properties.begin(), def.properties.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < def.properties.size(); ++i) {
      if (def.properties[i].second.default_value) def.defaulted.push_back(i);
      def.index.emplace(def.properties[i].first, i);
    }
  }
  for (const formats::Member& m : parsed->find("kinds")->as_object())
    if (const Definition* def = lookup(table, &m.value)) table.kinds.emplace(m.key, def);
  return table;
}

const Table& table() {
  static const Table t = build_table();
  return t;
}

}  // namespace

const Property* Definition::find(std::string_view key) const {
  auto it = index.find(key);
  return it == index.end() ? nullptr : &properties[it->second].second;
}

const Definition* find_kind_definition(std::string_view group_version, std::string_view kind) {
  std::string key;
  key.reserve(group_version.size() + kind.size() + 1);
  key.append(group_version).append("/").append(kind);
  auto it = table().kinds.find(key);
  return it == table().kinds.end() ? nullptr : it->second;
}

const Definition* find_definition(std::string_view name) {
  auto it = table().definitions.find(std::string(name));
  return it == table().definitions.end() ? nullptr : &it->second;
}

}  // namespace ktape::sim
