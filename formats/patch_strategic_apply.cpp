// Applying a strategic merge patch (StrategicMergePatch in kube's strategicpatch package, with
// the options kube-apiserver uses: parallel $deleteFromPrimitiveList/$setElementOrder lists are
// merged, and nulls for absent keys are dropped).
#include <algorithm>
#include <optional>
#include <vector>

#include "formats/json.hpp"
#include "formats/patch_strategic.hpp"

namespace ktape::formats::detail {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool is_directive_key(std::string_view key) {
  return key == k_patch_directive || key == k_retain_keys_directive || starts_with(key, k_set_order_prefix) ||
         starts_with(key, k_delete_primitive_prefix);
}

// Position of `element` in `order` by identity; -1 when absent.
std::ptrdiff_t index_in(const Array& order, const Value& element, std::string_view merge_key) {
  const Value* id = element_identity(element, merge_key);
  if (id == nullptr) return -1;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Value* other = element_identity(order[i], merge_key);
    if (other != nullptr && *other == *id) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

// True when `element` holds `value` under `key` (a patch may have nulled a merge key away).
bool has_key_value(const Value& element, const std::string& key, const Value& value) {
  const Value* held = element.find(key);
  return held != nullptr && *held == value;
}

// Stable sort by position in `order`; elements absent from it keep their place at the end.
void sort_by_order(Array& list, const Array& order, std::string_view merge_key) {
  std::vector<std::pair<std::ptrdiff_t, Value>> ranked;
  ranked.reserve(list.size());
  for (Value& v : list) {
    const std::ptrdiff_t at = index_in(order, v, merge_key);
    ranked.emplace_back(at < 0 ? PTRDIFF_MAX : at, std::move(v));
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  list.clear();
  for (auto& [rank, v] : ranked) list.push_back(std::move(v));
}

// Go's normalizeElementOrder: `merged` is split into the elements named by `patch_order` (sorted
// by it) and the server-only rest (sorted by `server_order`); the two are interleaved, a
// server-only element going first only when the server order puts it before the next patch one.
Array normalize_order(Array merged, const Array& patch_order, const Array& server_order,
                      std::string_view merge_key) {
  Array from_patch, server_only;
  for (Value& v : merged)
    (index_in(patch_order, v, merge_key) >= 0 ? from_patch : server_only).push_back(std::move(v));
  sort_by_order(from_patch, patch_order, merge_key);
  sort_by_order(server_only, server_order, merge_key);
  Array out;
  out.reserve(from_patch.size() + server_only.size());
  std::size_t i = 0, j = 0;
  while (i < server_only.size() || j < from_patch.size()) {
    bool take_server = j == from_patch.size();
    if (!take_server && i < server_only.size()) {
      const std::ptrdiff_t li = index_in(server_order, server_only[i], merge_key);
      const std::ptrdiff_t ri = index_in(server_order, from_patch[j], merge_key);
      take_server = li >= 0 && ri >= 0 && li < ri;
    }
    out.push_back(std::move(take_server ? server_only[i++] : from_patch[j++]));
  }
  return out;
}

// What Go does with the nulls of a new merge-list element: an element appended to a list the
// target has is copied verbatim (nulls kept); values for fields the target lacks lose their nulls.
enum class Nulls { keep, drop };

Result<void> merge_object(Value& target, const Value& patch, Schema schema, const std::string& path);
Result<Array> merge_list(const Array& original, const Array& patch, Schema element, const FieldMeta& meta,
                         Nulls nulls, const std::string& path);

// `v` without null object members, at any depth.
Value without_nulls(const Value& v) {
  if (v.is_array()) {
    Value out = Value::array();
    for (const Value& e : v.as_array()) out.push_back(without_nulls(e));
    return out;
  }
  if (!v.is_object()) return v;
  Value out = Value::object();
  for (const Member& m : v.as_object())
    if (!m.value.is_null()) out.set(m.key, without_nulls(m.value));
  return out;
}

// True when a directive ("$..." key) appears anywhere in `v`.
bool has_directives(const Value& v) {
  if (v.is_array()) return std::any_of(v.as_array().begin(), v.as_array().end(), has_directives);
  if (!v.is_object()) return false;
  return std::any_of(v.as_object().begin(), v.as_object().end(),
                     [](const Member& m) { return m.key.front() == '$' || has_directives(m.value); });
}

// A patch value for a key the target lacks (or holds with another type): directives are applied
// to an empty container, so none of them leak into the result.
Result<Value> fresh_value(const Value& patch, Schema schema, std::string_view key, const std::string& path) {
  const FieldMeta* meta = schema.field(key);
  if (patch.is_object()) {
    Value out = Value::object();
    if (auto ok = merge_object(out, patch, schema.object_at(key), path); !ok) return fail(ok.error());
    return out;
  }
  if (patch.is_array() && meta != nullptr && meta->merge && !patch.as_array().empty()) {
    auto list = merge_list({}, patch.as_array(), schema.element_at(key), *meta, Nulls::drop, path);
    if (!list) return fail(list.error());
    return Value(std::move(*list));
  }
  return without_nulls(patch);
}

Result<Array> merge_primitive_list(const Array& original, const Array& patch) {
  Array merged;
  merged.reserve(original.size() + patch.size());
  for (const Array* list : {&original, &patch}) {
    for (const Value& v : *list)
      if (std::find(merged.begin(), merged.end(), v) == merged.end()) merged.push_back(v);
  }
  return normalize_order(std::move(merged), patch, original, {});
}

// Applies the {"$patch": ...} elements of a keyed list: deletes come out of `list`; returns the
// plain elements, and sets `replace` when the list is to be replaced by them.
Result<Array> split_special_elements(Array& list, const Array& patch, const std::string& key, bool& replace,
                                     const std::string& path) {
  Array plain;
  for (const Value& element : patch) {
    const Value* directive = element.find(k_patch_directive);
    if (directive == nullptr) {
      if (element.find(key) == nullptr)
        return fail(patch_error(path, "an element does not contain the declared merge key \"" + key + "\""));
      plain.push_back(element);
      continue;
    }
    const std::string_view name = directive->is_string() ? std::string_view(directive->as_string()) : "";
    if (name == "delete") {
      const Value* id = element.find(key);
      if (id == nullptr)
        return fail(
            patch_error(path, "a $patch: delete element does not contain the merge key \"" + key + "\""));
      std::erase_if(list, [&](const Value& v) { return has_key_value(v, key, *id); });
    } else if (name == "replace") {
      replace = true;
    } else if (name == "merge") {
      return fail(patch_error(path, "$patch: merge is not supported in a list"));
    } else {
      return fail(patch_error(path, "unknown $patch value " + to_json(*directive) + " in a list element"));
    }
  }
  return plain;
}

Result<Array> merge_keyed_list(const Array& original, const Array& patch, Schema element,
                               const std::string& key, Nulls nulls, const std::string& path) {
  for (const Value& v : original)
    if (v.find(key) == nullptr)
      return fail(patch_error(path, "an element does not contain the declared merge key \"" + key + "\""));
  Array list = original;
  bool replace = false;
  auto plain = split_special_elements(list, patch, key, replace, path);
  if (!plain) return fail(plain.error());
  if (replace) return std::move(*plain);
  // The server's order is the original's unless "$patch: delete" elements removed some: a copy
  // only then.
  const bool deleted = list.size() != original.size();
  const Array deleted_order = deleted ? list : Array{};
  const Array& server_order = deleted ? deleted_order : original;
  for (const Value& p : *plain) {
    const Value& id = *p.find(key);
    auto it =
        std::find_if(list.begin(), list.end(), [&](const Value& v) { return has_key_value(v, key, id); });
    if (it == list.end() && nulls == Nulls::keep && !has_directives(p)) {
      list.push_back(p);
      continue;
    }
    Value fresh = Value::object();
    Value& into = it == list.end() ? fresh : *it;
    if (auto ok = merge_object(into, p, element, path); !ok) return fail(ok.error());
    if (it == list.end()) list.push_back(std::move(fresh));
  }
  return normalize_order(std::move(list), *plain, server_order, key);
}

Result<Array> merge_list(const Array& original, const Array& patch, Schema element, const FieldMeta& meta,
                         Nulls nulls, const std::string& path) {
  if (original.empty() && patch.empty()) return original;
  auto type = element_type(original, patch, path);
  if (!type) return fail(type.error());
  if (*type != Value::Type::object) return merge_primitive_list(original, patch);
  if (meta.merge_key.empty())
    return fail(patch_error(path, "cannot merge a list of objects without a merge key"));
  return merge_keyed_list(original, patch, element, meta.merge_key, nulls, path);
}

Result<void> check_string_list(const Value& list, std::string_view directive, const std::string& path) {
  if (!list.is_array()) return fail(patch_error(path, std::string(directive) + " must be a list"));
  return {};
}

// Go's validatePatchWithSetOrderList: the patch list's elements (minus directives) must appear
// in the $setElementOrder list, in the same relative order.
Result<void> check_order_matches(const Array& patch_list, const Array& order, std::string_view merge_key,
                                 const std::string& path) {
  for (const Value& entry : order) {
    if (element_identity(entry, merge_key) == nullptr || (!merge_key.empty() && !entry.is_object()))
      return fail(patch_error(path, "a $setElementOrder entry does not contain the merge key \"" +
                                        std::string(merge_key) + "\""));
  }
  if (patch_list.empty() || order.empty()) return {};
  std::size_t p = 0, o = 0;
  while (p < patch_list.size() && o < order.size()) {
    if (patch_list[p].find(k_patch_directive) != nullptr) {
      ++p;
      continue;
    }
    const Value* a = element_identity(patch_list[p], merge_key);
    const Value* b = element_identity(order[o], merge_key);
    if (a == nullptr || b == nullptr)
      return fail(patch_error(
          path, "an element does not contain the declared merge key \"" + std::string(merge_key) + "\""));
    if (*a == *b) ++p;
    ++o;
  }
  while (p < patch_list.size() && patch_list[p].find(k_patch_directive) != nullptr) ++p;
  if (p < patch_list.size())
    return fail(patch_error(path, "the order of the patch list does not match its $setElementOrder list"));
  return {};
}

// Merges the list `field` together with its $setElementOrder list, then orders it by that list.
// Returns true when it handled the field (the main pass must then skip it).
Result<bool> merge_ordered_list(Value& target, const Value& patch, const std::string& field,
                                const Value& order, Schema schema, const std::string& path) {
  const std::string where = child_path(path, field);
  if (!order.is_array())  // check_string_list's error, without building the name when it is a list
    return fail(patch_error(where, std::string(k_set_order_prefix) + field + " must be a list"));
  const FieldMeta* meta = schema.field(field);
  const Value* patch_list = patch.find(field);
  if (meta == nullptr || !meta->merge || (patch_list != nullptr && !patch_list->is_array())) return false;
  Value* current = target.find(field);
  const Array empty;
  const Array& original = current != nullptr && current->is_array() ? current->as_array() : empty;
  const Array& changes = patch_list != nullptr ? patch_list->as_array() : empty;
  if (original.empty() && changes.empty()) return true;
  const bool keyed = (!original.empty() && original.front().is_object()) ||
                     (!changes.empty() && changes.front().is_object()) ||
                     (!order.as_array().empty() && order.as_array().front().is_object());
  const std::string_view key = keyed ? std::string_view(meta->merge_key) : std::string_view();
  if (auto ok = check_order_matches(changes, order.as_array(), key, where); !ok) return fail(ok.error());
  Array merged;
  if (changes.empty()) {
    merged = original;
  } else {
    auto list = merge_list(original, changes, schema.element_at(field), *meta, Nulls::keep, where);
    if (!list) return fail(list.error());
    merged = std::move(*list);
  }
  target.set(field, Value(normalize_order(std::move(merged), order.as_array(), original, key)));
  return true;
}

Result<void> apply_retain_keys(Value& target, const Value& patch, const std::string& path) {
  const Value* retain = patch.find(k_retain_keys_directive);
  if (retain == nullptr) return {};
  if (auto ok = check_string_list(*retain, k_retain_keys_directive, path); !ok) return fail(ok.error());
  const Array& keys = retain->as_array();
  auto listed = [&](std::string_view key) {
    return std::any_of(keys.begin(), keys.end(),
                       [&](const Value& k) { return k.is_string() && k.as_string() == key; });
  };
  for (const Member& m : patch.as_object()) {
    if (m.value.is_null() || is_directive_key(m.key)) continue;
    if (!listed(m.key))
      return fail(patch_error(path, "field \"" + m.key + "\" is set but missing from $retainKeys"));
  }
  std::erase_if(target.as_object(), [&](const Member& m) { return !listed(m.key); });
  return {};
}

// {"$patch": "replace"|"delete"} on a map. Returns true when it decided the map's content.
Result<bool> apply_map_directive(Value& target, const Value& patch, Schema schema, const std::string& path) {
  const Value* directive = patch.find(k_patch_directive);
  if (directive == nullptr) return false;
  const std::string_view name = directive->is_string() ? std::string_view(directive->as_string()) : "";
  target = Value::object();
  if (name == "delete") return true;
  if (name != "replace")
    return fail(patch_error(path, "unknown $patch value " + to_json(*directive) + " in a map"));
  Value rest = Value::object();
  for (const Member& m : patch.as_object())
    if (m.key != k_patch_directive) rest.set(m.key, m.value);
  if (auto ok = merge_object(target, rest, schema, path); !ok) return fail(ok.error());
  return true;
}

Result<void> merge_member(Value& target, const Member& m, Schema schema, const std::string& path) {
  if (m.value.is_null()) {
    target.erase(m.key);
    return {};
  }
  Value* existing = target.find(m.key);
  const FieldMeta* meta = schema.field(m.key);
  const bool same_type = existing != nullptr && existing->type() == m.value.type();
  const bool merges = same_type && ((existing->is_object() && !(meta != nullptr && meta->replace)) ||
                                    (existing->is_array() && meta != nullptr && meta->merge));
  if (same_type && !merges) {  // most members of a patch: a value replaced (no path needed)
    *existing = m.value;
    return {};
  }
  const std::string where = child_path(path, m.key);
  if (existing == nullptr || existing->type() != m.value.type()) {
    // Go drops a map carrying any $patch directive where the target has nothing (kubectl patch
    // --local and kube-apiserver agree): neither "replace" nor "delete" creates the field.
    const bool directed = m.value.is_object() && m.value.contains(k_patch_directive);
    if (existing == nullptr && directed) return {};
    auto fresh = fresh_value(m.value, schema, m.key, where);
    if (!fresh) return fail(fresh.error());
    target.set(m.key, std::move(*fresh));
    return {};
  }
  // Here the value merges: a map (not replace-strategy), or a merge list.
  if (existing->is_object()) return merge_object(*existing, m.value, schema.object_at(m.key), where);
  auto list = merge_list(existing->as_array(), m.value.as_array(), schema.element_at(m.key), *meta,
                         Nulls::keep, where);
  if (!list) return fail(list.error());
  existing->as_array() = std::move(*list);
  return {};
}

Result<void> delete_from_primitive_list(Value& target, const Member& m, const std::string& path) {
  const std::string field = m.key.substr(k_delete_primitive_prefix.size());
  Value* list = target.find(field);
  if (list != nullptr && m.value.is_null()) {  // Go reads a null deletion list as "delete the field"
    target.erase(field);
    return {};
  }
  if (list == nullptr || !list->is_array()) return {};  // nothing to delete from, as in Go
  if (auto ok = check_string_list(m.value, m.key, child_path(path, field)); !ok) return fail(ok.error());
  const Array& doomed = m.value.as_array();
  std::erase_if(list->as_array(),
                [&](const Value& v) { return std::find(doomed.begin(), doomed.end(), v) != doomed.end(); });
  return {};
}

Result<void> merge_object(Value& target, const Value& patch, Schema schema, const std::string& path) {
  if (!target.is_object()) target = Value::object();
  auto replaced = apply_map_directive(target, patch, schema, path);
  if (!replaced) return fail(replaced.error());
  if (*replaced) return {};
  if (auto ok = apply_retain_keys(target, patch, path); !ok) return fail(ok.error());
  std::vector<std::string_view> ordered;
  for (const Member& m : patch.as_object()) {
    if (!starts_with(m.key, k_set_order_prefix)) continue;
    const std::string field = m.key.substr(k_set_order_prefix.size());
    auto handled = merge_ordered_list(target, patch, field, m.value, schema, path);
    if (!handled) return fail(handled.error());
    if (*handled)
      ordered.push_back(
          patch.find(field) != nullptr ? std::string_view(m.key).substr(k_set_order_prefix.size()) : "");
  }
  for (const Member& m : patch.as_object()) {
    if (is_directive_key(m.key) || std::find(ordered.begin(), ordered.end(), m.key) != ordered.end())
      continue;
    if (auto ok = merge_member(target, m, schema, path); !ok) return fail(ok.error());
  }
  for (const Member& m : patch.as_object()) {
    if (!starts_with(m.key, k_delete_primitive_prefix)) continue;
    if (auto ok = delete_from_primitive_list(target, m, path); !ok) return fail(ok.error());
  }
  return {};
}

Result<void> check_operands(const Value& target, const Value& patch) {
  if (!patch.is_object()) return fail(patch_error({}, "the patch must be a JSON object"));
  if (!target.is_object()) return fail(patch_error({}, "the document to patch must be a JSON object"));
  return {};
}

// True when applying `patch` can fail: only directives and merge lists are ever rejected (maps and
// scalars always merge), so a patch with neither at any depth always applies.
bool may_fail(const Value& patch, Schema schema) {
  for (const Member& m : patch.as_object()) {
    if (!m.key.empty() && m.key.front() == '$') return true;
    const FieldMeta* meta = schema.field(m.key);
    if (m.value.is_array() && meta != nullptr && meta->merge) return true;
    if (m.value.is_object() && may_fail(m.value, schema.object_at(m.key))) return true;
  }
  return false;
}

bool has_root_directive(const Value& patch) {
  const Object& members = patch.as_object();
  return std::any_of(members.begin(), members.end(), [](const Member& m) { return is_directive_key(m.key); });
}

// The root members a patch without root directives can change (those it names), kept so that a
// failed patch leaves its target as it was: the rest of the object is neither copied nor touched.
class TouchedMembers {
 public:
  TouchedMembers(const Value& target, const Value& patch) {
    for (const Member& m : target.as_object()) m_order.push_back(m.key);
    for (const Member& m : patch.as_object()) {
      const Value* held = target.find(m.key);
      m_kept.emplace_back(m.key, held != nullptr ? std::optional<Value>(*held) : std::nullopt);
    }
  }

  // Puts back every kept member where it stood, and drops the members the patch added.
  void restore(Value& target) {
    Object restored;
    restored.reserve(m_order.size());
    for (const std::string& key : m_order) {
      auto kept = std::find_if(m_kept.begin(), m_kept.end(), [&](const auto& k) { return k.first == key; });
      if (kept != m_kept.end()) {
        restored.push_back(Member{key, std::move(*kept->second)});
      } else if (Value* untouched = target.find(key)) {
        restored.push_back(Member{key, std::move(*untouched)});
      }
    }
    target.as_object() = std::move(restored);
  }

 private:
  std::vector<std::string> m_order;                                  // the target's keys, in order
  std::vector<std::pair<std::string, std::optional<Value>>> m_kept;  // nullopt: the key was absent
};

}  // namespace

Result<Value> apply_strategic(const Value& original, const Value& patch, Schema schema) {
  if (auto ok = check_operands(original, patch); !ok) return fail(ok.error());
  Value result = original;
  if (auto ok = merge_object(result, patch, schema, {}); !ok) return fail(ok.error());
  return result;
}

Result<void> apply_strategic_in_place(Value& target, const Value& patch, Schema schema) {
  if (auto ok = check_operands(target, patch); !ok) return fail(ok.error());
  if (!may_fail(patch, schema)) return merge_object(target, patch, schema, {});
  if (has_root_directive(patch)) {
    // A directive at the root may touch any member: keep the whole object (rare in recordings).
    Value before = target;
    auto ok = merge_object(target, patch, schema, {});
    if (!ok) target = std::move(before);
    return ok;
  }
  TouchedMembers before(target, patch);
  auto ok = merge_object(target, patch, schema, {});
  if (!ok) before.restore(target);
  return ok;
}

}  // namespace ktape::formats::detail
