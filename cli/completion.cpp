// `ktape completion bash|zsh|fish`: a shell script that asks the hidden `ktape __complete WORDS...`
// for candidates. The candidates come from the command tree at run time (cli/command_tree.hpp):
// subcommands, flags, the values of flags and arguments that a check enumerates, the simulated
// clusters of $KTAPE_HOME for --cluster and the kubeconfig contexts for --context. So the scripts
// never need regenerating when a command or flag is added.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/command_tree.hpp"
#include "cli/commands.hpp"
#include "cli/home.hpp"
#include "kube/kubeconfig.hpp"

namespace ktape::cli {
namespace {

// Where the words before the one being completed leave the command line.
struct Position {
  CLI::App* app = nullptr;
  const CLI::Option* pending = nullptr;  // the option whose value the current word is
  std::vector<std::string> arguments;    // positional words given to `app`
  std::string kubeconfig;                // --kubeconfig, for --context
};

const CLI::Option* find_option(const CLI::App& app, const std::string& word) {
  for (const auto* opt : app.get_options())
    if (opt->nonpositional() && opt->check_name(word)) return opt;
  return nullptr;
}

CLI::App* find_subcommand(const CLI::App& app, const std::string& word) {
  for (auto* sub : visible_subcommands(app))
    if (sub->check_name(word)) return sub;
  return nullptr;
}

void step(Position& pos, const std::string& word) {
  if (pos.pending != nullptr) {
    if (pos.pending->check_lname("kubeconfig")) pos.kubeconfig = word;
    pos.pending = nullptr;
    return;
  }
  if (word.size() > 1 && word[0] == '-') {
    if (word.find('=') != std::string::npos) return;  // --flag=value
    if (word[1] != '-' && word.size() > 2) return;    // -nVALUE
    const auto* opt = find_option(*pos.app, word);
    if (opt != nullptr && takes_value(*opt)) pos.pending = opt;
    return;
  }
  if (auto* sub = find_subcommand(*pos.app, word); sub != nullptr && pos.arguments.empty()) {
    pos.app = sub;
    return;
  }
  pos.arguments.push_back(word);
}

std::vector<std::string> cluster_names() {
  std::vector<std::string> out;
  for (const auto& entry : cluster_registry().list()) out.push_back(entry.name);
  return out;
}

std::vector<std::string> context_names(const std::string& kubeconfig) {
  kube::KubeconfigOptions options;
  options.path = kubeconfig;
  auto contexts = kube::list_kubeconfig_contexts(options);
  return contexts ? contexts->names : std::vector<std::string>{};
}

std::vector<std::string> option_values(const Position& pos, const CLI::Option& opt) {
  if (opt.check_lname("cluster")) return cluster_names();
  if (opt.check_lname("context")) return context_names(pos.kubeconfig);
  return enumerated_values(opt);
}

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> out;
  for (const auto* opt : visible_options(app)) {
    for (const auto& name : opt->get_lnames()) out.push_back("--" + name);
    for (const auto& name : opt->get_snames()) out.push_back("-" + name);
  }
  return out;
}

// `ktape help WORDS`: the subcommands of the command the words name so far.
std::vector<std::string> help_candidates(CLI::App& root, const std::vector<std::string>& words) {
  CLI::App* app = &root;
  for (const auto& word : words) {
    app = find_subcommand(*app, word);
    if (app == nullptr) return {};
  }
  std::vector<std::string> out;
  for (auto* sub : visible_subcommands(*app)) out.push_back(sub->get_name());
  return out;
}

std::vector<std::string> argument_candidates(CLI::App& root, const Position& pos) {
  if (pos.app->get_parent() == &root && pos.app->get_name() == "help")
    return help_candidates(root, pos.arguments);
  std::vector<std::string> out;
  if (pos.arguments.empty())
    for (auto* sub : visible_subcommands(*pos.app)) out.push_back(sub->get_name());
  auto args = positionals(*pos.app);
  if (!args.empty()) {
    std::size_t index = std::min(pos.arguments.size(), args.size() - 1);
    if (index == pos.arguments.size() || args[index]->get_items_expected_max() > 1)
      for (auto& value : option_values(pos, *args[index])) out.push_back(std::move(value));
  }
  return out;
}

// The candidates for the last of `words` (the word being completed, maybe ""), given the ones
// before it; only those that start with it.
std::vector<std::string> complete(CLI::App& root, const std::vector<std::string>& words) {
  Position pos;
  pos.app = &root;
  std::string current = words.empty() ? "" : words.back();
  for (std::size_t i = 0; i + 1 < words.size(); ++i) step(pos, words[i]);
  std::vector<std::string> all;
  if (pos.pending != nullptr)
    all = option_values(pos, *pos.pending);
  else if (!current.empty() && current[0] == '-')
    all = option_names(*pos.app);
  else
    all = argument_candidates(root, pos);
  std::vector<std::string> out;
  for (auto& c : all)
    if (c.rfind(current, 0) == 0) out.push_back(std::move(c));
  return out;
}

constexpr const char* k_bash = R"(# bash completion for ktape (and kubectl-tape)        -*- shell-script -*-
# Generated by `ktape completion bash`; the candidates come from `ktape __complete`.
_ktape() {
  local cur="${COMP_WORDS[COMP_CWORD]}"
  local bin="${COMP_WORDS[0]}"
  type -P "$bin" >/dev/null 2>&1 || bin=ktape
  COMPREPLY=()
  local line
  while IFS= read -r line; do
    COMPREPLY+=("$line")
  done < <("$bin" __complete "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null)
}
complete -o default -F _ktape ktape kubectl-tape
)";

constexpr const char* k_zsh = R"(#compdef ktape kubectl-tape
# zsh completion for ktape (and kubectl-tape). Generated by `ktape completion zsh`; the candidates
# come from `ktape __complete`.
_ktape() {
  local -a candidates
  candidates=("${(@f)$(${words[1]} __complete "${(@)words[2,CURRENT-1]}" "${words[CURRENT]}" 2>/dev/null)}")
  candidates=(${candidates:#})
  if (( ${#candidates} )); then
    compadd -- "${candidates[@]}"
  else
    _files
  fi
}
if [[ "$funcstack[1]" = "_ktape" ]]; then
  _ktape "$@"
else
  compdef _ktape ktape kubectl-tape
fi
)";

constexpr const char* k_fish =
    R"(# fish completion for ktape (and kubectl-tape). Generated by `ktape completion fish`; the
# candidates come from `ktape __complete`; files are offered too.
function __ktape_complete
    set -l words (commandline -opc)
    set -e words[1]
    ktape __complete $words (commandline -ct) 2>/dev/null
end
complete -c ktape -a '(__ktape_complete)'
complete -c kubectl-tape -a '(__ktape_complete)'
)";

void add_completion(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("completion", "Print a shell completion script: source <(ktape completion bash)");
  auto shell = std::make_shared<std::string>();
  cmd->add_option("shell", *shell, "The shell")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
  cmd->footer(
      "bash: source <(ktape completion bash), or install it as "
      "/usr/share/bash-completion/completions/ktape.\nzsh: ktape completion zsh > \"${fpath[1]}/_ktape\".\n"
      "fish: ktape completion fish > ~/.config/fish/completions/ktape.fish.");
  cmd->callback([shell] {
    if (*shell == "bash") std::cout << k_bash;
    if (*shell == "zsh") std::cout << k_zsh;
    if (*shell == "fish") std::cout << k_fish;
  });

  auto* helper = app.add_subcommand("__complete", "Print the completion candidates of a command line");
  helper->group("");
  helper->set_help_flag();
  helper->prefix_command();
  helper->fallthrough(false);  // every word after it is a word to complete, even -q or -v
  CLI::App* root = &app;
  helper->callback([root, helper] {
    for (const auto& c : complete(*root, helper->remaining())) std::cout << c << '\n';
  });
}

const Registration registration{add_completion};

}  // namespace
}  // namespace ktape::cli
