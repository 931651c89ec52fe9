#pragma once
// Label and field selectors as the apiserver parses them from ?labelSelector= and ?fieldSelector=.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "formats/label_selector.hpp"
#include "sim/api_error.hpp"

namespace ktape::sim {

// Label selectors are formats/'s, shared with the replayer; a parse error becomes 400 BadRequest.
using Labels = formats::Labels;
using LabelSelector = formats::LabelSelector;

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

// The fields a resource can be selected by, as the real registry declares them: metadata.name
// and metadata.namespace everywhere, plus per-resource ones (Pods' spec.nodeName, status.phase...).
// An error (400) names the first field outside them in the real server's words.
ApiResult<void> check_field_selector(std::string_view group, std::string_view resource,
                                     const FieldSelector& fields);

}  // namespace ktape::sim
