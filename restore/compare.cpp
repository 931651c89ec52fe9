// IgnoredFields: normalize_for_diff's removals as a tree walked beside both objects.
#include "restore/compare.hpp"

#include <algorithm>

namespace ktape::restore {

namespace {

using formats::Value;

// store/diff.cpp's list (what a server sets on its own); tests/restore/test_compare.cpp checks
// this class against normalize_for_diff, so the two cannot drift apart unnoticed.
constexpr std::string_view k_server_set_metadata[] = {"uid",        "resourceVersion", "creationTimestamp",
                                                      "generation", "managedFields",   "selfLink"};

}  // namespace

IgnoredFields::IgnoredFields(const store::DiffOptions& options) : m_nodes(1) {
  int metadata = child(0, "metadata");
  for (auto field : k_server_set_metadata)
    m_nodes[static_cast<std::size_t>(child(metadata, field))].whole = true;
  int owners = child(metadata, "ownerReferences");
  int element = static_cast<int>(m_nodes.size());
  m_nodes.emplace_back();
  m_nodes[static_cast<std::size_t>(owners)].elements = element;
  m_nodes[static_cast<std::size_t>(child(element, "uid"))].whole = true;
  if (options.ignore_status) m_nodes[static_cast<std::size_t>(child(0, "status"))].whole = true;
  for (const auto& field : options.ignore_fields) add(store::parse_field_path(field));
}

int IgnoredFields::child(int node, std::string_view key) {
  for (const auto& [name, index] : m_nodes[static_cast<std::size_t>(node)].children)
    if (name == key) return index;
  int index = static_cast<int>(m_nodes.size());
  m_nodes.emplace_back();  // may move the nodes: `node` is looked up again below
  m_nodes[static_cast<std::size_t>(node)].children.emplace_back(std::string(key), index);
  return index;
}

// normalize_for_diff's erase_path: the keys lead through objects only, and the last is removed.
void IgnoredFields::add(const std::vector<std::string>& path) {
  if (path.empty()) return;
  int node = 0;
  for (const auto& key : path) node = child(node, key);
  m_nodes[static_cast<std::size_t>(node)].whole = true;
}

const IgnoredFields::Node* IgnoredFields::find(const Node* node, std::string_view key) const {
  if (node == nullptr) return nullptr;
  for (const auto& [name, index] : node->children)
    if (name == key) return &m_nodes[static_cast<std::size_t>(index)];
  return nullptr;
}

bool IgnoredFields::equal(const Value& a, const Value& b) const { return equal(a, b, m_nodes.data()); }

// `node`: what is left out below this value (nullptr: nothing, plain ==).
bool IgnoredFields::equal(const Value& a, const Value& b, const Node* node) const {
  if (node == nullptr) return a == b;
  if (a.is_object() && b.is_object()) return objects_equal(a, b, *node);
  if (node->elements >= 0 && a.is_array() && b.is_array()) {
    const auto& x = a.as_array();
    const auto& y = b.as_array();
    const Node* element = &m_nodes[static_cast<std::size_t>(node->elements)];
    return x.size() == y.size() &&
           std::equal(x.begin(), x.end(), y.begin(),
                      [&](const Value& p, const Value& q) { return equal(p, q, element); });
  }
  return a == b;  // nothing is removed from inside other values (erase works on objects only)
}

// The members of both that are not left out: the same keys, equal values (objects_equal in
// formats/value.cpp: each key of `a` looked up in `b`, and as many on each side).
bool IgnoredFields::objects_equal(const Value& a, const Value& b, const Node& node) const {
  std::size_t kept_a = 0, kept_b = 0;
  for (const auto& m : a.as_object()) {
    const Node* below = find(&node, m.key);
    if (below != nullptr && below->whole) continue;
    ++kept_a;
    const Value* other = b.find(m.key);
    if (other == nullptr || !equal(m.value, *other, below)) return false;
  }
  for (const auto& m : b.as_object()) {
    const Node* below = find(&node, m.key);
    if (below == nullptr || !below->whole) ++kept_b;
  }
  return kept_a == kept_b;
}

}  // namespace ktape::restore
