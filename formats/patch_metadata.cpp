#include "formats/patch_metadata.hpp"

#include <unordered_map>

#include "formats/json.hpp"

namespace ktape::formats::detail {
namespace {

struct Table {
  std::unordered_map<std::string, Definition> definitions;      // node-stable: FieldMeta points here
  std::map<std::string, const Definition*, std::less<>> roots;  // "apps/v1/Deployment"
};

const Definition* resolve(Table& table, const Value* name) {
  if (name == nullptr || !name->is_string() || name->as_string().empty()) return nullptr;
  auto it = table.definitions.find(name->as_string());
  return it == table.definitions.end() ? nullptr : &it->second;
}

FieldMeta read_field(Table& table, const Value& prop) {
  FieldMeta meta;
  if (const Value* list = prop.find("list")) {
    meta.shape = FieldShape::list;
    meta.type = resolve(table, list);
  } else if (const Value* map = prop.find("map")) {
    meta.shape = FieldShape::map;
    meta.type = resolve(table, map);
  } else {
    meta.type = resolve(table, prop.find("ref"));
  }
  meta.merge_key = prop.string_at({"mergeKey"});
  const std::string_view strategy = prop.string_at({"strategy"});
  meta.merge = strategy.find("merge") != std::string_view::npos;
  meta.retain_keys = strategy.find("retainKeys") != std::string_view::npos;
  meta.replace = strategy == "replace";
  return meta;
}

// Two passes: create every definition, then fill fields whose types point at the others.
Table build_table() {
  Table table;
  auto parsed = parse_json(k_patch_metadata_json);
  if (!parsed || !parsed->find("definitions") || !parsed->find("roots")) return table;
  const Value& defs = *parsed->find("definitions");
  if (!defs.is_object()) return table;
  for (const Member& m : defs.as_object()) {
    Definition& def = table.definitions[m.key];
    def.name = m.key;
    def.as_map_value.type = &def;
  }
  for (const Member& m : defs.as_object()) {
    if (!m.value.is_object()) continue;
    Definition& def = table.definitions[m.key];
    for (const Member& prop : m.value.as_object())
      def.fields.emplace(prop.key, read_field(table, prop.value));
  }
  for (const Member& m : parsed->find("roots")->as_object())
    table.roots.emplace(m.key, resolve(table, &m.value));
  return table;
}

const Table& table() {
  static const Table k_table = build_table();
  return k_table;
}

}  // namespace

const FieldMeta* Schema::field(std::string_view key) const {
  if (def == nullptr) return nullptr;
  if (map_of) return &def->as_map_value;
  auto it = def->fields.find(key);
  return it == def->fields.end() ? nullptr : &it->second;
}

Schema Schema::object_at(std::string_view key) const {
  const FieldMeta* meta = field(key);
  if (meta == nullptr || meta->shape == FieldShape::list) return {};
  return Schema{meta->type, meta->shape == FieldShape::map};
}

Schema Schema::element_at(std::string_view key) const {
  const FieldMeta* meta = field(key);
  if (meta == nullptr || meta->shape != FieldShape::list) return {};
  return Schema{meta->type, false};
}

std::string_view Schema::name() const { return def == nullptr ? std::string_view("unknown") : def->name; }

std::optional<Schema> find_root_schema(std::string_view api_version, std::string_view kind) {
  std::string key;
  key.reserve(api_version.size() + kind.size() + 1);
  key.append(api_version).append("/").append(kind);
  const auto& roots = table().roots;
  auto it = roots.find(key);
  if (it == roots.end()) return std::nullopt;
  return Schema{it->second, false};
}

}  // namespace ktape::formats::detail
