#pragma once
// The replay of a recording into a target (DESIGN.md, "Data flow: replay"):
// 1. pre-flight: the file (or the --from/--to window) is read once and checked against the target:
//    resources it does not serve, namespaces and owners that resolve nowhere. Problems refuse the
//    start unless options.force; a parse error (a truncated file) is reported and what comes
//    before it is replayed.
// 2. snapshot: namespaces, then CRDs (each waited on until Established), then the rest in owner
//    layers (ownerref::plan_layers), each layer created with options.concurrency requests in flight.
// 3. events (unless snapshot_only): each at its scaled time; one object's events strictly in order,
//    a child after its owners' creates, independent events in flight together on a worker pool.
// Every failure is counted and reported in the summary and the replay goes on; only what stops
// the replay from starting at all is an Error.
#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/error.hpp"
#include "kube/client.hpp"
#include "replayer/options.hpp"
#include "replayer/summary.hpp"

namespace ktape::replayer {

// An object the replay will create (selected, in the window), as the pre-flight read saw it.
struct FileObject {
  std::string label;                           // "apps/v1 Deployment demo/web"
  std::optional<std::chrono::nanoseconds> at;  // its create's recorded time; nullopt: the snapshot
};

struct Preflight {
  std::vector<std::string> problems;  // refuse to start unless --force
  std::vector<std::string> warnings;  // reported, never refuse (a parse error mid-file)
  std::size_t objects = 0;            // snapshot objects in the window
  std::size_t events = 0;             // events in the window
  // By UID in the recording: every object the replay creates (after the selection; the first
  // create of a UID). A child in the event section waits for an owner found here however late
  // its create comes; an owner not found here is dangling at once.
  std::unordered_map<std::string, FileObject> creates;
  // The snapshot section as read, when the replay needs no second read of the file for it: the
  // file has no events, or only the snapshot is replayed (snapshot_kept). `snapshot_error`: the
  // read error that ended the section, if the file breaks off inside it.
  bool snapshot_kept = false;
  std::vector<formats::Value> snapshot;
  std::optional<Error> snapshot_error;
};

// Reads the recording once and checks it against the target's discovery (and, for namespaces the
// file does not create, the target itself). An unreadable file is an Error.
Result<Preflight> preflight(kube::Client& client, const ReplayOptions& options);

struct Hooks {
  LogFn log;            // progress and problem lines (stderr); may be empty
  LogFn plan;           // --dry-run's plan lines (stdout); may be empty
  ProgressFn progress;  // called about every 250 ms during the event phase; may be empty
};

// Runs the whole replay. Errors: the file cannot be opened, discovery fails, the selection names
// an unknown resource, or the pre-flight found problems and !options.force (the message lists
// them). `controls` may be changed from other threads while it runs.
Result<SummaryReport> replay(kube::Client& client, const ReplayOptions& options, Controls& controls,
                             const Hooks& hooks = {});

}  // namespace ktape::replayer
