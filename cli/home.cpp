#include "cli/home.hpp"

#include <cstdlib>

namespace ktape::cli {

std::filesystem::path ktape_home() {
  if (const char* home = std::getenv("KTAPE_HOME"); home != nullptr && *home != '\0') return home;
  const char* user_home = std::getenv("HOME");
  return std::filesystem::path(user_home != nullptr && *user_home != '\0' ? user_home : ".") / ".ktape";
}

std::filesystem::path cluster_dir(const std::string& name) { return ktape_home() / "clusters" / name; }

}  // namespace ktape::cli
