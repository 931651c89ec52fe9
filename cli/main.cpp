// ktape: record the objects of a Kubernetes cluster as a timestamped event stream and replay it.
// main() builds the command tree; each subcommand lives in its own file and registers itself.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/storage_flags.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ktape: record a Kubernetes cluster as a timestamped event stream and replay it", "ktape"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("ktape ") + KTAPE_VERSION);
  // Parse errors read like every other error: "error: ..." and the --help of the failing command.
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    std::string path = "ktape";  // the deepest subcommand the parse reached
    for (const CLI::App* a = failed; !a->get_subcommands().empty();) {
      a = a->get_subcommands().front();
      path.append(" ").append(a->get_name());
    }
    std::string out = "error: ";
    out.append(e.what()).append("\nRun `").append(path).append(" --help` for more information.\n");
    return out;
  });
  ktape::cli::add_output_flags(app);
  ktape::cli::add_storage_options(app);  // s3:// paths; before the subcommands, which inherit it
  for (const auto& add : ktape::cli::command_registry()) add(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;  // exit codes: 0 success, 1 failure, 2 usage
  }
  return ktape::cli::exit_code();
}
