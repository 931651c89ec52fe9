#pragma once
// A large, realistic cluster written straight to a snapshot recording, so the benchmarks at the
// largest cluster sizes (a million objects) are reproducible without driving a server for hours:
// `ktape replay --snapshot` loads it into any cluster. Each application in a namespace is what its
// controllers would have made: a Deployment -> ReplicaSet -> Pods (~3 KB, with status) chained by
// ownerReferences, a Service with its EndpointSlice (one endpoint per Pod, targetRef by UID), a
// ConfigMap, a Secret and Events about its Pods. The same options give the same bytes.
#include <cstdint>
#include <string>

#include "formats/error.hpp"

namespace ktape::workload {

struct ClusterOptions {
  std::string path;                // the snapshot recording to create (mode 0600; .gz/.zst compress)
  std::uint64_t objects = 100000;  // about this many objects (whole applications: never fewer)
  std::uint64_t seed = 1;          // same seed, same file
  int pods_per_app = 5;            // replicas of each Deployment
  int events_per_app = 2;          // Events about the application's Pods
  int apps_per_namespace = 100;    // applications in each namespace PREFIX-N
  std::size_t pod_padding = 1200;  // bytes of annotation padding, to reach ~3 KB Pods
  std::string prefix = "scale";    // namespace name prefix
  bool overwrite = false;          // replace an existing file
};

struct ClusterStats {
  std::uint64_t objects = 0;  // documents written, namespaces included
  std::uint64_t pods = 0;
  std::uint64_t namespaces = 0;
  std::uint64_t yaml_bytes = 0;  // before compression
};

// Writes the snapshot. An Error when the file cannot be created or written (it names the path),
// or when an option is out of range (objects 0, pods_per_app < 1, apps_per_namespace < 1).
Result<ClusterStats> write_cluster_snapshot(const ClusterOptions& options);

}  // namespace ktape::workload
