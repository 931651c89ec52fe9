// `ktape workload`: drive a cluster with the seeded, repeatable workload of workload/workload.hpp.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.hpp"
#include "cli/duration.hpp"
#include "cli/output.hpp"
#include "cli/signals.hpp"
#include "cli/target.hpp"
#include "workload/cluster.hpp"
#include "workload/workload.hpp"

namespace ktape::cli {
namespace {

struct WorkloadFlags {
  TargetFlags target;
  workload::WorkloadOptions options;
  workload::ClusterOptions cluster;  // --snapshot-file: a large cluster written as a snapshot instead
};

int run_cluster_snapshot(WorkloadFlags& flags) {
  flags.cluster.seed = flags.options.seed;
  flags.cluster.prefix = flags.options.prefix == "wl" ? flags.cluster.prefix : flags.options.prefix;
  auto stats = workload::write_cluster_snapshot(flags.cluster);
  if (!stats) {
    std::fprintf(stderr, "error: workload: %s\n", stats.error().message.c_str());
    return 1;
  }
  std::printf("wrote %s: %llu objects (%llu pods) in %llu namespaces, %llu bytes of YAML\n",
              flags.cluster.path.c_str(), static_cast<unsigned long long>(stats->objects),
              static_cast<unsigned long long>(stats->pods),
              static_cast<unsigned long long>(stats->namespaces),
              static_cast<unsigned long long>(stats->yaml_bytes));
  return 0;
}

int run_workload(WorkloadFlags& flags) {
  if (!flags.cluster.path.empty()) return run_cluster_snapshot(flags);
  if (flags.options.duration.count() == 0 && flags.options.operations == 0) flags.options.operations = 200;
  auto target = connect(flags.target);
  if (!target) {
    print_error(target.error().message);
    return 1;
  }
  const auto& stop = install_stop_signals();
  auto stats = workload::run_workload(*target->client, flags.options, stop, [](const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
  });
  if (!stats) {
    std::fprintf(stderr, "error: workload: %s\n", stats.error().message.c_str());
    return 1;
  }
  std::uint64_t ops = 0;
  for (const auto& [k, v] : stats->operations) ops += v;
  std::printf("workload on %s: %llu setup objects, %llu operations, %llu requests (%llu failed) in %s\n",
              target->label.c_str(), static_cast<unsigned long long>(stats->setup_objects),
              static_cast<unsigned long long>(ops), static_cast<unsigned long long>(stats->requests),
              static_cast<unsigned long long>(stats->failures), format_duration(stats->elapsed).c_str());
  for (const auto& [k, v] : stats->operations)
    std::printf("  %-18s %llu\n", k.c_str(), static_cast<unsigned long long>(v));
  return stats->failures == 0 ? 0 : 1;
}

void add_workload(CLI::App& app) {
  auto flags = std::make_shared<WorkloadFlags>();
  auto& o = flags->options;
  auto* cmd = app.add_subcommand("workload", "Drive a cluster with a realistic, seeded, repeatable workload");
  add_target_flags(*cmd, flags->target);
  cmd->add_option("--seed", o.seed, "Same seed, same operations")->capture_default_str();
  cmd->add_option("--namespaces", o.namespaces, "Namespaces to create")->capture_default_str();
  cmd->add_option("--deployments", o.deployments_per_namespace, "Deployments per namespace")
      ->capture_default_str();
  cmd->add_option("--max-replicas", o.max_replicas, "Scale moves between 0 and this")->capture_default_str();
  cmd->add_option("--configmaps", o.configmaps_per_namespace, "ConfigMaps per namespace")
      ->capture_default_str();
  cmd->add_option("--custom-resources", o.custom_resources_per_namespace, "Widgets per namespace (0: no CRD)")
      ->capture_default_str();
  cmd->add_option("--rate", o.rate, "Operations per second (0: as fast as possible)")->capture_default_str();
  cmd->add_option("--operations", o.operations,
                  "Stop after this many operations (default 200 without --duration)");
  add_duration_option(*cmd, "--duration", o.duration, "Stop after this long (30s, 5m)");
  cmd->add_option("--workers", o.workers, "Threads, each owning a share of the namespaces")
      ->capture_default_str();
  cmd->add_option("--prefix", o.prefix, "Namespace name prefix")->capture_default_str();
  cmd->add_option(
      "--snapshot-file", flags->cluster.path,
      "Write a large cluster (Deployments, ReplicaSets, Pods, Services, EndpointSlices, ConfigMaps, "
      "Secrets, Events) as a snapshot recording to this path instead of driving a cluster");
  cmd->add_option("--objects", flags->cluster.objects, "With --snapshot-file: about this many objects")
      ->capture_default_str();
  cmd->add_flag("--force", flags->cluster.overwrite, "With --snapshot-file: replace an existing file");
  cmd->callback([flags] { set_exit_code(run_workload(*flags)); });
}

const Registration registration{add_workload};

}  // namespace
}  // namespace ktape::cli
