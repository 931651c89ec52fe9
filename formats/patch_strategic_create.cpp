// Two-way strategic merge patch (CreateTwoWayMergePatch in kube's strategicpatch package): maps
// diff recursively (null for a removed key), merge lists diff element by element with
// $setElementOrder, primitive merge lists with $deleteFromPrimitiveList, retainKeys fields get
// $retainKeys, every other list is replaced whole.
#include <algorithm>
#include <vector>

#include "formats/json.hpp"
#include "formats/patch_strategic.hpp"

namespace ktape::formats::detail {
namespace {

struct ListDiff {
  Array changes;    // changed and added elements, then (for keyed lists) the delete directives
  Array deletions;  // primitive lists: the values to remove
  Array order;      // the $setElementOrder list; empty when not needed
};

Result<Value> diff_objects(const Value& original, const Value& modified, Schema schema, bool retain_keys,
                           const std::string& path);

// Deleted elements come sorted by their identity's text, as the Go code's sorted walk emits them.
void sort_by_identity(Array& list, std::string_view merge_key) {
  std::vector<std::pair<std::string, Value>> keyed;
  keyed.reserve(list.size());
  for (Value& v : list) keyed.emplace_back(to_json(*element_identity(v, merge_key)), std::move(v));
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  list.clear();
  for (auto& [text, v] : keyed) list.push_back(std::move(v));
}

Result<void> check_merge_keys(const Array& list, const std::string& merge_key, const std::string& path) {
  for (const Value& element : list) {
    if (merge_key.empty() || element.find(merge_key) == nullptr)
      return fail(
          patch_error(path, "an element does not contain the declared merge key \"" + merge_key + "\""));
  }
  return {};
}

Result<ListDiff> diff_keyed_lists(const Array& original, const Array& modified, Schema element,
                                  const FieldMeta& meta, const std::string& path) {
  const std::string& key = meta.merge_key;
  if (auto ok = check_merge_keys(original, key, path); !ok) return fail(ok.error());
  if (auto ok = check_merge_keys(modified, key, path); !ok) return fail(ok.error());
  ListDiff diff;
  std::vector<bool> matched(original.size(), false);
  for (const Value& after : modified) {
    const Value& id = *after.find(key);
    std::size_t i = 0;
    while (i < original.size() && (matched[i] || *original[i].find(key) != id)) ++i;
    if (i == original.size()) {
      diff.changes.push_back(after);
      continue;
    }
    matched[i] = true;
    auto sub = diff_objects(original[i], after, element, meta.retain_keys, path);
    if (!sub) return fail(sub.error());
    if (sub->size() == 0) continue;
    Value change = Value::object();
    change.set(key, id);
    for (Member& m : sub->as_object()) change.set(m.key, std::move(m.value));
    diff.changes.push_back(std::move(change));
  }
  Array deleted;
  for (std::size_t i = 0; i < original.size(); ++i) {
    if (matched[i]) continue;
    Value directive = Value::object();
    directive.set(k_patch_directive, "delete");
    directive.set(key, *original[i].find(key));
    deleted.push_back(std::move(directive));
  }
  sort_by_identity(deleted, key);
  for (Value& d : deleted) diff.changes.push_back(std::move(d));
  bool same_order = original.size() == modified.size();
  for (std::size_t i = 0; same_order && i < modified.size(); ++i)
    same_order = *original[i].find(key) == *modified[i].find(key);
  if (!diff.changes.empty() || !same_order) {
    for (const Value& after : modified) {
      Value entry = Value::object();
      entry.set(key, *after.find(key));
      diff.order.push_back(std::move(entry));
    }
  }
  return diff;
}

// Primitive merge lists compare as multisets; additions keep the modified order.
ListDiff diff_primitive_lists(const Array& original, const Array& modified) {
  ListDiff diff;
  std::vector<bool> used(original.size(), false);
  for (const Value& after : modified) {
    std::size_t i = 0;
    while (i < original.size() && (used[i] || original[i] != after)) ++i;
    if (i == original.size()) {
      diff.changes.push_back(after);
    } else {
      used[i] = true;
    }
  }
  for (std::size_t i = 0; i < original.size(); ++i) {
    if (used[i]) continue;
    if (std::find(diff.deletions.begin(), diff.deletions.end(), original[i]) == diff.deletions.end())
      diff.deletions.push_back(original[i]);
  }
  sort_by_identity(diff.deletions, {});
  if (!diff.deletions.empty() || original != modified) diff.order = modified;
  return diff;
}

Result<void> diff_merge_list(const std::string& key, const Array& original, const Array& modified,
                             Schema schema, const FieldMeta& meta, Value& patch, const std::string& path) {
  if (original.empty()) {
    if (!modified.empty()) patch.set(key, Value(modified));
    return {};
  }
  auto type = element_type(original, modified, path);
  if (!type) return fail(type.error());
  ListDiff diff;
  if (*type == Value::Type::object) {
    auto keyed = diff_keyed_lists(original, modified, schema.element_at(key), meta, path);
    if (!keyed) return fail(keyed.error());
    diff = std::move(*keyed);
  } else {
    diff = diff_primitive_lists(original, modified);
  }
  if (!diff.changes.empty()) patch.set(key, Value(std::move(diff.changes)));
  if (!diff.deletions.empty())
    patch.set(std::string(k_delete_primitive_prefix) + key, Value(std::move(diff.deletions)));
  if (!diff.order.empty()) patch.set(std::string(k_set_order_prefix) + key, Value(std::move(diff.order)));
  return {};
}

Result<void> diff_member(const std::string& key, const Value& before, const Value& after, Schema schema,
                         Value& patch, const std::string& path) {
  if (before.type() != after.type()) {
    patch.set(key, after);
    return {};
  }
  const FieldMeta* meta = schema.field(key);
  if (before.is_object()) {
    if (meta != nullptr && meta->replace) {
      if (before != after) patch.set(key, after);
      return {};
    }
    auto sub = diff_objects(before, after, schema.object_at(key), meta != nullptr && meta->retain_keys,
                            child_path(path, key));
    if (!sub) return fail(sub.error());
    if (sub->size() > 0) patch.set(key, std::move(*sub));
    return {};
  }
  if (before.is_array() && meta != nullptr && meta->merge)
    return diff_merge_list(key, before.as_array(), after.as_array(), schema, *meta, patch,
                           child_path(path, key));
  if (before != after) patch.set(key, after);
  return {};
}

// $retainKeys lists the modified map's keys, sorted; it is written when anything changed or a key
// is gone (Go's diffMaps with BuildRetainKeysDirective).
void add_retain_keys(const Value& original, const Value& modified, Value& patch) {
  Array keys;
  for (const Member& m : modified.as_object())
    if (!m.value.is_null()) keys.emplace_back(m.key);
  if (keys.empty()) return;
  bool key_gone = false;
  for (const Member& m : original.as_object())
    key_gone = key_gone || (!m.value.is_null() && !modified.contains(m.key));
  if (patch.size() == 0 && !key_gone) return;
  std::sort(keys.begin(), keys.end(),
            [](const Value& a, const Value& b) { return a.as_string() < b.as_string(); });
  patch.set(k_retain_keys_directive, Value(std::move(keys)));
}

Result<Value> diff_objects(const Value& original, const Value& modified, Schema schema, bool retain_keys,
                           const std::string& path) {
  Value patch = Value::object();
  for (const Member& m : modified.as_object()) {
    const Value* before = original.find(m.key);
    if (before == nullptr) {
      patch.set(m.key, m.value);
      continue;
    }
    if (auto ok = diff_member(m.key, *before, m.value, schema, patch, path); !ok) return fail(ok.error());
  }
  for (const Member& m : original.as_object()) {
    if (!modified.contains(m.key)) patch.set(m.key, nullptr);
  }
  if (retain_keys) add_retain_keys(original, modified, patch);
  return patch;
}

}  // namespace

Result<Value> create_strategic(const Value& original, const Value& modified, Schema schema) {
  if (!original.is_object() || !modified.is_object())
    return fail(patch_error({}, "both documents must be JSON objects"));
  return diff_objects(original, modified, schema, false, {});
}

}  // namespace ktape::formats::detail
