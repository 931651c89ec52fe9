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

std::optional<long long> to_int(std::string_view s) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

const std::string* find_label(const Labels& labels, const std::string& key) {
  for (const auto& [k, v] : labels) {
    if (k == key) return &v;
  }
  return nullptr;
}

ApiError selector_error(std::string_view text, std::string_view why) {
  return err_bad_request("unable to parse requirement: " + std::string(why) + " in \"" + std::string(text) +
                         "\"");
}

}  // namespace

ApiResult<LabelSelector::Requirement> LabelSelector::parse_requirement(std::string_view text) {
  Requirement r;
  if (text.empty()) return tl::unexpected(selector_error(text, "empty requirement"));
  if (text.front() == '!') {
    r.key = std::string(trim(text.substr(1)));
    r.op = Op::not_exists;
    return r;
  }
  std::size_t space = text.find(' ');
  for (auto [word, op] :
       {std::pair{std::string_view(" notin "), Op::not_in}, std::pair{std::string_view(" in "), Op::in}}) {
    std::size_t at = text.find(word);
    if (at == std::string_view::npos || (space != std::string_view::npos && at != space)) continue;
    std::string_view rest = trim(text.substr(at + word.size()));
    if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')')
      return tl::unexpected(selector_error(text, "expected a parenthesized set of values"));
    r.key = std::string(trim(text.substr(0, at)));
    r.op = op;
    std::string_view inner = rest.substr(1, rest.size() - 2);
    for (std::string_view v : split_top_level(inner)) r.values.emplace_back(v);
    return r;
  }
  std::size_t pos = text.find_first_of("=!<>");
  if (pos == std::string_view::npos) {
    r.key = std::string(text);
    r.op = Op::exists;
    if (r.key.find(' ') != std::string::npos) return tl::unexpected(selector_error(text, "unexpected space"));
    return r;
  }
  r.key = std::string(trim(text.substr(0, pos)));
  std::string_view rest = text.substr(pos);
  std::size_t op_len = 1;
  if (rest.starts_with("==")) {
    r.op = Op::equals, op_len = 2;
  } else if (rest.starts_with("!=")) {
    r.op = Op::not_equals, op_len = 2;
  } else if (rest.starts_with("=")) {
    r.op = Op::equals;
  } else if (rest.starts_with(">")) {
    r.op = Op::greater;
  } else if (rest.starts_with("<")) {
    r.op = Op::less;
  } else {
    return tl::unexpected(selector_error(text, "unknown operator"));
  }
  std::string value(trim(rest.substr(op_len)));
  if ((r.op == Op::greater || r.op == Op::less) && !to_int(value))
    return tl::unexpected(selector_error(text, "for 'Gt', 'Lt' operators, the value must be an integer"));
  if (r.key.empty()) return tl::unexpected(selector_error(text, "empty key"));
  r.values.push_back(std::move(value));
  return r;
}

ApiResult<LabelSelector> LabelSelector::parse(std::string_view text) {
  LabelSelector s;
  if (trim(text).empty()) return s;
  for (std::string_view part : split_top_level(text)) {
    auto r = parse_requirement(part);
    if (!r) return tl::unexpected(r.error());
    s.m_requirements.push_back(std::move(*r));
  }
  return s;
}

bool LabelSelector::matches(const Labels& labels) const {
  for (const auto& r : m_requirements) {
    const std::string* v = find_label(labels, r.key);
    bool in_set = v && std::find(r.values.begin(), r.values.end(), *v) != r.values.end();
    bool ok = false;
    switch (r.op) {
      case Op::equals:
        ok = in_set;
        break;
      case Op::not_equals:
        ok = !in_set;
        break;
      case Op::in:
        ok = in_set;
        break;
      case Op::not_in:
        ok = !in_set;
        break;
      case Op::exists:
        ok = v != nullptr;
        break;
      case Op::not_exists:
        ok = v == nullptr;
        break;
      case Op::greater:
      case Op::less: {
        auto have = v ? to_int(*v) : std::nullopt;
        auto want = to_int(r.values.front());
        ok = have && want && (r.op == Op::greater ? *have > *want : *have < *want);
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

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
