#pragma once
// `ktape cluster snapshot save|restore`: exact snapshots of the simulated clusters of a Registry,
// the analogue of `kwokctl snapshot save/restore`. A snapshot is the text a server keeps in its
// --data-dir (Store::dump(): a first line {"resourceVersion":"N"} holding the revision counter,
// then one {"group","resource","object"} line per object, CRDs first), so every object keeps its
// uid and resourceVersion, and a snapshot file can also be dropped into a data dir as state.jsonl.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "sim/registry.hpp"

namespace ktape::sim {

struct ClusterSnapshotInfo {
  std::size_t objects = 0;     // objects in the snapshot
  std::uint64_t revision = 0;  // the revision counter it keeps (the highest resourceVersion or more)
};

// Checks a snapshot's text: the first line carries the counter, every other line an object. An
// Error (parse) names `source` and the line, never the line's content (objects hold Secrets).
Result<ClusterSnapshotInfo> read_cluster_snapshot(std::string_view text, const std::string& source);

// Writes the exact state of cluster `name` to `path`: from its server when it runs, else from the
// state its --data-dir kept. The file is created with mode 0600 and never replaces one (it is
// written beside as PATH.tmp, then linked into place). Errors: invalid (the name); not_found (no
// such cluster, or it is not running and kept no state); conflict (`path` exists); transport (the
// server did not answer); io (writing `path`).
Result<ClusterSnapshotInfo> save_cluster_snapshot(const Registry& registry, const std::string& name,
                                                  const std::filesystem::path& path);

enum class RestoreRunning {
  refuse,   // a running cluster is left alone: Error (conflict) saying to pass --force
  replace,  // its objects are replaced while it serves; open watches end, older RVs get 410
};

struct ClusterRestoreOptions {
  RestoreRunning running = RestoreRunning::refuse;
  // How a cluster that is not running is started (its snapshot is loaded before it listens). A
  // cluster that kept a data dir keeps it when `create.data_dir` is "".
  CreateOptions create;
};

// Makes cluster `name` hold exactly the snapshot at `path` (read and checked first: a bad file
// changes nothing). A cluster that is not running (or does not exist) is started from it with
// the snapshot's revision counter; a running one is refused or replaced as options.running says,
// its counter then never going back (Store::replace). Errors: invalid (the name); not_found or
// io (reading `path`); parse (the snapshot); conflict (running, refused); those of
// Registry::create; transport (the server did not answer).
Result<ClusterSnapshotInfo> restore_cluster_snapshot(const Registry& registry, const std::string& name,
                                                     const std::filesystem::path& path,
                                                     const ClusterRestoreOptions& options);

}  // namespace ktape::sim
