// `ktape version`: the version of ktape, the git revision it was built from (baked in at configure
// time by cmake/package.cmake) and the Kubernetes API version it speaks. `ktape help [COMMAND...]`:
// the --help of a command, so that `ktape help cluster create` equals `ktape cluster create --help`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/command_tree.hpp"
#include "cli/commands.hpp"
#include "formats/json.hpp"

#ifndef KTAPE_GIT_REVISION
#define KTAPE_GIT_REVISION "unknown"
#endif

namespace ktape::cli {
namespace {

// The API version the simulated cluster serves and the recorder and replayer are checked against.
constexpr const char* k_kubernetes_api = "1.32";

std::string version_json() {
  std::string out = "{\"version\":";
  formats::append_json_string(out, KTAPE_VERSION);
  out.append(",\"gitRevision\":");
  formats::append_json_string(out, KTAPE_GIT_REVISION);
  out.append(",\"kubernetesAPI\":");
  formats::append_json_string(out, k_kubernetes_api);
  out.append("}\n");
  return out;
}

void add_version(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print ktape's version, git revision and Kubernetes API version");
  auto output = std::make_shared<std::string>();
  cmd->add_option("-o,--output", *output, "Output format")->check(CLI::IsMember({"text", "json"}));
  cmd->callback([output] {
    if (*output == "json") {
      std::cout << version_json();
      return;
    }
    std::cout << "ktape " << KTAPE_VERSION << "\ngit revision " << KTAPE_GIT_REVISION << "\nKubernetes API "
              << k_kubernetes_api << "\n";
  });
}

// The app `words` names below `root` (subcommand by subcommand); nullptr when one is unknown.
CLI::App* find_command(CLI::App& root, const std::vector<std::string>& words) {
  CLI::App* app = &root;
  for (const auto& word : words) {
    CLI::App* next = nullptr;
    for (auto* sub : app->get_subcommands([](CLI::App*) { return true; }))
      if (sub->get_name() == word) next = sub;
    if (next == nullptr) return nullptr;
    app = next;
  }
  return app;
}

void add_help(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("help", "Print the help of ktape or of a command: ktape help cluster create");
  auto words = std::make_shared<std::vector<std::string>>();
  cmd->add_option("command", *words, "The command (and subcommand) to describe");
  CLI::App* root = &app;
  cmd->callback([root, words] {
    CLI::App* target = find_command(*root, *words);
    if (target == nullptr) {
      std::string name;
      for (const auto& w : *words) name.append(name.empty() ? "" : " ").append(w);
      std::cerr << "error: no command \"" << name << "\"; `ktape --help` lists them\n";
      set_exit_code(2);
      return;
    }
    // The formatter directly: App::help() would describe the parsed `help` subcommand instead.
    std::cout << target->get_formatter()->make_help(target, command_path(*target),
                                                    CLI::AppFormatMode::Normal);
  });
}

const Registration registration{add_version};
const Registration help_registration{add_help};

}  // namespace
}  // namespace ktape::cli
