#include "formats/json.hpp"

// RapidJSON scans strings 16 bytes at a time where SSE2 exists (every x86-64). Only this file
// turns it on: its in-situ copy is padded for the aligned loads (see parse_json), and it is the
// only user of RapidJSON's in-situ stream, so no other file instantiates the SIMD code paths.
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <cstring>
#include <iterator>
#include <utility>
#include <vector>

#include "formats/yaml_scalar.hpp"

namespace ktape::formats {

namespace {

constexpr std::size_t k_keep_elements = 4096;                // Builder's stacks kept between parses
constexpr std::size_t k_keep_buffer = std::size_t{1} << 20;  // parse_json's in-situ copy kept between parses

// SAX handler that builds a Value. Finished values wait on one flat stack (and object keys on
// another) until their container ends; the container then takes exactly its own elements, so every
// array and object is allocated once at its final size. Deep documents cost heap, not native stack.
// RapidJSON's handler concept names the member functions (Null, Bool, StartObject, ...).
// NOLINTBEGIN(readability-identifier-naming)
class Builder {
 public:
  bool Null() { return put(); }
  bool Bool(bool b) { return put(b); }
  bool Int(int) { return false; }  // unreachable: numbers arrive as RawNumber
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* s, rapidjson::SizeType len, bool) { return put(Number{std::string(s, len)}); }
  bool String(const char* s, rapidjson::SizeType len, bool) { return put(std::string_view(s, len)); }
  bool StartObject() { return true; }
  bool Key(const char* s, rapidjson::SizeType len, bool) {
    m_keys.emplace_back(s, len);
    return true;
  }
  bool EndObject(rapidjson::SizeType count) {
    Object members;
    members.reserve(count);
    auto values = m_values.end() - count;
    auto keys = m_keys.end() - count;
    for (rapidjson::SizeType i = 0; i < count; ++i)
      members.push_back(Member{std::move(keys[i]), std::move(values[i])});
    m_values.erase(values, m_values.end());
    m_keys.erase(keys, m_keys.end());
    return put(std::move(members));
  }
  bool StartArray() { return true; }
  bool EndArray(rapidjson::SizeType count) {
    auto first = m_values.end() - count;
    Array elements(std::make_move_iterator(first), std::make_move_iterator(m_values.end()));
    m_values.erase(first, m_values.end());
    return put(std::move(elements));
  }

  Value take() { return std::move(m_values.back()); }

 private:
  template <typename... Args>
  bool put(Args&&... args) {
    m_values.emplace_back(std::forward<Args>(args)...);  // built in place
    return true;
  }

  // The stacks keep their buffers for the thread's next parse.
  struct Stacks {
    std::vector<Value> values;
    std::vector<std::string> keys;
  };
  static Stacks& stacks() {
    thread_local Stacks s;
    s.values.clear();
    s.keys.clear();
    if (s.values.capacity() > k_keep_elements) std::vector<Value>().swap(s.values);  // after a huge list
    if (s.keys.capacity() > k_keep_elements) std::vector<std::string>().swap(s.keys);
    return s;
  }

  Stacks& m_stacks = stacks();
  std::vector<Value>& m_values = m_stacks.values;
  std::vector<std::string>& m_keys = m_stacks.keys;
};
// NOLINTEND(readability-identifier-naming)

// True when `text` is well-formed UTF-8 (decode_utf8's rules: no overlong forms, no surrogates,
// nothing above U+10FFFF). ASCII, nearly all of an object, goes 8 bytes at a time.
bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.size() - i >= 8) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    if (yaml_detail::decode_utf8(text, i) < 0) return false;
  }
  return true;
}

