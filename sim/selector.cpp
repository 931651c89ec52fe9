#include "sim/selector.hpp"

namespace ktape::sim {

using formats::split_selector;
using formats::trim_selector;

ApiResult<FieldSelector> FieldSelector::parse(std::string_view text) {
  FieldSelector s;
  if (trim_selector(text).empty()) return s;
  for (std::string_view part : split_selector(text)) {
    Requirement r;
    std::size_t pos = part.find_first_of("=!");
    if (pos == std::string_view::npos || pos == 0)
      return tl::unexpected(err_bad_request("invalid selector: '" + std::string(text) +
                                            "'; can't understand '" + std::string(part) + "'"));
    r.path = std::string(trim_selector(part.substr(0, pos)));
    std::string_view rest = part.substr(pos);
    if (rest.starts_with("!=")) {
      r.equals = false, rest.remove_prefix(2);
    } else if (rest.starts_with("==")) {
      rest.remove_prefix(2);
    } else if (rest.starts_with("=")) {
      rest.remove_prefix(1);
    } else {
      return tl::unexpected(err_bad_request("invalid selector: '" + std::string(text) + "'"));
    }
    r.value = std::string(trim_selector(rest));
    s.m_requirements.push_back(std::move(r));
  }
  return s;
}

}  // namespace ktape::sim
