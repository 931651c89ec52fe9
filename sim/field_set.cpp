#include "sim/field_set.hpp"

#include <algorithm>
#include <map>
#include <mutex>
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

// Keyed by the definitions of openapi.hpp's table (static, never freed), so a lookup hashes a
// pointer; property names compare without a copy.
struct MergeTable {
  std::unordered_set<const Definition*> atomic;  // definitions that are atomic objects
  std::unordered_map<const Definition*, std::map<std::string, MergeProperty, std::less<>>> properties;
};

MergeProperty read_merge_property(const Value& v) {
  MergeProperty m;
  std::string_view list = v.string_at({"list"});
  m.list = list == "map" ? ListType::map : list == "set" ? ListType::set : ListType::atomic;
  if (const Value* keys = v.find("keys"); keys && keys->is_array())
    for (const Value& k : keys->as_array())
      if (k.is_string()) m.keys.push_back(k.as_string());
  std::sort(m.keys.begin(), m.keys.end());
  m.atomic_map = v.string_at({"map"}) == "atomic";
  m.zero_null = v.string_at({"zero"}) == "null";
  return m;
}

MergeTable build_merge_table() {
  MergeTable table;
  auto parsed = formats::parse_json(k_openapi_merge_json);
  if (!parsed || !parsed->is_object()) return table;
  if (const Value* atomic = parsed->find("atomic"); atomic && atomic->is_array())
    for (const Value& name : atomic->as_array())
      if (const Definition* def = name.is_string() ? find_definition(name.as_string()) : nullptr)
        table.atomic.insert(def);
  const Value* props = parsed->find("properties");
  if (!props || !props->is_object()) return table;
  for (const formats::Member& def : props->as_object()) {
    const Definition* d = find_definition(def.key);
    if (!d || !def.value.is_object()) continue;
    auto& out = table.properties[d];
    for (const formats::Member& p : def.value.as_object()) out.emplace(p.key, read_merge_property(p.value));
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
  auto it = props.find(def);
  if (it == props.end()) return nullptr;
  auto p = it->second.find(name);
  return p == it->second.end() ? nullptr : &p->second;
}

bool atomic_definition(const Definition* def) { return def && merge_table().atomic.count(def) > 0; }

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
  std::string out;
  if (list.list == ListType::set) {
    out = "v:";
    formats::append_json(out, item);
    return out;
  }
  if (list.list != ListType::map || !list.keys || !item.is_object()) return out;
  out = "k:{";
  for (const std::string& k : *list.keys) {
    if (out.size() > 3) out += ',';
    formats::append_json_string(out, k);
    out += ':';
    if (const Value* v = item.find(k)) {
      formats::append_json(out, *v);
    } else {
      formats::append_json(out, key_value(item, list, k));
    }
  }
  out += '}';
  return out;
}

FieldType item_type(const FieldType& list) { return object_type(list.elem); }

bool granular_object(const Value* v, const FieldType& t) { return v && v->is_object() && !t.atomic; }
bool granular_list(const Value* v, const FieldType& t) {
  return v && v->is_array() && t.list != ListType::atomic;
}
bool empty_or_null(const Value* v) {
  return !v || v->is_null() || ((v->is_object() || v->is_array()) && v->size() == 0);
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
  if (!after) {
    removed.member = removed.member || before != nullptr;
    return;
  }
  if (!before || *before != *after) changed.member = true;
}

// Compares one member or item and keeps the child nodes only when they hold something (most
// nodes of `removed` never do, so nothing is allocated for them).
void compare_child(const Value* before, const Value* after, const FieldType& type, std::string pe,
                   FieldSet& changed, FieldSet& removed) {
  FieldSet c, r;
  compare_fields(before, after, type, c, r);
  if (!c.empty() && !r.empty()) {
    changed.children.emplace(pe, std::move(c));
    removed.children.emplace(std::move(pe), std::move(r));
  } else if (!c.empty()) {
    changed.children.emplace(std::move(pe), std::move(c));
  } else if (!r.empty()) {
    removed.children.emplace(std::move(pe), std::move(r));
  }
}

