// FieldSet's set operations, its FieldsV1 form and the paths it prints in conflicts.
#include "formats/json.hpp"
#include "sim/field_set.hpp"

namespace ktape::sim {

using formats::Value;

namespace {

// ".name", "[name=\"c\"]", "[=\"x\"]", "[3]": fieldpath.PathElement's String().
std::string print_element(const std::string& pe) {
  std::string_view body = std::string_view(pe).substr(pe.size() >= 2 ? 2 : pe.size());
  if (pe.rfind("f:", 0) == 0) return "." + std::string(body);
  if (pe.rfind("v:", 0) == 0) return "[=" + std::string(body) + "]";
  if (pe.rfind("i:", 0) == 0) return "[" + std::string(body) + "]";
  std::string out = "[";
  if (auto key = formats::parse_json(body); key && key->is_object()) {
    bool first = true;
    for (const formats::Member& m : key->as_object()) {
      if (!first) out += ',';
      first = false;
      out.append(m.key).append("=").append(formats::to_json(m.value));
    }
  }
  return out + "]";
}

void collect_paths(const FieldSet& node, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& [pe, child] : node.children)
    if (child.member) out.push_back(prefix + print_element(pe));
  for (const auto& [pe, child] : node.children)
    if (!child.children.empty()) collect_paths(child, prefix + print_element(pe), out);
}

}  // namespace

void FieldSet::unite(const FieldSet& other) {
  member = member || other.member;
  for (const auto& [pe, child] : other.children) children[pe].unite(child);
}

void FieldSet::subtract(const FieldSet& other) {
  if (other.member) member = false;
  for (const auto& [pe, child] : other.children) {
    auto it = children.find(pe);
    if (it == children.end()) continue;
    it->second.subtract(child);
    if (it->second.empty()) children.erase(it);
  }
}

FieldSet FieldSet::intersect(const FieldSet& other) const {
  FieldSet out;
  out.member = member && other.member;
  for (const auto& [pe, child] : children) {
    auto it = other.children.find(pe);
    if (it == other.children.end()) continue;
    FieldSet both = child.intersect(it->second);
    if (!both.empty()) out.children.emplace(pe, std::move(both));
  }
  return out;
}

Value FieldSet::to_fields_v1() const {
  Value out = Value::object();
  if (member && !children.empty()) out.set(".", Value::object());
  for (const auto& [pe, child] : children) out.set(pe, child.to_fields_v1());
  return out;
}

FieldSet FieldSet::from_fields_v1(const Value& fields) {
  FieldSet out;
  if (!fields.is_object()) return out;
  for (const formats::Member& m : fields.as_object()) {
    if (m.key == ".") {
      out.member = true;
      continue;
    }
    FieldSet child = from_fields_v1(m.value);
    if (child.children.empty()) child.member = true;  // {} is a leaf member
    out.children.emplace(m.key, std::move(child));
  }
  return out;
}

std::vector<std::string> FieldSet::paths() const {
  std::vector<std::string> out;
  collect_paths(*this, "", out);
  return out;
}

}  // namespace ktape::sim
