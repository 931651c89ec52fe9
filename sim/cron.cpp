#include "sim/cron.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace ktape::sim {

namespace {

struct Bounds {
  int min, max;
  std::vector<std::string_view> names;  // names[i] is min + i ("jan" is 1)
};

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::vector<std::string_view> fields_of(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// robfig/cron's mustParseInt: names first (case-insensitive), then strconv.Atoi's wording.
std::optional<std::string> parse_int(std::string_view text, const Bounds& b, int& out) {
  for (std::size_t i = 0; i < b.names.size(); ++i) {
    std::string lower(text);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == b.names[i]) {
      out = b.min + static_cast<int>(i);
      return std::nullopt;
    }
  }
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty())
    return "failed to parse int from " + std::string(text) + ": strconv.Atoi: parsing \"" +
           std::string(text) + "\": invalid syntax";
  if (out < 0) return "negative number (" + std::to_string(out) + ") not allowed: " + std::string(text);
  return std::nullopt;
}

std::optional<std::string> check_range(std::string_view expr, const Bounds& b) {
  auto range_and_step = split(expr, '/');
  auto low_high = split(range_and_step[0], '-');
  int start = b.min, end = b.max, step = 1;
  bool star = low_high[0] == "*" || low_high[0] == "?";
  if (!star) {
    if (auto bad = parse_int(low_high[0], b, start)) return bad;
    end = start;
    if (low_high.size() == 2) {
      if (auto bad = parse_int(low_high[1], b, end)) return bad;
    } else if (low_high.size() > 2) {
      return "too many hyphens: " + std::string(expr);
    }
  } else if (low_high.size() > 1) {
    return "too many hyphens: " + std::string(expr);
  }
  if (range_and_step.size() == 2) {
    if (auto bad = parse_int(range_and_step[1], b, step)) return bad;
    if (!star && low_high.size() == 1) end = b.max;
  } else if (range_and_step.size() > 2) {
    return "too many slashes: " + std::string(expr);
  }
  if (start < b.min)
    return "beginning of range (" + std::to_string(start) + ") below minimum (" + std::to_string(b.min) +
           "): " + std::string(expr);
  if (end > b.max)
    return "end of range (" + std::to_string(end) + ") above maximum (" + std::to_string(b.max) +
           "): " + std::string(expr);
  if (start > end)
    return "beginning of range (" + std::to_string(start) + ") beyond end of range (" + std::to_string(end) +
           "): " + std::string(expr);
  if (step == 0) return "step of range should be a positive number: " + std::string(expr);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_cron_schedule(std::string_view schedule) {
  std::vector<std::string_view> fields = fields_of(schedule);
  if (fields.empty()) return std::string("empty spec string");
  if (fields[0].rfind("TZ=", 0) == 0 || fields[0].rfind("CRON_TZ=", 0) == 0) fields.erase(fields.begin());
  if (!fields.empty() && fields[0].front() == '@') {
    static const std::array<std::string_view, 8> descriptors = {"@yearly", "@annually", "@monthly", "@weekly",
                                                                "@daily",  "@midnight", "@hourly",  "@every"};
    for (auto d : descriptors)
      if (fields[0] == d) return std::nullopt;
    return "unrecognized descriptor: " + std::string(fields[0]);
  }
  if (fields.size() != 5) {
    std::string list;
    for (auto f : fields) {
      if (!list.empty()) list += ' ';
      list.append(f);
    }
    return "expected exactly 5 fields, found " + std::to_string(fields.size()) + ": [" + list + "]";
  }
  static const std::array<Bounds, 5> bounds = {
      Bounds{0, 59, {}},
      Bounds{0, 23, {}},
      Bounds{1, 31, {}},
      Bounds{1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
      Bounds{0, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
  };
  for (std::size_t i = 0; i < 5; ++i)
    for (std::string_view expr : split(fields[i], ','))
      if (auto bad = check_range(expr, bounds[i])) return bad;
  return std::nullopt;
}

}  // namespace ktape::sim
