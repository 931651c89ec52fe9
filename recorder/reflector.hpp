#pragma once
// The list+watch loop for one resource, shaped like client-go's Reflector (CONVENTIONS.md):
// paginated LIST, then WATCH from its resourceVersion with bookmarks and a randomized server
// timeout; a clean close re-watches from the last resourceVersion without relisting; a 410 relists
// and records the difference (creates, patches and deletes marked as a resync); failures back off
// with jitter (800 ms doubling to 30 s, reset after a quiet period). Nothing is dropped silently: a
// resource that keeps failing is reported, and recovers by itself.
//
// With workers, the loop's thread only reads the watch: it takes each event's identity and
// resourceVersion off its line (WatchEvent) and stamps it on receipt; the Workers
// (recorder/workers.hpp), each owning the objects whose key hashes to it, decode events and turn
// them into records, so the events of one object keep their order. An event a worker cannot read ends the
// watch and relists (a re-watch would skip it).
//
// The loop keeps each object's last recorded state (server-set noise stripped) to turn updates
// into patches through the differ (recorder/differ.hpp): strategic merge for built-in types, JSON
// merge patch for custom ones. An update whose object has apiVersion, kind and metadata is compared
// member by member as received, so only its metadata and its changed members are parsed at all.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/recording.hpp"
#include "kube/clock.hpp"
#include "recorder/differ.hpp"
#include "recorder/record.hpp"
#include "recorder/source.hpp"
#include "recorder/workers.hpp"

namespace ktape::recorder {

struct ResourceRef {
  formats::GroupVersionResource gvr;
  std::string kind;       // "Deployment": set on list items, which the server sends without it
  bool strategic = true;  // built-in type: strategic merge patches; custom resource: merge patches
  std::string display;    // "deployments.apps", for messages and the summary
};

struct LoopOptions {
  std::size_t page_size = 500;                     // LIST limit per page
  std::chrono::seconds min_watch_timeout{300};     // server timeout drawn from [min, 2*min), as client-go
  std::chrono::milliseconds initial_backoff{800};  // client-go's reflector: 800 ms doubling ...
  std::chrono::milliseconds max_backoff{30000};    // ... up to 30 s
  std::chrono::seconds backoff_reset_after{120};   // a failure-free period that resets the backoff
  std::chrono::milliseconds min_watch_life{1000};  // a watch that closes sooner with no events is a failure
  bool initial_as_snapshot = true;                 // first LIST -> snapshot objects; false -> creates
  bool watch = true;                               // false: list once and return (snapshot mode)
  bool keep_managed_fields = false;                // keep metadata.managedFields in what is recorded
  unsigned failures_before_report = 3;             // consecutive failures before stderr hears of it
  std::function<bool(const formats::Value&)> accept;  // client-side filter (namespace globs); empty: all
  std::function<void(formats::Value&)> transform;     // applied before recording (redaction); may be empty
  std::uint64_t seed = 0;                             // jitter; 0 = from std::random_device
  unsigned workers = 0;  // threads turning watch events into records; 0: the loop's own thread
};

struct LoopStats {
  std::uint64_t events = 0;    // events emitted (creates, patches, deletes)
  std::uint64_t objects = 0;   // snapshot objects emitted
  std::uint64_t lists = 0;     // successful LISTs (relists included)
  std::uint64_t relists = 0;   // LISTs after a 410
  std::uint64_t watches = 0;   // WATCH requests started
  std::uint64_t failures = 0;  // failed requests
  bool failing = false;        // the last request failed
  std::string last_error;      // message of the last failure, "" when none
};

class ListWatchLoop {
 public:
  using Emit = std::function<void(Record)>;
  using Stamp = std::function<std::int64_t()>;             // nanoseconds since the recording began
  using Report = std::function<void(const std::string&)>;  // one line for stderr

  ListWatchLoop(ResourceRef ref, Source& source, kube::Clock& clock, Stamp stamp, Emit emit, Report report,
                LoopOptions options);
  ~ListWatchLoop();

