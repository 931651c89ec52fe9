// `ktape cluster serve|create|delete|list|kubeconfig`: simulated clusters. `serve` runs one in the
// foreground; the others map their flags to sim::Registry (sim/registry.hpp), which starts
// `ktape cluster serve` in the background and keeps its state under $KTAPE_HOME/clusters/NAME.
#include <signal.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/home.hpp"
#include "cli/output.hpp"
#include "sim/auth.hpp"
#include "sim/cluster_snapshot.hpp"
#include "sim/registry.hpp"
#include "sim/resources.hpp"
#include "sim/server.hpp"
#include "sim/tls.hpp"
#include "store/digest.hpp"

namespace ktape::cli {
namespace {

int report(const std::string& command, const std::string& message, int code = 1) {
  std::string line = "cluster ";
  line.append(command).append(": ").append(message);
  print_error(line);
  return code;
}

// A bad name is a usage error (exit 2); anything else a failure (exit 1).
int report(const std::string& command, const Error& error) {
  return report(command, error.message, error.kind == ErrorKind::invalid ? 2 : 1);
}

// ---- serve ----------------------------------------------------------------------------------

struct ServeOptions {
  std::string name = "ktape";  // cluster/user/context name in the kubeconfig
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;      // 0: a free port, printed
  std::string kubeconfig_out;  // "" : no kubeconfig written
  std::string state_file;      // hidden, for create: cluster.json
  bool tls = false;
  std::string data_dir;      // "" : state is not kept
  std::string restore_from;  // "" : none; else a cluster snapshot loaded at start
  std::size_t watch_history = 100000;
  bool no_gc = false;
  std::string token_file;  // "": no authentication; else clients must send this file's token
};

int run_serve(const ServeOptions& options) {
  // Signals are taken by sigwait below; blocking them first makes every server thread inherit
  // the mask, so SIGINT/SIGTERM always reach this thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  sim::ServerOptions server_options;
  server_options.address = options.address;
  server_options.port = options.port;
  server_options.data_dir = options.data_dir;
  server_options.restore_from = options.restore_from;
  server_options.garbage_collector = !options.no_gc;
  server_options.content_controllers = true;
  server_options.watch_history = options.watch_history;
  if (!options.token_file.empty()) {
    auto token = sim::read_token_file(options.token_file);
    if (!token) return report("serve", token.error());
    server_options.token = std::move(*token);
  }
  if (auto warning = sim::exposure_warning(options.address, options.tls, !server_options.token.empty()))
    std::cerr << "ktape cluster serve: " << *warning << std::endl;
  std::string ca_pem;
  if (options.tls) {
    auto material = sim::make_tls_material({options.address});
    if (!material) return report("serve", material.error().message);
    ca_pem = material->ca_cert_pem;
    server_options.tls = std::move(*material);
  }
  std::string token = server_options.token;
  auto server = sim::Server::start(std::move(server_options));
  if (!server) return report("serve", server.error().message);
  auto state = sim::describe_server(**server, options.name, ca_pem, options.data_dir);
  state.token = std::move(token);
  if (auto written = sim::announce_cluster(state, options.kubeconfig_out, options.state_file); !written)
    return report("serve", written.error().message);
  std::cout << "serving on " << (*server)->url() << std::endl;
  if (!options.kubeconfig_out.empty()) std::cout << "kubeconfig: " << options.kubeconfig_out << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::cout << "stopping (" << (signal_number == SIGINT ? "SIGINT" : "SIGTERM") << ")" << std::endl;
  (*server)->stop();
  if (!options.data_dir.empty()) std::cout << "state saved to " << options.data_dir << std::endl;
  return 0;
}

void add_serve(CLI::App& cluster) {
  auto options = std::make_shared<ServeOptions>();
  auto* cmd =
      cluster.add_subcommand("serve", "Run one simulated cluster in the foreground (Ctrl+C stops it)");
  cmd->add_option("--address", options->address, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", options->port, "Port to listen on; 0 picks a free one")->capture_default_str();
  cmd->add_option("--kubeconfig-out", options->kubeconfig_out,
                  "Write a kubeconfig for the cluster to this file");
  cmd->add_flag("--tls", options->tls, "Serve HTTPS with a fresh CA that the kubeconfig trusts");
  cmd->add_option("--data-dir", options->data_dir,
                  "Load state from this directory at start, save it at stop");
  cmd->add_option("--watch-history", options->watch_history,
                  "Events kept for watches; older resourceVersions get 410 Gone")
      ->capture_default_str();
  cmd->add_flag("--no-gc", options->no_gc, "Turn off the owner-reference garbage collector");
  cmd->add_option("--name", options->name, "Cluster, user and context name in the kubeconfig")
      ->capture_default_str();
  cmd->add_option("--token", options->token_file,
                  "Require this file's bearer token from every client (the kubeconfig carries it)");
  cmd->add_option("--state-file", options->state_file, "")->group("");  // for `cluster create`
  cmd->add_option(
      "--restore-from", options->restore_from,
      "Start from this cluster snapshot (`ktape cluster snapshot save`) instead of --data-dir's state");
  cmd->callback([options] { set_exit_code(run_serve(*options)); });
}

// ---- create, delete, list, kubeconfig: sim::Registry ---------------------------------------

void add_create(CLI::App& cluster) {
  struct Flags {
    std::string name;
    sim::CreateOptions options;
    bool no_gc = false;
  };
  auto flags = std::make_shared<Flags>();
  auto& o = flags->options;
  auto* cmd = cluster.add_subcommand("create", "Start a simulated cluster in the background");
  cmd->add_option("name", flags->name, "Cluster name (lowercase letters, digits, '-')")->required();
  cmd->add_option("--address", o.address, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", o.port, "Port to listen on; 0 picks a free one")->capture_default_str();
  cmd->add_option("--data-dir", o.data_dir, "Keep the cluster's objects in this directory across restarts");
  cmd->add_flag("--tls", o.tls, "Serve HTTPS with a fresh CA that the kubeconfig trusts");
  cmd->add_option("--watch-history", o.watch_history, "Events kept for watches")->capture_default_str();
  cmd->add_flag("--no-gc", flags->no_gc, "Turn off the owner-reference garbage collector");
  cmd->callback([flags] {
    flags->options.garbage_collector = !flags->no_gc;
    auto registry = cluster_registry();
    auto created = registry.create(flags->name, flags->options);
    if (!created) return set_exit_code(report("create", created.error()));
    std::cout << registry.kubeconfig_path(flags->name).string() << "\n";
  });
}

int run_delete(const std::string& name) {
  if (auto removed = cluster_registry().remove(name); !removed) return report("delete", removed.error());
  std::cout << "deleted cluster " << name << "\n";
  return 0;
}

struct ListRow {
  std::string name, address = "-", age = "-", objects = "-", status = "dead";
};

ListRow list_row(const sim::ClusterEntry& entry) {
  static const char* const k_status[] = {"running", "not responding", "dead"};
  ListRow row;
  row.name = entry.name;
  if (entry.state) row.address = entry.state->url;
  row.status = k_status[static_cast<int>(entry.status)];
  if (entry.objects) row.objects = std::to_string(*entry.objects);
  if (entry.age) row.age = sim::human_duration(entry.age->count());
  return row;
}

int run_list() {
  auto entries = cluster_registry().list();
  if (entries.empty()) {
    std::cerr << "No clusters. Create one with `ktape cluster create NAME`.\n";
    return 0;
  }
  std::vector<ListRow> rows{{"NAME", "ADDRESS", "AGE", "OBJECTS", "STATUS"}};
  for (const auto& entry : entries) rows.push_back(list_row(entry));
  std::size_t widths[4] = {0, 0, 0, 0};
  for (const auto& r : rows) {
    widths[0] = std::max(widths[0], r.name.size());
    widths[1] = std::max(widths[1], r.address.size());
    widths[2] = std::max(widths[2], r.age.size());
    widths[3] = std::max(widths[3], r.objects.size());
  }
  for (const auto& r : rows) {
    auto pad = [](const std::string& s, std::size_t w) { return s + std::string(w - s.size() + 3, ' '); };
    std::cout << pad(r.name, widths[0]) << pad(r.address, widths[1]) << pad(r.age, widths[2])
              << pad(r.objects, widths[3]) << r.status << "\n";
  }
  return 0;
}

int run_kubeconfig(const std::string& name) {
  auto text = cluster_registry().kubeconfig(name);
  if (!text) return report("kubeconfig", text.error());
  std::cout << *text;
  return 0;
}

// ---- snapshot save|restore: sim/cluster_snapshot.hpp ----------------------------------------

struct SnapshotFlags {
  std::string name;
  std::string path;
  bool force = false;
};

int run_snapshot_save(const SnapshotFlags& flags) {
  auto saved = sim::save_cluster_snapshot(cluster_registry(), flags.name, flags.path);
  if (!saved) return report("snapshot save", saved.error());
  if (auto sidecar = store::write_sidecar(flags.path); !sidecar)
    return report("snapshot save", sidecar.error());
  std::cout << "saved cluster " << flags.name << " to " << flags.path << ": " << saved->objects
            << " objects, resourceVersion " << saved->revision << "\n";
  return 0;
}

int run_snapshot_restore(const SnapshotFlags& flags) {
  // A sidecar, when there is one, must match: a damaged snapshot is refused before anything changes.
  if (auto integrity = store::verify_sidecar(flags.path);
      integrity && *integrity == store::Integrity::mismatch)
    return report("snapshot restore", flags.path + " does not match " + store::sidecar_path(flags.path) +
                                          ": the file is damaged");
  sim::ClusterRestoreOptions options;
  options.running = flags.force ? sim::RestoreRunning::replace : sim::RestoreRunning::refuse;
  auto restored = sim::restore_cluster_snapshot(cluster_registry(), flags.name, flags.path, options);
  if (!restored) return report("snapshot restore", restored.error());
  std::cout << "restored cluster " << flags.name << " from " << flags.path << ": " << restored->objects
            << " objects, resourceVersion " << restored->revision << "\n";
  return 0;
}

void add_snapshot(CLI::App& cluster) {
  auto* snapshot = cluster.add_subcommand(
      "snapshot",
      "Exact snapshots of a cluster (uids, resourceVersions, revision counter), as kwokctl snapshot");
  snapshot->require_subcommand(1);
  auto flags = std::make_shared<SnapshotFlags>();
  auto* save =
      snapshot->add_subcommand("save", "Write a cluster's exact state to a file (mode 0600, never replaced)");
  save->add_option("name", flags->name, "Cluster name")->required();
  save->add_option("--path", flags->path, "The snapshot file to create")->required();
  save->callback([flags] { set_exit_code(run_snapshot_save(*flags)); });
  auto* restore = snapshot->add_subcommand(
      "restore", "Make a cluster hold exactly a snapshot (starts it when it is not running)");
  restore->add_option("name", flags->name, "Cluster name")->required();
  restore->add_option("--path", flags->path, "The snapshot file to read")->required();
  restore->add_flag(
      "--force", flags->force,
      "Replace the objects of a running cluster (open watches end; older resourceVersions get 410)");
  restore->callback([flags] { set_exit_code(run_snapshot_restore(*flags)); });
}

void add_cluster(CLI::App& app) {
  auto* cluster =
      app.add_subcommand("cluster", "Simulated clusters: serve one, or create, list and delete them");
  cluster->require_subcommand(1);
  add_serve(*cluster);
  add_create(*cluster);
  add_snapshot(*cluster);
  auto name = std::make_shared<std::string>();
  auto* del = cluster->add_subcommand("delete", "Stop a cluster started by create and remove its state");
  del->add_option("name", *name, "Cluster name")->required();
  del->callback([name] { set_exit_code(run_delete(*name)); });
  auto* list = cluster->add_subcommand("list", "List clusters: NAME, ADDRESS, AGE, OBJECTS, STATUS");
  list->callback([] { set_exit_code(run_list()); });
  auto* kubeconfig = cluster->add_subcommand("kubeconfig", "Print a cluster's kubeconfig");
  kubeconfig->add_option("name", *name, "Cluster name")->required();
  kubeconfig->callback([name] { set_exit_code(run_kubeconfig(*name)); });
}

const Registration registration{add_cluster};

}  // namespace
}  // namespace ktape::cli
