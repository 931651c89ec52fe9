#pragma once
// A long-running scheduled ktape, as `ktape export --schedule` and `ktape record --schedule` run
// it: the log, the metrics and their HTTP listener, and the runner, around the recorder's entry
// point. Export: one snapshot per tick. Record: a rotating recording, one file per period.
#include <atomic>
#include <cstdint>
#include <string>

#include "formats/error.hpp"
#include "kube/client.hpp"
#include "ops/log.hpp"
#include "recorder/recorder.hpp"
#include "schedule/runner.hpp"
#include "store/retention.hpp"

namespace ktape::schedule {

enum class ScheduleMode {
  snapshot,  // one snapshot per tick (export's default)
  rotate,    // one recording per period, each starting with a snapshot (export --record, record)
};

struct ServiceOptions {
  std::string spec;  // --schedule: cron or @every (schedule/cron.hpp)
  std::string path;  // --path DIR/PREFIX[.yaml[.zst]]
  ScheduleMode mode = ScheduleMode::snapshot;
  store::RetentionPolicy retention;                  // --keep-last ...; none: keep every file
  ops::LogFormat log_format = ops::LogFormat::text;  // --log-format
  std::string listen;                                // --listen HOST:PORT; "" = no HTTP listener
  recorder::RecordOptions record;                    // everything but path, snapshot and duration
};

// The job of a snapshot schedule: recorder::record in snapshot mode at the path it is given. A
// snapshot is never cut short by a signal (a cut one would look like a backup of a smaller
// cluster); the recorder's snapshot deadline bounds how long it takes. `client`, `record` and
// `hooks` must outlive the job.
Job make_snapshot_job(kube::Client& client, const recorder::RecordOptions& record,
                      const recorder::RecordHooks& hooks);

// Checks the spec, the path and the listen address (invalid/parse Errors naming the flag) before
// anything starts, then runs until `stop` is set. In snapshot mode a snapshot in progress when
// `stop` is set is finished (the recorder closes its snapshot section by its deadline); in rotate
// mode the current recording is closed cleanly. Returns the number of files written; a failed
// tick is not an Error (it is logged, counted and retried at the next tick).
Result<std::uint64_t> run_service(kube::Client& client, const ServiceOptions& options,
                                  const std::atomic<bool>& stop);

}  // namespace ktape::schedule