// True when any of the 8 bytes in `w` needs escaping (below 0x20, '"' or '\\'): the classic
// "has a zero byte" / "has a byte less than n" word tricks.
bool needs_escape(std::uint64_t w) {
  constexpr std::uint64_t k_ones = 0x0101010101010101ULL, k_highs = 0x8080808080808080ULL;
  auto has_zero = [&](std::uint64_t x) { return (x - k_ones) & ~x & k_highs; };
  std::uint64_t below_space = (w - k_ones * 0x20) & ~w & k_highs;
  return (below_space | has_zero(w ^ (k_ones * '"')) | has_zero(w ^ (k_ones * '\\'))) != 0;
}

// Where compact JSON goes: appended to a string, or compared with a text as it is produced.
struct AppendSink {
  std::string& out;
  void put(char c) { out.push_back(c); }
  void put(std::string_view s) { out.append(s); }
  static constexpr bool mismatched() { return false; }
};

struct CompareSink {
  std::string_view text;
  std::size_t at = 0;
  bool differs = false;
  void put(char c) {
    if (differs || at == text.size() || text[at] != c) {
      differs = true;
      return;
    }
    ++at;
  }
  void put(std::string_view s) {
    if (differs || text.size() - at < s.size() || text.compare(at, s.size(), s) != 0) {
      differs = true;
      return;
    }
    at += s.size();
  }
  bool mismatched() const { return differs; }
};

// Appends `s` as a JSON string literal, escaped exactly as RapidJSON's Writer escapes it: `"` and
// `\` with a backslash, \b \t \n \f \r by name, other control characters as \u00XX (upper-case
// hex); everything else, non-ASCII included, as it is.
template <typename Sink>
void write_string(Sink& out, std::string_view s) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  out.put('"');
  std::size_t run = 0;  // start of the bytes not yet copied
  std::size_t i = 0;
  while (i < s.size()) {
    if (s.size() - i >= 8) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (!needs_escape(w)) {
        i += 8;
        continue;
      }
    }
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.put(s.substr(run, i - run));
    run = ++i;
    out.put('\\');
    switch (c) {
      case '"':
        out.put('"');
        break;
      case '\\':
        out.put('\\');
        break;
      case '\b':
        out.put('b');
        break;
      case '\t':
        out.put('t');
        break;
      case '\n':
        out.put('n');
        break;
      case '\f':
        out.put('f');
        break;
      case '\r':
        out.put('r');
        break;
      default:
        out.put("u00");
        out.put(k_hex[c >> 4]);
        out.put(k_hex[c & 0xF]);
        break;
    }
  }
  out.put(s.substr(run));
  out.put('"');
}

// Compact JSON, as RapidJSON's Writer writes it (its output, without its per-character sink).
// A comparing sink stops at the first difference.
template <typename Sink>
void write_compact(Sink& out, const Value& v) {
  switch (v.type()) {
    case Value::Type::null:
      out.put("null");
      break;
    case Value::Type::boolean:
      out.put(v.as_bool() ? "true" : "false");
      break;
    case Value::Type::number:
      out.put(v.number_text());
      break;
    case Value::Type::string:
      write_string(out, v.as_string());
      break;
    case Value::Type::array: {
      out.put('[');
      bool first = true;
      for (const auto& e : v.as_array()) {
        if (out.mismatched()) return;
        if (!first) out.put(',');
        first = false;
        write_compact(out, e);
      }
      out.put(']');
      break;
    }
    case Value::Type::object: {
      out.put('{');
      bool first = true;
      for (const auto& m : v.as_object()) {
        if (out.mismatched()) return;
        if (!first) out.put(',');
        first = false;
        write_string(out, m.key);
        out.put(':');
        write_compact(out, m.value);
      }
      out.put('}');
      break;
    }
  }
}

