#include "cli/size.hpp"

#include <array>
#include <cstdlib>
#include <string>
#include <utility>

#include "cli/duration.hpp"

namespace ktape::cli {

namespace {

// The number at the start of `text` and the rest; nullopt without a number.
std::optional<std::pair<double, std::string_view>> leading_number(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  char* end = nullptr;
  std::string digits(text.substr(0, i));
  double n = std::strtod(digits.c_str(), &end);
  if (end != digits.c_str() + digits.size()) return std::nullopt;
  return std::pair{n, text.substr(i)};
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  auto parsed = leading_number(text);
  if (!parsed) return std::nullopt;
  auto [n, unit] = *parsed;
  static constexpr std::array<std::string_view, 5> k_prefixes = {"", "K", "M", "G", "T"};
  for (std::size_t p = 0; p < k_prefixes.size(); ++p) {
    if (!unit.starts_with(k_prefixes[p])) continue;
    auto rest = unit.substr(k_prefixes[p].size());
    if (rest.empty() || rest == "B" || (p > 0 && (rest == "i" || rest == "iB")))
      return static_cast<std::uint64_t>(n * static_cast<double>(std::uint64_t{1} << (10 * p)));
  }
  return std::nullopt;
}

std::optional<std::chrono::nanoseconds> parse_age(std::string_view text) {
  auto parsed = leading_number(text);
  if (parsed && (parsed->second == "d" || parsed->second == "w")) {
    double days = parsed->first * (parsed->second == "w" ? 7 : 1);
    return std::chrono::nanoseconds(static_cast<std::int64_t>(days * 86400e9));
  }
  return parse_duration(text);
}

}  // namespace ktape::cli
