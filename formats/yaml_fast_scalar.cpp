// The scalars of the fast path (see yaml_fast.hpp): plain (with go-yaml's folded lines), quoted
// and literal block scalars.
#include "formats/yaml_fast.hpp"

namespace ktape::formats::yaml_detail {
namespace {

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

}  // namespace

// Characters that end or break a plain scalar line: a tab, a carriage return or a comment.
static bool plain_line_ok(std::string_view s) {
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

}  // namespace ktape::formats::yaml_detail
