#pragma once
// The flags of a scheduled, long-running `ktape export` / `ktape record`: --schedule, the
// retention flags of `ktape prune`, --log-format and --listen. The work itself is
// schedule::run_service.
#include <atomic>
#include <cstddef>
#include <optional>
#include <string>

#include "kube/client.hpp"
#include "recorder/recorder.hpp"
#include "schedule/service.hpp"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11 names its namespace
class App;
}

namespace ktape::cli {

struct ScheduleFlags {
  std::string spec;  // --schedule ("" = run once, as without the flag)
  std::optional<std::size_t> keep_last, keep_daily, keep_weekly, keep_monthly;
  std::string older_than, max_size;  // --older-than 30d, --max-size 10G
  std::string log_format = "text";   // --log-format text|json
  std::string listen;                // --listen HOST:PORT ("" = none)
};

// Adds the flags to `cmd`; `flags` must outlive the parse.
void add_schedule_flags(CLI::App& cmd, ScheduleFlags& flags);

// True when the scheduled path applies (--schedule given).
bool scheduled(const ScheduleFlags& flags);

// Runs the schedule until `stop`; the exit code (0 after a clean stop, 1 when it could not start,
// 2 for a flag that does not parse or a retention flag without --schedule).
int run_scheduled(const ScheduleFlags& flags, kube::Client& client, const recorder::RecordOptions& record,
                  schedule::ScheduleMode mode, const std::atomic<bool>& stop);

// A usage error for retention/log/listen flags given without --schedule, else "".
std::string schedule_flags_misuse(const ScheduleFlags& flags);

}  // namespace ktape::cli
