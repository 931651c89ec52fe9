#include "sim/selector.hpp"

#include <algorithm>
#include <charconv>

namespace ktape::sim {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Splits at commas outside parentheses.
std::vector<std::string_view> split_top_level(std::string_view text) {
  std::vector<std::string_view> parts;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || (text[i] == ',' && depth == 0)) {
      parts.push_back(trim(text.substr(start, i - start)));
      start = i + 1;
    } else if (text[i] == '(') {
      ++depth;
    } else if (text[i] == ')') {
      --depth;
    }
  }
  return parts;
}

}  // namespace

ApiResult<FieldSelector> FieldSelector::parse(std::string_view text) {
  FieldSelector s;
  if (trim(text).empty()) return s;
  for (std::string_view part : split_top_level(text)) {
    Requirement r;
    std::size_t pos = part.find_first_of("=!");
    if (pos == std::string_view::npos || pos == 0)
      return tl::unexpected(err_bad_request("invalid selector: '" + std::string(text) +
                                            "'; can't understand '" + std::string(part) + "'"));
    r.path = std::string(trim(part.substr(0, pos)));
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
    r.value = std::string(trim(rest));
    s.m_requirements.push_back(std::move(r));
  }
  return s;
}

}  // namespace ktape::sim
