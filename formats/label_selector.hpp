#pragma once
// Kubernetes label selectors, as `-l` and `?labelSelector=` take them: `k=v`, `k==v`, `k!=v`,
// `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k` (does not exist), `k>5`, `k<5` (integers).
// One matcher for the simulated cluster's lists and watches and for the replay's selection.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "formats/error.hpp"
#include "formats/value.hpp"

namespace ktape::formats {

using Labels = std::vector<std::pair<std::string, std::string>>;

// A selector's requirements: the text split at commas outside parentheses, each part trimmed of
// spaces (label and field selectors alike).
std::vector<std::string_view> split_selector(std::string_view text);
// `text` without leading and trailing spaces.
std::string_view trim_selector(std::string_view text);

class LabelSelector {
 public:
  // An empty text selects everything. A malformed selector is an invalid Error whose message
  // quotes the requirement ("unable to parse requirement: ... in \"env in prod\"").
  static Result<LabelSelector> parse(std::string_view text);
  bool matches(const Labels& labels) const;
  // `labels` is a metadata.labels object (null or absent: no labels).
  bool matches(const Value& labels) const;
  bool empty() const { return m_requirements.empty(); }

 private:
  enum class Op { equals, not_equals, in, not_in, exists, not_exists, greater, less };
  struct Requirement {
    std::string key;
    Op op = Op::exists;
    std::vector<std::string> values;
  };
  static Result<Requirement> parse_requirement(std::string_view text);
  // Whether one requirement holds for the label's value (nullptr: the label is absent).
  static bool satisfied(const Requirement& requirement, const std::string* value);
  template <typename Lookup>
  bool matches_with(Lookup lookup) const {
    for (const auto& r : m_requirements)
      if (!satisfied(r, lookup(r.key))) return false;
    return true;
  }
  std::vector<Requirement> m_requirements;
};

}  // namespace ktape::formats
