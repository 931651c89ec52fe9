#include "cli/home.hpp"

#include <cstdlib>

namespace ktape::cli {

std::filesystem::path ktape_home() {
  if (const char* home = std::getenv("KTAPE_HOME"); home != nullptr && *home != '\0') return home;
  const char* user_home = std::getenv("HOME");
  return std::filesystem::path(user_home != nullptr && *user_home != '\0' ? user_home : ".") / ".ktape";
}

sim::Registry cluster_registry() {
  sim::RegistryOptions options;
  options.root = ktape_home() / "clusters";
  options.ktape_binary = "/proc/self/exe";  // in the forked child: the same binary, even if replaced on disk
  return sim::Registry(std::move(options));
}

}  // namespace ktape::cli
