#pragma once
// Where ktape keeps its state: $KTAPE_HOME, else ~/.ktape. Simulated clusters live in
// clusters/NAME (pid, port, log, kubeconfig).
#include <filesystem>
#include <string>

namespace ktape::cli {

std::filesystem::path ktape_home();
std::filesystem::path cluster_dir(const std::string& name);

}  // namespace ktape::cli
