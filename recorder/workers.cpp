#include "recorder/workers.hpp"

#include <algorithm>
#include <condition_variable>
#include <iterator>
#include <mutex>
#include <thread>
#include <utility>

namespace ktape::recorder {

namespace {
// Events waiting for one worker at most: about a few milliseconds of work.
constexpr std::size_t k_queue_limit = 256;
}  // namespace

struct Workers::Shard {
  std::size_t index = 0;
  std::mutex mutex;
  std::condition_variable wake;  // work arrived, or the worker is to quit
  std::condition_variable room;  // the queue has room again, or went idle
  std::vector<Work> queue;
  std::vector<Work> done;  // processed, for the submitting thread to free
  bool busy = false;       // the worker is processing a batch taken from the queue
  bool quit = false;
  std::thread thread;  // started and joined by the submitting thread only
};

Workers::Workers(std::size_t shards, Threads threads, Handler handler)
    : m_threads(threads), m_handler(std::move(handler)) {
  shards = std::max<std::size_t>(1, shards);
  for (std::size_t i = 0; i < shards; ++i) {
    m_shards.push_back(std::make_unique<Shard>());
    m_shards.back()->index = i;
  }
}

Workers::~Workers() { stop(); }

std::size_t Workers::shards() const { return m_shards.size(); }

std::size_t Workers::shard_of(const std::string& key) const {
  return m_shards.size() == 1 ? 0 : std::hash<std::string>{}(key) % m_shards.size();
}

std::size_t Workers::running() const {
  return static_cast<std::size_t>(
      std::count_if(m_shards.begin(), m_shards.end(), [](const auto& s) { return s->thread.joinable(); }));
}

void Workers::work(Shard& shard) {
  std::vector<Work> batch;
  std::unique_lock lock(shard.mutex);
  for (;;) {
    shard.wake.wait(lock, [&] { return !shard.queue.empty() || shard.quit; });
    if (shard.queue.empty()) return;  // quitting, and everything is processed
    batch.swap(shard.queue);
    shard.busy = true;
    lock.unlock();
    shard.room.notify_all();
    for (auto& w : batch) m_handler(shard.index, w);
    lock.lock();
    // The events go back to the submitting thread to be freed there: their memory is that
    // thread's, and freeing it here would contend with it on the allocator.
    if (shard.done.empty()) {
      shard.done.swap(batch);
    } else {
      std::move(batch.begin(), batch.end(), std::back_inserter(shard.done));
    }
    batch.clear();
    shard.busy = false;
    if (shard.queue.empty()) shard.room.notify_all();  // idle: drain() may be waiting
  }
}

void Workers::submit(Work work) {
  Shard& shard = *m_shards[shard_of(work.key)];
  if (!shard.thread.joinable()) {
    if (m_threads == Threads::no) return m_handler(shard.index, work);
    shard.quit = false;  // at the first event: a shard that has none costs no thread
    shard.thread = std::thread([this, s = &shard] { this->work(*s); });
  }
  std::unique_lock lock(shard.mutex);
  shard.room.wait(lock, [&] { return shard.queue.size() < k_queue_limit; });
  bool was_empty = shard.queue.empty();
  shard.queue.push_back(std::move(work));
  m_freeing.swap(shard.done);
  lock.unlock();
  if (was_empty) shard.wake.notify_one();
  m_freeing.clear();
}

void Workers::drain() {
  for (auto& shard : m_shards) {
    std::unique_lock lock(shard->mutex);
    shard->room.wait(lock,
                     [&] { return !shard->thread.joinable() || (shard->queue.empty() && !shard->busy); });
  }
}

void Workers::stop() {
  for (auto& shard : m_shards) {
    if (!shard->thread.joinable()) continue;
    {
      std::lock_guard lock(shard->mutex);
      shard->quit = true;
    }
    shard->wake.notify_one();
    shard->thread.join();
  }
}

}  // namespace ktape::recorder
