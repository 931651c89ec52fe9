#pragma once
// Every subcommand file registers one function that adds its CLI11 subcommand to the app. The
// subcommand's callback validates its options struct, calls a domain function and stores the
// exit code (0 success, 1 failure, 2 usage).
#include <functional>
#include <vector>

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11 names its namespace
class App;
}

namespace ktape::cli {

using AddCommand = std::function<void(CLI::App&)>;

std::vector<AddCommand>& command_registry();
int exit_code();
void set_exit_code(int code);

// Registers `add` at static-initialization time: `static Registration r{add_version};`.
struct Registration {
  explicit Registration(AddCommand add) { command_registry().push_back(std::move(add)); }
};

}  // namespace ktape::cli
