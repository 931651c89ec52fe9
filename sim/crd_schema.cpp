#include "sim/crd_schema.hpp"

namespace ktape::sim {

using formats::Value;

namespace {

bool flag(const Value& schema, std::string_view key) {
  const Value* v = schema.find(key);
  return v && v->is_bool() && v->as_bool();
}

void walk(const Value& schema, Value& v, const std::string& path, std::vector<std::string>& pruned,
          bool root) {
  if (v.is_array()) {
    const Value* items = schema.find("items");
    if (items && items->is_object())
      for (std::size_t i = 0; i < v.size(); ++i)
        walk(*items, v.as_array()[i], path + "[" + std::to_string(i) + "]", pruned, false);
    return;
  }
  if (!v.is_object()) return;
  const Value* props = schema.find("properties");
  if (props && props->is_object()) {
    for (const formats::Member& p : props->as_object()) {
      const Value* def = p.value.find("default");
      if (def && !v.find(p.key)) v.set(p.key, *def);
    }
  }
  const Value* extra = schema.find("additionalProperties");
  const bool keep_unknown =
      flag(schema, "x-kubernetes-preserve-unknown-fields") || (extra && extra->is_bool() && extra->as_bool());
  auto& members = v.as_object();
  for (std::size_t i = 0; i < members.size();) {
    const std::string& key = members[i].key;
    const Value* sub = props && props->is_object() ? props->find(key) : nullptr;
    if (root && (key == "apiVersion" || key == "kind" || key == "metadata")) {
      ++i;
      continue;
    }
    if (!sub && extra && extra->is_object()) sub = extra;
    if (!sub) {
      if (!keep_unknown && (props || extra)) {
        pruned.push_back(std::string(path).append(".").append(key));
        members.erase(members.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      ++i;
      continue;
    }
    walk(*sub, members[i].value, std::string(path).append(".").append(key), pruned, false);
    ++i;
  }
}

}  // namespace

const Value* crd_version_schema(const Value& crd, std::string_view version) {
  const Value* versions = crd.at({"spec", "versions"});
  if (!versions || !versions->is_array()) return nullptr;
  for (const Value& v : versions->as_array())
    if (v.string_at({"name"}) == version) return v.at({"schema", "openAPIV3Schema"});
  return nullptr;
}

std::vector<std::string> apply_structural_schema(const Value& schema, Value& object) {
  std::vector<std::string> pruned;
  walk(schema, object, "", pruned, true);
  return pruned;
}

}  // namespace ktape::sim
