#pragma once
// The runner of `ktape export --schedule`: one file per tick, named PREFIX-YYYYMMDD-HHMMSS (the
// tick's UTC time) plus the extension, then the retention policy of `ktape prune` applied to this
// schedule's files (and no others) after each success. A tick that fails is logged, counted in
// ktape_errors_total and retried at the next tick; it never deletes an older file (retention runs
// after successes only, and its own partial file is removed). A tick that comes while the previous
// file is still being written is skipped, logged and counted.
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "formats/error.hpp"
#include "kube/clock.hpp"
#include "ops/log.hpp"
#include "ops/metrics.hpp"
#include "recorder/recorder.hpp"
#include "schedule/cron.hpp"
#include "store/retention.hpp"

namespace ktape::schedule {

// Where a schedule's files go: DIR/PREFIX-YYYYMMDD-HHMMSS.EXT.
struct FileNaming {
  std::string dir;        // "/backups" ("." when the path had no folder)
  std::string prefix;     // "prod"
  std::string extension;  // ".yaml", ".yaml.zst", ".yaml.gz"

  // The file of the tick at `tick` (UTC, to the second).
  std::string path_at(TimePoint tick) const;
  // True for the names path_at produces (any tick), so retention only sees this schedule's files.
  bool is_ours(std::string_view file_name) const;
};

// Splits `--path DIR/PREFIX[.yaml[.zst|.gz]]`; ".yaml" when no extension is given. An empty
// prefix is an invalid Error.
Result<FileNaming> parse_file_naming(const std::string& path);

// Writes one file at `path` (which does not exist yet); what the recorder returns.
using Job = std::function<Result<recorder::RecordSummary>(const std::string& path)>;

struct RunnerOptions {
  Schedule schedule;
  FileNaming naming;
  store::RetentionPolicy retention;    // none given (any() false): keep every file
  std::shared_ptr<kube::Clock> clock;  // wall_now() for ticks; nullptr = the system clock
  ops::Logger* log = nullptr;          // required
  ops::Metrics* metrics = nullptr;     // required
};

// Runs `job` at every tick until `stop` is set; stop is checked at least every 200 ms while
// waiting. The job in progress when stop is set is not interrupted by the runner (the job decides
// what stop means to it: an export finishes its file). Returns the number of files written.
std::uint64_t run_schedule(const RunnerOptions& options, const std::atomic<bool>& stop, const Job& job);

// What to do with the file of a tick that failed: a snapshot cut short is worthless and removed
// (with its sidecar); a recording keeps what it wrote before the failure.
enum class Partial { remove, keep };

// Accounts for one finished file: on success the metrics, a log line and retention; on failure
// ktape_errors_total, a log line, and the partial file per `partial`. Returns true on success.
bool report_file(const RunnerOptions& options, const std::string& path,
                 const Result<recorder::RecordSummary>& result, Partial partial);

// Applies options.retention to the finished files of options.naming (those with a sidecar) and
// deletes the others, logging each; returns how many were deleted. Errors are logged and counted.
std::size_t apply_retention(const RunnerOptions& options, TimePoint now);

}  // namespace ktape::schedule