void compare_object(const Value* before, const Value* after, const FieldType& type, FieldSet& changed,
                    FieldSet& removed) {
  const Value* b_obj = before && before->is_object() ? before : nullptr;
  const Value* a_obj = after && after->is_object() ? after : nullptr;
  if (a_obj)
    for (const formats::Member& m : a_obj->as_object())
      compare_child(b_obj ? b_obj->find(m.key) : nullptr, &m.value, child_type(type, m.key), "f:" + m.key,
                    changed, removed);
  if (b_obj)
    for (const formats::Member& m : b_obj->as_object())
      if (!a_obj || !a_obj->find(m.key))
        compare_child(&m.value, nullptr, child_type(type, m.key), "f:" + m.key, changed, removed);
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
    compare_child(find_item(b_items, pe), find_item(a_items, pe), it, pe, changed, removed);
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

// added_fields_v1's walk: `out` (an empty object) receives the FieldsV1 of what `after` adds or
// changes under this node; returns whether the node itself is added or changed. Members are
// appended in place (the keys of an object are unique), "." first, as the walk knows it before.
bool added_into(const Value* before, const Value& after, const FieldType& type, Value& out) {
  const bool object = after.is_object() && !type.atomic;
  const bool list = after.is_array() && type.list != ListType::atomic;
  if ((!object && !list) || (empty_or_null(before) && empty_or_null(&after)))
    return !before || *before != after;
  formats::Object& members = out.as_object();
  members.reserve(after.size() + 1);
  if (!before) members.push_back(formats::Member{".", Value::object()});
  auto child = [&](const Value* b, const Value& a, const FieldType& t, std::string pe) {
    Value c = Value::object();
    if (added_into(b, a, t, c) || c.size() > 0)
      members.push_back(formats::Member{std::move(pe), std::move(c)});
  };
  if (object) {
    const Value* b_obj = before && before->is_object() ? before : nullptr;
    for (const formats::Member& m : after.as_object())
      child(b_obj ? b_obj->find(m.key) : nullptr, m.value, child_type(type, m.key), "f:" + m.key);
  } else {
    auto b_items = items_of(before, type);
    FieldType it = item_type(type);
    for (const Value& item : after.as_array()) {
      std::string pe = element_of(item, type);
      const bool fresh = !pe.empty() && !out.find(pe);  // a duplicate key counts once
      if (!fresh) continue;
      const Value* previous = find_item(b_items, pe);  // before `pe` is moved: arguments are unsequenced
      child(previous, item, it, std::move(pe));
    }
  }
  if (members.size() == 1 && !before) members.clear();  // only "." : a member without children
  return !before;
}

}  // namespace

Value added_fields_v1(const Value& before, const Value& after, const FieldType& type) {
  Value out = Value::object();
  added_into(&before, after, type, out);
  return out;
}

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

namespace {

Value build_zero_object(const FieldType& type) {
  Value out = Value::object();
  if (!type.def) return out;
  // Go's zero metav1.Time writes null
  if (type.def->name == "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
    out.set("creationTimestamp", Value());
  for (const auto& [name, p] : type.def->properties) {
    const MergeProperty* m = merge_property(type.def, name);
    if (p.ref && p.default_value && p.default_value->is_object()) {
      out.set(name, build_zero_object(child_type(type, name)));
    } else if (m && m->zero_null) {
      out.set(name, Value());
    }
  }
  return out;
}

}  // namespace

Value zero_object(const FieldType& type) {
  // built once per kind: a create asks for it every time
  static std::mutex mu;
  static std::unordered_map<const Definition*, Value> cache;
  if (!type.def) return Value::object();
  std::lock_guard lock(mu);
  auto it = cache.find(type.def);
  if (it == cache.end()) it = cache.emplace(type.def, build_zero_object(type)).first;
  return it->second;
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
