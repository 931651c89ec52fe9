#pragma once
// Reading the CLI11 command tree that main() builds, for what is generated from it at run time
// (shell completion, man pages): so that every command, whoever registers it later, is covered
// with the same names, descriptions and enumerated values as its --help.
#include <string>
#include <vector>

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11 names its namespace
class App;
class Option;
}  // namespace CLI

namespace ktape::cli {

// The subcommands of `app` a user sees (hidden ones, whose group is "", are left out), in the
// order they were added.
std::vector<CLI::App*> visible_subcommands(const CLI::App& app);

// The options of `app` a user sees (the help flag included, hidden ones left out).
std::vector<const CLI::Option*> visible_options(const CLI::App& app);

// The positional arguments of `app`, in order.
std::vector<const CLI::Option*> positionals(const CLI::App& app);

// The values an option accepts when a check or transform enumerates them (CLI::IsMember,
// CLI::Transformer, CLI::CheckedTransformer); empty when any value goes.
std::vector<std::string> enumerated_values(const CLI::Option& option);

// True when the option takes a value (it is not a flag).
bool takes_value(const CLI::Option& option);

// "ktape cluster create": the names from the root down to `app`, space-separated.
std::string command_path(const CLI::App& app);

}  // namespace ktape::cli
