#include "sim/field_set.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "formats/json.hpp"
#include "sim/openapi.hpp"

namespace ktape::sim {

// The embedded JSON text of sim/data/openapi-merge.json (generated source).
extern const std::string_view k_openapi_merge_json;

using formats::Value;

namespace {

struct MergeProperty {
  ListType list = ListType::atomic;
  std::vector<std::string> keys;  // sorted, as path elements print them
  bool atomic_map = false;
  bool zero_null = false;  // null in the Go zero value
};

struct MergeTable {
  std::unordered_set<std::string> atomic;  // definitions that are atomic objects
  std::unordered_map<std::string, std::unordered_map<std::string, MergeProperty>> properties;
};

MergeTable build_merge_table() {
  MergeTable table;
  auto parsed = formats::parse_json(k_openapi_merge_json);
  if (!parsed || !parsed->is_object()) return table;
  if (const Value* atomic = parsed->find("atomic"); atomic && atomic->is_array())
    for (const Value& name : atomic->as_array())
      if (name.is_string()) table.atomic.insert(name.as_string());
  const Value* props = parsed->find("properties");
  if (!props || !props->is_object()) return table;
  for (const formats::Member& def : props->as_object()) {
    if (!def.value.is_object()) continue;
    auto& out = table.properties[def.key];
    for (const formats::Member& p : def.value.as_object()) {
      MergeProperty m;
      std::string_view list = p.value.string_at({"list"});
      m.list = list == "map" ? ListType::map : list == "set" ? ListType::set : ListType::atomic;
      if (const Value* keys = p.value.find("keys"); keys && keys->is_array())
        for (const Value& k : keys->as_array())
          if (k.is_string()) m.keys.push_back(k.as_string());
      std::sort(m.keys.begin(), m.keys.end());
      m.atomic_map = p.value.string_at({"map"}) == "atomic";
      m.zero_null = p.value.string_at({"zero"}) == "null";
      out.emplace(p.key, std::move(m));
    }
  }
  return table;
}

const MergeTable& merge_table() {
  static const MergeTable t = build_merge_table();
  return t;
}

const MergeProperty* merge_property(const Definition* def, std::string_view name) {
  if (!def) return nullptr;
  const auto& props = merge_table().properties;
  auto it = props.find(def->name);
  if (it == props.end()) return nullptr;
  auto p = it->second.find(std::string(name));
  return p == it->second.end() ? nullptr : &p->second;
}

bool atomic_definition(const Definition* def) { return def && merge_table().atomic.count(def->name) > 0; }

FieldType object_type(const Definition* def) {
  FieldType t;
  t.def = def;
  t.atomic = atomic_definition(def);
  return t;
}

// The type of member `key` of an object of type `parent`.
FieldType child_type(const FieldType& parent, std::string_view key) {
  if (!parent.def) return parent.map_of ? object_type(parent.elem) : FieldType{};
  const Property* p = parent.def->find(key);
  if (!p) return FieldType{};
  FieldType t;
  if (p->ref) {
    t = object_type(p->ref);
  } else if (p->items) {
    t.elem = p->items;
  } else {
    t.map_of = true;
    t.elem = p->map;
  }
  if (const MergeProperty* m = merge_property(parent.def, key)) {
    t.list = m->list;
    t.keys = &m->keys;
    t.atomic = t.atomic || m->atomic_map;
  }
  return t;
}

// The value of key field `key` of list item `item`, its schema default when the item leaves it out
// (a container port's protocol "TCP").
Value key_value(const Value& item, const FieldType& list, const std::string& key) {
  if (const Value* v = item.find(key)) return *v;
  if (list.elem)
    if (const Property* p = list.elem->find(key); p && p->default_value) return *p->default_value;
  return Value();
}

// The path element of list item `item`, "" for an atomic list.
std::string element_of(const Value& item, const FieldType& list) {
  if (list.list == ListType::set) return "v:" + formats::to_json(item);
  if (list.list != ListType::map || !list.keys || !item.is_object()) return "";
  Value key = Value::object();
  for (const std::string& k : *list.keys) key.set(k, key_value(item, list, k));
  return "k:" + formats::to_json(key);
}

FieldType item_type(const FieldType& list) { return object_type(list.elem); }

bool granular_object(const Value* v, const FieldType& t) { return v && v->is_object() && !t.atomic; }
bool granular_list(const Value* v, const FieldType& t) {
  return v && v->is_array() && t.list != ListType::atomic;
}
bool empty_or_null(const Value* v) {
  return !v || v->is_null() || ((v->is_object() || v->is_array()) && v->size() == 0);
}

void erase_if_empty(FieldSet& parent, const std::string& key) {
  auto it = parent.children.find(key);
  if (it != parent.children.end() && it->second.empty()) parent.children.erase(it);
}

// Items of a granular list by path element, in order.
std::vector<std::pair<std::string, const Value*>> items_of(const Value* list, const FieldType& t) {
  std::vector<std::pair<std::string, const Value*>> out;
  if (!list || !list->is_array()) return out;
  for (const Value& item : list->as_array()) out.emplace_back(element_of(item, t), &item);
  return out;
}

const Value* find_item(const std::vector<std::pair<std::string, const Value*>>& items,
                       const std::string& pe) {
  for (const auto& [key, item] : items)
    if (key == pe) return item;
  return nullptr;
}

void compare_leaf(const Value* before, const Value* after, FieldSet& changed, FieldSet& removed) {
  if (!before) {
    changed.member = true;
  } else if (!after) {
    removed.member = true;
  } else if (*before != *after) {
    changed.member = true;
  }
}

void compare_object(const Value* before, const Value* after, const FieldType& type, FieldSet& changed,
                    FieldSet& removed) {
  std::vector<std::string_view> keys;
  for (const Value* side : {before, after})
    if (side && side->is_object())
      for (const formats::Member& m : side->as_object())
        if (std::find(keys.begin(), keys.end(), m.key) == keys.end()) keys.push_back(m.key);
  for (std::string_view key : keys) {
    const Value* b = before && before->is_object() ? before->find(key) : nullptr;
    const Value* a = after && after->is_object() ? after->find(key) : nullptr;
    std::string pe = "f:" + std::string(key);
    compare_fields(b, a, child_type(type, key), changed.children[pe], removed.children[pe]);
    erase_if_empty(changed, pe);
    erase_if_empty(removed, pe);
  }
}

void compare_list(const Value* before, const Value* after, const FieldType& type, FieldSet& changed,
                  FieldSet& removed) {
  auto b_items = items_of(before, type);
  auto a_items = items_of(after, type);
  std::vector<std::string> seen;
  FieldType it = item_type(type);
  auto visit = [&](const std::string& pe) {
    if (pe.empty() || std::find(seen.begin(), seen.end(), pe) != seen.end()) return;
    seen.push_back(pe);
    compare_fields(find_item(b_items, pe), find_item(a_items, pe), it, changed.children[pe],
                   removed.children[pe]);
    erase_if_empty(changed, pe);
    erase_if_empty(removed, pe);
  };
  for (const auto& item : b_items) visit(item.first);
  for (const auto& item : a_items) visit(item.first);
}

void add_item_fields(const Value& item, const FieldType& list, FieldSet& node) {
  if (list.list == ListType::map && item.is_object()) {
    FieldType it = item_type(list);
    if (!it.atomic) node = fields_of(item, it);
  }
  node.member = true;
}

}  // namespace

FieldType kind_field_type(std::string_view group_version, std::string_view kind) {
  return object_type(find_kind_definition(group_version, kind));
}

FieldSet fields_of(const Value& config, const FieldType& type) {
  FieldSet out;
  if (config.is_object() && !type.atomic) {
    for (const formats::Member& m : config.as_object()) {
      std::string pe = "f:" + m.key;
      if (empty_or_null(&m.value) && !m.value.is_array()) {
        out.children[pe].member = true;
        continue;
      }
      FieldSet child = fields_of(m.value, child_type(type, m.key));
      if (!child.empty()) out.children[pe] = std::move(child);
    }
    return out;
  }
  if (config.is_array() && type.list != ListType::atomic) {
    for (const Value& item : config.as_array()) {
      std::string pe = element_of(item, type);
      if (!pe.empty()) add_item_fields(item, type, out.children[pe]);
    }
    return out;
  }
  out.member = true;
  return out;
}

void compare_fields(const Value* before, const Value* after, const FieldType& type, FieldSet& changed,
                    FieldSet& removed) {
  const bool object = granular_object(before, type) || granular_object(after, type);
  const bool list = granular_list(before, type) || granular_list(after, type);
  // Both empty (or null): a leaf, so that {} and null stay distinct from absent.
  if ((!object && !list) || (empty_or_null(before) && empty_or_null(after))) {
    compare_leaf(before, after, changed, removed);
    return;
  }
  if (object) {
    compare_object(before, after, type, changed, removed);
  } else {
    compare_list(before, after, type, changed, removed);
  }
  if (!before) changed.member = true;
  if (!after) removed.member = true;
}

Value zero_object(const FieldType& type) {
  Value out = Value::object();
  if (!type.def) return out;
  for (const auto& [name, p] : type.def->properties) {
    const MergeProperty* m = merge_property(type.def, name);
    if (p.ref && p.default_value && p.default_value->is_object()) {
      out.set(name, zero_object(child_type(type, name)));
    } else if (m && m->zero_null) {
      out.set(name, Value());
    }
  }
  return out;
}

void remove_fields(Value& object, const FieldSet& paths, const FieldType& type) {
  if (object.is_object()) {
    for (const auto& [pe, node] : paths.children) {
      if (pe.rfind("f:", 0) != 0) continue;
      std::string key = pe.substr(2);
      if (node.member) {
        object.erase(key);
      } else if (Value* child = object.find(key)) {
        remove_fields(*child, node, child_type(type, key));
      }
    }
    return;
  }
  if (!object.is_array() || type.list == ListType::atomic) return;
  formats::Array& items = object.as_array();
  FieldType it = item_type(type);
  for (std::size_t i = items.size(); i-- > 0;) {
    auto found = paths.children.find(element_of(items[i], type));
    if (found == paths.children.end()) continue;
    if (found->second.member) {
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      remove_fields(items[i], found->second, it);
    }
  }
}

}  // namespace ktape::sim
