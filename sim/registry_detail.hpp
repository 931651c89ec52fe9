#pragma once
// Internal to sim/registry*.cpp: the files, processes and HTTP probes behind sim::Registry.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/error.hpp"
#include "sim/registry.hpp"

namespace ktape::sim {

// The whole file; nullopt when it cannot be opened.
std::optional<std::string> read_text_file(const std::filesystem::path& path);

// True when `pid` runs and is a `ktape cluster serve` (not a zombie, not a reused pid).
bool is_serving(pid_t pid);

// fork + exec of `binary` with `args` (args[0] included) in a new session, stdin from /dev/null,
// stdout and stderr appended to `log`. Returns the child's pid; the caller reaps it.
Result<pid_t> spawn_detached(const std::filesystem::path& binary, const std::vector<std::string>& args,
                             const std::filesystem::path& log);

// SIGTERM, then SIGKILL when `pid` still serves after `grace`; returns when it is gone (or 5 s
// after the SIGKILL). Does nothing when `pid` is not serving.
void stop_process(pid_t pid, std::chrono::milliseconds grace);

struct ProbeAnswer {
  unsigned status = 0;  // the HTTP status
  std::string body;
};

// GET `path` from the cluster at state.url, trusting state.ca_pem on HTTPS: 2 s to connect, 5 s in
// all. An Error (transport) says what failed.
Result<ProbeAnswer> probe_cluster(const ClusterState& state, std::string_view path);

// One request to the cluster at state.url (2 s to connect, `timeout` in all).
struct ClusterCall {
  std::string method;  // "GET", "PUT"
  std::string path;    // with the query
  std::string body;    // sent when not empty (or the method is not GET)
  std::chrono::seconds timeout{5};
};
Result<ProbeAnswer> call_cluster(const ClusterState& state, const ClusterCall& call);

}  // namespace ktape::sim
