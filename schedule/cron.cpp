#include "schedule/cron.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace ktape::schedule {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const char* const* names;  // names[i] is the value min + i; nullptr when the field has none
};

constexpr std::array<const char*, 12> k_month_names = {"jan", "feb", "mar", "apr", "may", "jun",
                                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<const char*, 7> k_day_names = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// Day of week accepts 7 for Sunday as cron does; it is folded onto 0 after parsing.
constexpr std::array<FieldSpec, 5> k_fields = {{{"minute", 0, 59, nullptr},
                                                {"hour", 0, 23, nullptr},
                                                {"day of month", 1, 31, nullptr},
                                                {"month", 1, 12, k_month_names.data()},
                                                {"day of week", 0, 7, k_day_names.data()}}};

Error field_error(std::string_view spec, const FieldSpec& field, const std::string& what) {
  std::string message = "schedule \"";
  message.append(spec).append("\": ").append(field.name).append(": ").append(what);
  return Error{ErrorKind::parse, std::move(message), 0, {}};
}

std::optional<int> parse_value(std::string_view text, const FieldSpec& field) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && end == text.data() + text.size()) return value;
  if (field.names == nullptr || text.size() != 3) return std::nullopt;
  int count = field.max - field.min + 1;
  if (field.min == 0 && field.max == 7) count = 7;  // day of week: 7 names for 0-6
  for (int i = 0; i < count; ++i) {
    std::string_view name = field.names[i];
    bool same = true;
    for (std::size_t c = 0; c < 3; ++c)
      same = same && std::tolower(static_cast<unsigned char>(text[c])) == name[c];
    if (same) return field.min + i;
  }
  return std::nullopt;
}

struct Range {
  int first = 0;
  int last = 0;
  int step = 1;
  bool star = false;
};

Result<int> value_in_range(std::string_view spec, std::string_view text, const FieldSpec& field) {
  auto v = parse_value(text, field);
  if (!v) {
    std::string message = "\"";  // appended, not "\"" + ...: GCC 12's -O3 -Werror=restrict
    message.append(text).append("\" is not a number or name");
    return fail(field_error(spec, field, message));
  }
  if (*v < field.min || *v > field.max)
    return fail(field_error(spec, field,
                            std::to_string(*v) + " is out of range " + std::to_string(field.min) + "-" +
                                std::to_string(field.max)));
  return *v;
}

Result<Range> parse_range(std::string_view spec, std::string_view item, const FieldSpec& field) {
  Range range{field.min, field.max, 1, false};
  std::string_view base = item;
  auto slash = item.find('/');
  if (slash != std::string_view::npos) {
    base = item.substr(0, slash);
    auto step = parse_value(item.substr(slash + 1), FieldSpec{field.name, 1, 0, nullptr});
    if (!step || *step < 1)
      return fail(field_error(
          spec, field, "step \"" + std::string(item.substr(slash + 1)) + "\" is not a positive number"));
    range.step = *step;
  }
  if (base == "*") {
    range.star = true;
    return range;
  }
  auto dash = base.find('-');
  auto first = value_in_range(spec, base.substr(0, dash), field);
  if (!first) return fail(first.error());
  range.first = *first;
  if (dash != std::string_view::npos) {
    auto last = value_in_range(spec, base.substr(dash + 1), field);
    if (!last) return fail(last.error());
    range.last = *last;
    if (range.last < range.first)
      return fail(field_error(spec, field, "range \"" + std::string(base) + "\" runs backwards"));
  } else if (slash == std::string_view::npos) {
    range.last = range.first;  // "5" alone; "5/15" runs from 5 to the maximum
  }
  return range;
}

// The set bits of one field; `star` tells whether the field is "*" or "*/n".
Result<std::vector<bool>> parse_field(std::string_view spec, std::string_view text, const FieldSpec& field,
                                      bool& star) {
  std::vector<bool> bits(static_cast<std::size_t>(field.max) + 1, false);
  star = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    if (item.empty()) return fail(field_error(spec, field, "an empty list item"));
    auto range = parse_range(spec, item, field);
    if (!range) return fail(range.error());
    star = star || range->star;
    for (int v = range->first; v <= range->last; v += range->step) bits[static_cast<std::size_t>(v)] = true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return bits;
}

template <std::size_t N>
void copy_bits(const std::vector<bool>& from, std::bitset<N>& to) {
  for (std::size_t i = 0; i < N && i < from.size(); ++i) to[i] = from[i];
}

std::vector<std::string_view> split_fields(std::string_view spec) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < spec.size()) {
    while (i < spec.size() && std::isspace(static_cast<unsigned char>(spec[i]))) ++i;
    std::size_t start = i;
    while (i < spec.size() && !std::isspace(static_cast<unsigned char>(spec[i]))) ++i;
    if (i > start) out.push_back(spec.substr(start, i - start));
  }
  return out;
}

// "1h30m", "90s", "2h": whole-second Go-style durations (h, m, s).
std::optional<seconds> parse_every(std::string_view text) {
  seconds total{0};
  std::size_t i = 0;
  if (text.empty()) return std::nullopt;
  while (i < text.size()) {
    long long n = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), n);
    if (ec != std::errc() || end == text.data() + text.size()) return std::nullopt;
    i = static_cast<std::size_t>(end - text.data());
    char unit = text[i++];
    if (unit == 'h')
      total += hours(n);
    else if (unit == 'm')
      total += minutes(n);
    else if (unit == 's')
      total += seconds(n);
    else
      return std::nullopt;
  }
  return total;
}

