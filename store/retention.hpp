#pragma once
// Retention for `ktape prune`: which recordings of a folder to keep, as the union of policies
// (kinder's and restic's model): a recording is kept when at least one given policy keeps it, and
// deleted when none does. Pure logic: no files, no clock (the caller passes "now").
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ktape::store {

struct RetentionPolicy {
  std::optional<std::size_t> keep_last;                // --keep-last N: the N newest
  std::optional<std::chrono::nanoseconds> older_than;  // --older-than D: keeps those newer than D
  // --max-size BYTES: the newest recordings whose sizes add up to at most BYTES (walking from the
  // newest, up to the first that does not fit).
  std::optional<std::uint64_t> max_size;
  // restic's buckets (UTC): the newest recording of each of the N newest days / ISO weeks
  // (Monday to Sunday) / calendar months that have recordings.
  std::optional<std::size_t> keep_daily, keep_weekly, keep_monthly;

  // True when at least one policy is given (prune without a policy is a usage error).
  bool any() const;
};

struct RetentionCandidate {
  std::string name;                // for the plan; not interpreted
  std::int64_t start_unix_ns = 0;  // the recording's start
  std::uint64_t bytes = 0;         // size as stored
};

struct RetentionDecision {
  bool keep = false;
  // keep: every policy that keeps it ("keep-last 2", "daily 2026-12-07", "newer than 30d"...);
  // delete: why none does ("not among the 2 newest", "older than 30d", ...).
  std::vector<std::string> reasons;
};

// One decision per candidate, in the candidates' order (any order in; ties in time are broken by
// name, the larger name counting as newer). `now_unix_ns` is used by older_than only.
std::vector<RetentionDecision> plan_retention(const std::vector<RetentionCandidate>& candidates,
                                              const RetentionPolicy& policy, std::int64_t now_unix_ns);

}  // namespace ktape::store
