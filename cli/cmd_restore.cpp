// `ktape restore --path F [--at D] TARGET`: make the target equal to the recording's state at
// recorded time D within the selection (restore/restore.hpp). Plan, pre-flight, prompt, apply,
// final verify. Exit 0 only when the final verify finds the target equal; 1 otherwise; 2 usage.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "cli/age_flags.hpp"
#include "cli/commands.hpp"
#include "cli/duration.hpp"
#include "cli/output.hpp"
#include "cli/selection_flags.hpp"
#include "cli/signals.hpp"
#include "cli/target.hpp"
#include "formats/json.hpp"
#include "restore/restore.hpp"
#include "store/info.hpp"
#include "store/state_at.hpp"

namespace ktape::cli {
namespace {

struct RestoreFlags {
  std::string path;
  std::string at;
  TargetFlags target;
  SelectionFlags selection;
  bool prune = false;
  long long max_delete = -1;
  std::string status = "drop";
  std::string owned = "skip";
  std::vector<std::string> ignore_fields;
  std::string update = "put";
  int concurrency = 8;
  bool dry_run = false;
  bool yes = false;
  bool force = false;
  bool no_verify = false;
  std::string output;
};

// --at as nanoseconds from the recording's start: a duration from it, or a moment (an RFC 3339
// time or a UTC time of day) placed by the recording's header.
Result<std::int64_t> at_offset(const std::string& path, const std::string& at) {
  if (auto d = parse_duration(at)) return d->count();
  auto info = store::read_recording_info(path);
  if (!info) return fail(info.error());
  return store::recorded_offset(info->header, at);
}

std::optional<restore::RestoreOptions> options_of(const RestoreFlags& f) {
  restore::RestoreOptions o;
  o.path = f.path;
  if (!f.at.empty()) {
    auto at = at_offset(f.path, f.at);
    if (!at) {
      print_error("--at " + at.error().message);
      return std::nullopt;
    }
    o.at_ns = *at;
  }
  o.selection = finish_selection(f.selection);
  o.prune = f.prune;
  if (f.max_delete >= 0) o.max_delete = static_cast<std::size_t>(f.max_delete);
  o.status = f.status == "keep" ? replayer::StatusMode::keep : replayer::StatusMode::drop;
  o.owned = f.owned == "replay" ? replayer::OwnedObjects::replay : replayer::OwnedObjects::skip;
  o.ignore_fields = f.ignore_fields;
  o.update = f.update == "apply" ? restore::UpdateMethod::apply : restore::UpdateMethod::put;
  o.concurrency = f.concurrency;
  o.force = f.force;
  return o;
}

void print_lines(const char* prefix, const std::vector<std::string>& lines) {
  for (const auto& l : lines) std::fprintf(stderr, "%s%s\n", prefix, l.c_str());
}

// --yes, or a "yes" typed on a terminal. Without a terminal and without --yes: refused.
bool confirmed(const RestoreFlags& f, const restore::Plan& plan) {
  if (f.yes) return true;
  if (::isatty(STDIN_FILENO) == 0) {
    std::fprintf(stderr, "error: restore writes to the target: pass --yes (no terminal to ask on)\n");
    return false;
  }
  std::fprintf(stderr, "Apply these %zu writes? Type yes: ", plan.writes());
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "yes";
}

formats::Value result_value(const restore::Plan& plan, const replayer::SummaryReport* report,
                            const restore::Plan* after) {
  formats::Value v = formats::Value::object();
  v.set("plan", restore::plan_to_value(plan));
  if (report != nullptr) v.set("result", replayer::summary_to_value(*report));
  if (after != nullptr) v.set("remaining", restore::plan_to_value(*after));
  return v;
}

int finish(const RestoreFlags& f, const restore::Plan& plan, const replayer::SummaryReport* report,
           const restore::Plan* after) {
  if (f.output == "json")
    std::fprintf(stdout, "%s\n", formats::to_json_pretty(result_value(plan, report, after)).c_str());
  if (report != nullptr && f.output != "json") std::fputs(replayer::format_summary(*report).c_str(), stdout);
  if (after == nullptr) return report == nullptr || report->totals.failed == 0 ? 0 : 1;
  if (after->writes() == 0) {
    std::fprintf(stderr, "verify: the target equals the recorded state within the selection\n");
    return 0;
  }
  std::fprintf(stderr, "verify: %zu objects still differ (run the same command again to converge):\n%s",
               after->writes(), f.output == "json" ? "" : restore::format_plan(*after).c_str());
  if (f.update == "apply" && after->count(restore::Action::update) > 0)
    std::fprintf(stderr,
                 "verify: --update apply leaves fields that only other field managers own and the state "
                 "lacks (running it again will not remove them); --update put overwrites them\n");
  return 1;
}

// The progress line, redrawn in place as record's and replay's are: only when stderr is a
// terminal, not with -q, and not over -o json on that same terminal.
restore::ApplyProgressFn progress_line(const RestoreFlags& f, bool& drawn) {
  if (::isatty(STDERR_FILENO) == 0 || quiet() || (f.output == "json" && ::isatty(STDOUT_FILENO) != 0))
    return {};
  return [&drawn](const restore::ApplyProgress& p) {
    drawn = true;
    std::fprintf(stderr, "\r\033[K%s", restore::format_progress(p).c_str());
  };
}

int run_restore(const RestoreFlags& f) {
  auto options = options_of(f);
  if (!options) return 2;
  auto target = connect(f.target);
  if (!target) {
    std::fprintf(stderr, "error: %s\n", target.error().message.c_str());
    return 2;
  }
  auto plan = restore::make_plan(*target->client, *options);
  if (!plan) {
    std::fprintf(stderr, "error: %s\n", plan.error().message.c_str());
    return 1;
  }
  if (f.output != "json") std::fputs(restore::format_plan(*plan).c_str(), stdout);
  auto preflight = restore::check(*target->client, *options, *plan);
  print_lines("warning: ", preflight.warnings);
  print_lines("problem: ", preflight.problems);
  if (f.dry_run) return finish(f, *plan, nullptr, nullptr);
  if (!preflight.problems.empty() && !f.force) {
    std::fprintf(stderr,
                 "error: pre-flight found %zu problems; nothing written (--force to restore anyway)\n",
                 preflight.problems.size());
    return 1;
  }
  if (plan->writes() > 0 && !confirmed(f, *plan)) return 1;
  const auto& stop = install_stop_signals();
  bool drawn = false;
  auto report = restore::apply(*target->client, *options, *plan, &stop, progress_line(f, drawn));
  if (drawn) std::fputs("\r\033[K", stderr);  // the summary below says it all
  if (f.no_verify) return finish(f, *plan, &report, nullptr);
  auto after = restore::make_plan(*target->client, *options);
  if (!after) {
    std::fprintf(stderr, "error: verify: %s\n", after.error().message.c_str());
    return 1;
  }
  return finish(f, *plan, &report, &*after);
}

void add_restore(CLI::App& app) {
  auto f = std::make_shared<RestoreFlags>();
  auto* cmd = app.add_subcommand(
      "restore", "Make a live cluster equal to a recording's state at a recorded time, fully or partially");
  cmd->add_option("--path", f->path, "The recording (ktape's or kwok's; .gz and .zst too)")->required();
  cmd->add_option(
      "--at", f->at,
      "The recorded moment to restore: a duration from the recording's start (14m32s), an RFC 3339 "
      "time, or a UTC time of day (14:32:07) (default: its end)");
  add_target_flags(*cmd, f->target);
  add_selection_flags(*cmd, f->selection);
  add_identity_flag(*cmd);
  cmd->add_flag(
      "--prune", f->prune,
      "Delete selected objects the state does not hold (never controller-owned or control-plane ones)");
  cmd->add_option("--max-delete", f->max_delete,
                  "Refuse a plan deleting more (default: 10% of the selected objects)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--status", f->status, "keep: compare and write recorded status; drop (default): leave it")
      ->check(CLI::IsMember({"keep", "drop"}));
  cmd->add_option("--owned", f->owned,
                  "skip (default): leave objects with a controller owner to the target's controllers; replay")
      ->check(CLI::IsMember({"replay", "skip"}));
  cmd->add_option(
      "--ignore-field", f->ignore_fields,
      "Leave this field out of the comparison: spec.replicas or /metadata/annotations/a~1b (repeatable)");
  cmd->add_option(
         "--update", f->update,
         "How updates write: put (default) replaces the object with the recorded one; apply is a "
         "server-side apply (field manager ktape, forced) that leaves fields only other managers own")
      ->check(CLI::IsMember({"put", "apply"}));
  cmd->add_option("--concurrency", f->concurrency, "Writes in flight at once")->check(CLI::Range(1, 256));
  cmd->add_flag("--dry-run", f->dry_run, "Print the plan and the pre-flight, write nothing");
  cmd->add_flag("--yes,-y", f->yes, "Do not ask before writing (required without a terminal)");
  cmd->add_flag("--force", f->force, "Restore despite the problems the pre-flight finds");
  cmd->add_flag("--no-verify", f->no_verify, "Skip the final diff (exit 0 when no write failed)");
  cmd->add_option("--output,-o", f->output, "json: the plan and the result as JSON on stdout")
      ->check(CLI::IsMember({"json"}));
  cmd->callback([f] { set_exit_code(run_restore(*f)); });
}

const Registration restore_registration{add_restore};

}  // namespace
}  // namespace ktape::cli
