#include "formats/time.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>

namespace ktape::formats {

namespace {

using namespace std::chrono;

constexpr std::string_view k_marker_prefix = "$(time-offset-nanosecond ";

// Field names whose values are times in the built-in API types (metav1.Time / MicroTime).
constexpr std::array<std::string_view, 24> k_time_fields = {
    "creationTimestamp",   "deletionTimestamp", "time",
    "lastTransitionTime",  "lastProbeTime",     "lastHeartbeatTime",
    "lastUpdateTime",      "startTime",         "startedAt",
    "finishedAt",          "completionTime",    "lastScheduleTime",
    "lastSuccessfulTime",  "eventTime",         "firstTimestamp",
    "lastTimestamp",       "renewTime",         "acquireTime",
    "expirationTimestamp", "lastObservedTime",  "observedTime",
    "lastRefreshTime",     "timestamp",         "lastUpdated"};

// Subtrees that hold user data: never rewritten.
constexpr std::array<std::string_view, 5> k_user_data = {"data", "stringData", "binaryData", "labels",
                                                         "annotations"};

bool contains(auto const& set, std::string_view key) {
  return std::find(set.begin(), set.end(), key) != set.end();
}

bool read_int(std::string_view s, int& out) {
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

// Parses "+hh:mm" / "-hh:mm" / "Z" into an offset in minutes.
std::optional<int> parse_zone(std::string_view z) {
  if (z == "Z" || z == "z") return 0;
  int h = 0, m = 0;
  if (z.size() != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':') return std::nullopt;
  if (!read_int(z.substr(1, 2), h) || !read_int(z.substr(4, 2), m) || h > 23 || m > 59) return std::nullopt;
  return (z[0] == '-' ? -1 : 1) * (h * 60 + m);
}

std::optional<nanoseconds> parse_fraction(std::string_view& rest) {
  if (rest.empty() || rest[0] != '.') return nanoseconds{0};
  std::size_t i = 1;
  std::int64_t ns = 0, scale = 100000000;
  while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
    if (scale > 0) ns += (rest[i] - '0') * scale;
    scale /= 10;
    ++i;
  }
  if (i == 1) return std::nullopt;
  rest.remove_prefix(i);
  return nanoseconds{ns};
}

}  // namespace

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
  // 2006-01-02T15:04:05[.frac](Z|±hh:mm)
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') ||
      text[13] != ':' || text[16] != ':')
    return std::nullopt;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!read_int(text.substr(0, 4), y) || !read_int(text.substr(5, 2), mo) ||
      !read_int(text.substr(8, 2), d) || !read_int(text.substr(11, 2), h) ||
      !read_int(text.substr(14, 2), mi) || !read_int(text.substr(17, 2), s))
    return std::nullopt;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  std::string_view rest = text.substr(19);
  auto frac = parse_fraction(rest);
  if (!frac) return std::nullopt;
  auto zone = parse_zone(rest);
  if (!zone) return std::nullopt;
  return sys_days{ymd} + hours{h} + minutes{mi} + seconds{s} + *frac - minutes{*zone};
}

std::string format_rfc3339(TimePoint t, TimePrecision precision) {
  auto day_point = floor<days>(t);
  year_month_day ymd{day_point};
  hh_mm_ss<nanoseconds> tod{t - day_point};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                        static_cast<int>(tod.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  auto sub = tod.subseconds().count();
  if (precision == TimePrecision::micro) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(sub / 1000));
    out += buf;
  } else if (precision == TimePrecision::nano) {
    std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(sub));
    out += buf;
  }
  out += 'Z';
  return out;
}

std::string format_time_marker(std::int64_t offset_ns) {
  return std::string(k_marker_prefix) + std::to_string(offset_ns) + ")";
}

