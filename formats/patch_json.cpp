// RFC 6902 JSON patch over Values, with RFC 6901 JSON pointers.
#include <charconv>
#include <string>
#include <vector>

#include "formats/patch.hpp"

namespace ktape::formats {
namespace {

using Tokens = std::vector<std::string>;

// RFC 6901: "" is the whole document; every other pointer is "/"-separated, "~1" is "/" and
// "~0" is "~"; any other "~" sequence is malformed.
Result<Tokens> parse_pointer(std::string_view pointer) {
  Tokens tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') return fail(ErrorKind::invalid, "a JSON pointer must start with \"/\"");
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
    } else if (pointer[i] == '~') {
      const char next = i + 1 < pointer.size() ? pointer[i + 1] : '\0';
      if (next != '0' && next != '1') return fail(ErrorKind::invalid, "\"~\" must be followed by 0 or 1");
      token.push_back(next == '0' ? '~' : '/');
      ++i;
    } else {
      token.push_back(pointer[i]);
    }
  }
  return tokens;
}

// An array index: decimal digits without a leading zero. `size` bounds it (inclusive when
// `allow_end`, as add may insert at the end).
Result<std::size_t> parse_index(const std::string& token, std::size_t size, bool allow_end) {
  std::size_t index = 0;
  const char* end = token.data() + token.size();
  const bool leading_zero = token.size() > 1 && token.front() == '0';
  auto [ptr, ec] = std::from_chars(token.data(), end, index);
  if (token.empty() || leading_zero || ec != std::errc() || ptr != end)
    return fail(ErrorKind::invalid, "\"" + token + "\" is not an array index");
  if (index > size || (index == size && !allow_end))
    return fail(ErrorKind::invalid,
                "index " + token + " is out of range (size " + std::to_string(size) + ")");
  return index;
}

// The value at tokens[0, count), or an Error naming the first missing step.
Result<Value*> walk(Value& doc, const Tokens& tokens, std::size_t count) {
  Value* at = &doc;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& token = tokens[i];
    if (at->is_object()) {
      at = at->find(token);
      if (at == nullptr) return fail(ErrorKind::invalid, "no member \"" + token + "\"");
    } else if (at->is_array()) {
      auto index = parse_index(token, at->size(), false);
      if (!index) return fail(index.error());
      at = &at->as_array()[*index];
    } else {
      return fail(ErrorKind::invalid, "\"" + token + "\" steps into a scalar");
    }
  }
  return at;
}

