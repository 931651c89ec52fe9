// `ktape prune DIR`: delete the recordings no retention policy keeps, after printing the plan.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/duration.hpp"
#include "cli/output.hpp"
#include "cli/size.hpp"
#include "cli/table.hpp"
#include "formats/time.hpp"
#include "store/catalog.hpp"
#include "store/retention.hpp"

namespace ktape::cli {
namespace {

struct PruneFlags {
  std::string dir;
  std::optional<std::size_t> keep_last, keep_daily, keep_weekly, keep_monthly;
  std::string older_than, max_size;
  bool dry_run = false;
  bool yes = false;
};

// The policy, or a usage error printed (nullopt).
std::optional<store::RetentionPolicy> policy_of(const PruneFlags& f) {
  store::RetentionPolicy p;
  p.keep_last = f.keep_last;
  p.keep_daily = f.keep_daily;
  p.keep_weekly = f.keep_weekly;
  p.keep_monthly = f.keep_monthly;
  if (!f.older_than.empty()) {
    p.older_than = parse_age(f.older_than);
    if (!p.older_than) {
      std::fprintf(stderr, "error: --older-than \"%s\" is not an age (try 30d, 2w, 12h)\n",
                   f.older_than.c_str());
      return std::nullopt;
    }
  }
  if (!f.max_size.empty()) {
    p.max_size = parse_size(f.max_size);
    if (!p.max_size) {
      std::fprintf(stderr, "error: --max-size \"%s\" is not a size (try 500M, 10G)\n", f.max_size.c_str());
      return std::nullopt;
    }
  }
  if (!p.any()) {
    std::fprintf(stderr,
                 "error: prune needs a policy: --keep-last N, --older-than D, --max-size SIZE, "
                 "--keep-daily/--keep-weekly/--keep-monthly N (it keeps what any of them keeps)\n");
    return std::nullopt;
  }
  return p;
}

bool confirm(std::size_t count, std::uint64_t bytes) {
  std::fprintf(stderr, "Delete %zu recording(s), %s? [y/N] ", count, format_bytes(bytes).c_str());
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

int delete_planned(const std::vector<store::CatalogEntry>& entries,
                   const std::vector<store::RetentionDecision>& plan) {
  int failures = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (plan[i].keep) continue;
    auto done = store::delete_recording(entries[i].info.path);
    if (done) continue;
    print_error(done.error().message);
    ++failures;
  }
  return failures > 0 ? 1 : 0;
}

int run_prune(const PruneFlags& flags) {
  auto policy = policy_of(flags);
  if (!policy) return 2;
  auto entries = store::list_recordings(flags.dir);
  if (!entries) {
    print_error(entries.error().message);
    return 1;
  }
  std::vector<store::RetentionCandidate> candidates;
  for (const auto& e : *entries)
    candidates.push_back(
        {std::filesystem::path(e.info.path).filename().string(), e.start_unix_ns, e.info.file_bytes});
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto plan = store::plan_retention(candidates, *policy, std::chrono::nanoseconds(now).count());
  std::vector<TableRow> rows;
  std::size_t doomed = 0;
  std::uint64_t doomed_bytes = 0;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    std::string reasons;
    for (const auto& r : plan[i].reasons) reasons.append(reasons.empty() ? "" : "; ").append(r);
    rows.push_back(
        {plan[i].keep ? "KEEP" : "DELETE", candidates[i].name,
         formats::format_rfc3339(formats::TimePoint(std::chrono::nanoseconds(candidates[i].start_unix_ns))),
         format_bytes(candidates[i].bytes), reasons});
    if (!plan[i].keep) ++doomed, doomed_bytes += candidates[i].bytes;
  }
  std::fputs(format_table({"ACTION", "NAME", "START", "SIZE", "REASON"}, rows).c_str(), stdout);
  std::fflush(stdout);
  if (flags.dry_run || doomed == 0) return 0;
  if (!flags.yes) {
    if (::isatty(STDIN_FILENO) == 0) {
      std::fprintf(stderr,
                   "error: not deleting: no terminal to confirm on; add --yes (or --dry-run to only look)\n");
      return 2;
    }
    if (!confirm(doomed, doomed_bytes)) return 1;
  }
  return delete_planned(*entries, plan);
}

void add_prune(CLI::App& app) {
  auto f = std::make_shared<PruneFlags>();
  auto* cmd = app.add_subcommand(
      "prune", "Delete the recordings of a folder that no retention policy keeps (with their sidecars)");
  cmd->add_option("dir", f->dir, "The folder")->required();
  cmd->add_option("--keep-last", f->keep_last, "Keep the N newest");
  cmd->add_option("--older-than", f->older_than, "Keep those newer than D (30d, 2w, 12h); older ones go");
  cmd->add_option("--max-size", f->max_size, "Keep the newest recordings that fit in SIZE (500M, 10G)");
  cmd->add_option("--keep-daily", f->keep_daily, "Keep the newest of each of the N newest days");
  cmd->add_option("--keep-weekly", f->keep_weekly, "Keep the newest of each of the N newest weeks");
  cmd->add_option("--keep-monthly", f->keep_monthly, "Keep the newest of each of the N newest months");
  cmd->add_flag("--dry-run", f->dry_run, "Print the plan and stop");
  cmd->add_flag("--yes,-y", f->yes, "Delete without asking (required without a terminal)");
  cmd->callback([f] { set_exit_code(run_prune(*f)); });
}

const Registration prune_registration{add_prune};

}  // namespace
}  // namespace ktape::cli