Result<std::optional<std::int64_t>> parse_time_marker(std::string_view text) {
  if (text.substr(0, 2) != "$(" || text.find("time-offset-nanosecond") == std::string_view::npos)
    return std::optional<std::int64_t>{};
  std::int64_t out = 0;
  std::string_view digits = text.substr(std::min(text.size(), k_marker_prefix.size()));
  if (text.substr(0, k_marker_prefix.size()) == k_marker_prefix && !digits.empty() && digits.back() == ')') {
    digits.remove_suffix(1);
    auto res = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    if (res.ec == std::errc() && res.ptr == digits.data() + digits.size()) return std::optional{out};
  }
  return fail(ErrorKind::parse, "malformed time marker \"" + std::string(text.substr(0, 64)) +
                                    "\" (expected \"$(time-offset-nanosecond N)\" with N an integer)");
}

namespace {

void relativize(Value& v, std::string_view key, TimePoint base, std::size_t& count) {
  if (v.is_string()) {
    if (!contains(k_time_fields, key)) return;
    if (auto t = parse_rfc3339(v.as_string())) {
      v = Value(format_time_marker((*t - base).count()));
      ++count;
    }
  } else if (v.is_object()) {
    for (auto& m : v.as_object())
      if (!contains(k_user_data, m.key)) relativize(m.value, m.key, base, count);
  } else if (v.is_array()) {
    for (auto& e : v.as_array()) relativize(e, key, base, count);
  }
}

std::string absolute_text(TimePoint base, std::int64_t offset) {
  return format_rfc3339(base + nanoseconds{offset}, TimePrecision::micro);
}

// Replaces every marker embedded in `s` (kwok rewrites times inside any text).
Result<std::size_t> replace_embedded(std::string& s, TimePoint base) {
  std::size_t count = 0, pos = 0;
  while ((pos = s.find(k_marker_prefix, pos)) != std::string::npos) {
    auto end = s.find(')', pos);
    if (end == std::string::npos) end = s.size() - 1;
    auto marker = parse_time_marker(std::string_view(s).substr(pos, end + 1 - pos));
    if (!marker) return fail(marker.error());
    std::string text = absolute_text(base, **marker);
    s.replace(pos, end + 1 - pos, text);
    pos += text.size();
    ++count;
  }
  return count;
}

struct Absolutizer {
  TimePoint base;
  MarkerScope scope;
  std::string path;
  std::size_t count = 0;

  Result<void> string_field(Value& v, std::string_view key) {
    if (scope == MarkerScope::everywhere) {
      auto n = replace_embedded(v.as_string(), base);
      if (!n) return fail(with_context(n.error(), "field " + path));
      count += *n;
      return {};
    }
    if (!contains(k_time_fields, key)) return {};
    auto marker = parse_time_marker(v.as_string());
    if (!marker) return fail(with_context(marker.error(), "field " + path));
    if (*marker) {
      v = Value(absolute_text(base, **marker));
      ++count;
    }
    return {};
  }

  Result<void> walk(Value& v, std::string_view key) {
    if (v.is_string()) return string_field(v, key);
    std::size_t mark = path.size();
    if (v.is_object()) {
      for (auto& m : v.as_object()) {
        if (scope == MarkerScope::time_fields && contains(k_user_data, m.key)) continue;
        path += (path.empty() ? "" : ".") + m.key;
        auto r = walk(m.value, m.key);
        path.resize(mark);
        if (!r) return r;
      }
    } else if (v.is_array()) {
      auto& arr = v.as_array();
      for (std::size_t i = 0; i < arr.size(); ++i) {
        path += '[';
        path += std::to_string(i);
        path += ']';
        auto r = walk(arr[i], key);
        path.resize(mark);
        if (!r) return r;
      }
    }
    return {};
  }
};

}  // namespace

std::size_t relativize_times(Value& object, TimePoint base) {
  std::size_t count = 0;
  relativize(object, {}, base, count);
  return count;
}

Result<std::size_t> absolutize_times(Value& object, TimePoint base, MarkerScope scope) {
  Absolutizer a{base, scope, {}, 0};
  auto r = a.walk(object, {});
  if (!r) return fail(r.error());
  return a.count;
}

}  // namespace ktape::formats