  // Runs until stop(), or after the first successful list when options.watch is false.
  void run();
  // Ends run() soon, from any thread: cancels the watch in flight and any backoff.
  void stop();
  LoopStats stats() const;
  const ResourceRef& resource() const { return m_ref; }

 private:
  using States = std::unordered_map<std::string, ObjectState>;  // "ns/name" -> last recorded state
  enum class WatchEnd { stopped, relist };
  enum class ListMode { snapshot, creates, resync };

  // One LIST applied page by page as it arrives, so memory is bounded by a page: snapshot objects
  // go to the pipeline (which holds them until the `listed` record), creates and patches are
  // emitted at once; deletes of what vanished only once the LIST completed.
  struct ListPass {
    ListMode mode;
    std::vector<States> seen;   // the states of what this LIST holds, per shard
    std::uint64_t objects = 0;  // snapshot objects emitted
  };
  Result<void> list_all(ListMode mode);
  void apply_item(ListPass& pass, formats::Value& object);
  void finish_list(ListPass& pass);
  // The LIST starts again (an expired continue token) or is given up: what it emitted is void.
  void abandon_list(ListPass& pass);
  WatchEnd watch_until_relist();
  Result<bool> consume(WatchStream& stream, std::size_t& count);
  void handle(WatchEvent event);
  // On the worker of `shard`: an event that cannot be read goes to undecodable().
  void process(std::size_t shard, Work& work);
  // An event's members compared as text with the last state, only the changed ones (and
  // metadata) decoded; the whole object where that does not apply. An Error: not readable.
  Result<void> process_event(States& states, Work& work);
  Result<void> process_decoded(States& states, const Work& work);  // the whole object decoded
  void process_object(States& states, formats::Value& object, const Work& work);
  // A worker found an event it cannot read: the watch ends, and a relist records what it held.
  void undecodable(const std::string& message);
  // On the loop's thread: whether a worker found one (then reported and counted as a failure).
  bool take_undecodable();
  PatchKind patch_kind() const { return m_ref.strategic ? PatchKind::strategic : PatchKind::merge; }
  // `stamp` < 0: now.
  // A create moves `object` into its record; a patch leaves it as it is.
  void record_upsert(States& states, const std::string& key, formats::Value& object, bool resync,
                     std::int64_t stamp);
  void record_delete(States& states, const std::string& key, const formats::Value& object, bool resync,
                     std::int64_t stamp);
  // A create: the object is its own template, moved rather than copied.
  void emit_event(formats::Method method, formats::Value object, bool resync, std::int64_t stamp);
  void emit_event(formats::Method method, const formats::Value& object, formats::Value template_value,
                  bool resync, std::int64_t stamp);
  void emit(formats::Method method, std::string name, std::string ns, formats::Value template_value,
            bool resync, std::int64_t stamp);
  bool prepare(formats::Value& object);
  void failed(const Error& error);
  void succeeded();
  void backoff();
  bool stopped() const { return m_stop.load(std::memory_order_acquire); }

  ResourceRef m_ref;
  Source& m_source;
  kube::Clock& m_clock;
  Stamp m_stamp;
  Emit m_emit;
  Report m_report;
  LoopOptions m_options;
  std::mt19937_64 m_random;

  std::atomic<bool> m_stop{false};
  std::atomic<bool> m_undecodable{false};
  std::string m_undecodable_message;  // under m_stats_mutex
  std::mutex m_stream_mutex;
  WatchStream* m_stream = nullptr;  // the watch in flight, for stop()

  std::string m_resource_version;
  std::chrono::milliseconds m_backoff;
  std::chrono::steady_clock::time_point m_last_failure{};
  unsigned m_consecutive_failures = 0;

  mutable std::mutex m_stats_mutex;
  LoopStats m_stats;

  std::vector<States> m_states;  // one per shard: on its worker, or on the loop's thread when drained
  Workers m_workers;             // last: its threads use everything above
};

}  // namespace ktape::recorder
