// The fast path of parse_yaml (see yaml_scalar.hpp): a line-oriented reader of the block subset
// that ktape and kubectl write. yaml-cpp reads about 3 MB/s; this reads the same documents an
// order of magnitude faster. It gives up (nullopt) on anything outside the subset, and yaml-cpp
// then reads the document, so it never has to be a complete or error-reporting YAML parser.
#include <unordered_set>

#include "formats/yaml_scalar.hpp"

namespace ktape::formats::yaml_detail {
namespace {

// Nesting deeper than this is left to yaml-cpp, whose own depth guard turns it into an error
// (each level is a stack frame here; "- - - ..." nests a level every two bytes).
constexpr std::size_t k_max_depth = 500;
// quoted()'s fold_column for scalars that must stay on one line (keys).
constexpr std::size_t k_single_line = static_cast<std::size_t>(-1);
// Mappings up to this size are checked for repeated keys by a linear search.
constexpr std::size_t k_linear_key_check = 16;

bool is_indicator(char c) {
  switch (c) {
    case '[':
    case ']':
    case '{':
    case '}':
    case '#':
    case '&':
    case '*':
    case '!':
    case '|':
    case '>':
    case '\'':
    case '"':
    case '%':
    case '@':
    case ',':
    case '?':
    case ':':
    case '`':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

void append_utf8(std::string& out, unsigned long c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

char simple_escape(char c) {
  switch (c) {
    case '0':
      return '\0';
    case 'a':
      return '\a';
    case 'b':
      return '\b';
    case 't':
    case '\t':
      return '\t';
    case 'n':
      return '\n';
    case 'v':
      return '\v';
    case 'f':
      return '\f';
    case 'r':
      return '\r';
    case 'e':
      return '\x1b';
    case ' ':
      return ' ';
    case '"':
      return '"';
    case '/':
      return '/';
    case '\\':
      return '\\';
    default:
      return 1;  // not a one-character escape
  }
}

class FastParser {
 public:
  explicit FastParser(std::string_view text) : m_t(text) {}

  std::optional<Value> parse() {
    if (!skip_blank(true) || at_end()) return std::nullopt;
    Line l = current();
    Value root;
    bool ok = is_seq_entry(l) ? (begin_line(l), sequence(l.indent, root))
                              : (begin_line(l), mapping(l.indent, root));
    if (!ok || !skip_blank(false) || !at_end()) return std::nullopt;
    return root;
  }

 private:
  struct Line {
    std::size_t indent;   // column of the first non-space character
    std::size_t content;  // offset of that character
    std::size_t end;      // offset of the line's '\n' (or the end of the text)
  };

  bool at_end() const { return m_pos >= m_t.size(); }
  Line current() const {
    std::size_t p = m_pos;
    while (p < m_t.size() && m_t[p] == ' ') ++p;
    std::size_t end = m_t.find('\n', p);
    if (end == std::string_view::npos) end = m_t.size();
    return Line{m_col + (p - m_pos), p, end};
  }
  void begin_line(const Line& l) {
    m_pos = l.content;
    m_col = l.indent;
  }
  void next_line(std::size_t end) {
    m_pos = end + 1;
    m_col = 0;
  }
  bool is_seq_entry(const Line& l) const {
    return m_t[l.content] == '-' && (l.content + 1 == l.end || m_t[l.content + 1] == ' ');
  }

  // Skips blank lines; comment lines are allowed only before the content (and a bare "---").
  bool skip_blank(bool leading) {
    while (!at_end()) {
      Line l = current();
      if (l.content == l.end) {
        next_line(l.end);
      } else if (leading && m_col == 0 &&
                 (m_t[l.content] == '#' || m_t.substr(m_pos, l.end - m_pos) == "---")) {
        next_line(l.end);
      } else {
        std::string_view head = m_t.substr(l.content, 4);
        bool marker = m_col == 0 && l.indent == 0 && (head.starts_with("---") || head.starts_with("..."));
        return !marker && m_t[l.content] != '#' && m_t[l.content] != '\t' && m_t[l.content] != '\r';
      }
    }
    return true;
  }

  bool mapping(std::size_t column, Value& out);
  bool sequence(std::size_t column, Value& out);
  bool value(std::size_t column, bool after_key, Value& out);
  bool block_value(std::size_t column, bool after_key, Value& out);
  bool key(std::string& out);
  bool plain(std::size_t column, std::size_t end, Value& out);
  bool plain_continuation(std::size_t column, std::string_view first, std::size_t& end,
                          std::string& text) const;
  // `fold_column`: a single-quoted scalar may continue on lines deeper than this column
  // (k_single_line: it may not).
  bool quoted(std::string& out, std::size_t fold_column = k_single_line);
  bool fold_line_break(std::size_t column, std::size_t& p, std::string& out) const;
  bool literal(std::size_t column, Value& out);
  bool rest_is_blank() {
    while (m_pos < m_t.size() && m_t[m_pos] == ' ') ++m_pos;
    return m_pos == m_t.size() || m_t[m_pos] == '\n';
  }
  bool finish_line() {
    if (!rest_is_blank()) return false;
    next_line(m_pos);
    return true;
  }
  static bool insert(Object& members, std::unordered_set<std::string>& seen, std::string key, Value v);
  bool literal_indent(std::size_t column, int indicator, std::size_t& indent) const;

  // Counts one nesting level for as long as it lives.
  struct Depth {
    explicit Depth(std::size_t& depth) : m_depth(depth) { ++m_depth; }
    Depth(const Depth&) = delete;
    Depth& operator=(const Depth&) = delete;
    ~Depth() { --m_depth; }
    std::size_t& m_depth;
  };

  std::string_view m_t;
  std::size_t m_depth = 0;
  std::size_t m_pos = 0;
  std::size_t m_col = 0;  // column of m_pos
};

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

// Characters that end or break a plain scalar line: a tab, a carriage return or a comment.
bool plain_line_ok(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\t' || c == '\r' || (c == '#' && i > 0 && s[i - 1] == ' ')) return false;
    if (c == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) return false;
  }
  return true;
}

// Appends the lines that continue a plain scalar (go-yaml folds long strings this way): deeper
// than the collection, each folded into a space (or kept line breaks for empty lines between).
// Leaves `end` at the end of the last line taken.
bool FastParser::plain_continuation(std::size_t column, std::string_view first, std::size_t& end,
                                    std::string& text) const {
  std::size_t breaks = 0;
  for (std::size_t q = end + 1; q < m_t.size();) {
    std::size_t c = q;
    while (c < m_t.size() && m_t[c] == ' ') ++c;
    std::size_t e = m_t.find('\n', c);
    if (e == std::string_view::npos) e = m_t.size();
    if (c == e) {  // an empty line
      ++breaks;
      q = e + 1;
      continue;
    }
    if (c - q <= column) return true;  // the scalar ended; this line belongs to a collection
    std::size_t stop = e;
    while (stop > c && m_t[stop - 1] == ' ') --stop;
    std::string_view line = m_t.substr(c, stop - c);
    if (is_indicator(line[0]) || line[0] == '-' || !plain_line_ok(line)) return false;
    if (text.empty()) text.assign(first);
    text.append(breaks == 0 ? std::string(" ") : std::string(breaks, '\n'));
    text.append(line);
    breaks = 0;
    end = e;
    q = e + 1;
  }
  return true;
}

bool FastParser::plain(std::size_t column, std::size_t end, Value& out) {
  std::size_t stop = end;
  while (stop > m_pos && m_t[stop - 1] == ' ') --stop;
  std::string_view s = m_t.substr(m_pos, stop - m_pos);
  if (s.front() == '-' && (s.size() == 1 || s[1] == ' ')) return false;
  if (!plain_line_ok(s)) return false;
  std::string folded;
  std::size_t last = end;
  if (end < m_t.size()) {
    if (!plain_continuation(column, s, last, folded)) return false;
    if (last != end) s = folded;
  }
  auto r = resolve_plain(s);
  switch (r.kind) {
    case PlainKind::null:
      out = Value();
      break;
    case PlainKind::boolean:
      out = Value(r.boolean);
      break;
    case PlainKind::number:
      out = Value(Number{std::move(r.number)});
      break;
    case PlainKind::string:
      out = Value(s);
      break;
    default:
      return false;
  }
  next_line(last);
  return true;
}

// Folds the line break at p inside a single-quoted scalar (as go-yaml wraps long strings): the
// spaces around it go, one break becomes a space, n + 1 breaks become n newlines. The next
// non-empty line must be deeper than `column`; p is left at its first character.
bool FastParser::fold_line_break(std::size_t column, std::size_t& p, std::string& out) const {
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  if (out.empty()) return false;  // yaml-cpp folds a break next to an empty side its own way
  std::size_t breaks = 0;
  while (p < m_t.size() && m_t[p] == '\n') {
    std::size_t start = ++p;
    while (p < m_t.size() && m_t[p] == ' ') ++p;
    if (p >= m_t.size() || m_t[p] == '\t' || m_t[p] == '\r') return false;
    if (m_t[p] == '\n') {
      ++breaks;
    } else if (p - start <= column || m_t[p] == '\'') {
      return false;
    }
  }
  out.append(breaks == 0 ? std::string(" ") : std::string(breaks, '\n'));
  return true;
}

// A quoted scalar at m_pos; leaves m_pos after the closing quote.
bool FastParser::quoted(std::string& out, std::size_t fold_column) {
  char q = m_t[m_pos];
  std::size_t p = m_pos + 1;
  while (true) {
    std::size_t run = p;
    while (p < m_t.size() && m_t[p] != q && m_t[p] != '\\' && m_t[p] != '\n') ++p;
    out.append(m_t.substr(run, p - run));
    if (p >= m_t.size()) return false;  // unclosed: yaml-cpp's job
    if (m_t[p] == '\n') {
      if (q != '\'' || fold_column == k_single_line || !fold_line_break(fold_column, p, out)) return false;
      continue;
    }
    if (m_t[p] == q) {
      if (q == '\'' && p + 1 < m_t.size() && m_t[p + 1] == '\'') {
        out += '\'';
        p += 2;
        continue;
      }
      break;
    }
    if (q == '\'') {  // a backslash is an ordinary character in single quotes
      out += '\\';
      ++p;
      continue;
    }
    if (++p >= m_t.size()) return false;
    char e = m_t[p++];
    char simple = simple_escape(e);
    if (simple != 1) {
      out += simple;
      continue;
    }
    std::size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
    if (digits == 0 || p + digits > m_t.size()) return false;  // \N, \_, \L, \P and line folding
    unsigned long c = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      char h = m_t[p + i];
      int d = h >= '0' && h <= '9'                     ? h - '0'
              : (h | 0x20) >= 'a' && (h | 0x20) <= 'f' ? (h | 0x20) - 'a' + 10
                                                       : -1;
      if (d < 0) return false;
      c = c * 16 + static_cast<unsigned long>(d);
    }
    if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) return false;
    append_utf8(out, c);
    p += digits;
  }
  m_col += p + 1 - m_pos;
  m_pos = p + 1;
  return true;
}

// The content indentation of a literal block: from its indicator, else from the first non-empty
// line, which must be deeper than the collection and than any empty line before it.
bool FastParser::literal_indent(std::size_t column, int indicator, std::size_t& indent) const {
  if (indicator > 0) {
    indent = column + static_cast<std::size_t>(indicator);
    return true;
  }
  std::size_t longest_blank = 0;
  for (std::size_t q = m_pos; q < m_t.size();) {
    std::size_t s = q;
    while (s < m_t.size() && m_t[s] == ' ') ++s;
    if (s >= m_t.size()) return false;
    if (m_t[s] != '\n') {
      indent = s - q;
      return indent > column && longest_blank <= indent;
    }
    longest_blank = std::max(longest_blank, s - q);
    q = s + 1;
  }
  return false;
}

// A literal block scalar ("|", with an optional indentation indicator and chomping) at m_pos.
bool FastParser::literal(std::size_t column, Value& out) {
  std::size_t end = m_t.find('\n', m_pos);
  if (end == std::string_view::npos) return false;
  int indicator = 0;
  char chomp = 0;
  for (char c : m_t.substr(m_pos + 1, end - m_pos - 1)) {
    if (c >= '1' && c <= '9' && indicator == 0) {
      indicator = c - '0';
    } else if ((c == '-' || c == '+') && chomp == 0) {
      chomp = c;
    } else {
      return false;
    }
  }
  next_line(end);
  std::size_t indent = 0;
  if (!literal_indent(column, indicator, indent)) return false;
  std::string text;
  std::size_t empties = 0;
  bool any = false;
  while (m_pos < m_t.size()) {
    std::size_t e = m_t.find('\n', m_pos);
    if (e == std::string_view::npos) return false;  // an unterminated last line: yaml-cpp's job
    std::string_view line = m_t.substr(m_pos, e - m_pos);
    std::size_t spaces = 0;
    while (spaces < line.size() && line[spaces] == ' ') ++spaces;
    if (spaces == line.size() && spaces <= indent) {
      ++empties;
    } else if (spaces < indent) {
      break;
    } else {
      if (line.find('\r') != std::string_view::npos) return false;
      text.append(empties + (any ? 1 : 0), '\n');
      text.append(line.substr(indent));
      empties = 0;
      any = true;
    }
    next_line(e);
  }
  if (!any) return false;
  if (chomp != '-') text += '\n';
  if (chomp == '+') text.append(empties, '\n');
  out = Value(std::move(text));
  return true;
}

}  // namespace

std::optional<Value> parse_block_subset(std::string_view text) { return FastParser(text).parse(); }

}  // namespace ktape::formats::yaml_detail
