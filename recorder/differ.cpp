#include "recorder/differ.hpp"

#include <string_view>
#include <utility>

#include "formats/patch.hpp"

namespace ktape::recorder {

namespace {

using formats::Value;

// The text of member i ("key":value) in a state's JSON.
std::string_view member_text(const ObjectState& state, std::size_t i) {
  std::size_t begin = i == 0 ? 1 : state.ends[i - 1] + 1;  // after "{" or ","
  return std::string_view(state.json).substr(begin, state.ends[i] - begin);
}

// The patch from `before` to `after`; nullopt when no strategic diff exists (a merge-list element
// without its key).
std::optional<Value> diff(const Value& before, const Value& after, PatchKind kind) {
  if (kind == PatchKind::merge) return formats::create_merge_patch(before, after);
  auto smp = formats::create_strategic_merge_patch(before, after);
  if (!smp) return std::nullopt;
  return std::move(*smp);
}

// The index in `old` of the member whose text starts with `prefix` ("key":), not matched yet; `i`
// (the new member's index) is tried first. old.ends.size() when there is none.
std::size_t find_member(const ObjectState& old, const std::vector<bool>& matched, std::size_t i,
                        std::string_view prefix) {
  if (i < old.ends.size() && member_text(old, i).starts_with(prefix)) return i;
  for (std::size_t k = 0; k < old.ends.size(); ++k)
    if (!matched[k] && member_text(old, k).starts_with(prefix)) return k;
  return old.ends.size();
}

// The members of `old` not matched, in the old order, into `before`. false when one cannot be
// read back.
bool add_vanished(const ObjectState& old, const std::vector<bool>& matched, Value& before) {
  for (std::size_t j = 0; j < old.ends.size(); ++j) {
    if (matched[j]) continue;
    std::string text = "{";
    text += member_text(old, j);
    text += "}";
    auto member = formats::parse_json(text);
    if (!member || member->size() != 1) return false;
    before.as_object().push_back(std::move(member->as_object().front()));
  }
  return true;
}

// The patch from the recorded `old` state to the new object (whose state is `now`), as diff() of
// the whole objects would make it. A top-level member whose text is the same in both adds nothing
// to a diff, so it is left out of both sides (except apiVersion and kind, which choose the patch
// metadata); only the changed members of the old state are parsed back, and only the changed
// members of the new object are taken for the diff (and given back after it). `members` is the
// new object's: size(), key(i), take(i) (nullopt: unreadable, which sets `unreadable`) and
// give(i, value). nullopt: no strategic diff exists. An empty object when a state cannot be read
// back (our own text: it cannot happen) or a new member is unreadable.
template <typename Members>
std::optional<Value> diff_members(const ObjectState& old, const ObjectState& now, Members& members,
                                  PatchKind kind) {
  std::vector<bool> old_matched(old.ends.size(), false);
  std::vector<std::size_t> moved;  // members taken into `after`, in order
  Value before = Value::object();
  Value after = Value::object();
  bool readable = true;
  std::string prefix;
  for (std::size_t i = 0; i < members.size() && readable; ++i) {
    const std::string& key = members.key(i);
    prefix.clear();
    formats::append_json_string(prefix, key);
    prefix.push_back(':');
    std::size_t j = find_member(old, old_matched, i, prefix);
    bool type_meta = key == "apiVersion" || key == "kind";
    if (j < old.ends.size()) {
      old_matched[j] = true;
      std::string_view text = member_text(old, j);
      if (text == member_text(now, i) && !type_meta) continue;
      auto value = formats::parse_json(text.substr(prefix.size()));
      if (!value) {
        readable = false;
        break;
      }
      before.as_object().push_back(formats::Member{key, std::move(*value)});
    }
    auto value = members.take(i);
    if (!value) {
      readable = false;
      break;
    }
    after.as_object().push_back(formats::Member{key, std::move(*value)});
    moved.push_back(i);
  }
  // What the object no longer has, in the old order.
  readable = readable && add_vanished(old, old_matched, before);
  std::optional<Value> patch = readable ? diff(before, after, kind) : std::optional<Value>(Value::object());
  auto& back = after.as_object();
  for (std::size_t k = 0; k < moved.size(); ++k) members.give(moved[k], std::move(back[k].value));
  return patch;
}

// The members of a decoded object, moved out for the diff and back after it.
struct ValueMembers {
  std::vector<formats::Member>& members;
  std::size_t size() const { return members.size(); }
  const std::string& key(std::size_t i) const { return members[i].key; }
  std::optional<Value> take(std::size_t i) { return std::move(members[i].value); }
  void give(std::size_t i, Value&& v) { members[i].value = std::move(v); }
};

// The members of an object as received: each parsed from its text when the diff needs it;
// metadata, already decoded (and stripped), copied.
struct TextMembers {
  const ObjectText& object;
  bool unreadable = false;
  std::size_t size() const { return object.members.size(); }
  const std::string& key(std::size_t i) const { return object.members[i].key; }
  std::optional<Value> take(std::size_t i) {
    if (i == object.metadata) return object.meta;
    auto v = formats::parse_json(object.members[i].value);
    if (!v) {
      unreadable = true;
      return std::nullopt;
    }
    return std::move(*v);
  }
  void give(std::size_t, Value&&) {}
};

// diff_members for a decoded object; also takes states without member ends.
std::optional<Value> diff_changed(const ObjectState& old, const ObjectState& now, Value& object,
                                  PatchKind kind) {
  if (old.ends.empty() || now.ends.empty()) {
    auto before = formats::parse_json(old.json);
    if (!before) return Value::object();
    return diff(*before, object, kind);
  }
  ValueMembers members{object.as_object()};
  return diff_members(old, now, members, kind);
}

// Writes to_json's text of `object` into `state`. `previous`: the object's last state, whose
// unchanged member texts are reused; may be null.
void write_state(const Value& object, ObjectState& state, const ObjectState* previous) {
  state.json.clear();
  state.ends.clear();
  if (!object.is_object()) {
    formats::append_json(state.json, object);
    return;
  }
  // Member by member. A member whose value still reads as it did in the previous state is copied
  // from there: comparing is cheaper than writing.
  bool hints = previous != nullptr && !previous->ends.empty();
  const auto& members = object.as_object();
  state.json.push_back('{');
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0) state.json.push_back(',');
    std::size_t begin = state.json.size();
    formats::append_json_string(state.json, members[i].key);
    state.json.push_back(':');
    std::string_view prefix = std::string_view(state.json).substr(begin);
    bool copied = false;
    if (hints && i < previous->ends.size()) {
      std::string_view before = member_text(*previous, i);
      if (before.starts_with(prefix) && formats::is_json_of(members[i].value, before.substr(prefix.size()))) {
        state.json.append(before.substr(prefix.size()));
        copied = true;
      }
    }
    if (!copied) formats::append_json(state.json, members[i].value);
    state.ends.push_back(state.json.size());
  }
  state.json.push_back('}');
}

