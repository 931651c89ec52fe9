#pragma once
// The registry of the simulated clusters that `ktape cluster` manages. Each cluster is a
// `ktape cluster serve` process running in the background, with its state in ROOT/NAME
// (ROOT is $KTAPE_HOME/clusters for the command line):
//   pid         the server's process id, written by create
//   port        the port it listens on, written by create once it is ready
//   log         the server's standard output and error
//   kubeconfig  written by the server once it listens (sim/kubeconfig.hpp)
//   cluster.json written by the server once it listens: ClusterState below
// Every file is written through a temporary file and a rename (a reader never sees half a file)
// with mode 0600, in a directory of mode 0700. The registry is the one reader of cluster.json.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/error.hpp"

namespace ktape::sim {

class Server;

// cluster.json: what a listening `ktape cluster serve --state-file FILE` announces.
struct ClusterState {
  std::string name;        // the cluster/user/context name of its kubeconfig
  std::string url;         // "http://127.0.0.1:PORT" or "https://..."; never empty once parsed
  std::uint16_t port = 0;  // the port it listens on
  std::int64_t pid = 0;    // the serving process
  std::string start_time;  // RFC 3339, when it started listening
  std::string ca_pem;      // the CA certificate clients trust; "" on plain HTTP (its key is not kept)
  std::string data_dir;    // where it saves its objects at stop; "" when they are not kept
  std::string token;  // the bearer token clients must send ("" none); kubeconfig only, never in cluster.json
};

// The JSON of `state`, pretty-printed, ending in a newline; empty ca_pem and data_dir are left out.
std::string format_cluster_state(const ClusterState& state);
// Reads cluster.json text. An Error (parse) when it is not a JSON object with a "url".
Result<ClusterState> parse_cluster_state(std::string_view text);

// Writes `text` to `path` through `path`.tmp and a rename, creating it with mode 0600. An Error
// (io) names the file.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view text);

// The state of `server`, served by this process (pid: getpid(); start_time: now), named `name` in
// its kubeconfig, trusting `ca_pem` ("" on plain HTTP), saving to `data_dir` ("" for none).
ClusterState describe_server(const Server& server, std::string name, std::string ca_pem,
                             std::string data_dir);
// What `ktape cluster serve` writes once it listens: the kubeconfig of `state` (sim/kubeconfig.hpp)
// at `kubeconfig_path`, then cluster.json at `state_path`, each atomically and skipped when "".
Result<void> announce_cluster(const ClusterState& state, const std::filesystem::path& kubeconfig_path,
                              const std::filesystem::path& state_path);

// A name `ktape cluster` accepts: 1 to 63 of [a-z0-9-], neither starting nor ending with '-'.
bool is_valid_cluster_name(std::string_view name);

// How the server of `ktape cluster create` is started (the flags of `ktape cluster serve`).
struct CreateOptions {
  std::string address = "127.0.0.1";   // the address to listen on
  std::uint16_t port = 0;              // 0: a free port
  std::string data_dir;                // "": objects are not kept across restarts; made absolute
  bool tls = false;                    // serve HTTPS with a fresh CA that the kubeconfig trusts
  std::size_t watch_history = 100000;  // events kept for watches
  bool garbage_collector = true;       // false: --no-gc
  std::string restore_from;            // "": none; else a cluster snapshot loaded at start (made absolute)
};

enum class ClusterStatus {
  running,         // its process is a live `ktape cluster serve` that answered /ktape/v1/stats
  not_responding,  // its process is alive but /ktape/v1/stats did not answer with JSON
  dead,            // no cluster.json, or its process is gone (killed, crashed, machine restarted)
};

// One cluster of the registry, as `ktape cluster list` shows it.
struct ClusterEntry {
  std::string name;
  std::filesystem::path dir;          // ROOT/NAME
  std::optional<ClusterState> state;  // cluster.json, when present and readable
  pid_t pid = 0;                      // from the pid file; 0 when absent
  ClusterStatus status = ClusterStatus::dead;
  std::optional<std::int64_t> objects;      // objects held, when running
  std::optional<std::chrono::seconds> age;  // since the server started, when running
};

struct RegistryOptions {
  std::filesystem::path root;                      // the directory holding one directory per cluster
  std::filesystem::path ktape_binary;              // the executable run as `ktape cluster serve` by create
  std::chrono::milliseconds start_timeout{30000};  // a server not ready by then failed to start
  std::chrono::milliseconds stop_timeout{20000};   // SIGTERM grace (saving a large data dir), then SIGKILL
};

class Registry {
 public:
  explicit Registry(RegistryOptions options);

  // ROOT/NAME and its kubeconfig; `name` is not checked.
  std::filesystem::path dir(std::string_view name) const;
  std::filesystem::path kubeconfig_path(std::string_view name) const;

  // Starts `ktape cluster serve` for `name` in the background (its own session, stdin from
  // /dev/null, output to ROOT/NAME/log) and waits until it answers /readyz; returns its
  // cluster.json. The state of a cluster by that name whose server is gone is replaced. Errors:
  // invalid (the name), conflict (a cluster by that name is running: the message names its pid and
  // URL and says to delete it first), io (the directory, the spawn, or "cluster "NAME" did not
  // start: " with the reason: the server's last log line when it exited, or the timeout). A server
  // that did not start is stopped and its directory removed.
  Result<ClusterState> create(const std::string& name, const CreateOptions& options) const;

  // Stops the server of `name` (SIGTERM, then SIGKILL after stop_timeout) and removes its
  // directory. Errors: invalid (the name), not_found (no such cluster), io (the removal).
  Result<void> remove(const std::string& name) const;

  // The cluster `name` with its status; nullopt when ROOT/NAME is not a directory. Probes a live
  // server over HTTP(S) for its object count and age (a few seconds at most).
  std::optional<ClusterEntry> find(const std::string& name) const;
  // Every directory under ROOT, sorted by name, each as find() gives it (a missing ROOT: none).
  std::vector<ClusterEntry> list() const;

  // The kubeconfig file of `name`, as its server wrote it. Errors: invalid, not_found.
  Result<std::string> kubeconfig(const std::string& name) const;
  // The cluster.json of `name`, for a client. Errors: invalid; not_found (no cluster.json: the
  // message says how to list and create clusters); parse (not a state file).
  Result<ClusterState> state(const std::string& name) const;

 private:
  Result<void> check_name(const std::string& name) const;
  Error unknown(const std::string& name) const;
  Result<void> prepare_dir(const std::string& name) const;
  ClusterEntry entry(const std::string& name) const;

  RegistryOptions m_options;
};

}  // namespace ktape::sim
