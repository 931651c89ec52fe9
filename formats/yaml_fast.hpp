#pragma once
// Private to formats/: the fast path of parse_yaml (see yaml_scalar.hpp), split over
// yaml_fast.cpp (collections) and yaml_fast_scalar.cpp (scalars).
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "formats/value.hpp"
#include "formats/yaml_scalar.hpp"

namespace ktape::formats::yaml_detail {

// Nesting deeper than this is left to yaml-cpp, whose own depth guard turns it into an error
// (each level is a stack frame here; "- - - ..." nests a level every two bytes).
constexpr std::size_t k_max_depth = 500;
// quoted()'s fold_column for scalars that must stay on one line (keys).
constexpr std::size_t k_single_line = static_cast<std::size_t>(-1);
// Mappings up to this size are checked for repeated keys by a linear search.
constexpr std::size_t k_linear_key_check = 16;

// Characters that a plain scalar ktape's fast path reads may not start with.
inline bool is_indicator(char c) {
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
      bool blank = l.content == l.end;
      if (blank ||
          (leading && m_col == 0 && (m_t[l.content] == '#' || m_t.substr(m_pos, l.end - m_pos) == "---"))) {
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

}  // namespace ktape::formats::yaml_detail
