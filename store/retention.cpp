#include "store/retention.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace ktape::store {

namespace {

using std::chrono::days;
using std::chrono::nanoseconds;
using std::chrono::sys_days;

constexpr std::int64_t k_ns_per_day = 86'400'000'000'000;

std::int64_t day_number(std::int64_t unix_ns) {
  // Floor division: a time before 1970 still falls in its own day.
  return unix_ns >= 0 ? unix_ns / k_ns_per_day : -((-unix_ns + k_ns_per_day - 1) / k_ns_per_day);
}

std::string date_text(std::int64_t day) {
  std::chrono::year_month_day ymd{sys_days{days{day}}};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

// Bucket keys (UTC). 1970-01-01 was a Thursday: day + 3 puts Mondays at multiples of 7.
std::int64_t daily_key(std::int64_t unix_ns) { return day_number(unix_ns); }
std::int64_t weekly_key(std::int64_t unix_ns) {
  auto d = day_number(unix_ns) + 3;
  return d >= 0 ? d / 7 : -((-d + 6) / 7);
}
std::int64_t monthly_key(std::int64_t unix_ns) {
  std::chrono::year_month_day ymd{sys_days{days{day_number(unix_ns)}}};
  return static_cast<std::int64_t>(static_cast<int>(ymd.year())) * 12 + static_cast<unsigned>(ymd.month());
}

std::string duration_text(nanoseconds d) {
  auto h = std::chrono::duration_cast<std::chrono::hours>(d).count();
  if (h > 0 && h % 24 == 0) return std::to_string(h / 24) + "d";
  if (h > 0) return std::to_string(h) + "h";
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
}

struct Walk {
  const std::vector<RetentionCandidate>& candidates;
  std::vector<std::size_t> newest_first;
  std::vector<RetentionDecision>& out;
  // Delete reasons, kept apart: they are shown only for recordings no policy keeps.
  std::vector<std::vector<std::string>> against;
};

void keep_last(Walk& w, std::size_t n) {
  for (std::size_t rank = 0; rank < w.newest_first.size(); ++rank) {
    auto i = w.newest_first[rank];
    if (rank < n)
      w.out[i].reasons.push_back("keep-last " + std::to_string(n) + " (#" + std::to_string(rank + 1) + ")");
    else
      w.against[i].push_back("not among the " + std::to_string(n) + " newest");
  }
}

void older_than(Walk& w, nanoseconds age, std::int64_t now) {
  for (std::size_t i = 0; i < w.candidates.size(); ++i) {
    bool old = w.candidates[i].start_unix_ns < now - age.count();
    (old ? w.against[i] : w.out[i].reasons)
        .push_back((old ? "older than " : "newer than ") + duration_text(age));
  }
}

void max_size(Walk& w, std::uint64_t budget) {
  std::uint64_t total = 0;
  bool full = false;
  for (auto i : w.newest_first) {
    full = full || total + w.candidates[i].bytes > budget;
    if (full) {
      w.against[i].push_back("beyond --max-size " + std::to_string(budget) + " bytes");
      continue;
    }
    total += w.candidates[i].bytes;
    w.out[i].reasons.push_back("within --max-size (" + std::to_string(total) + " bytes so far)");
  }
}

template <typename KeyOf>
void buckets(Walk& w, std::size_t n, std::string_view label, KeyOf key_of) {
  std::optional<std::int64_t> last;
  std::size_t kept = 0;
  for (auto i : w.newest_first) {
    auto key = key_of(w.candidates[i].start_unix_ns);
    if (kept < n && key != last) {
      ++kept;
      last = key;
      w.out[i].reasons.push_back(std::string(label) + " " +
                                 date_text(day_number(w.candidates[i].start_unix_ns)));
    } else {
      w.against[i].push_back("not the newest of a kept " + std::string(label) + " bucket");
    }
  }
}

}  // namespace

bool RetentionPolicy::any() const {
  return keep_last || older_than || max_size || keep_daily || keep_weekly || keep_monthly;
}

std::vector<RetentionDecision> plan_retention(const std::vector<RetentionCandidate>& candidates,
                                              const RetentionPolicy& policy, std::int64_t now_unix_ns) {
  std::vector<RetentionDecision> out(candidates.size());
  Walk w{candidates, std::vector<std::size_t>(candidates.size()), out, {}};
  w.against.resize(candidates.size());
  std::iota(w.newest_first.begin(), w.newest_first.end(), std::size_t{0});
  std::sort(w.newest_first.begin(), w.newest_first.end(), [&](std::size_t a, std::size_t b) {
    const auto &x = candidates[a], &y = candidates[b];
    return x.start_unix_ns != y.start_unix_ns ? x.start_unix_ns > y.start_unix_ns : x.name > y.name;
  });
  if (policy.keep_last) keep_last(w, *policy.keep_last);
  if (policy.older_than) older_than(w, *policy.older_than, now_unix_ns);
  if (policy.max_size) max_size(w, *policy.max_size);
  if (policy.keep_daily) buckets(w, *policy.keep_daily, "daily", daily_key);
  if (policy.keep_weekly) buckets(w, *policy.keep_weekly, "weekly", weekly_key);
  if (policy.keep_monthly) buckets(w, *policy.keep_monthly, "monthly", monthly_key);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].keep = !out[i].reasons.empty();
    if (!out[i].keep) out[i].reasons = std::move(w.against[i]);
  }
  return out;
}

}  // namespace ktape::store
