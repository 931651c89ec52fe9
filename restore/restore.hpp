#pragma once
// `ktape restore` (issue 14): make a live target equal to a recording's state at a recorded time,
// within a selection. The plan is the diff (store/diff.hpp's normalisation and comparison) of the
// state at that time (store/state_at.hpp) against the live objects; applying it creates what is
// missing through the replayer's Applier (owner UIDs re-linked, CRDs waited on, namespaces, CRDs
// and owners first), updates what differs (a PUT with the live resourceVersion retried on conflict,
// or a server-side apply: UpdateMethod) and, with prune, deletes what the state does not hold. Every step is
// recomputed from the live target on each run, so an interrupted restore run again converges: it is
// idempotent by construction.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/error.hpp"
#include "formats/value.hpp"
#include "kube/client.hpp"
#include "kube/selection.hpp"
#include "ownerref/refs.hpp"
#include "replayer/options.hpp"
#include "replayer/summary.hpp"

namespace ktape::restore {

// --update: how an UPDATE step writes the recorded object.
enum class UpdateMethod {
  // PUT of the whole object with the live resourceVersion, retried on conflict (the default): the
  // object becomes the recorded one, fields nobody recorded included (they are dropped).
  put,
  // Server-side apply as field manager k_field_manager with force=true: a restore is authoritative
  // over the fields it restores, so it takes them from whichever manager owns them. No
  // resourceVersion precondition, hence no conflict retries. Fields ktape set before (by an apply,
  // or by a create or PUT, whose Update entry is first adopted into its Apply entry:
  // restore/adopt.hpp) that the state lacks are removed; fields only other managers own that the
  // state lacks (a label kubectl added) stay, and the final verify reports them: `put` overwrites
  // those.
  apply,
};
// The field manager of restore's server-side applies (their managedFields entries, operation Apply).
inline constexpr std::string_view k_field_manager = "ktape";

struct RestoreOptions {
  std::string path;                   // the recording (any file formats/ reads)
  std::optional<std::int64_t> at_ns;  // --at: recorded time in ns from the start; nullopt = its end
  kube::Selection selection;          // --resource, -n, -l, excludes
  bool prune = false;                 // --prune: delete selected objects the state does not hold
  // --max-delete: most deletes the plan may hold; nullopt = 10% of the target's selected objects
  // (rounded down), as kinder's pre-flight refuses a wholesale wipe.
  std::optional<std::size_t> max_delete;
  // --status keep: compare .status too and write the recorded one through /status; drop (the
  // default): status is the target's controllers' and is left out of the comparison.
  replayer::StatusMode status = replayer::StatusMode::drop;
  // --owned: skip (the default) leaves objects with a controller owner to the target's
  // controllers (kept, with the reason); replay restores them like any other object.
  replayer::OwnedObjects owned = replayer::OwnedObjects::skip;
  // --ignore-field: more fields left out of the comparison ("spec.replicas" or a JSON pointer).
  // The Deployment revision annotation is always left out (the target's controller bumps it).
  std::vector<std::string> ignore_fields;
  UpdateMethod update = UpdateMethod::put;  // --update put|apply
  int concurrency = 8;                      // writes in flight at once (>= 1)
  bool force = false;                       // --force: apply despite pre-flight problems
  std::size_t max_errors_listed = 20;       // errors kept verbatim in the result
  // How often apply() reports its progress at most: 250 ms, four redraws a second as replay's and
  // record's lines; 0 reports after every write (tests).
  std::chrono::milliseconds progress_interval{250};
};

enum class Action { create, update, remove, keep };
// "CREATE", "UPDATE", "DELETE", "KEEP".
std::string_view action_name(Action action);

// One object the plan does something about (objects already equal are only counted).
struct Step {
  Action action = Action::keep;
  kube::ApiResource resource;  // as the target serves it (or as the state's CRD defines it)
  std::string namespace_name;  // "" for cluster-scoped objects
  std::string name;
  std::vector<std::string> fields;  // update: the top-level fields that differ ("spec", "metadata.labels")
  std::string reason;               // why (every keep has one; creates of needed namespaces too)
  formats::Value desired;           // create/update: the recorded object, as recorded; else null
  std::string live_version;         // update: the target's resourceVersion when planned
  std::string live_uid;             // update/delete: the target's UID (a delete's precondition)
  // update with --update apply: the target's metadata.managedFields when they hold a
  // k_field_manager Update entry (restore created or PUT the object), adopted before the apply
  // (restore/adopt.hpp); else null.
  formats::Value live_fields;
  int layer = 0;              // steps of one layer are applied together, layers in order
  std::string label() const;  // "apps/v1 Deployment shop/web"
};

struct Plan {
  std::vector<Step> steps;         // namespaces, then CRDs, then the rest in owner order
  std::size_t unchanged = 0;       // selected objects already equal
  std::size_t live_selected = 0;   // the target's objects within the selection
  std::size_t state_selected = 0;  // the state's objects within the selection
  // For the pre-flight: namespaces creates need that neither the target nor the state holds,
  // resources neither the target serves nor a CRD of the state defines ("widgets.example.com"),
  // and the server version the recording's header names ("" when unknown).
  std::vector<std::string> missing_namespaces;
  std::vector<std::string> unserved;
  std::string recorded_server_version;
  // Objects in both the state and the target (selected or not): their recorded UID and the
  // target's, so that children created re-link to owners that already exist.
  struct Link {
    ownerref::ObjectKey key;
    std::string old_uid, new_uid;
  };
  std::vector<Link> links;
  kube::Discovery discovery;  // the target's, as read for the plan (apply starts from it)
  // Where make_plan's time went (wall clock), for benchmarks: discovery; reading the recording
  // into a state and LISTing the target (at once); comparing them and ordering the steps.
  struct Timings {
    std::chrono::duration<double> discover{}, read{}, compare{};
  };
  Timings timings;
  std::size_t count(Action action) const;
  // Steps that write (create, update, delete).
  std::size_t writes() const;
};

// The state at options.at_ns against the live target, within the selection. Errors: the file
// cannot be read into a state (naming file, document and line), discovery or a LIST fails, the
// selection names an unknown resource or has a malformed -l.
Result<Plan> make_plan(kube::Client& client, const RestoreOptions& options);

// Every pre-flight problem at once (kinder's way): the file's integrity (store::verify_recording),
// resources the target does not serve and no CRD in the state defines, namespaces that are neither
// in the target nor in the state, deletes above the --max-delete limit. Warnings never refuse: a
// missing sidecar, server minor-version skew.
struct Preflight {
  std::vector<std::string> problems;
  std::vector<std::string> warnings;
};
Preflight check(kube::Client& client, const RestoreOptions& options, const Plan& plan);

// Where an apply is: the plan's writes finished so far (whatever their outcome) of all of them,
// and the outcomes (replayer's counts: created, patched = updated, deleted, skipped, failed).
struct ApplyProgress {
  std::size_t done = 0;
  std::size_t total = 0;  // Plan::writes()
  replayer::Counts counts;
};
// Called by apply() from one thread at a time (a worker's, or apply's caller's for the last call).
using ApplyProgressFn = std::function<void(const ApplyProgress&)>;

// Applies `plan`'s writes (keeps are left alone): creates through replayer::Applier in layers
// (namespaces, CRDs, then owners before children), updates as options.update says (PUT with the
// live resourceVersion retried on conflict, or a forced server-side apply; with --status keep the
// recorded status goes through /status after either), deletes in the background. Failures are counted and
// listed (the first options.max_errors_listed), never thrown; `stop` is polled between objects. `progress`,
// when set and the plan writes anything, is called at most every options.progress_interval as writes finish,
// and once more at the end (done == total unless stopped).
replayer::SummaryReport apply(kube::Client& client, const RestoreOptions& options, const Plan& plan,
                              const std::atomic<bool>* stop = nullptr, const ApplyProgressFn& progress = {});

// The plan as text: one line per step ("CREATE v1 ConfigMap demo/a", "UPDATE ... (spec,
// metadata.labels)", "KEEP ...: reason"), then a totals line. Secret values never appear.
std::string format_plan(const Plan& plan);
// One progress line, no newline: "applying 1,234/2,000 (61%): created 10, updated 1,200,
// deleted 24, failed 0".
std::string format_progress(const ApplyProgress& progress);
// The plan as JSON: {"steps": [{"action","resource","namespace","name","fields","reason"}],
// "totals": {...}}.
formats::Value plan_to_value(const Plan& plan);

}  // namespace ktape::restore