Result<void> add_at(Value& doc, const Tokens& path, Value value) {
  if (path.empty()) {
    doc = std::move(value);
    return {};
  }
  auto parent = walk(doc, path, path.size() - 1);
  if (!parent) return fail(parent.error());
  Value& container = **parent;
  const std::string& last = path.back();
  if (container.is_object()) {
    container.set(last, std::move(value));
    return {};
  }
  if (!container.is_array()) return fail(ErrorKind::invalid, "the parent is neither an object nor an array");
  Array& array = container.as_array();
  if (last == "-") {
    array.push_back(std::move(value));
    return {};
  }
  auto index = parse_index(last, array.size(), true);
  if (!index) return fail(index.error());
  array.insert(array.begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
  return {};
}

Result<Value> remove_at(Value& doc, const Tokens& path) {
  if (path.empty()) return fail(ErrorKind::invalid, "cannot remove the whole document");
  auto parent = walk(doc, path, path.size() - 1);
  if (!parent) return fail(parent.error());
  Value& container = **parent;
  const std::string& last = path.back();
  if (container.is_object()) {
    Value* member = container.find(last);
    if (member == nullptr) return fail(ErrorKind::invalid, "no member \"" + last + "\"");
    Value removed = std::move(*member);
    container.erase(last);
    return removed;
  }
  if (!container.is_array()) return fail(ErrorKind::invalid, "the parent is neither an object nor an array");
  auto index = parse_index(last, container.size(), false);
  if (!index) return fail(index.error());
  Array& array = container.as_array();
  Value removed = std::move(array[*index]);
  array.erase(array.begin() + static_cast<std::ptrdiff_t>(*index));
  return removed;
}

bool is_proper_prefix(const Tokens& prefix, const Tokens& path) {
  if (prefix.size() >= path.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (prefix[i] != path[i]) return false;
  return true;
}

struct Operation {
  std::string op;
  std::string path_text;
  Tokens path;
  Tokens from;
  const Value* value = nullptr;
};

Result<Operation> read_operation(const Value& entry) {
  if (!entry.is_object()) return fail(ErrorKind::invalid, "an operation must be a JSON object");
  Operation op;
  const Value* name = entry.find("op");
  const Value* path = entry.find("path");
  if (name == nullptr || !name->is_string())
    return fail(ErrorKind::invalid, "\"op\" is missing or not a string");
  if (path == nullptr || !path->is_string())
    return fail(ErrorKind::invalid, "\"path\" is missing or not a string");
  op.op = name->as_string();
  op.path_text = path->as_string();
  auto tokens = parse_pointer(op.path_text);
  if (!tokens) return fail(tokens.error());
  op.path = std::move(*tokens);
  op.value = entry.find("value");
  if ((op.op == "add" || op.op == "replace" || op.op == "test") && op.value == nullptr)
    return fail(ErrorKind::invalid, "\"" + op.op + "\" needs a \"value\"");
  if (op.op == "move" || op.op == "copy") {
    const Value* from = entry.find("from");
    if (from == nullptr || !from->is_string())
      return fail(ErrorKind::invalid, "\"from\" is missing or not a string");
    auto from_tokens = parse_pointer(from->as_string());
    if (!from_tokens) return fail(from_tokens.error());
    op.from = std::move(*from_tokens);
  }
  return op;
}

Result<void> run_operation(Value& doc, const Operation& op) {
  if (op.op == "add") return add_at(doc, op.path, *op.value);
  if (op.op == "remove") {
    auto removed = remove_at(doc, op.path);
    if (!removed) return fail(removed.error());
    return {};
  }
  if (op.op == "replace") {
    auto target = walk(doc, op.path, op.path.size());
    if (!target) {
      // kube-apiserver's json-patch replaces a missing member of an object as "add" would
      // (checked on 1.32); a missing array index still fails.
      if (!op.path.empty()) {
        auto parent = walk(doc, op.path, op.path.size() - 1);
        if (parent && (*parent)->is_object()) return add_at(doc, op.path, *op.value);
      }
      return fail(target.error());
    }
    **target = *op.value;
    return {};
  }
  if (op.op == "test") {
    auto target = walk(doc, op.path, op.path.size());
    if (!target) return fail(target.error());
    // The values are not quoted: they may be Secret data.
    if (**target != *op.value) return fail(ErrorKind::invalid, "test failed: the value differs");
    return {};
  }
  if (op.op == "move") {
    if (is_proper_prefix(op.from, op.path))
      return fail(ErrorKind::invalid, "cannot move a value into itself");
    auto moved = remove_at(doc, op.from);
    if (!moved) return fail(moved.error());
    return add_at(doc, op.path, std::move(*moved));
  }
  if (op.op == "copy") {
    auto source = walk(doc, op.from, op.from.size());
    if (!source) return fail(source.error());
    Value copy = **source;
    return add_at(doc, op.path, std::move(copy));
  }
  return fail(ErrorKind::invalid, "unknown op \"" + op.op + "\"");
}

}  // namespace

Result<Value> apply_json_patch(const Value& target, const Value& patch) {
  if (!patch.is_array())
    return fail(ErrorKind::invalid, "json patch: the document must be a JSON array of operations");
  Value doc = target;
  const Array& ops = patch.as_array();
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const std::string where = "json patch operation " + std::to_string(i);
    auto op = read_operation(ops[i]);
    if (!op) return fail(with_context(op.error(), where));
    auto done = run_operation(doc, *op);
    if (!done) return fail(with_context(done.error(), where + " (" + op->op + " \"" + op->path_text + "\")"));
  }
  return doc;
}

}  // namespace ktape::formats
