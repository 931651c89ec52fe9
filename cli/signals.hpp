#pragma once
// Signals for long-running commands: the first SIGINT/SIGTERM asks the command to stop cleanly
// (it finishes what it is writing); a second one exits at once (status 130), which is safe
// because recordings are written in whole documents and flushed on an interval.
#include <atomic>

namespace ktape::cli {

// Whether the first signal prints "stopping ..." on stderr (quiet: for `--log-format json`, whose
// stderr must hold JSON lines only).
enum class StopNotice { print, quiet };

// Installs the handlers; returns the flag the first signal sets.
const std::atomic<bool>& install_stop_signals(StopNotice notice = StopNotice::print);
// Counts SIGUSR1 (pause) and SIGUSR2 (resume) for replay: the last one received wins.
const std::atomic<int>& install_pause_signals();

}  // namespace ktape::cli
