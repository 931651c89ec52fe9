// `ktape replay`: re-create a recording's objects in a target, in order, at a scaled pace, with
// ownerReferences re-linked to the re-created parents.
#include <poll.h>
#include <termios.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <thread>

#include "cli/age_flags.hpp"
#include "cli/commands.hpp"
#include "cli/duration.hpp"
#include "cli/output.hpp"
#include "cli/selection_flags.hpp"
#include "cli/signals.hpp"
#include "cli/target.hpp"
#include "formats/json.hpp"
#include "replayer/replayer.hpp"

namespace ktape::cli {
namespace {

struct ReplayFlags {
  TargetFlags target;
  SelectionFlags selection;
  std::string path;
  bool snapshot = false;
  double speed = 1;
  std::string from, to;
  int concurrency = 8;
  std::string on_existing = "skip";
  std::string status = "keep";
  bool keep_dangling = false;
  std::string control_plane = "keep";
  std::string owned = "replay";
  bool drop_node_name = false;
  bool dry_run = false;
  bool force = false;
  std::string output;
};

// The terminal in raw mode (no echo, no line buffering) while the replay runs; restored after.
class RawTerminal {
 public:
  RawTerminal() {
    if (::isatty(STDIN_FILENO) == 0 || ::tcgetattr(STDIN_FILENO, &m_saved) != 0) return;
    termios raw = m_saved;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    m_active = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (m_active) ::tcsetattr(STDIN_FILENO, TCSANOW, &m_saved);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  bool active() const { return m_active; }

 private:
  termios m_saved{};
  bool m_active = false;
};

// Space pauses, Enter resumes, + doubles the speed, - halves it.
void on_key(char key, replayer::Controls& controls, double& speed) {
  if (key == ' ') controls.paused = true;
  if (key == '\n' || key == '\r') controls.paused = false;
  if (key == '+') speed = speed == 0 ? 1 : speed * 2;
  if (key == '-') speed = speed / 2;
  if (key == '+' || key == '-') controls.speed = speed;
}

// Copies the signal flags (and the terminal's keys) into the controls until `done`.
void watch_controls(replayer::Controls& controls, const std::atomic<bool>& done, bool keys, double speed) {
  const auto& stop = install_stop_signals();
  const auto& pause = install_pause_signals();
  int last_pause = 0;
  while (!done) {
    if (stop) controls.stop = true;
    if (int p = pause.load(); p != last_pause) controls.paused = (last_pause = p) == 1;
    if (keys) {
      pollfd fd{STDIN_FILENO, POLLIN, 0};
      char key = 0;
      if (::poll(&fd, 1, 50) > 0 && ::read(STDIN_FILENO, &key, 1) == 1) on_key(key, controls, speed);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

std::optional<replayer::ReplayOptions> options_of(const ReplayFlags& f) {
  replayer::ReplayOptions o;
  o.path = f.path;
  o.snapshot_only = f.snapshot;
  o.speed = f.speed;
  auto duration = [](const std::string& flag,
                     const std::string& text) -> std::optional<std::chrono::nanoseconds> {
    auto d = parse_duration(text);
    if (!d)
      std::fprintf(stderr, "error: %s \"%s\" is not a duration (try 30s, 5m, 1h30m)\n", flag.c_str(),
                   text.c_str());
    return d;
  };
  if (!f.from.empty()) {
    auto d = duration("--from", f.from);
    if (!d) return std::nullopt;
    o.from = *d;
  }
  if (!f.to.empty()) {
    o.to = duration("--to", f.to);
    if (!o.to) return std::nullopt;
  }
  o.selection = finish_selection(f.selection);
  o.concurrency = f.concurrency;
  o.on_existing = f.on_existing == "update"     ? replayer::OnExisting::update
                  : f.on_existing == "recreate" ? replayer::OnExisting::recreate
                                                : replayer::OnExisting::skip;
  o.status = f.status == "drop" ? replayer::StatusMode::drop : replayer::StatusMode::keep;
  o.dangling = f.keep_dangling ? replayer::DanglingMode::keep : replayer::DanglingMode::drop;
  o.control_plane = f.control_plane == "replay" ? replayer::ControlPlaneObjects::replay
                                                : replayer::ControlPlaneObjects::keep;
  o.owned = f.owned == "skip" ? replayer::OwnedObjects::skip : replayer::OwnedObjects::replay;
  o.drop_node_name = f.drop_node_name;
  o.dry_run = f.dry_run;
  o.force = f.force;
  return o;
}

replayer::Hooks make_hooks(bool tty) {
  replayer::Hooks hooks;
  hooks.log = [tty](const std::string& line) {  // warnings always; the rest is left out with -q
    bool warning = line.rfind("warning: ", 0) == 0;
    if (!warning && quiet()) return;
    if (tty) std::fputs("\r\033[K", stderr);
    if (warning)
      print_warning(std::string_view(line).substr(9));
    else
      print_info(line);
  };
  hooks.plan = [](const std::string& line) { std::fprintf(stdout, "%s\n", line.c_str()); };
  if (tty && !quiet()) {
    hooks.progress = [](const replayer::Progress& p) {
      std::fprintf(stderr, "\r\033[Kat %s  speed %gx  lag %s  %llu events%s",
                   format_duration(p.position).c_str(), p.speed, format_duration(p.lag).c_str(),
                   static_cast<unsigned long long>(p.events),
                   p.paused ? "  PAUSED (Enter resumes)" : "  (Space pause, +/- speed)");
    };
  }
  return hooks;
}

int run_replay(const ReplayFlags& flags) {
  auto options = options_of(flags);
  if (!options) return 2;
  auto target = connect(flags.target);
  if (!target) {
    print_error(target.error().message);
    return 1;
  }
  bool tty = ::isatty(STDERR_FILENO) != 0;
  print_info("Replaying " + flags.path + " into " + target->label +
             (flags.dry_run ? " (dry run: nothing is written)" : ""));
  replayer::Controls controls;
  std::atomic<bool> done{false};
  std::optional<replayer::SummaryReport> report;
  Result<replayer::SummaryReport> result = fail(ErrorKind::cancelled, "not run");
  {
    RawTerminal terminal;
    std::jthread watcher(watch_controls, std::ref(controls), std::cref(done), terminal.active(), flags.speed);
    result = replayer::replay(*target->client, *options, controls, make_hooks(tty));
    done = true;
  }
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (!result) {
    print_error(result.error().message);
    return 1;
  }
  bool failed = result->totals.failed > 0 || !result->errors.empty();
  if (flags.output == "json")
    std::fprintf(stdout, "%s\n", formats::to_json_pretty(replayer::summary_to_value(*result)).c_str());
  else if (!quiet() || failed)  // -q: the summary only when it holds errors
    std::fprintf(stderr, "%s", replayer::format_summary(*result).c_str());
  return failed ? 1 : 0;
}

void add_replay(CLI::App& app) {
  auto f = std::make_shared<ReplayFlags>();
  auto* cmd = app.add_subcommand("replay", "Re-create a recording's objects in a cluster, at a scaled pace");
  cmd->add_option("--path", f->path, "The recording to replay (ktape's or kwok's; .gz and .zst too)")
      ->required();
  cmd->add_flag("--snapshot", f->snapshot, "Restore the snapshot section only");
  cmd->add_option("--speed", f->speed, "1 = recorded pace, 10 = ten times faster, 0 = as fast as possible")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--from", f->from,
                  "Start at this recorded time (earlier events are applied at full speed)");
  cmd->add_option("--to", f->to, "Stop at this recorded time");
  add_target_flags(*cmd, f->target);
  add_selection_flags(*cmd, f->selection);
  cmd->add_option("--concurrency", f->concurrency, "Requests in flight at once")->check(CLI::Range(1, 256));
  cmd->add_option("--on-existing", f->on_existing, "What to do with objects that already exist")
      ->check(CLI::IsMember({"skip", "update", "recreate"}));
  cmd->add_option("--status", f->status, "Write recorded status (keep) or not (drop)")
      ->check(CLI::IsMember({"keep", "drop"}));
  cmd->add_flag(
      "--keep-dangling-owners", f->keep_dangling,
      "Keep owner references that resolve nowhere (the target's garbage collector deletes the child)");
  cmd->add_option("--control-plane-objects", f->control_plane,
                  "Objects the target's control plane manages (default/kubernetes, kube-root-ca.crt, system: "
                  "RBAC, ...): keep the target's (default) or replay the recorded ones")
      ->check(CLI::IsMember({"keep", "replay"}));
  cmd->add_option(
         "--owned", f->owned,
         "Objects with a controller owner (ReplicaSets, Pods, ...): replay them too (default), or skip "
         "them and let the target's controllers make them")
      ->check(CLI::IsMember({"replay", "skip"}));
  cmd->add_flag(
      "--drop-node-name", f->drop_node_name,
      "Create Pods without spec.nodeName, for a target whose nodes differ (the default keeps it: a Pod "
      "bound to a node the target lacks stays Pending until the pod garbage collector deletes it)");
  cmd->add_flag("--dry-run", f->dry_run,
                "Print the plan (order, owner re-links, what would be skipped) and write nothing");
  cmd->add_flag("--force", f->force, "Replay despite the problems the pre-flight check finds");
  cmd->add_option("--output,-o", f->output, "json: the summary as JSON on stdout")
      ->check(CLI::IsMember({"json"}));
  add_identity_flag(*cmd);
  cmd->callback([f] { set_exit_code(run_replay(*f)); });
}

const Registration replay_registration{add_replay};

}  // namespace
}  // namespace ktape::cli
