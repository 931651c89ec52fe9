#pragma once
// The comparison a restore plan makes of each recorded object with its live counterpart: equal
// after store::normalize_for_diff, decided without copying either object. The plan compares every
// selected pair (20,000 of them for a 20,000-object restore), and copying and normalising both
// sides was most of its time; only the pairs found different are copied, to name their fields.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "formats/value.hpp"
#include "store/diff.hpp"

namespace ktape::restore {

// The fields store::normalize_for_diff(object, options) removes, as a tree: metadata's server-set
// fields (uid, resourceVersion, creationTimestamp, generation, managedFields, selfLink), the uid of
// each metadata.ownerReferences entry, .status when options.ignore_status, and each of
// options.ignore_fields. Immutable after construction, so threads may share one.
class IgnoredFields {
 public:
  explicit IgnoredFields(const store::DiffOptions& options);

  // True exactly when normalize_for_diff would leave `a` and `b` equal (formats::Value's ==:
  // member order aside, numbers by value). Neither object is copied or changed.
  bool equal(const formats::Value& a, const formats::Value& b) const;

 private:
  struct Node {
    std::vector<std::pair<std::string, int>> children;  // key -> index into m_nodes
    bool whole = false;                                 // this field is left out entirely
    int elements = -1;  // for an array here: the node each element is compared under; -1: none
  };
  int child(int node, std::string_view key);  // the child under `key`, made when absent
  void add(const std::vector<std::string>& path);
  const Node* find(const Node* node, std::string_view key) const;
  bool equal(const formats::Value& a, const formats::Value& b, const Node* node) const;
  bool objects_equal(const formats::Value& a, const formats::Value& b, const Node& node) const;

  std::vector<Node> m_nodes;  // m_nodes[0] is the object's root
};

}  // namespace ktape::restore
