#pragma once
// A realistic, seeded, repeatable workload for a cluster: Namespaces; Deployments -> ReplicaSets ->
// Pods chained by ownerReferences (the generator writes the whole chain itself, as the controllers
// of a real cluster would: the simulated cluster has none); ConfigMaps, Secrets, Services; a CRD
// and its custom resources; then, at a given rate, spec and status updates, scale up and down,
// rollouts, creates and deletes. The same seed and options give the same sequence of operations.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "formats/error.hpp"
#include "kube/client.hpp"

namespace ktape::workload {

struct WorkloadOptions {
  std::uint64_t seed = 1;             // same seed, same operations
  int namespaces = 2;                 // namespaces PREFIX-0 ... PREFIX-(n-1)
  int deployments_per_namespace = 3;  // each with a ReplicaSet and its Pods
  int max_replicas = 4;               // scale moves between 0 and this
  int configmaps_per_namespace = 2;
  int custom_resources_per_namespace = 2;  // Widgets of the CRD (0 = no CRD at all)
  std::uint64_t operations = 0;            // stop after this many operations after setup (0 = no limit)
  std::chrono::nanoseconds duration{0};    // stop after this long (0 = no limit)
  double rate = 50;                        // operations per second across workers; 0 = as fast as possible
  int workers = 2;                         // threads, each owning a share of the namespaces
  std::string prefix = "wl";               // namespace name prefix
  std::size_t pod_padding = 1200;          // bytes of annotation padding, to reach ~3 KB Pods
};

struct WorkloadStats {
  std::map<std::string, std::uint64_t> operations;  // by kind: "scale", "pod-status", "rollout", ...
  std::uint64_t requests = 0;                       // API calls made
  std::uint64_t failures = 0;                       // API calls that failed (reported through log)
  std::uint64_t setup_objects = 0;                  // objects created by the setup
  std::chrono::nanoseconds elapsed{0};
};

using Log = std::function<void(const std::string&)>;

// Creates the setup, then runs operations until `operations`, `duration` or `stop`. A failed call
// is counted and logged, and the workload goes on; setup failing (no namespace could be created)
// is an Error.
Result<WorkloadStats> run_workload(kube::Client& client, const WorkloadOptions& options,
                                   const std::atomic<bool>& stop, const Log& log);

// The CRD the workload uses (widgets.ktape.example.com, namespaced, v1, with a status subresource).
formats::Value widget_crd();

}  // namespace ktape::workload
