// The UID fields of uid_fields.hpp, re-linked in objects and patches.
#include <charconv>

#include "ownerref/refs.hpp"
#include "ownerref/uid_fields.hpp"

namespace ktape::ownerref {

namespace {

using formats::Value;
using Path = std::span<const std::string_view>;

// Calls `leaf` on every value at `path` under `node` ("*": each element of a list).
template <typename Leaf>
void for_each_at(Value& node, Path path, const Leaf& leaf) {
  if (path.empty()) return leaf(node);
  if (path.front() == "*") {
    if (!node.is_array()) return;
    for (Value& element : node.as_array()) for_each_at(element, path.subspan(1), leaf);
    return;
  }
  if (Value* child = node.find(path.front())) for_each_at(*child, path.subspan(1), leaf);
}

// Replaces every mapped UID at `path` under `node`; returns how many.
std::size_t map_at(const FindUid& find, Value& node, Path path) {
  std::size_t rewritten = 0;
  for_each_at(node, path, [&](Value& uid) {
    if (!uid.is_string()) return;
    if (const std::string* mapped = find(uid.as_string())) {
      uid = Value(*mapped);
      ++rewritten;
    }
  });
  return rewritten;
}

// Removes the member at `path` (no "*" in it); true when it was there.
bool erase_at(Value& node, Path path) {
  Value* parent = &node;
  for (std::size_t i = 0; i + 1 < path.size() && parent; ++i) parent = parent->find(path[i]);
  return parent && parent->is_object() && parent->erase(path.back());
}

bool is_true_at(const Value& node, Path path) {
  const Value* at = &node;
  for (std::string_view segment : path)
    if (at = at->find(segment); !at) return false;
  return at->is_bool() && at->as_bool();
}

// A JSON pointer's reference tokens ("/a/b~1c" -> a, b/c); nullopt when it is not a pointer.
std::optional<std::vector<std::string>> tokens_of(std::string_view pointer) {
  std::vector<std::string> out;
  if (pointer.empty()) return out;
  if (pointer.front() != '/') return std::nullopt;
  for (std::size_t at = 1;;) {
    std::size_t end = pointer.find('/', at);
    std::string_view raw = pointer.substr(at, end == std::string_view::npos ? end : end - at);
    std::string token;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token.push_back(raw[++i] == '0' ? '~' : '/');
      } else {
        token.push_back(raw[i]);
      }
    }
    out.push_back(std::move(token));
    if (end == std::string_view::npos) return out;
    at = end + 1;
  }
}

bool is_index(std::string_view token) {
  if (token == "-") return true;
  unsigned long n = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), n);
  return !token.empty() && ec == std::errc{} && end == token.data() + token.size();
}

// What remains of `path` below the operation's `tokens`, or nullopt when they do not lead into it.
std::optional<Path> below(Path path, const std::vector<std::string>& tokens) {
  if (tokens.size() > path.size()) return std::nullopt;
  for (std::size_t i = 0; i < tokens.size(); ++i)
    if (path[i] == "*" ? !is_index(tokens[i]) : path[i] != tokens[i]) return std::nullopt;
  return path.subspan(tokens.size());
}

std::size_t relink_json(const FindUid& find, Value& patch, const std::vector<const UidField*>& fields) {
  if (!patch.is_array()) return 0;
  std::size_t rewritten = 0;
  for (Value& op : patch.as_array()) {
    std::string_view verb = op.string_at({"op"});
    const Value* pointer = op.find("path");
    Value* value = op.find("value");
    if ((verb != "add" && verb != "replace" && verb != "test") || !value || !pointer || !pointer->is_string())
      continue;
    auto tokens = tokens_of(pointer->as_string());
    if (!tokens) continue;
    for (const UidField* field : fields)
      if (auto rest = below(field->path, *tokens)) rewritten += map_at(find, *value, *rest);
  }
  return rewritten;
}

}  // namespace

FieldRelink relink_object_fields(const FindUid& find, Value& object) {
  FieldRelink out;
  if (!object.is_object()) return out;
  for (const UidField* field :
       uid_fields_of(group_of(object.string_at({"apiVersion"})), object.string_at({"kind"}))) {
    if (field->relink == Relink::generated && !is_true_at(object, field->unless)) {
      if (erase_at(object, field->drop)) ++out.left_to_server;
      continue;
    }
    out.rewritten += map_at(find, object, field->path);
  }
  return out;
}

FieldRelink relink_patch_fields(const FindUid& find, formats::PatchType type, Value& patch,
                                std::string_view group, std::string_view kind) {
  FieldRelink out;
  auto fields = uid_fields_of(group, kind);
  if (fields.empty()) return out;
  if (type == formats::PatchType::json) {
    out.rewritten = relink_json(find, patch, fields);
    return out;
  }
  for (const UidField* field : fields) out.rewritten += map_at(find, patch, field->path);
  return out;
}

}  // namespace ktape::ownerref
