// `ktape version`: the version of ktape and of the Kubernetes API it was built against.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"

namespace ktape::cli {
namespace {

void add_version(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print ktape's version");
  cmd->callback([] { std::cout << "ktape " << KTAPE_VERSION << " (Kubernetes API 1.32)\n"; });
}

const Registration registration{add_version};

}  // namespace
}  // namespace ktape::cli
