#include "formats/label_selector.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace ktape::formats {
std::string_view trim_selector(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_selector(std::string_view text) {
  std::vector<std::string_view> parts;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || (text[i] == ',' && depth == 0)) {
      parts.push_back(trim_selector(text.substr(start, i - start)));
      start = i + 1;
    } else if (text[i] == '(') {
      ++depth;
    } else if (text[i] == ')') {
      --depth;
    }
  }
  return parts;
}

namespace {

std::optional<long long> to_int(std::string_view s) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Error selector_error(std::string_view text, std::string_view why) {
  return Error{ErrorKind::invalid,
               "unable to parse requirement: " + std::string(why) + " in \"" + std::string(text) + "\"", 400,
               "BadRequest"};
}

}  // namespace

Result<LabelSelector::Requirement> LabelSelector::parse_requirement(std::string_view text) {
  Requirement r;
  if (text.empty()) return fail(selector_error(text, "empty requirement"));
  if (text.front() == '!') {
    r.key = std::string(trim_selector(text.substr(1)));
    r.op = Op::not_exists;
    return r;
  }
  std::size_t space = text.find(' ');
  for (auto [word, op] :
       {std::pair{std::string_view(" notin "), Op::not_in}, std::pair{std::string_view(" in "), Op::in}}) {
    std::size_t at = text.find(word);
    if (at == std::string_view::npos || (space != std::string_view::npos && at != space)) continue;
    std::string_view rest = trim_selector(text.substr(at + word.size()));
    if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')')
      return fail(selector_error(text, "expected a parenthesized set of values"));
    r.key = std::string(trim_selector(text.substr(0, at)));
    r.op = op;
    std::string_view inner = rest.substr(1, rest.size() - 2);
    for (std::string_view v : split_selector(inner)) r.values.emplace_back(v);
    return r;
  }
  std::size_t pos = text.find_first_of("=!<>");
  if (pos == std::string_view::npos) {
    r.key = std::string(text);
    r.op = Op::exists;
    if (r.key.find(' ') != std::string::npos) return fail(selector_error(text, "unexpected space"));
    return r;
  }
  r.key = std::string(trim_selector(text.substr(0, pos)));
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
    return fail(selector_error(text, "unknown operator"));
  }
  std::string value(trim_selector(rest.substr(op_len)));
  if ((r.op == Op::greater || r.op == Op::less) && !to_int(value))
    return fail(selector_error(text, "for 'Gt', 'Lt' operators, the value must be an integer"));
  if (r.key.empty()) return fail(selector_error(text, "empty key"));
  r.values.push_back(std::move(value));
  return r;
}

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  LabelSelector s;
  if (trim_selector(text).empty()) return s;
  for (std::string_view part : split_selector(text)) {
    auto r = parse_requirement(part);
    if (!r) return fail(r.error());
    s.m_requirements.push_back(std::move(*r));
  }
  return s;
}

bool LabelSelector::satisfied(const Requirement& r, const std::string* v) {
  bool in_set = v && std::find(r.values.begin(), r.values.end(), *v) != r.values.end();
  switch (r.op) {
    case Op::equals:
    case Op::in:
      return in_set;
    case Op::not_equals:
    case Op::not_in:
      return !in_set;
    case Op::exists:
      return v != nullptr;
    case Op::not_exists:
      return v == nullptr;
    case Op::greater:
    case Op::less: {
      auto have = v ? to_int(*v) : std::nullopt;
      auto want = to_int(r.values.front());
      return have && want && (r.op == Op::greater ? *have > *want : *have < *want);
    }
  }
  return false;
}

bool LabelSelector::matches(const Labels& labels) const {
  return matches_with([&](const std::string& key) -> const std::string* {
    for (const auto& [k, v] : labels)
      if (k == key) return &v;
    return nullptr;
  });
}

bool LabelSelector::matches(const Value& labels) const {
  return matches_with([&](const std::string& key) -> const std::string* {
    const Value* v = labels.find(key);
    return v != nullptr && v->is_string() ? &v->as_string() : nullptr;
  });
}

}  // namespace ktape::formats
