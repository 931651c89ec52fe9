#pragma once
// Label and field selectors as the apiserver parses them from ?labelSelector= and ?fieldSelector=.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/api_error.hpp"

namespace ktape::sim {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Every operator of the label selector grammar: `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
// `k notin (a,b)`, `k` (exists), `!k` (does not exist), `k>5`, `k<5` (integers).
class LabelSelector {
 public:
  // An empty text selects everything. A malformed selector is a 400 BadRequest naming the part.
  static ApiResult<LabelSelector> parse(std::string_view text);
  bool matches(const Labels& labels) const;
  bool empty() const { return m_requirements.empty(); }

 private:
  enum class Op { equals, not_equals, in, not_in, exists, not_exists, greater, less };
  struct Requirement {
    std::string key;
    Op op = Op::exists;
    std::vector<std::string> values;
  };
  static ApiResult<Requirement> parse_requirement(std::string_view text);
  std::vector<Requirement> m_requirements;
};

// `path=v`, `path==v`, `path!=v`, comma-separated. metadata.name and metadata.namespace are
// answered from the index; any other dotted path is read from the object itself.
class FieldSelector {
 public:
  struct Requirement {
    std::string path;
    bool equals = true;
    std::string value;
  };
  static ApiResult<FieldSelector> parse(std::string_view text);
  const std::vector<Requirement>& requirements() const { return m_requirements; }
  bool empty() const { return m_requirements.empty(); }

 private:
  std::vector<Requirement> m_requirements;
};

}  // namespace ktape::sim