std::string_view expand_macro(std::string_view spec) {
  static const std::array<std::pair<std::string_view, std::string_view>, 7> k_macros = {{
      {"@yearly", "0 0 1 1 *"},
      {"@annually", "0 0 1 1 *"},
      {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"},
      {"@daily", "0 0 * * *"},
      {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"},
  }};
  for (const auto& [name, fields] : k_macros)
    if (spec == name) return fields;
  return {};
}

Result<Schedule> parse_every_spec(std::string_view spec, std::string_view rest) {
  auto words = split_fields(rest);
  auto every = words.size() == 1 ? parse_every(words[0]) : std::nullopt;
  if (!every || every->count() < 1)
    return fail(ErrorKind::parse, "schedule \"" + std::string(spec) +
                                      "\": @every needs one duration of at least 1s (30m, 1h30m, 90s)");
  Schedule s;
  s.spec = std::string(spec);
  s.every = *every;
  return s;
}

Result<void> parse_cron_fields(std::string_view spec, std::string_view fields_text, Schedule& s) {
  auto fields = split_fields(fields_text);
  if (fields.size() != 5)
    return fail(ErrorKind::parse, "schedule \"" + std::string(spec) + "\": expected 5 fields (minute hour " +
                                      "day-of-month month day-of-week) or @hourly/@daily/@weekly/@monthly/" +
                                      "@yearly/@every DURATION, got " + std::to_string(fields.size()) +
                                      " fields");
  std::array<std::vector<bool>, 5> bits;
  std::array<bool, 5> star{};
  for (std::size_t i = 0; i < 5; ++i) {
    auto parsed = parse_field(spec, fields[i], k_fields[i], star[i]);
    if (!parsed) return fail(parsed.error());
    bits[i] = std::move(*parsed);
  }
  if (bits[4][7]) bits[4][0] = true;  // 7 is Sunday too
  copy_bits(bits[0], s.minutes);
  copy_bits(bits[1], s.hours);
  copy_bits(bits[2], s.days_of_month);
  copy_bits(bits[3], s.months);
  copy_bits(bits[4], s.days_of_week);
  s.day_of_month_star = star[2];
  s.day_of_week_star = star[4];
  return {};
}

bool day_matches(const Schedule& s, const std::chrono::year_month_day& ymd, std::chrono::weekday wd) {
  bool dom = s.days_of_month[static_cast<unsigned>(ymd.day())];
  bool dow = s.days_of_week[wd.c_encoding()];
  // cron's rule: with both fields restricted, either one matching is enough.
  if (s.day_of_month_star || s.day_of_week_star) return dom && dow;
  return dom || dow;
}

std::optional<TimePoint> next_cron_tick(const Schedule& s, TimePoint after) {
  using namespace std::chrono;
  auto t = floor<minutes>(after) + minutes(1);
  auto limit = after + years(8);
  while (t <= limit) {
    auto day = floor<days>(t);
    year_month_day ymd(day);
    if (!s.months[static_cast<unsigned>(ymd.month())]) {
      auto next_month = ymd.year() / ymd.month() / 1d + months(1);
      t = sys_days(year_month_day(next_month.year(), next_month.month(), 1d));
      continue;
    }
    if (!day_matches(s, ymd, weekday(day))) {
      t = day + days(1);
      continue;
    }
    hh_mm_ss hms(t - day);
    if (!s.hours[static_cast<std::size_t>(hms.hours().count())]) {
      t = floor<hours>(t) + hours(1);
      continue;
    }
    if (!s.minutes[static_cast<std::size_t>(hms.minutes().count())]) {
      t += minutes(1);
      continue;
    }
    return time_point_cast<system_clock::duration>(t);
  }
  return std::nullopt;
}

}  // namespace

Result<Schedule> parse_schedule(std::string_view spec) {
  auto words = split_fields(spec);
  if (words.empty()) return fail(ErrorKind::parse, "schedule \"\": empty (try \"0 */6 * * *\" or @every 6h)");
  if (words[0] == "@every") return parse_every_spec(spec, spec.substr(spec.find("@every") + 6));
  std::string_view fields = spec;
  if (words[0].front() == '@') {
    if (words.size() != 1 || expand_macro(words[0]).empty())
      return fail(ErrorKind::parse, "schedule \"" + std::string(spec) +
                                        "\": unknown macro (known: @yearly @monthly @weekly @daily @hourly "
                                        "@every DURATION)");
    fields = expand_macro(words[0]);
  }
  Schedule s;
  s.spec = std::string(spec);
  auto parsed = parse_cron_fields(spec, fields, s);
  if (!parsed) return fail(parsed.error());
  if (!next_cron_tick(s, std::chrono::system_clock::time_point{}))
    return fail(ErrorKind::parse, "schedule \"" + std::string(spec) + "\": never fires (no such date)");
  return s;
}

std::optional<TimePoint> next_tick(const Schedule& schedule, TimePoint after) {
  if (schedule.every.count() > 0) return after + schedule.every;
  return next_cron_tick(schedule, after);
}

}  // namespace ktape::schedule
