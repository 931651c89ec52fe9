#pragma once
// What a replay does (DESIGN.md, "Data flow: replay"): the options of `ktape replay`, the
// selection of what to replay, and the controls a running replay obeys (stop, pause, speed).
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kube/clock.hpp"
#include "kube/selection.hpp"

namespace ktape::replayer {

enum class OnExisting {
  skip,      // leave the target's object as it is and map its UID (the default)
  update,    // PUT the recorded object with the target's resourceVersion, retried on conflict
  recreate,  // delete the target's object, wait until it is gone, create the recorded one
};

enum class StatusMode {
  keep,  // write the recorded status (through /status where the resource has it); the default
  drop,  // create without status
};

enum class DanglingMode { drop, keep };  // --keep-dangling-owners = keep

// --control-plane-objects: what to do with the objects the target's control plane makes and keeps
// itself (replayer/policy.hpp's table: default/kubernetes, kube-root-ca.crt, system: RBAC, ...).
enum class ControlPlaneObjects {
  keep,    // leave the target's as they are, counted "kept" (the default)
  replay,  // replay them like any other object
};

// --owned: what to do with objects that have a controller owner (ownerReference controller: true).
enum class OwnedObjects {
  replay,  // replay them too (the default; exact in ktape's simulated cluster, where no controller
           // runs); a 404 or 409 on one is the target's controller acting first, counted as a skip
  skip,    // leave them to the target's controllers: a Deployment is replayed, its ReplicaSets and
           // Pods are made by the target (SimKube's approach for clusters that run controllers)
};

struct ReplayOptions {
  std::string path;                            // the recording (any file formats/ reads)
  bool snapshot_only = false;                  // --snapshot: the snapshot section only
  double speed = 1;                            // 1 = recorded pace, 10 = ten times faster, 0 = ASAP
  std::chrono::nanoseconds from{0};            // --from: events before it at full speed
  std::optional<std::chrono::nanoseconds> to;  // --to: events after it are not applied
  kube::Selection selection;                   // what to replay
  int concurrency = 8;                         // requests in flight at once (>= 1)
  OnExisting on_existing = OnExisting::skip;   // --on-existing
  StatusMode status = StatusMode::keep;        // --status
  DanglingMode dangling = DanglingMode::drop;  // --keep-dangling-owners = keep
  ControlPlaneObjects control_plane = ControlPlaneObjects::keep;  // --control-plane-objects
  OwnedObjects owned = OwnedObjects::replay;                      // --owned
  bool drop_node_name = false;                       // --drop-node-name: create Pods without spec.nodeName
  bool dry_run = false;                              // print the plan, write nothing
  bool force = false;                                // start despite pre-flight problems
  std::chrono::seconds crd_established_timeout{30};  // bounded wait for a CRD's Established
  std::size_t max_errors_listed = 20;                // errors kept verbatim in the summary
  std::shared_ptr<kube::Clock> clock;                // null: the system clock
};

// Driven from outside while a replay runs (signals, the terminal); every field may be written from
// any thread at any time.
struct Controls {
  std::atomic<bool> stop{false};    // stop between events; what is in flight finishes
  std::atomic<bool> paused{false};  // hold events (the schedule shifts by the paused time)
  std::atomic<double> speed{-1};    // a new speed when >= 0 (read and reset to -1 by the replay)
};

// Progress, reported about every `progress_interval` during the event phase.
struct Progress {
  std::chrono::nanoseconds position{0};  // recorded time of the last event dispatched
  double speed = 1;
  std::chrono::nanoseconds lag{0};  // how late the last event was dispatched
  bool paused = false;
  std::uint64_t events = 0;  // dispatched so far
};
using ProgressFn = std::function<void(const Progress&)>;
using LogFn = std::function<void(const std::string&)>;  // one line for the user (stderr)

}  // namespace ktape::replayer
