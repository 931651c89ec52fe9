#pragma once
// `ktape record` / `ktape export`: discovery -> one list+watch loop per selected resource ->
// the lock-free pipeline -> one writer. Runs until `stop` is set, the duration passes, or (in
// snapshot mode) every resource has been listed once. CRDs created while recording are picked up
// by rediscovery and their resources recorded from the moment they appear.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "formats/compress.hpp"
#include "kube/client.hpp"
#include "kube/selection.hpp"
#include "recorder/reflector.hpp"

namespace ktape::recorder {

struct RecordOptions {
  std::string path;                                       // the recording to write
  formats::Overwrite overwrite = formats::Overwrite::no;  // --force
  bool snapshot = false;                                  // write the current state and stop
  std::chrono::nanoseconds duration{0};                   // stop after this long; 0 = until stopped
  kube::Selection selection;                              // what to record
  bool redact_secrets = false;                            // Secret data values -> their sha256
  bool keep_managed_fields = false;                       // keep metadata.managedFields
  bool time_markers = false;                              // time fields as "$(time-offset-nanosecond N)"
  std::string source;                                     // for the header: "cluster demo", a server URL
  std::chrono::milliseconds flush_interval{500};          // at most this is lost to a SIGKILL
  std::chrono::seconds snapshot_deadline{60};             // the snapshot section closes by then at the latest
  std::size_t page_size = 500;                            // LIST page size
  std::chrono::seconds watch_timeout{300};  // watches end after [this, 2x this), as in client-go
};

struct ResourceSummary {
  std::string name;            // "deployments.apps"
  std::uint64_t objects = 0;   // in the snapshot section
  std::uint64_t events = 0;    // creates, patches and deletes
  std::uint64_t relists = 0;   // after a 410
  std::uint64_t failures = 0;  // failed requests (retried)
  bool failing = false;        // still failing when recording stopped
  std::string last_error;
};

struct RecordSummary {
  std::string path;
  std::string sha256;
  std::chrono::nanoseconds elapsed{0};
  std::uint64_t objects = 0;
  std::uint64_t events = 0;
  std::uint64_t file_bytes = 0;
  std::vector<ResourceSummary> resources;  // by name
  std::uint64_t queue_max = 0;             // most records waiting for the writer at once
  double writer_busy = 0;                  // share of the writer thread's time spent writing
};

struct Progress {
  std::chrono::nanoseconds elapsed{0};
  std::uint64_t events = 0;
  std::uint64_t file_bytes = 0;
};

struct RecordHooks {
  std::function<void(const std::string&)> log;    // one line for stderr (failures, rediscovery)
  std::function<void(const Progress&)> progress;  // about once a second
};

// Records from `client` until `stop` becomes true (a signal), the duration passes, or the
// snapshot is written. With KTAPE_RECORD_STATS set in the environment, a last log line gives the
// pipeline's counters ("pipeline: queue_max=N writer_busy=F"), for the benchmarks. A write
// error (a full disk) ends the recording with that Error; the file keeps everything flushed
// before it.
Result<RecordSummary> record(kube::Client& client, const RecordOptions& options,
                             const std::atomic<bool>& stop, const RecordHooks& hooks);

// Replaces every value of a Secret's data by base64(hex sha256 of the value) and of its
// stringData by the hex sha256, so the structure survives, equal values stay equal, the Secret
// still replays (data stays base64) and nothing secret is written.
void redact_secret(formats::Value& secret);

}  // namespace ktape::recorder
