// `ktape cut IN OUT --from D --to D`: a new recording of a window of another, whose snapshot is
// the state at --from; also recompresses, switches time markers, and gives kwok files a header.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/age_flags.hpp"
#include "cli/commands.hpp"
#include "cli/duration.hpp"
#include "cli/output.hpp"
#include "store/cut.hpp"

namespace ktape::cli {
namespace {

struct CutFlags {
  std::string in, out;
  std::chrono::nanoseconds from{0};
  std::optional<std::chrono::nanoseconds> to;
  std::string time_markers;  // "", "on", "off"
  bool force = false;
};

int run_cut(const CutFlags& flags) {
  store::CutOptions o;
  o.in = flags.in;
  o.out = flags.out;
  o.from_ns = flags.from.count();
  if (flags.to) o.to_ns = flags.to->count();
  if (!flags.time_markers.empty()) o.time_markers = flags.time_markers == "on";
  o.overwrite = flags.force ? formats::Overwrite::yes : formats::Overwrite::no;
  auto summary = store::cut_recording(o);
  if (!summary) {
    print_error(summary.error().message);
    return summary.error().kind == ErrorKind::invalid ? 2 : 1;
  }
  if (!quiet())
    std::fprintf(stderr,
                 "Wrote %s: %llu objects at the window's start, %llu events over %s, %s (sha256 %s)\n",
                 flags.out.c_str(), static_cast<unsigned long long>(summary->meta.objects),
                 static_cast<unsigned long long>(summary->meta.events),
                 format_duration(std::chrono::nanoseconds(summary->meta.duration_ns)).c_str(),
                 format_bytes(summary->meta.file_bytes).c_str(), summary->sha256.substr(0, 12).c_str());
  return 0;
}

void add_cut(CLI::App& app) {
  auto f = std::make_shared<CutFlags>();
  auto* cmd = app.add_subcommand(
      "cut", "Write a window of a recording as a new one whose snapshot is the state at --from");
  cmd->add_option("in", f->in, "The recording to cut (read only)")->required();
  cmd->add_option("out", f->out, "The new recording (.gz / .zst compress)")->required();
  add_duration_option(*cmd, "--from", f->from, "Window start, in recorded time (default 0)");
  cmd->add_option_function<std::string>(
      "--to",
      [f](const std::string& text) {
        auto d = parse_duration(text);
        if (!d) throw CLI::ValidationError("--to", "\"" + text + "\" is not a duration (try 30s, 5m, 1h30m)");
        f->to = *d;
      },
      "Window end, in recorded time (default: the end)");
  cmd->add_option("--time-markers", f->time_markers,
                  "on: write time fields as $(time-offset-nanosecond N); off: as times (default: as IN)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_flag("--force", f->force, "Replace OUT if it exists");
  add_identity_flag(*cmd);
  add_encrypt_flags(*cmd, f->out);
  cmd->callback([f] { set_exit_code(run_cut(*f)); });
}

const Registration cut_registration{add_cut};

}  // namespace
}  // namespace ktape::cli
