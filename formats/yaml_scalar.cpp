#include "formats/yaml_scalar.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace ktape::formats::yaml_detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool in_list(std::string_view s, std::initializer_list<std::string_view> list) {
  for (auto item : list) {
    if (s == item) return true;
  }
  return false;
}

// go-yaml v2's resolve table entries that are not numbers.
Resolved resolve_word(std::string_view s) {
  Resolved r;
  if (in_list(s, {"~", "null", "Null", "NULL"})) {
    r.kind = PlainKind::null;
  } else if (in_list(s, {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"})) {
    r.kind = PlainKind::boolean;
    r.boolean = true;
  } else if (in_list(s, {"n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"})) {
    r.kind = PlainKind::boolean;
  } else if (in_list(s, {".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
                         "-.Inf", "-.INF"})) {
    r.kind = PlainKind::special_float;
  } else if (s == "<<") {
    r.kind = PlainKind::merge;
  }
  return r;
}

int digit_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

// Go's strconv.ParseInt/ParseUint(s, 0, 64) for a prefixed or octal literal (no sign, no
// underscores). Returns false when it is not one or does not fit in 64 bits.
bool parse_radix(std::string_view digits, int base, std::uint64_t& out) {
  if (digits.empty()) return false;
  std::uint64_t v = 0;
  for (char c : digits) {
    int d = digit_value(c);
    if (d >= base) return false;
    if (v > (UINT64_MAX - static_cast<std::uint64_t>(d)) / static_cast<std::uint64_t>(base)) return false;
    v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
  }
  out = v;
  return true;
}

// Integer forms: decimal of any width (exact text), or 0x/0o/0b/leading-0 literals within
// Go's int64 (signed) or uint64 (unsigned) range, converted to decimal.
bool resolve_int(std::string_view s, std::string& out) {
  bool negative = false;
  bool has_sign = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    has_sign = true;
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x' || p == 'o' || p == 'b') {
      base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  if (base == 10) {
    for (char c : s) {
      if (!is_digit(c)) return false;
    }
    out.clear();
    if (negative && s != "0") out += '-';
    out.append(s);
    return true;
  }
  std::uint64_t v = 0;
  if (!parse_radix(s, base, v)) return false;
  if (negative) {
    if (v > (std::uint64_t{1} << 63)) return false;
    out = v == 0 ? std::string("0") : std::string("-").append(std::to_string(v));
  } else {
    if (has_sign && v > static_cast<std::uint64_t>(INT64_MAX)) return false;  // ParseUint takes no sign
    out = std::to_string(v);
  }
  return true;
}

// yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$, as JSON number text;
// false when it does not match or overflows a double (Go's ParseFloat range error).
bool resolve_float(std::string_view s, std::string& out) {
  std::string text;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    if (s[i] == '-') text += '-';
    ++i;
  }
  std::size_t int_start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  std::string_view int_part = s.substr(int_start, i - int_start);
  std::string_view frac_part;
  bool has_dot = i < s.size() && s[i] == '.';
  if (has_dot) {
    std::size_t frac_start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    frac_part = s.substr(frac_start, i - frac_start);
  }
  if (int_part.empty() && frac_part.empty()) return false;
  std::string_view exponent = s.substr(i);
  if (!exponent.empty()) {
    std::size_t j = 1;
    if (exponent[0] != 'e' && exponent[0] != 'E') return false;
    if (j < exponent.size() && (exponent[j] == '+' || exponent[j] == '-')) ++j;
    if (j == exponent.size()) return false;
    for (; j < exponent.size(); ++j) {
      if (!is_digit(exponent[j])) return false;
    }
  }
  while (int_part.size() > 1 && int_part[0] == '0') int_part.remove_prefix(1);
  text += int_part.empty() ? "0" : std::string(int_part);
  if (has_dot) {
    text += '.';
    text += frac_part.empty() ? std::string_view("0") : frac_part;
  }
  text += exponent;
  if (std::isinf(std::strtod(text.c_str(), nullptr))) return false;
  out = std::move(text);
  return true;
}

Resolved resolve_numeric(std::string_view s) {
  Resolved r;
  std::string plain;
  plain.reserve(s.size());
  for (char c : s) {
    if (c != '_') plain += c;
  }
  if (resolve_int(plain, r.number) || resolve_float(plain, r.number)) r.kind = PlainKind::number;
  return r;
}

}  // namespace

