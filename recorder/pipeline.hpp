#pragma once
// The lock-free pipeline: every list+watch loop pushes Records onto one moodycamel queue; one
// writer thread drains it into the RecordingWriter. The snapshot section stays open until every
// loop has finished its initial list (or a deadline passes: the objects of a list that completes
// later are recorded as creates at its completion). A list's snapshot objects are held in a spill
// file (recorder/spill.hpp) until it completes, and dropped if it restarts, so memory is bounded by
// a page and no half list reaches the file. Events are held for a short reorder lag, so that
// those stamped a moment earlier by another loop are still written in time order, and the file is
// flushed at a fixed interval, so a killed recorder loses at most that interval.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "formats/writer.hpp"
#include "kube/clock.hpp"
#include "recorder/record.hpp"
#include "recorder/spill.hpp"

namespace ktape::recorder {

struct PipelineOptions {
  std::chrono::milliseconds flush_interval{500};  // at most this much is lost to a SIGKILL
  std::chrono::milliseconds reorder_lag{200};     // how long events wait for earlier-stamped ones
  std::chrono::seconds snapshot_deadline{60};     // the snapshot section closes then at the latest
  std::size_t expected_lists = 0;                 // loops whose initial list belongs to the snapshot
  std::string spill_dir;                          // where lists in progress are held; "": system temp
  std::size_t max_queued_objects = 1024;          // push() of a snapshot object waits above this backlog
};

struct PipelineStats {
  std::map<std::string, std::uint64_t> events_per_resource;   // creates, patches and deletes
  std::map<std::string, std::uint64_t> objects_per_resource;  // snapshot objects
  std::uint64_t events = 0;
  std::uint64_t objects = 0;
  formats::WriterStats writer;
  // Whether the writer keeps up: the most records seen waiting in the queue at once, and the
  // share of the writer thread's life spent processing rather than waiting for records.
  std::uint64_t queue_max = 0;
  double writer_busy = 0;
};

class Pipeline {
 public:
  using Stamp = std::function<std::int64_t()>;  // nanoseconds since the recording began

  // The writer must outlive the pipeline.
  Pipeline(formats::RecordingWriter& writer, kube::Clock& clock, Stamp stamp, PipelineOptions options);
  ~Pipeline();  // finishes if still running

  // From any thread. An event is rendered to its document's text here, on the caller's thread, and
  // never waits; a snapshot object waits while the writer is more than max_queued_objects records
  // behind, so that a list cannot outrun the writer and fill memory.
  void push(Record record);
  // Starts the writer thread.
  void start();
  // Call after every producer has stopped: drains the queue, writes every held event and closes
  // the writer. Returns the first write error; the sidecar is the caller's to write.
  Result<void> finish();

  // A write failure (a full disk) stops the writing; the recorder polls this to stop recording.
  std::optional<Error> error() const;
  // Events accepted so far (from any thread, for progress).
  std::uint64_t events_seen() const { return m_events_seen.load(std::memory_order_relaxed); }
  // Valid after finish().
  const PipelineStats& stats() const { return m_stats; }

 private:
  struct Queue;
  void run();
  void process(Record& record);
  void hold_object(Record& record);  // into the list's spill
  void commit_list(const std::string& resource);
  void tick();
  void set_error(Error e);

  formats::RecordingWriter& m_writer;
  kube::Clock& m_clock;
  Stamp m_stamp;
  PipelineOptions m_options;
  std::unique_ptr<Queue> m_queue;
  std::thread m_thread;
  std::atomic<bool> m_finishing{false};
  std::atomic<std::uint64_t> m_events_seen{0};
  std::atomic<std::uint64_t> m_pushed{0};
  std::atomic<std::uint64_t> m_done{0};  // records the writer thread has processed

  // Writer-thread state.
  bool m_section_open = true;
  std::size_t m_lists_done = 0;
  std::chrono::steady_clock::time_point m_started{};
  std::chrono::steady_clock::time_point m_last_flush{};
  std::uint64_t m_processed = 0;
  std::chrono::nanoseconds m_busy{0};                      // measured on the real clock ...
  std::chrono::steady_clock::time_point m_thread_start{};  // ... as is the thread's life
  PipelineStats m_stats;
  struct HeldList {
    std::unique_ptr<SnapshotSpill> spill;
    formats::GroupVersionResource resource;  // for the creates it becomes after the section closed
  };
  std::map<std::string, HeldList> m_spills;  // by resource ("deployments.apps"): lists in progress
  std::string m_render;                      // reused for each object's text

  mutable std::mutex m_error_mutex;
  std::optional<Error> m_error;
};

}  // namespace ktape::recorder
