// split_json_object: a structural walk over JSON text that finds where each member of an object
// begins and ends. It allocates nothing but the member list and reads each byte once.
#include <cstring>

#include "formats/json.hpp"

namespace ktape::formats {
namespace {

constexpr int k_max_depth = 1000;

struct Walker {
  const char* p;
  const char* end;

  void space() {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  }

  // At an opening quote: moves past the closing one.
  bool string() {
    ++p;
    for (;;) {
      const void* q = std::memchr(p, '"', static_cast<std::size_t>(end - p));
      if (!q) return false;
      const char* quote = static_cast<const char*>(q);
      // The quote is escaped when an odd number of backslashes precede it.
      const char* b = quote;
      while (b > p && b[-1] == '\\') --b;
      p = quote + 1;
      if ((quote - b) % 2 == 0) return true;
    }
  }

  // A number, true, false or null: the run of characters up to a delimiter.
  bool scalar() {
    const char* start = p;
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' &&
           *p != '\t' && *p != ':' && *p != '"' && *p != '{' && *p != '[')
      ++p;
    return p > start;
  }

  // Moves past one value, nested containers included, checking that brackets pair up and that
  // members and elements are separated as JSON separates them.
  bool value() {
    if (p >= end) return false;
    if (*p == '"') return string();
    if (*p != '{' && *p != '[') return scalar();
    char stack[k_max_depth];
    int depth = 0;
    for (;;) {
      // At the start of a value inside (or the first) container.
      if (*p == '{' || *p == '[') {
        if (depth == k_max_depth) return false;
        stack[depth++] = *p == '{' ? '}' : ']';
        bool object = *p == '{';
        ++p;
        space();
        if (p >= end) return false;
        if (*p == stack[depth - 1]) {  // empty
          ++p;
          --depth;
        } else {
          if (object) {
            if (*p != '"' || !string()) return false;
            space();
            if (p >= end || *p != ':') return false;
            ++p;
            space();
          }
          if (p >= end) return false;
          continue;  // the first value
        }
      } else if (*p == '"') {
        if (!string()) return false;
      } else if (!scalar()) {
        return false;
      }
      // After a value: a comma and the next one, or closing brackets.
      for (;;) {
        if (depth == 0) return true;
        space();
        if (p >= end) return false;
        if (*p == stack[depth - 1]) {
          ++p;
          --depth;
          continue;
        }
        if (*p != ',') return false;
        ++p;
        space();
        if (stack[depth - 1] == '}') {
          if (p >= end || *p != '"' || !string()) return false;
          space();
          if (p >= end || *p != ':') return false;
          ++p;
          space();
        }
        if (p >= end) return false;
        break;
      }
    }
  }
};

}  // namespace

std::optional<std::string> json_string_value(std::string_view literal) {
  if (literal.size() < 2 || literal.front() != '"' || literal.back() != '"') return std::nullopt;
  std::string_view inner = literal.substr(1, literal.size() - 2);
  bool plain = true;
  for (char c : inner)
    if (c == '\\' || c == '"' || static_cast<unsigned char>(c) < 0x20) {
      plain = false;
      break;
    }
  if (plain) return std::string(inner);
  auto v = parse_json(literal);
  if (!v || !v->is_string()) return std::nullopt;
  return v->as_string();
}

bool split_json_object(std::string_view text, std::vector<JsonMember>& out) {
  out.clear();
  Walker w{text.data(), text.data() + text.size()};
  w.space();
  if (w.p >= w.end || *w.p != '{') return false;
  ++w.p;
  w.space();
  if (w.p < w.end && *w.p == '}') {
    ++w.p;
  } else {
    for (;;) {
      if (w.p >= w.end || *w.p != '"') return false;
      const char* key = w.p;
      if (!w.string()) return false;
      auto name = json_string_value(std::string_view(key, static_cast<std::size_t>(w.p - key)));
      if (!name) return false;
      w.space();
      if (w.p >= w.end || *w.p != ':') return false;
      ++w.p;
      w.space();
      const char* start = w.p;
      if (!w.value()) return false;
      out.push_back(
          JsonMember{std::move(*name), std::string_view(start, static_cast<std::size_t>(w.p - start))});
      w.space();
      if (w.p >= w.end) return false;
      if (*w.p == '}') {
        ++w.p;
        break;
      }
      if (*w.p != ',') return false;
      ++w.p;
      w.space();
    }
  }
  w.space();
  return w.p == w.end;
}

}  // namespace ktape::formats
