#include "cli/schedule_flags.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/size.hpp"

namespace ktape::cli {
namespace {

// The retention policy, or a message for the user.
std::optional<store::RetentionPolicy> policy_of(const ScheduleFlags& f, std::string& problem) {
  store::RetentionPolicy p;
  p.keep_last = f.keep_last;
  p.keep_daily = f.keep_daily;
  p.keep_weekly = f.keep_weekly;
  p.keep_monthly = f.keep_monthly;
  if (!f.older_than.empty()) {
    p.older_than = parse_age(f.older_than);
    if (!p.older_than) {
      problem = "--older-than \"" + f.older_than + "\" is not an age (try 30d, 2w, 12h)";
      return std::nullopt;
    }
  }
  if (!f.max_size.empty()) {
    p.max_size = parse_size(f.max_size);
    if (!p.max_size) {
      problem = "--max-size \"" + f.max_size + "\" is not a size (try 500M, 10G)";
      return std::nullopt;
    }
  }
  return p;
}

}  // namespace

void add_schedule_flags(CLI::App& cmd, ScheduleFlags& f) {
  cmd.add_option(
      "--schedule", f.spec,
      "Run until stopped, one file per tick: cron \"0 */6 * * *\" (UTC), @hourly, @daily, @every 30m; "
      "--path DIR/PREFIX[.yaml.zst] names them PREFIX-YYYYMMDD-HHMMSS");
  auto group = "Scheduled runs";
  cmd.add_option("--keep-last", f.keep_last, "With --schedule: keep the N newest files")->group(group);
  cmd.add_option("--keep-daily", f.keep_daily,
                 "With --schedule: keep the newest of each of the N newest days")
      ->group(group);
  cmd.add_option("--keep-weekly", f.keep_weekly,
                 "With --schedule: keep the newest of each of the N newest weeks")
      ->group(group);
  cmd.add_option("--keep-monthly", f.keep_monthly,
                 "With --schedule: keep the newest of each of the N newest months")
      ->group(group);
  cmd.add_option("--older-than", f.older_than, "With --schedule: delete files older than D (30d, 2w, 12h)")
      ->group(group);
  cmd.add_option("--max-size", f.max_size, "With --schedule: keep the newest files that fit in SIZE (10G)")
      ->group(group);
  cmd.add_option("--log-format", f.log_format, "With --schedule: log lines as text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->group(group);
  cmd.add_option("--listen", f.listen,
                 "With --schedule: serve /healthz and /metrics on HOST:PORT (127.0.0.1:9464)")
      ->group(group);
}

bool scheduled(const ScheduleFlags& flags) { return !flags.spec.empty(); }

std::string schedule_flags_misuse(const ScheduleFlags& f) {
  if (scheduled(f)) return "";
  bool retention = f.keep_last || f.keep_daily || f.keep_weekly || f.keep_monthly || !f.older_than.empty() ||
                   !f.max_size.empty();
  if (retention)
    return "the retention flags (--keep-last ...) apply to --schedule runs; use `ktape prune` otherwise";
  if (!f.listen.empty()) return "--listen applies to --schedule runs";
  return "";
}

int run_scheduled(const ScheduleFlags& flags, kube::Client& client, const recorder::RecordOptions& record,
                  schedule::ScheduleMode mode, const std::atomic<bool>& stop) {
  schedule::ServiceOptions options;
  std::string problem;
  auto policy = policy_of(flags, problem);
  if (!policy) {
    std::fprintf(stderr, "error: %s\n", problem.c_str());
    return 2;
  }
  auto format = ops::parse_log_format(flags.log_format);
  if (!format) {
    std::fprintf(stderr, "error: %s\n", format.error().message.c_str());
    return 2;
  }
  options.spec = flags.spec;
  options.path = record.path;
  options.mode = mode;
  options.retention = *policy;
  options.log_format = *format;
  options.listen = flags.listen;
  options.record = record;
  auto files = schedule::run_service(client, options, stop);
  if (!files) {
    std::fprintf(stderr, "error: %s\n", files.error().message.c_str());
    bool usage = files.error().kind == ErrorKind::parse || files.error().kind == ErrorKind::invalid;
    return usage ? 2 : 1;
  }
  return 0;
}

}  // namespace ktape::cli
