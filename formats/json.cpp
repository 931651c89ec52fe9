#include "formats/json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace ktape::formats {

namespace {

// SAX handler that builds a Value. Containers under construction sit on an explicit stack, so
// deep documents cost heap, not native stack.
class Builder {
 public:
  bool Null() { return put(Value()); }
  bool Bool(bool b) { return put(Value(b)); }
  bool Int(int) { return false; }  // unreachable: numbers arrive as RawNumber
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* s, rapidjson::SizeType len, bool) {
    return put(Value(Number{std::string(s, len)}));
  }
  bool String(const char* s, rapidjson::SizeType len, bool) { return put(Value(std::string(s, len))); }
  bool StartObject() {
    m_stack.push_back(Frame{Value::object(), {}});
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType len, bool) {
    m_stack.back().key.assign(s, len);
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() {
    m_stack.push_back(Frame{Value::array(), {}});
    return true;
  }
  bool EndArray(rapidjson::SizeType) { return close(); }

  Value take() { return std::move(m_root); }

 private:
  struct Frame {
    Value value;
    std::string key;
  };

  bool close() {
    Value done = std::move(m_stack.back().value);
    m_stack.pop_back();
    return put(std::move(done));
  }

  bool put(Value v) {
    if (m_stack.empty()) {
      m_root = std::move(v);
      return true;
    }
    Frame& top = m_stack.back();
    if (top.value.is_array()) {
      top.value.as_array().push_back(std::move(v));
    } else {
      top.value.as_object().push_back(Member{std::move(top.key), std::move(v)});
      top.key.clear();
    }
    return true;
  }

  std::vector<Frame> m_stack;
  Value m_root;
};

template <typename Writer>
void write_value(Writer& w, const Value& v) {
  switch (v.type()) {
    case Value::Type::null: w.Null(); break;
    case Value::Type::boolean: w.Bool(v.as_bool()); break;
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

// RapidJSON output stream that appends to a std::string the caller owns.
struct StringSink {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};

}  // namespace

Result<Value> parse_json(std::string_view text) {
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
  StringSink sink{&out};
  rapidjson::Writer<StringSink> w(sink);
  write_value(w, value);
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
  StringSink sink{&out};
  rapidjson::Writer<StringSink> w(sink);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace ktape::formats