// For the pretty printer.
template <typename Writer>
void write_value(Writer& w, const Value& v) {
  switch (v.type()) {
    case Value::Type::null:
      w.Null();
      break;
    case Value::Type::boolean:
      w.Bool(v.as_bool());
      break;
    case Value::Type::number: {
      const auto& t = v.number_text();
      w.RawValue(t.data(), t.size(), rapidjson::kNumberType);
      break;
    }
    case Value::Type::string: {
      const auto& s = v.as_string();
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      break;
    }
    case Value::Type::array:
      w.StartArray();
      for (const auto& e : v.as_array()) write_value(w, e);
      w.EndArray();
      break;
    case Value::Type::object:
      w.StartObject();
      for (const auto& m : v.as_object()) {
        w.Key(m.key.data(), static_cast<rapidjson::SizeType>(m.key.size()));
        write_value(w, m.value);
      }
      w.EndObject();
      break;
  }
}

// RapidJSON output stream that appends to a std::string the caller owns (RapidJSON names Put and Flush).
// NOLINTBEGIN(readability-identifier-naming)
struct StringSink {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};
// NOLINTEND(readability-identifier-naming)

}  // namespace

Result<Value> parse_json(std::string_view text) {
  // RapidJSON's streams read a NUL byte as the end of the text, so "{}\0junk" would parse as {}
  // (found by fuzz/check_json). JSON has no raw NUL anywhere (not even inside strings).
  if (std::size_t nul = text.find('\0'); nul != std::string_view::npos)
    return fail(ErrorKind::parse, "invalid JSON at byte " + std::to_string(nul) + ": a NUL byte");
  if (valid_utf8(text)) {
    // The fast way, taken whenever it must succeed as the slow one would: with the encoding known
    // to be valid, RapidJSON need not validate it character by character, and parsing a private
    // copy in place lets it scan strings without copying them through its stack. A failure is
    // parsed again the slow way below, so errors read (and are found) exactly as there.
    constexpr unsigned k_fast =
        rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseIterativeFlag | rapidjson::kParseInsituFlag;
    // The copy is NUL-terminated, as an in-situ stream needs (a NUL ends both streams), and
    // padded: RapidJSON's SSE2 scans load aligned 16-byte blocks, so the block holding the NUL
    // may reach up to 15 bytes past it, which must still be the copy's own memory (found by
    // AddressSanitizer). The padding also keeps the copy out of std::string's inline buffer. Its
    // buffer is kept for the thread's next parse, unless it grew large.
    constexpr std::size_t k_simd_padding = 16;
    thread_local std::string copy;
    copy.assign(text);
    copy.append(k_simd_padding, '\0');
    rapidjson::InsituStringStream is(copy.data());
    rapidjson::Reader reader;
    Builder builder;
    bool ok = !reader.Parse<k_fast>(is, builder).IsError();
    if (copy.capacity() > k_keep_buffer) std::string().swap(copy);
    if (ok) return builder.take();
  }
  constexpr unsigned k_flags = rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseValidateEncodingFlag |
                               rapidjson::kParseIterativeFlag;
  rapidjson::MemoryStream ms(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
  rapidjson::Reader reader;
  Builder builder;
  auto res = reader.Parse<k_flags>(is, builder);
  if (res.IsError()) {
    return fail(ErrorKind::parse, std::string("invalid JSON at byte ") + std::to_string(res.Offset()) + ": " +
                                      rapidjson::GetParseError_En(res.Code()));
  }
  return builder.take();
}

void append_json(std::string& out, const Value& value) {
  AppendSink sink{out};
  write_compact(sink, value);
}

bool is_json_of(const Value& value, std::string_view text) {
  CompareSink sink{text};
  write_compact(sink, value);
  return !sink.differs && sink.at == text.size();
}

std::string to_json(const Value& value) {
  std::string out;
  append_json(out, value);
  return out;
}

std::string to_json_pretty(const Value& value) {
  std::string out;
  StringSink sink{&out};
  rapidjson::PrettyWriter<StringSink> w(sink);
  w.SetIndent(' ', 4);
  write_value(w, value);
  return out;
}

void append_json_string(std::string& out, std::string_view s) {
  AppendSink sink{out};
  write_string(sink, s);
}

}  // namespace ktape::formats
