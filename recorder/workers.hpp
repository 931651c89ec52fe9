#pragma once
// The worker threads of one list+watch loop. Events are sharded by their object's key, so one
// object is always on the same worker and its events keep their order; a worker's thread starts
// at its shard's first event, so a resource that sees none costs no thread.
//
// The queue to each worker is bounded: a submitter whose worker falls behind waits (the loop then
// stops reading its watch, and the server buffers), and events wait in it for milliseconds, well
// within the writer's reorder lag. Processed events go back to the submitting thread to be freed
// there, where their memory was allocated, so that workers do not contend on the allocator.
//
// Threads: submit(), drain() and stop() are for one thread (the loop's); the handler runs on the
// shard's worker. stop() and the destructor process what is queued and join every thread.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "recorder/source.hpp"

namespace ktape::recorder {

// A watch event on its way to the worker that owns its object.
struct Work {
  WatchEvent event;        // as received
  std::string key;         // its object's "namespace/name" ("name" when cluster-scoped)
  std::int64_t stamp = 0;  // on receipt, in nanoseconds since the recording began
};

enum class Threads {
  yes,  // one thread per shard, started at the shard's first event
  no,   // submit() runs the handler on the caller's thread
};

class Workers {
 public:
  // Runs `work` on the worker of shard `shard`; the shard's events come one at a time, in order.
  using Handler = std::function<void(std::size_t shard, Work& work)>;

  // `shards`: how many workers (0 is taken as 1). `handler` may be called until stop() returns.
  Workers(std::size_t shards, Threads threads, Handler handler);
  ~Workers();  // stop()
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  std::size_t shards() const;
  // The shard that owns `key`: always the same for the same key and shard count.
  std::size_t shard_of(const std::string& key) const;
  // Queues `work` for the worker of its key's shard, starting that worker if it is not running;
  // waits while that worker's queue is full. With Threads::no, processes it before returning.
  void submit(Work work);
  // Waits until every worker has processed everything submitted.
  void drain();
  // Every worker processes what is queued, then its thread is joined. A later submit() starts
  // the shard's worker again.
  void stop();
  // Threads running now (for tests and the curious).
  std::size_t running() const;

 private:
  struct Shard;
  void work(Shard& shard);

  Threads m_threads;
  Handler m_handler;
  std::vector<std::unique_ptr<Shard>> m_shards;  // at least one
  std::vector<Work> m_freeing;                   // processed events taken back from a worker
};

}  // namespace ktape::recorder
