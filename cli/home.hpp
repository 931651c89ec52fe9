#pragma once
// Where ktape keeps its state: $KTAPE_HOME, else ~/.ktape. Simulated clusters live in
// clusters/NAME, managed by sim::Registry (sim/registry.hpp).
#include <filesystem>

#include "sim/registry.hpp"

namespace ktape::cli {

std::filesystem::path ktape_home();

// The registry of ktape_home()/clusters; its create runs this very executable as
// `ktape cluster serve`.
sim::Registry cluster_registry();

}  // namespace ktape::cli
