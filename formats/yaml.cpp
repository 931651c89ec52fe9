// The YAML emitter: block style as kubectl prints it, written straight into a string. yaml-cpp's
// emitter is several times slower than this and is only used as the oracle in tests. The reader
// (parse_yaml) lives in yaml_parse.cpp.
#include <string>

#include "formats/yaml.hpp"
#include "formats/yaml_scalar.hpp"

namespace ktape::formats {
namespace {

using yaml_detail::decode_utf8;
using yaml_detail::is_printable;

// libyaml (and so go-yaml) refuses implicit keys longer than 1024 characters.
constexpr std::size_t k_max_implicit_key = 1000;

constexpr char k_hex[] = "0123456789ABCDEF";

void append_escape(std::string& out, long c) {
  switch (c) {
    case 0:
      out += "\\0";
      return;
    case '\a':
      out += "\\a";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\v':
      out += "\\v";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\r':
      out += "\\r";
      return;
    case 0x1B:
      out += "\\e";
      return;
    default:
      break;
  }
  int digits = c < 0x100 ? 2 : c < 0x10000 ? 4 : 8;
  out += digits == 2 ? "\\x" : digits == 4 ? "\\u" : "\\U";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += k_hex[(c >> shift) & 0xF];
}

// A double-quoted scalar on one line. Bytes that are not valid UTF-8 cannot be represented in
// YAML at all; each is written as \xNN, which reads back as the code point U+00NN.
void append_double_quoted(std::string& out, std::string_view s) {
  out += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0x20 && b < 0x7F && b != '"' && b != '\\') {
      ++i;
      continue;
    }
    out.append(s.data() + run, i - run);
    std::size_t start = i;
    long c = b < 0x80 ? (++i, static_cast<long>(b)) : decode_utf8(s, i);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0) {
      append_escape(out, b);
    } else if (c >= 0x80 && is_printable(c)) {
      out.append(s.data() + start, i - start);
    } else {
      append_escape(out, c);
    }
    run = i;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

// A literal block scalar keeps a multi-line string readable when every character may appear
// unescaped. Carriage returns would be normalized away by a reader, so they force quoting, and so
// does a string of only spaces and line breaks (nothing to anchor the indentation on).
bool fits_literal_block(std::string_view s) {
  if (s.find('\n') == std::string_view::npos) return false;
  bool has_content = false;
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b == '\r' || (b < 0x20 && b != '\n' && b != '\t') || b == 0x7F) return false;
      has_content = has_content || (b != ' ' && b != '\n');
      ++i;
    } else if (!is_printable(decode_utf8(s, i))) {
      return false;
    } else {
      has_content = true;
    }
  }
  return has_content;
}

// `indent` is the column of the collection holding the scalar; content goes two columns deeper.
void append_literal_block(std::string& out, std::string_view s, std::size_t indent) {
  out += '|';
  std::size_t first = s.find_first_not_of('\n');
  if (s[first] == ' ') out += '2';  // the reader cannot guess the indentation from a space
  std::size_t trailing = s.size() - 1 - s.find_last_not_of('\n');
  if (trailing == 0) out += '-';
  if (trailing > 1) out += '+';
  out += '\n';
  std::string_view body = trailing > 0 ? s.substr(0, s.size() - 1) : s;
  std::size_t start = 0;
  while (true) {
    std::size_t end = body.find('\n', start);
    std::string_view line = body.substr(start, end == std::string_view::npos ? body.npos : end - start);
    if (!line.empty()) out.append(indent + 2, ' ').append(line);
    out += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
}

void append_string(std::string& out, std::string_view s, std::size_t indent, bool allow_block) {
  if (yaml_detail::plain_string_is_safe(s)) {
    out += s;
  } else if (allow_block && fits_literal_block(s)) {
    append_literal_block(out, s, indent);
    return;
  } else {
    append_double_quoted(out, s);
  }
  out += '\n';
}

// A scalar or empty collection, then the end of the line (a block scalar writes its own lines).
void append_leaf(std::string& out, const Value& v, std::size_t indent) {
  switch (v.type()) {
    case Value::Type::null:
      out += "null\n";
      return;
    case Value::Type::boolean:
      out += v.as_bool() ? "true\n" : "false\n";
      return;
    case Value::Type::number:
      out += v.number_text();
      out += '\n';
      return;
    case Value::Type::string:
      append_string(out, v.as_string(), indent, true);
      return;
    case Value::Type::array:
      out += "[]\n";
      return;
    case Value::Type::object:
      out += "{}\n";
      return;
  }
}

bool is_leaf(const Value& v) { return !(v.is_object() || v.is_array()) || v.size() == 0; }

// A key is plain or double-quoted; one too long for an implicit key becomes an explicit "? key".
void append_key(std::string& out, std::string_view key, std::size_t indent) {
  if (key.size() <= k_max_implicit_key && yaml_detail::plain_string_is_safe(key)) {
    out += key;
    return;
  }
  std::size_t start = out.size();
  append_double_quoted(out, key);
  if (out.size() - start > k_max_implicit_key) {
    out.insert(start, "? ");
    out.append("\n").append(indent, ' ');
  }
}

void append_sequence(std::string& out, const Array& items, std::size_t indent, bool first_inline);

void append_mapping(std::string& out, const Object& members, std::size_t indent, bool first_inline) {
  bool inline_next = first_inline;
  for (const auto& m : members) {
    if (!inline_next) out.append(indent, ' ');
    inline_next = false;
    append_key(out, m.key, indent);
    out += ':';
    if (is_leaf(m.value)) {
      out += ' ';
      append_leaf(out, m.value, indent);
    } else if (m.value.is_object()) {
      out += '\n';
      append_mapping(out, m.value.as_object(), indent + 2, false);
    } else {
      out += '\n';
      append_sequence(out, m.value.as_array(), indent, false);
    }
  }
}

void append_sequence(std::string& out, const Array& items, std::size_t indent, bool first_inline) {
  bool inline_next = first_inline;
  for (const auto& item : items) {
    if (!inline_next) out.append(indent, ' ');
    inline_next = false;
    out += "- ";
    if (is_leaf(item)) {
      append_leaf(out, item, indent);
    } else if (item.is_object()) {
      append_mapping(out, item.as_object(), indent + 2, true);
    } else {
      append_sequence(out, item.as_array(), indent + 2, true);
    }
  }
}

}  // namespace

void append_yaml(std::string& out, const Value& value) {
  if (is_leaf(value)) {
    append_leaf(out, value, 0);
  } else if (value.is_object()) {
    append_mapping(out, value.as_object(), 0, false);
  } else {
    append_sequence(out, value.as_array(), 0, false);
  }
}

std::string to_yaml(const Value& value) {
  std::string out;
  append_yaml(out, value);
  return out;
}

}  // namespace ktape::formats
