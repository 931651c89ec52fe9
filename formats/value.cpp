#include "formats/value.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace ktape::formats {

namespace {

template <typename T>
Number integer_text(T i) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, i);
  return Number{std::string(buf, res.ptr)};
}

// Members in the same order are equal member by member (also what keeps an object with a repeated
// key equal to itself, which the lookup below would not: it finds the first of the repeated key);
// otherwise each key of `a` is looked up in `b`.
bool objects_equal(const Object& a, const Object& b) {
  if (a.size() != b.size()) return false;
  if (std::equal(a.begin(), a.end(), b.begin(),
                 [](const Member& x, const Member& y) { return x.key == y.key && x.value == y.value; }))
    return true;
  for (const auto& m : a) {
    auto it = std::find_if(b.begin(), b.end(), [&](const Member& o) { return o.key == m.key; });
    if (it == b.end() || !(it->value == m.value)) return false;
  }
  return true;
}

}  // namespace

Value::Value() noexcept = default;
Value::Value(std::nullptr_t) noexcept {}
Value::Value(bool b) : m_data(b) {}
Value::Value(Number n) : m_data(std::move(n)) {}
Value::Value(std::string s) : m_data(std::move(s)) {}
Value::Value(std::string_view s) : m_data(std::string(s)) {}
Value::Value(const char* s) : m_data(std::string(s)) {}
Value::Value(int i) : m_data(integer_text(i)) {}
Value::Value(unsigned u) : m_data(integer_text(u)) {}
Value::Value(std::int64_t i) : m_data(integer_text(i)) {}
Value::Value(std::uint64_t u) : m_data(integer_text(u)) {}
Value::Value(double d) {
  if (!std::isfinite(d)) return;  // JSON has no NaN or infinity
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  std::string text(buf, res.ptr);
  // Keep a double recognisably non-integral only when it is: 2.0 prints as "2", like Go.
  m_data = Number{std::move(text)};
}
Value::Value(Array a) : m_data(std::move(a)) {}
Value::Value(Object o) : m_data(std::move(o)) {}
Value::Value(const Value&) = default;
Value::Value(Value&&) noexcept = default;
Value& Value::operator=(const Value&) = default;
Value& Value::operator=(Value&&) noexcept = default;
Value::~Value() = default;

Value Value::object() { return Value(Object{}); }
Value Value::array() { return Value(Array{}); }

std::optional<std::int64_t> Value::as_int64() const {
  if (!is_number()) return std::nullopt;
  const std::string& t = number_text();
  std::int64_t out = 0;
  auto res = std::from_chars(t.data(), t.data() + t.size(), out);
  if (res.ec == std::errc() && res.ptr == t.data() + t.size()) return out;
  // "1e3" or "2.0": integral doubles within range count too.
  auto d = as_double();
  if (d && std::floor(*d) == *d && std::fabs(*d) < 9.2e18) return static_cast<std::int64_t>(*d);
  return std::nullopt;
}

std::optional<double> Value::as_double() const {
  if (!is_number()) return std::nullopt;
  const std::string& t = number_text();
  double out = 0;
  auto res = std::from_chars(t.data(), t.data() + t.size(), out);
  if (res.ec == std::errc() && res.ptr == t.data() + t.size()) return out;
  if (res.ec == std::errc::result_out_of_range) return std::strtod(t.c_str(), nullptr);
  return std::nullopt;
}

const Value* Value::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& m : as_object())
    if (m.key == key) return &m.value;
  return nullptr;
}

Value* Value::find(std::string_view key) {
  return const_cast<Value*>(static_cast<const Value*>(this)->find(key));
}

Value& Value::operator[](std::string_view key) {
  if (is_null()) m_data = Object{};
  if (Value* v = find(key)) return *v;
  auto& obj = as_object();
  obj.push_back(Member{std::string(key), Value()});
  return obj.back().value;
}

Value& Value::set(std::string_view key, Value value) {
  Value& slot = (*this)[key];
  slot = std::move(value);
  return slot;
}

bool Value::erase(std::string_view key) {
  if (!is_object()) return false;
  auto& obj = as_object();
  auto it = std::find_if(obj.begin(), obj.end(), [&](const Member& m) { return m.key == key; });
  if (it == obj.end()) return false;
  obj.erase(it);
  return true;
}

const Value* Value::at(std::initializer_list<std::string_view> path) const {
  const Value* v = this;
  for (auto key : path) {
    v = v->find(key);
    if (!v) return nullptr;
  }
  return v;
}

Value* Value::at(std::initializer_list<std::string_view> path) {
  return const_cast<Value*>(static_cast<const Value*>(this)->at(path));
}

std::string_view Value::string_at(std::initializer_list<std::string_view> path,
                                  std::string_view fallback) const {
  const Value* v = at(path);
  return v && v->is_string() ? std::string_view(v->as_string()) : fallback;
}

std::size_t Value::size() const {
  if (is_array()) return as_array().size();
  if (is_object()) return as_object().size();
  return 0;
}

Value& Value::push_back(Value value) {
  if (is_null()) m_data = Array{};
  auto& arr = as_array();
  arr.push_back(std::move(value));
  return arr.back();
}

bool numbers_equal(const std::string& a, const std::string& b) {
  if (a == b) return true;
  Value va{Number{a}}, vb{Number{b}};
  std::int64_t ia = 0, ib = 0;
  auto ra = std::from_chars(a.data(), a.data() + a.size(), ia);
  auto rb = std::from_chars(b.data(), b.data() + b.size(), ib);
  bool a_int = ra.ec == std::errc() && ra.ptr == a.data() + a.size();
  bool b_int = rb.ec == std::errc() && rb.ptr == b.data() + b.size();
  if (a_int && b_int) return ia == ib;
  auto da = va.as_double(), db = vb.as_double();
  return da && db && *da == *db;
}

bool operator==(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Value::Type::null:
      return true;
    case Value::Type::boolean:
      return a.as_bool() == b.as_bool();
    case Value::Type::number:
      return numbers_equal(a.number_text(), b.number_text());
    case Value::Type::string:
      return a.as_string() == b.as_string();
    case Value::Type::array:
      return a.as_array() == b.as_array();
    case Value::Type::object:
      return objects_equal(a.as_object(), b.as_object());
  }
  return false;
}

bool operator==(const Member& a, const Member& b) { return a.key == b.key && a.value == b.value; }

}  // namespace ktape::formats
