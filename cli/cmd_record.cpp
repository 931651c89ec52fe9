// `ktape record` (record over time; --snapshot for the current state) and `ktape export` (the same
// for an external cluster: snapshot by default, --record to keep watching).
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/age_flags.hpp"
#include "cli/commands.hpp"
#include "cli/duration.hpp"
#include "cli/output.hpp"
#include "cli/schedule_flags.hpp"
#include "cli/selection_flags.hpp"
#include "cli/signals.hpp"
#include "cli/target.hpp"
#include "recorder/recorder.hpp"

namespace ktape::cli {
namespace {

struct RecordFlags {
  TargetFlags target;
  SelectionFlags selection;
  std::string path;
  std::chrono::nanoseconds duration{0};       // --duration; 0 = until stopped
  std::chrono::nanoseconds watch_timeout{0};  // --watch-timeout; 0 = the recorder's default
  bool snapshot = false;                      // record: --snapshot
  bool record = false;                        // export: --record
  bool force = false;
  bool redact_secrets = false;
  bool keep_managed_fields = false;
  bool time_markers = false;
  ScheduleFlags schedule;  // --schedule and what goes with it
};

void print_summary(const recorder::RecordSummary& s) {
  std::fprintf(stderr, "recorded %llu objects and %llu events in %s to %s (%s)\n",
               static_cast<unsigned long long>(s.objects), static_cast<unsigned long long>(s.events),
               format_duration(s.elapsed).c_str(), s.path.c_str(), format_bytes(s.file_bytes).c_str());
  std::fprintf(stderr, "sha256 %s written to %s.sha256\n", s.sha256.c_str(), s.path.c_str());
  auto shown = [](const auto& r) {  // -v lists every resource, even those with nothing recorded
    return verbose() || r.objects != 0 || r.events != 0 || r.relists != 0 || r.failures != 0;
  };
  int width = 8;  // the RESOURCE column fits its longest name (prioritylevelconfigurations.flowcontrol...)
  for (const auto& r : s.resources)
    if (shown(r)) width = std::max(width, static_cast<int>(r.name.size()));
  std::fprintf(stderr, "  %-*s %8s %8s %8s %8s\n", width, "RESOURCE", "OBJECTS", "EVENTS", "RELISTS",
               "FAILURES");
  for (const auto& r : s.resources) {
    if (!shown(r)) continue;
    std::fprintf(stderr, "  %-*s %8llu %8llu %8llu %8llu\n", width, r.name.c_str(),
                 static_cast<unsigned long long>(r.objects), static_cast<unsigned long long>(r.events),
                 static_cast<unsigned long long>(r.relists), static_cast<unsigned long long>(r.failures));
  }
  for (const auto& r : s.resources)
    if (r.failing) std::fprintf(stderr, "still failing: %s: %s\n", r.name.c_str(), r.last_error.c_str());
}

recorder::RecordHooks make_hooks() {
  recorder::RecordHooks hooks;
  bool tty = ::isatty(STDERR_FILENO) != 0;
  hooks.log = [tty](const std::string& line) {
    std::fprintf(stderr, "%s%s\n", tty ? "\r\033[K" : "", line.c_str());
  };
  if (tty && !quiet()) {
    hooks.progress = [](const recorder::Progress& p) {
      double secs = static_cast<double>(p.elapsed.count()) / 1e9;
      std::fprintf(stderr, "\r\033[K%s  %llu events  %.0f/s  %s written", format_duration(p.elapsed).c_str(),
                   static_cast<unsigned long long>(p.events),
                   secs > 0 ? static_cast<double>(p.events) / secs : 0.0, format_bytes(p.file_bytes).c_str());
    };
  }
  return hooks;
}

int run_record(const RecordFlags& flags, bool snapshot) {
  recorder::RecordOptions options;
  options.path = flags.path;
  options.overwrite = flags.force ? formats::Overwrite::yes : formats::Overwrite::no;
  options.snapshot = snapshot;
  options.selection = finish_selection(flags.selection);
  options.redact_secrets = flags.redact_secrets;
  options.keep_managed_fields = flags.keep_managed_fields;
  options.time_markers = flags.time_markers;
  options.duration = flags.duration;
  if (flags.watch_timeout.count() > 0)
    options.watch_timeout = std::chrono::duration_cast<std::chrono::seconds>(flags.watch_timeout);
  if (auto misuse = schedule_flags_misuse(flags.schedule); !misuse.empty()) {
    std::fprintf(stderr, "error: %s\n", misuse.c_str());
    return 2;
  }
  if (scheduled(flags.schedule) && flags.duration.count() > 0) {
    std::fprintf(stderr, "error: --duration does not go with --schedule (it runs until stopped)\n");
    return 2;
  }
  auto target = connect(flags.target);
  if (!target) {
    print_error(target.error().message);
    return 1;
  }
  options.source = target->label;
  bool json_log = scheduled(flags.schedule) && flags.schedule.log_format == "json";
  const auto& stop = install_stop_signals(json_log ? StopNotice::quiet : StopNotice::print);
  if (scheduled(flags.schedule))
    return run_scheduled(flags.schedule, *target->client, options,
                         snapshot ? schedule::ScheduleMode::snapshot : schedule::ScheduleMode::rotate, stop);
  if (snapshot)
    print_info("Writing a snapshot of " + target->label + " to " + flags.path);
  else
    print_info("Recording " + target->label + " to " + flags.path + ". Press Ctrl+C to stop recording.");
  auto summary = recorder::record(*target->client, options, stop, make_hooks());
  if (::isatty(STDERR_FILENO)) std::fprintf(stderr, "\r\033[K");
  if (!summary) {
    print_error(summary.error().message);
    return 1;
  }
  bool failing = std::any_of(summary->resources.begin(), summary->resources.end(),
                             [](const auto& r) { return r.failing; });
  if (!quiet() || failing) print_summary(*summary);
  return 0;
}

void add_common(CLI::App& cmd, RecordFlags& f) {
  cmd.add_option("--path", f.path, "The recording to write (.gz and .zst compress; .age encrypts)")
      ->required();
  add_target_flags(cmd, f.target);
  add_selection_flags(cmd, f.selection);
  add_schedule_flags(cmd, f.schedule);
  add_duration_option(cmd, "--duration", f.duration, "Stop after this long (30s, 5m, 1h30m)");
  add_duration_option(cmd, "--watch-timeout", f.watch_timeout,
                      "Ask the server to end each watch after [this, 2x this) (default 5m, as client-go); "
                      "ktape re-watches from the last resourceVersion",
                      std::chrono::seconds(1));
  cmd.add_flag("--force", f.force, "Overwrite an existing file");
  add_encrypt_flags(cmd, f.path);
  cmd.add_flag("--redact-secrets", f.redact_secrets, "Replace Secret data values by their sha256");
  cmd.add_flag("--keep-managed-fields", f.keep_managed_fields, "Keep metadata.managedFields");
  cmd.add_flag("--time-markers", f.time_markers,
               "Write time fields as kwok's $(time-offset-nanosecond N), relative to the start");
}

void add_record(CLI::App& app) {
  auto flags = std::make_shared<RecordFlags>();
  auto* cmd = app.add_subcommand("record", "Record a cluster's objects as a timestamped event stream");
  add_common(*cmd, *flags);
  cmd->add_flag("--snapshot", flags->snapshot, "Write the current state only, then exit");
  cmd->callback([flags] { set_exit_code(run_record(*flags, flags->snapshot)); });
}

void add_export(CLI::App& app) {
  auto flags = std::make_shared<RecordFlags>();
  auto* cmd = app.add_subcommand("export",
                                 "Export an external cluster's state (a snapshot; --record keeps watching)");
  add_common(*cmd, *flags);
  cmd->add_flag("--record", flags->record, "Keep recording changes after the snapshot");
  cmd->callback([flags] { set_exit_code(run_record(*flags, !flags->record)); });
}

const Registration record_registration{add_record};
const Registration export_registration{add_export};

}  // namespace
}  // namespace ktape::cli
