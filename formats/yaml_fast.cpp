// The fast path of parse_yaml (see yaml_scalar.hpp): a line-oriented reader of the block subset
// that ktape and kubectl write. yaml-cpp reads about 3 MB/s; this reads the same documents an
// order of magnitude faster. It gives up (nullopt) on anything outside the subset, and yaml-cpp
// then reads the document, so it never has to be a complete or error-reporting YAML parser.
#include "formats/yaml_fast.hpp"

namespace ktape::formats::yaml_detail {

bool FastParser::insert(Object& members, std::unordered_set<std::string>& seen, std::string key, Value v) {
  // A repeated key: yaml-cpp's path handles it (the last one wins).
  if (members.size() < k_linear_key_check) {
    for (const auto& m : members) {
      if (m.key == key) return false;
    }
  } else {
    if (seen.empty()) {
      for (const auto& m : members) seen.insert(m.key);
    }
    if (!seen.insert(key).second) return false;
  }
  members.push_back(Member{std::move(key), std::move(v)});
  return true;
}

// A block mapping whose first key is at m_pos (column `column`), further keys on lines of their own.
bool FastParser::mapping(std::size_t column, Value& out) {
  Depth depth(m_depth);
  if (m_depth > k_max_depth) return false;
  out = Value::object();
  std::unordered_set<std::string> seen;
  bool first = true;
  while (true) {
    if (!first) {
      if (!skip_blank(false)) return false;
      if (at_end()) return true;
      Line l = current();
      if (l.indent < column) return true;
      if (l.indent > column || is_seq_entry(l)) return false;
      begin_line(l);
    }
    first = false;
    std::string k;
    Value v;
    if (!key(k) || !value(column, true, v)) return false;
    if (!insert(out.as_object(), seen, std::move(k), std::move(v))) return false;
  }
}

// A block sequence whose first "-" is at m_pos (column `column`).
bool FastParser::sequence(std::size_t column, Value& out) {
  Depth depth(m_depth);
  if (m_depth > k_max_depth) return false;
  out = Value::array();
  bool first = true;
  while (true) {
    if (!first) {
      if (!skip_blank(false)) return false;
      if (at_end()) return true;
      Line l = current();
      if (l.indent < column || (l.indent == column && !is_seq_entry(l))) return true;
      if (l.indent > column) return false;
      begin_line(l);
    }
    first = false;
    ++m_pos, ++m_col;  // the "-"
    if (m_pos < m_t.size() && m_t[m_pos] == ' ') {
      ++m_pos, ++m_col;
      if (m_pos < m_t.size() && m_t[m_pos] == ' ') return false;
    }
    Value v;
    if (!value(column, false, v)) return false;
    out.as_array().push_back(std::move(v));
  }
}

// A key at m_pos, through its ':' and the following space (or up to the end of the line).
bool FastParser::key(std::string& out) {
  if (m_pos >= m_t.size()) return false;
  char c = m_t[m_pos];
  if (c == '"' || c == '\'') {
    if (!quoted(out) || m_pos >= m_t.size() || m_t[m_pos] != ':') return false;
  } else {
    if (is_indicator(c) || (c == '-' && m_pos + 1 < m_t.size() && m_t[m_pos + 1] == ' ')) return false;
    std::size_t p = m_pos;
    while (p < m_t.size() && m_t[p] != '\n') {
      if (m_t[p] == ':' && (p + 1 == m_t.size() || m_t[p + 1] == ' ' || m_t[p + 1] == '\n')) break;
      if (m_t[p] == '\t' || m_t[p] == '\r' || (m_t[p] == '#' && m_t[p - 1] == ' ')) return false;
      ++p;
    }
    if (p == m_t.size() || m_t[p] != ':' || m_t[p - 1] == ' ') return false;
    std::string_view text = m_t.substr(m_pos, p - m_pos);
    if (text == "<<") return false;  // a merge key: yaml-cpp's path handles it
    out = plain_key(text);
    m_col += p - m_pos;
    m_pos = p;
  }
  ++m_pos, ++m_col;  // the ':', which a space or the end of the line must follow
  if (m_pos < m_t.size() && m_t[m_pos] == ' ') {
    ++m_pos, ++m_col;
    return true;
  }
  return m_pos == m_t.size() || m_t[m_pos] == '\n';
}

// The value at m_pos, after "key: " or "- " in a collection at `column`.
bool FastParser::value(std::size_t column, bool after_key, Value& out) {
  while (m_pos < m_t.size() && m_t[m_pos] == ' ') ++m_pos, ++m_col;
  if (m_pos >= m_t.size() || m_t[m_pos] == '\n') return block_value(column, after_key, out);
  std::size_t end = m_t.find('\n', m_pos);
  if (end == std::string_view::npos) end = m_t.size();
  std::string_view rest = m_t.substr(m_pos, end - m_pos);
  char c = rest[0];
  if (rest == "{}" || rest == "[]") {
    out = c == '{' ? Value::object() : Value::array();
    next_line(end);
    return true;
  }
  if (c == '|') return literal(column, out);
  if (!after_key && c == '-' && (rest.size() == 1 || rest[1] == ' ')) return sequence(m_col, out);
  if (c == '"' || c == '\'') {
    std::size_t start = m_pos, start_col = m_col;
    std::string s;
    std::size_t start_line = m_t.rfind('\n', m_pos);
    if (!quoted(s, c == '\'' ? column : k_single_line)) return false;
    if (m_pos < m_t.size() && m_t[m_pos] == ':') {  // "- "key": v" starts a mapping
      if (after_key || m_t.rfind('\n', m_pos) != start_line) return false;
      m_pos = start, m_col = start_col;
      return mapping(m_col, out);
    }
    out = Value(std::move(s));
    return finish_line();
  }
  if (is_indicator(c)) return false;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == ':' && (i + 1 == rest.size() || rest[i + 1] == ' ')) {
      return !after_key && mapping(m_col, out);  // "- key: v" starts a mapping
    }
  }
  return plain(column, end, out);
}

// Nothing follows "key:" or "-" on its line: a nested collection on the next lines, or null.
bool FastParser::block_value(std::size_t column, bool after_key, Value& out) {
  if (!at_end()) next_line(m_pos);
  if (!skip_blank(false)) return false;
  if (at_end()) {
    out = Value();
    return true;
  }
  Line l = current();
  bool entry = is_seq_entry(l);
  if (l.indent > column || (after_key && l.indent == column && entry)) {
    begin_line(l);
    return entry ? sequence(l.indent, out) : mapping(l.indent, out);
  }
  out = Value();
  return true;
}

std::optional<Value> parse_block_subset(std::string_view text) { return FastParser(text).parse(); }

}  // namespace ktape::formats::yaml_detail
