#pragma once
// A rotating recording (`ktape record --schedule`, `ktape export --record --schedule`): the first
// file starts at once, and at every tick a new file starts, with its own snapshot section. The
// previous file keeps recording until the new file's snapshot section is closed for sure (the
// recorder's snapshot deadline, plus a second), so every change is in one file or both: the files
// overlap at a rotation, they never leave a gap. Each recording runs on a thread owned and joined
// here.
#include <atomic>
#include <cstdint>

#include "kube/client.hpp"
#include "recorder/recorder.hpp"
#include "schedule/runner.hpp"

namespace ktape::schedule {

// Runs until `stop` is set, then closes every open file cleanly (the recorder drains, flushes and
// writes the sidecar). `record` gives everything but the path, snapshot and duration. Returns the
// number of files finished successfully. `options.clock` must be a real clock (the recorder's
// threads run in real time).
std::uint64_t run_rotation(const RunnerOptions& options, kube::Client& client,
                           const recorder::RecordOptions& record, const std::atomic<bool>& stop,
                           const recorder::RecordHooks& hooks);

}  // namespace ktape::schedule