std::string plain_key(std::string_view text) {
  auto r = resolve_plain(text);
  switch (r.kind) {
    case PlainKind::null:
      return "null";
    case PlainKind::boolean:
      return r.boolean ? "true" : "false";
    case PlainKind::number:
      return std::move(r.number);
    default:
      return std::string(text);
  }
}

Resolved resolve_plain(std::string_view s) {
  if (s.empty()) return Resolved{PlainKind::null, false, {}};
  switch (s[0]) {
    case 'y':
    case 'Y':
    case 'n':
    case 'N':
    case 't':
    case 'T':
    case 'f':
    case 'F':
    case 'o':
    case 'O':
    case '~':
    case '<':
      return resolve_word(s);
    case '.': {
      Resolved r = resolve_word(s);
      if (r.kind == PlainKind::string && resolve_float(s, r.number)) r.kind = PlainKind::number;
      return r;
    }
    case '+':
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9': {
      Resolved r = resolve_word(s);
      return r.kind == PlainKind::string ? resolve_numeric(s) : r;
    }
    default:
      return {};
  }
}

}  // namespace ktape::formats::yaml_detail

namespace ktape::formats::yaml_detail {

long decode_utf8(std::string_view s, std::size_t& i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) return s[i++];
  int extra = 0;
  long cp = 0;
  long min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    extra = 1, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    extra = 2, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    extra = 3, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return -1;
  }
  if (i + static_cast<std::size_t>(extra) >= s.size()) {
    ++i;
    return -1;
  }
  for (int k = 1; k <= extra; ++k) {
    unsigned char b = byte(i + static_cast<std::size_t>(k));
    if ((b & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

bool is_printable(long c) {
  if (c < 0x80) return c == '\t' || c == '\n' || (c >= 0x20 && c <= 0x7E);
  return (c >= 0xA0 && c <= 0xD7FF && c != 0x2028 && c != 0x2029) ||
         (c >= 0xE000 && c <= 0xFFFD && c != 0xFEFF) || (c >= 0x10000 && c <= 0x10FFFF);
}

namespace {

// Bytes that can never appear in a plain scalar ktape writes: controls, DEL, tab, and the
// indicators that matter inside one (":" and "#" are checked with their neighbours).
constexpr bool is_plain_breaker(unsigned char c) { return c < 0x20 || c == 0x7F; }

bool first_char_allows_plain(std::string_view s) {
  switch (s[0]) {
    case '!':
    case '&':
    case '*':
    case '|':
    case '>':
    case '\'':
    case '"':
    case '%':
    case '@':
    case '`':
    case '#':
    case ',':
    case '[':
    case ']':
    case '{':
    case '}':
    case '?':
    case ':':
    case ' ':
      return false;
    case '-':
      return s.size() > 1 && s[1] != ' ' && s.substr(0, 3) != "---";
    case '.':
      return s.substr(0, 3) != "...";
    default:
      return true;
  }
}

// True when none of the 8 bytes of `w` needs a look in plain_string_is_safe: each is printable
// ASCII (0x20..0x7E) and neither ':' nor '#' (the word tricks of "has a zero byte", exact as to
// whether any byte matches).
bool plain_word(std::uint64_t w) {
  constexpr std::uint64_t k_ones = 0x0101010101010101ULL, k_highs = 0x8080808080808080ULL;
  auto has_zero = [&](std::uint64_t x) { return ((x - k_ones) & ~x & k_highs) != 0; };
  if ((w & k_highs) != 0) return false;                         // non-ASCII
  if (((w - k_ones * 0x20) & ~w & k_highs) != 0) return false;  // a control character
  return !has_zero(w ^ (k_ones * 0x7F)) && !has_zero(w ^ (k_ones * ':')) && !has_zero(w ^ (k_ones * '#'));
}

}  // namespace

bool plain_string_is_safe(std::string_view s) {
  if (s.empty() || !first_char_allows_plain(s) || s.back() == ' ' || s.back() == ':') return false;
  for (std::size_t i = 0; i < s.size();) {
    if (s.size() - i >= 8) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (plain_word(w)) {
        i += 8;
        continue;
      }
    }
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (is_plain_breaker(c)) return false;
      if (c == ':' && i + 1 < s.size() && s[i + 1] == ' ') return false;
      if (c == '#' && s[i - 1] == ' ') return false;  // i > 0: s[0] == '#' was refused above
      ++i;
    } else if (!is_printable(decode_utf8(s, i))) {
      return false;
    }
  }
  return resolve_plain(s).kind == PlainKind::string;
}

}  // namespace ktape::formats::yaml_detail