// The new state's text of an object as received: each member as received, metadata as recorded.
void write_state(const ObjectText& object, ObjectState& state) {
  state.json.clear();
  state.ends.clear();
  state.json.push_back('{');
  for (std::size_t i = 0; i < object.members.size(); ++i) {
    if (i > 0) state.json.push_back(',');
    formats::append_json_string(state.json, object.members[i].key);
    state.json.push_back(':');
    if (i == object.metadata) {
      formats::append_json(state.json, object.meta);
    } else {
      state.json.append(object.members[i].value);
    }
    state.ends.push_back(state.json.size());
  }
  state.json.push_back('}');
}

// The whole object as received, decoded: each member parsed, metadata as recorded.
Result<Value> decode(const ObjectText& object) {
  Value out = Value::object();
  for (std::size_t i = 0; i < object.members.size(); ++i) {
    const auto& member = object.members[i];
    if (i == object.metadata) {
      out.as_object().push_back(formats::Member{member.key, object.meta});
      continue;
    }
    auto value = formats::parse_json(member.value);
    if (!value) return fail(ErrorKind::parse, "an event's object is not JSON: " + value.error().message);
    out.as_object().push_back(formats::Member{member.key, std::move(*value)});
  }
  return out;
}

// The whole object as a patch that replaces what the target has (see diff_object).
Patch replacement(Value object) {
  object.set("$patch", "replace");
  return Patch{std::move(object), PatchKind::strategic};
}

// `patch` as the result: nullopt when it is empty.
std::optional<Patch> nonempty(Value patch, PatchKind kind) {
  if (patch.is_object() && patch.size() == 0) return std::nullopt;
  return Patch{std::move(patch), kind};
}

}  // namespace

ObjectState make_state(const Value& object) {
  thread_local ObjectState scratch;
  write_state(object, scratch, nullptr);
  return scratch;  // a copy, allocated at its size
}

Result<std::optional<Patch>> diff_object(ObjectState& state, Value& object, PatchKind kind) {
  // The new state is written into a buffer kept for the thread's next object, then copied over
  // the old one (whose buffer is usually large enough): no allocation of an object's size.
  thread_local ObjectState now;
  write_state(object, now, &state);
  if (state.json == now.json) return std::nullopt;
  std::optional<Value> patch = diff_changed(state, now, object, kind);
  state.json.assign(now.json);
  state.ends.assign(now.ends.begin(), now.ends.end());
  // No strategic diff exists (a merge-list element without its key): replace the whole object,
  // which strategic apply honours. A merge patch here would be misread as strategic.
  if (!patch) return std::optional{replacement(object)};
  return nonempty(std::move(*patch), kind);
}

Result<std::optional<Patch>> diff_text(ObjectState& state, const ObjectText& object, PatchKind kind) {
  if (state.ends.empty()) {
    auto whole = decode(object);
    if (!whole) return fail(whole.error());
    return diff_object(state, *whole, kind);
  }
  thread_local ObjectState now;
  write_state(object, now);
  if (state.json == now.json) return std::nullopt;
  TextMembers text{object};
  std::optional<Value> patch = diff_members(state, now, text, kind);
  if (text.unreadable) return fail(ErrorKind::parse, "an event's object is not JSON");
  std::optional<Patch> result;
  if (patch) {
    result = nonempty(std::move(*patch), kind);
  } else {
    auto whole = decode(object);  // no strategic diff exists: see diff_object
    if (!whole) return fail(whole.error());
    result = replacement(std::move(*whole));
  }
  state.json.assign(now.json);
  state.ends.assign(now.ends.begin(), now.ends.end());
  return result;
}

}  // namespace ktape::recorder
