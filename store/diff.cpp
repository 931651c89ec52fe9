#include "store/diff.hpp"

#include <algorithm>
#include <iterator>
#include <thread>

#include "formats/yaml.hpp"
#include "store/unified_diff.hpp"

namespace ktape::store {

namespace {

using formats::Value;

// What a server sets on its own (DESIGN.md's list of what a replay strips before create).
constexpr std::string_view k_server_set_metadata[] = {"uid",        "resourceVersion", "creationTimestamp",
                                                      "generation", "managedFields",   "selfLink"};

// "a.b.c" or "/a/b~1c" -> keys.
std::vector<std::string> field_path(std::string_view text) {
  std::vector<std::string> keys;
  bool pointer = text.starts_with("/");
  if (pointer) text.remove_prefix(1);
  char separator = pointer ? '/' : '.';
  while (true) {
    auto end = text.find(separator);
    std::string_view raw = text.substr(0, end);
    std::string key;
    key.reserve(raw.size());
    // RFC 6901: "~1" is "/", "~0" is "~" (appended char by char: GCC 12 at -O3 takes
    // std::string::replace here for an overlapping memcpy, a false -Werror=restrict).
    for (std::size_t i = 0; i < raw.size(); ++i) {
      bool escape =
          pointer && raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1');
      if (!escape) {
        key.push_back(raw[i]);
        continue;
      }
      key.push_back(raw[i + 1] == '1' ? '/' : '~');
      ++i;
    }
    keys.push_back(std::move(key));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return keys;
}

void erase_path(Value& object, const std::vector<std::string>& keys) {
  Value* at = &object;
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
    at = at->find(keys[i]);
    if (at == nullptr) return;
  }
  at->erase(keys.back());
}

// The names of the members of `a` and `b` that differ, prefixed.
void differing_members(const Value& a, const Value& b, const std::string& prefix,
                       std::vector<std::string>& out) {
  static const Value k_null;
  std::vector<std::string> names;
  for (const auto* side : {&a, &b})
    if (side->is_object())
      for (const auto& m : side->as_object()) names.push_back(m.key);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const auto& name : names) {
    const Value* x = a.find(name);
    const Value* y = b.find(name);
    if (*(x != nullptr ? x : &k_null) != *(y != nullptr ? y : &k_null)) out.push_back(prefix + name);
  }
}

std::vector<std::string> changed_fields(const Value& a, const Value& b) {
  std::vector<std::string> top, out;
  differing_members(a, b, "", top);
  for (const auto& name : top) {
    if (name != "metadata") {
      out.push_back(name);
      continue;
    }
    static const Value k_empty = Value::object();
    const Value* x = a.find("metadata");
    const Value* y = b.find("metadata");
    differing_members(x != nullptr ? *x : k_empty, y != nullptr ? *y : k_empty, "metadata.", out);
  }
  return out;
}

// "apps/v1|deployments|ns|name" -> its parts.
std::vector<std::string_view> key_parts(std::string_view key) {
  std::vector<std::string_view> parts;
  for (int i = 0; i < 3; ++i) {
    auto bar = key.find('|');
    parts.push_back(key.substr(0, bar));
    key.remove_prefix(bar + 1);
  }
  parts.push_back(key);
  return parts;
}

DiffEntry entry_of(const std::string& key, DiffAction action) {
  auto parts = key_parts(key);
  DiffEntry e;
  auto slash = parts[0].find('/');
  e.resource = std::string(parts[1]);
  if (slash != std::string_view::npos) e.resource.append(".").append(parts[0].substr(0, slash));
  e.namespace_name = std::string(parts[2]);
  e.name = std::string(parts[3]);
  e.action = action;
  return e;
}

// Replaces each value of `mine` by "***", or by `changed` where `other` (unmasked) differs.
void mask_values(Value* mine, const Value* other, const char* changed) {
  if (mine == nullptr || !mine->is_object()) return;
  for (auto& m : mine->as_object()) {
    const Value* theirs = other != nullptr ? other->find(m.key) : nullptr;
    bool same = theirs == nullptr || *theirs == m.value;
    m.value = Value(same ? "***" : changed);
  }
}

// Secret values as kubectl diff shows them: never the value, only whether it changed.
void mask_secret(Value& before, Value& after) {
  const Value original = before;
  for (const char* field : {"data", "stringData"}) {
    mask_values(before.find(field), after.find(field), "*** (before)");
    mask_values(after.find(field), original.find(field), "*** (after)");
  }
}

// diff_states over the key ranges [x, x_end) of a and [y, y_end) of b, appended to `out`, taking
// the objects out of the maps (see diff_states_moving).
void diff_ranges(ObjectMap::iterator x, ObjectMap::iterator x_end, ObjectMap::iterator y,
                 ObjectMap::iterator y_end, std::vector<DiffEntry>& out) {
  while (x != x_end || y != y_end) {
    if (y == y_end || (x != x_end && x->first < y->first)) {
      out.push_back(entry_of(x->first, DiffAction::removed));
      out.back().before = std::move(x->second);
      x->second = Value();
      ++x;
    } else if (x == x_end || y->first < x->first) {
      out.push_back(entry_of(y->first, DiffAction::added));
      out.back().after = std::move(y->second);
      y->second = Value();
      ++y;
    } else {
      if (x->second != y->second) {
        out.push_back(entry_of(x->first, DiffAction::modified));
        out.back().fields = changed_fields(x->second, y->second);
        out.back().before = std::move(x->second);
        out.back().after = std::move(y->second);
      }
      x->second = Value();
      y->second = Value();
      ++x, ++y;
    }
  }
}

}  // namespace

