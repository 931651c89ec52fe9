// `ktape show FILE`: what a recording holds (store/show.hpp), as text, JSON or YAML; --object for
// one object's life, --at for the state at a recorded time, --html for a page to look at.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli/age_flags.hpp"
#include "cli/commands.hpp"
#include "cli/duration.hpp"
#include "cli/output.hpp"
#include "formats/json.hpp"
#include "formats/yaml.hpp"
#include "store/show.hpp"
#include "store/show_format.hpp"
#include "store/show_html.hpp"

namespace ktape::cli {
namespace {

struct ShowFlags {
  std::string path;
  std::string object;              // --object RESOURCE/NS/NAME; "" = the whole recording
  bool full = false;               // --full: the object after each patch
  std::chrono::nanoseconds at{0};  // --at, when given
  CLI::Option* at_option = nullptr;
  std::string output = "text";  // -o text|json|yaml
  std::string html;             // --html OUT.html: write the page instead
};

int print(const formats::Value& value, const std::string& text, const std::string& output) {
  if (output == "json")
    std::printf("%s\n", formats::to_json_pretty(value).c_str());
  else if (output == "yaml")
    std::printf("%s", formats::to_yaml(value).c_str());
  else
    std::printf("%s", text.c_str());
  return 0;
}

// Exit 1 when the read stopped on bad input: the report above it was still printed.
int stopped(const std::optional<Error>& error, const std::string& output) {
  if (!error) return 0;
  if (output != "text") print_error(error->message);
  return 1;
}

int show_object(const ShowFlags& f, std::optional<std::int64_t> at) {
  auto ref = store::parse_object_ref(f.object);
  if (!ref) {
    print_error(ref.error().message);
    return 2;
  }
  auto life = store::read_object_life(f.path, *ref, {f.full || at.has_value(), at});
  if (!life) {
    print_error(life.error().message);
    return 1;
  }
  if (at) {  // the object as it was then: the last step's object, if it was alive
    const auto* last = life->steps.empty() ? nullptr : &life->steps.back();
    if (last == nullptr || !last->object) {
      std::fprintf(stderr, "error: %s does not exist at %s\n", ref->display().c_str(),
                   store::format_offset(*at).c_str());
      if (life->error) print_error(life->error->message);
      return 1;
    }
    print(*last->object, formats::to_yaml(*last->object), f.output);
    return stopped(life->error, "json");
  }
  print(store::life_to_value(*life), store::format_life_text(*life, f.full), f.output);
  return stopped(life->error, f.output);
}

int run_show(const ShowFlags& f) {
  std::optional<std::int64_t> at;
  if (f.at_option != nullptr && f.at_option->count() > 0) at = f.at.count();
  if (!f.html.empty()) {
    auto written = store::write_html(f.path, f.html);
    if (!written)
      print_error(written.error().message);
    else
      print_info("wrote " + f.html);
    return written ? 0 : 1;
  }
  if (!f.object.empty()) return show_object(f, at);
  if (at) {
    auto state = store::read_state_at(f.path, *at);
    if (!state) {
      print_error(state.error().message);
      return 1;
    }
    print(store::state_to_value(*state), store::format_state_text(*state), f.output);
    return stopped(state->error, f.output);
  }
  auto summary = store::summarize_recording(f.path);
  if (!summary) {
    print_error(summary.error().message);
    return 1;
  }
  bool unicode = ::isatty(STDOUT_FILENO) != 0 || std::getenv("KTAPE_SPARKLINE") != nullptr;
  print(store::summary_to_value(*summary), store::format_summary_text(*summary, unicode), f.output);
  return stopped(summary->error, f.output);
}

void add_show(CLI::App& app) {
  auto flags = std::make_shared<ShowFlags>();
  auto* cmd = app.add_subcommand("show", "Show what a recording holds: header, resources, events over time");
  cmd->add_option("FILE", flags->path, "The recording (.yaml, .gz, .zst; ktape's or kwok's)")->required();
  cmd->add_option("--object", flags->object,
                  "One object's life: RESOURCE/NAMESPACE/NAME, or RESOURCE/NAME when cluster-scoped");
  cmd->add_flag("--full", flags->full, "With --object: also the object after each step");
  flags->at_option = add_duration_option(*cmd, "--at", flags->at,
                                         "The state at this recorded time (90s, 5m) from the start");
  cmd->add_option("-o,--output", flags->output, "Output format")
      ->check(CLI::IsMember({"text", "json", "yaml"}));
  cmd->add_option("--html", flags->html,
                  "Write a self-contained page (inline SVG, no network) of the recording to this file");
  add_identity_flag(*cmd);
  cmd->callback([flags] { set_exit_code(run_show(*flags)); });
}

const Registration show_registration{add_show};

}  // namespace
}  // namespace ktape::cli
