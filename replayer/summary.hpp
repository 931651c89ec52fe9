#pragma once
// The replay summary: per resource what was created, patched, deleted, skipped and failed, the
// problems and errors met, and how late events ran against the scaled schedule. Thread-safe: the
// workers of a replay add to one Summary at the same time.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "formats/value.hpp"

namespace ktape::replayer {

enum class Outcome { created, patched, deleted, skipped, failed };

struct Counts {
  std::uint64_t created = 0, patched = 0, deleted = 0, skipped = 0, failed = 0;
  std::uint64_t total() const { return created + patched + deleted + skipped + failed; }
};

// Nearest-rank percentiles of the lateness samples (0 when there are none).
struct Lateness {
  std::size_t samples = 0;
  std::chrono::nanoseconds p50{0}, p99{0}, max{0};
};

// Nearest-rank percentile (0 < q <= 1) of `samples`, which it sorts; 0 for none.
std::chrono::nanoseconds percentile(std::vector<std::chrono::nanoseconds>& samples, double q);

struct SummaryReport {
  std::map<std::string, Counts> by_resource;  // "deployments.apps", "pods"
  Counts totals;
  Lateness lateness;
  std::vector<std::string> problems;  // pre-flight and ownership problems, one line each
  std::vector<std::string> errors;    // the first errors verbatim
  // Skips by why (replayer/policy.hpp's k_kept_control_plane, ...) -> how many; also counted in
  // by_resource and totals as skipped.
  std::map<std::string, std::uint64_t> reasons;
  // Values changed for the target, one line each ("v1 Service shop/web: clusterIP 10.96.0.1
  // refused (...); created with clusterIP 10.96.4.2").
  std::vector<std::string> notes;
  std::uint64_t errors_not_listed = 0;
  std::uint64_t relinked = 0;  // owner UIDs rewritten
  std::uint64_t dangling = 0;  // owner references that resolved nowhere
  std::chrono::nanoseconds elapsed{0};
  bool stopped = false;  // stopped early (Ctrl+C)
  bool dry_run = false;
};

class Summary {
 public:
  explicit Summary(std::size_t max_errors = 20) : m_max_errors(max_errors) {}

  void count(std::string_view resource, Outcome outcome);
  // A skip of an object of `resource` for `reason` (counted as skipped, and by reason).
  void skip(std::string_view resource, std::string_view reason);
  // A value changed for the target (SummaryReport::notes).
  void note(std::string line);
  // An error line ("create apps/v1 Deployment shop/web: ...") for the summary.
  void error(std::string message);
  void problem(std::string message);
  // How late one event was sent against its scaled due time (negative counts as 0).
  void late(std::chrono::nanoseconds lateness);

  SummaryReport report() const;

 private:
  mutable std::mutex m_mutex;
  std::size_t m_max_errors;
  SummaryReport m_report;
  std::vector<std::chrono::nanoseconds> m_lateness;
};

// The human summary: a totals line, one line per resource, lateness, problems and errors.
std::string format_summary(const SummaryReport& report);
// The same as JSON (--output json).
formats::Value summary_to_value(const SummaryReport& report);

}  // namespace ktape::replayer