std::string_view action_name(DiffAction action) {
  switch (action) {
    case DiffAction::added:
      return "added";
    case DiffAction::removed:
      return "removed";
    case DiffAction::modified:
      return "modified";
  }
  return "modified";
}

void normalize_for_diff(Value& object, const DiffOptions& options) {
  if (Value* metadata = object.find("metadata")) {
    for (auto field : k_server_set_metadata) metadata->erase(field);
    if (Value* owners = metadata->find("ownerReferences"); owners != nullptr && owners->is_array())
      for (auto& owner : owners->as_array()) owner.erase("uid");
  }
  if (options.ignore_status) object.erase("status");
  for (const auto& field : options.ignore_fields) erase_path(object, field_path(field));
}

std::vector<DiffEntry> diff_states(const ObjectMap& a, const ObjectMap& b) {
  std::vector<DiffEntry> out;
  auto x = a.begin();
  auto y = b.begin();
  while (x != a.end() || y != b.end()) {
    if (y == b.end() || (x != a.end() && x->first < y->first)) {
      out.push_back(entry_of(x->first, DiffAction::removed));
      out.back().before = x->second;
      ++x;
    } else if (x == a.end() || y->first < x->first) {
      out.push_back(entry_of(y->first, DiffAction::added));
      out.back().after = y->second;
      ++y;
    } else {
      if (x->second != y->second) {
        out.push_back(entry_of(x->first, DiffAction::modified));
        out.back().fields = changed_fields(x->second, y->second);
        out.back().before = x->second;
        out.back().after = y->second;
      }
      ++x, ++y;
    }
  }
  return out;
}

std::vector<DiffEntry> diff_states_moving(ObjectMap& a, ObjectMap& b) {
  // The split: the middle key of a, and where it would stand in b.
  auto a_middle = std::next(a.begin(), static_cast<std::ptrdiff_t>(a.size() / 2));
  auto b_middle = a_middle == a.end() ? b.end() : b.lower_bound(a_middle->first);
  std::vector<DiffEntry> first, second;
  {
    std::jthread first_half([&] { diff_ranges(a.begin(), a_middle, b.begin(), b_middle, first); });
    diff_ranges(a_middle, a.end(), b_middle, b.end(), second);
  }
  first.insert(first.end(), std::make_move_iterator(second.begin()), std::make_move_iterator(second.end()));
  return first;
}

std::string format_raw_diff(const DiffEntry& entry, const std::string& a_label, const std::string& b_label) {
  Value before = entry.before, after = entry.after;
  if (before.string_at({"kind"}) == "Secret" || after.string_at({"kind"}) == "Secret")
    mask_secret(before, after);
  std::string id =
      entry.resource + "/" + (entry.namespace_name.empty() ? "" : entry.namespace_name + "/") + entry.name;
  std::string a_name = a_label, b_name = b_label;
  a_name.append("/").append(id);
  b_name.append("/").append(id);
  return unified_diff(before.is_null() ? "" : formats::to_yaml(before),
                      after.is_null() ? "" : formats::to_yaml(after), a_name, b_name);
}

std::vector<std::string> parse_field_path(std::string_view text) { return field_path(text); }

}  // namespace ktape::store
