#pragma once
// The document model: a JSON value tree that keeps every value exactly. Numbers keep the text
// they were written with (64-bit integers and numbers wider than a double survive any round
// trip); objects keep their members in insertion order; equality is JSON equality (member order
// does not matter, numbers compare by value). Parsing and serialization live in json.hpp and
// yaml.hpp; RapidJSON and yaml-cpp stay behind them.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ktape::formats {

class Value;
struct Member;
using Array = std::vector<Value>;
using Object = std::vector<Member>;

// A JSON number as its exact text ("42", "-9223372036854775808", "1e400", "0.1").
struct Number {
  std::string text;
};

class Value {
 public:
  enum class Type { null, boolean, number, string, array, object };

  // Constructors are defined where Member is complete (clang instantiates the variant's
  // destructor, and so std::vector<Member>'s, at an inline constructor).
  Value() noexcept;
  Value(std::nullptr_t) noexcept;
  Value(bool b);
  Value(int i);
  Value(unsigned u);
  Value(std::int64_t i);
  Value(std::uint64_t u);
  Value(double d);  // shortest text that reads back to the same double; NaN/inf become null
  Value(Number n);
  Value(std::string s);
  Value(std::string_view s);
  Value(const char* s);
  Value(Array a);
  Value(Object o);
  Value(const Value&);
  Value(Value&&) noexcept;
  Value& operator=(const Value&);
  Value& operator=(Value&&) noexcept;
  ~Value();

  static Value object();
  static Value array();

  Type type() const { return static_cast<Type>(m_data.index()); }
  bool is_null() const { return type() == Type::null; }
  bool is_bool() const { return type() == Type::boolean; }
  bool is_number() const { return type() == Type::number; }
  bool is_string() const { return type() == Type::string; }
  bool is_array() const { return type() == Type::array; }
  bool is_object() const { return type() == Type::object; }

  // Accessors: the caller checks the type first; a wrong type throws std::bad_variant_access.
  bool as_bool() const { return std::get<bool>(m_data); }
  const std::string& as_string() const { return std::get<std::string>(m_data); }
  std::string& as_string() { return std::get<std::string>(m_data); }
  const std::string& number_text() const { return std::get<Number>(m_data).text; }
  const Array& as_array() const { return std::get<Array>(m_data); }
  Array& as_array() { return std::get<Array>(m_data); }
  const Object& as_object() const { return std::get<Object>(m_data); }
  Object& as_object() { return std::get<Object>(m_data); }

  // Number conversions: nullopt when this is not a number or it does not fit.
  std::optional<std::int64_t> as_int64() const;
  std::optional<double> as_double() const;

  // Object access. find returns nullptr when this is not an object or the key is absent.
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  // Returns the member, inserting null when absent; a null Value becomes an empty object first.
  // Any other non-object throws std::bad_variant_access.
  Value& operator[](std::string_view key);
  // Sets key to value (replacing in place, else appending). Returns the stored value.
  Value& set(std::string_view key, Value value);
  // Removes the key; returns false when it was absent.
  bool erase(std::string_view key);
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  // Nested lookup through objects: at({"metadata", "name"}); nullptr when any step is missing.
  const Value* at(std::initializer_list<std::string_view> path) const;
  Value* at(std::initializer_list<std::string_view> path);
  // The string at a nested path, or `fallback` when absent or not a string.
  std::string_view string_at(std::initializer_list<std::string_view> path,
                             std::string_view fallback = {}) const;

  // Elements of an array or members of an object; 0 for scalars.
  std::size_t size() const;
  // Appends to an array; a null Value becomes an empty array first.
  Value& push_back(Value value);

  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  std::variant<std::monostate, bool, Number, std::string, Array, Object> m_data;
};

struct Member {
  std::string key;
  Value value;
};

bool operator==(const Member& a, const Member& b);

// Numbers are equal when their texts are equal, or when both read as the same int64 or double.
bool numbers_equal(const std::string& a, const std::string& b);

}  // namespace ktape::formats
