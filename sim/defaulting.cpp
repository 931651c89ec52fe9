// The defaulting walk: an object and its OpenAPI definition side by side, Go defaulters first,
// then OpenAPI defaults, then the children; unknown members dropped on the way.
#include "sim/defaulting.hpp"

#include <optional>
#include <unordered_map>

#include "sim/openapi.hpp"

namespace ktape::sim {

using formats::Value;

namespace {

// The Go defaulter of each definition, looked up by name once per definition and thread.
detail::Defaulter go_defaulter(const Definition& def) {
  thread_local std::unordered_map<const Definition*, detail::Defaulter> cache;
  auto it = cache.find(&def);
  if (it != cache.end()) return it->second;
  return cache.emplace(&def, detail::find_go_defaulter(def.name)).first->second;
}

// Go's base64.StdEncoding.DecodeString error offset, or nullopt when `s` decodes.
std::optional<std::size_t> base64_error(std::string_view s) {
  auto is_char = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
  };
  std::size_t i = 0;
  while (i < s.size() && is_char(s[i])) ++i;
  std::size_t data = i;
  if (i < s.size()) {
    if (s[i] != '=' || data % 4 < 2) return i;
    std::size_t pad = 0;
    while (i < s.size() && s[i] == '=') ++i, ++pad;
    if (i < s.size() || (data + pad) % 4 != 0) return i < s.size() ? i : data;
    return std::nullopt;
  }
  if (data % 4 != 0) return data - data % 4 + (data % 4 == 1 ? 0 : data % 4);
  return std::nullopt;
}

class Walk {
 public:
  explicit Walk(Decoded& out) : m_unknown(out.unknown_fields), m_error(out.error) {}

  void object(const Definition& def, Value& v) {
    if (!v.is_object()) return;
    if (detail::Defaulter fn = go_defaulter(def)) fn(v);
    for (std::size_t i : def.defaulted) {
      const auto& [key, prop] = def.properties[i];
      Value* present = v.find(key);
      if (!present)
        v.as_object().push_back(formats::Member{key, *prop.default_value});
      else if (present->is_null())
        *present = *prop.default_value;
    }
    auto& members = v.as_object();
    for (std::size_t i = 0; i < members.size();) {
      const Property* prop = def.find(members[i].key);
      if (!prop) {
        m_path.push_back({members[i].key, 0, Segment::field});
        m_unknown.push_back(path());
        m_path.pop_back();
        members.erase(members.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      // A null leaves the field unset, as Go decodes it (creationTimestamp keeps its null: Go
      // writes a zero time as null).
      if (members[i].value.is_null() && members[i].key != "creationTimestamp") {
        members.erase(members.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      m_path.push_back({members[i].key, 0, Segment::field});
      member(*prop, members[i].value);
      m_path.pop_back();
      ++i;
    }
  }

 private:
  void member(const Property& prop, Value& v) {
    if (prop.bytes) check_bytes(v);
    if (prop.ref) object(*prop.ref, v);
    if (prop.items && v.is_array()) {
      Array& items = v.as_array();
      for (std::size_t i = 0; i < items.size(); ++i) {
        m_path.push_back({{}, i, Segment::item});
        object(*prop.items, items[i]);
        m_path.pop_back();
      }
    }
    if (prop.map && v.is_object()) {
      for (formats::Member& m : v.as_object()) {
        m_path.push_back({m.key, 0, Segment::map_key});
        object(*prop.map, m.value);
        m_path.pop_back();
      }
    }
  }
  void check_bytes(const Value& v) {
    auto check = [&](const Value& s) {
      if (!s.is_string() || !m_error.empty()) return;
      if (auto at = base64_error(s.as_string()))
        m_error = "illegal base64 data at input byte " + std::to_string(*at);
    };
    check(v);
    if (v.is_array())
      for (const Value& s : v.as_array()) check(s);
    if (v.is_object())
      for (const formats::Member& m : v.as_object()) check(m.value);
  }
  // The path is kept as segments and spelled only for an unknown field, which is rare: most
  // objects are walked without building a string.
  struct Segment {
    enum Kind { field, item, map_key };
    std::string_view key;
    std::size_t at = 0;
    Kind kind = field;
  };
  // The path as the strict decoder names it: "spec.containers[0].name", "data[key]".
  std::string path() const {
    std::string out;
    for (const Segment& s : m_path) {
      if (s.kind == Segment::field) {
        if (!out.empty()) out += '.';
        out += s.key;
      } else {
        out += '[';
        out += s.kind == Segment::item ? std::to_string(s.at) : std::string(s.key);
        out += ']';
      }
    }
    return out;
  }
  using Array = formats::Array;

  std::vector<std::string>& m_unknown;
  std::string& m_error;
  std::vector<Segment> m_path;
};

}  // namespace

Decoded apply_defaults(const ResourceInfo& info, Value& object) {
  Decoded out;
  if (info.custom) return out;
  const Definition* def = find_kind_definition(info.group_version(), info.kind);
  if (!def) return out;
  Walk(out).object(*def, object);
  return out;
}

}  // namespace ktape::sim
