#include "cli/commands.hpp"

namespace ktape::cli {

namespace {
int g_exit_code = 0;
}

std::vector<AddCommand>& command_registry() {
  static std::vector<AddCommand> registry;
  return registry;
}

int exit_code() { return g_exit_code; }
void set_exit_code(int code) { g_exit_code = code; }

}  // namespace ktape::cli
