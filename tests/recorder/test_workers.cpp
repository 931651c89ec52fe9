#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "recorder/workers.hpp"

using namespace ktape::recorder;

namespace {

Work work_for(const std::string& key, std::int64_t stamp) {
  Work w;
  w.event.type = WatchEventType::modified;
  w.event.name = key;
  w.key = key;
  w.stamp = stamp;
  return w;
}

// What a handler saw: per key, the shards, threads and stamps, in the order processed.
struct Seen {
  std::mutex mutex;
  std::map<std::string, std::vector<std::size_t>> shards;
  std::map<std::string, std::vector<std::thread::id>> threads;
  std::map<std::string, std::vector<std::int64_t>> stamps;
  std::size_t count = 0;

  Workers::Handler handler() {
    return [this](std::size_t shard, Work& w) {
      std::lock_guard lock(mutex);
      shards[w.key].push_back(shard);
      threads[w.key].push_back(std::this_thread::get_id());
      stamps[w.key].push_back(w.stamp);
      ++count;
    };
  }
};

// Holds every handler call until opened.
struct Gate {
  std::mutex mutex;
  std::condition_variable opened;
  bool open = false;
  std::atomic<std::size_t> entered{0};
  void wait() {
    ++entered;
    std::unique_lock lock(mutex);
    opened.wait(lock, [&] { return open; });
  }
  void release() {
    {
      std::lock_guard lock(mutex);
      open = true;
    }
    opened.notify_all();
  }
};

}  // namespace

TEST_CASE("workers: one key always on the same worker, its work in order") {
  Seen seen;
  Workers workers(3, Threads::yes, seen.handler());
  const int keys = 12, rounds = 50;
  std::int64_t stamp = 0;
  for (int r = 0; r < rounds; ++r)
    for (int k = 0; k < keys; ++k) workers.submit(work_for("ns/p" + std::to_string(k), ++stamp));
  workers.drain();
  std::lock_guard lock(seen.mutex);
  CHECK(seen.count == keys * rounds);  // drain() returned after everything was processed
  std::set<std::size_t> used;
  std::set<std::thread::id> threads;
  for (int k = 0; k < keys; ++k) {
    std::string key = "ns/p" + std::to_string(k);
    CAPTURE(key);
    const auto& shards = seen.shards[key];
    REQUIRE(shards.size() == rounds);
    CHECK(std::set<std::size_t>(shards.begin(), shards.end()) ==
          std::set<std::size_t>{workers.shard_of(key)});
    const auto& ids = seen.threads[key];
    CHECK(std::set<std::thread::id>(ids.begin(), ids.end()).size() == 1);
    CHECK(ids.front() != std::this_thread::get_id());
    const auto& stamps = seen.stamps[key];
    for (std::size_t i = 0; i < stamps.size(); ++i)
      CHECK(stamps[i] == static_cast<std::int64_t>(i) * keys + k + 1);  // submission order
    used.insert(shards.front());
    threads.insert(ids.front());
  }
  // The keys spread over the workers, one thread each.
  CHECK(used.size() > 1);
  CHECK(threads.size() == used.size());
  CHECK(workers.running() == used.size());
}

TEST_CASE("workers: stop() and the destructor process what is queued and join every thread") {
  for (bool by_destructor : {false, true}) {
    CAPTURE(by_destructor);
    Gate gate;
    std::atomic<std::size_t> processed{0};
    const std::size_t items = 200;  // under the queue bound: submit() never waits
    {
      auto workers = std::make_unique<Workers>(2, Threads::yes, [&](std::size_t, Work&) {
        gate.wait();
        ++processed;
      });
      for (std::size_t i = 0; i < items; ++i) workers->submit(work_for("p" + std::to_string(i), 1));
      REQUIRE(workers->running() == 2);
      // Every worker is held in its first item; the rest waits in the queues.
      while (gate.entered.load() < 2) std::this_thread::yield();
      CHECK(processed.load() == 0);
      std::thread opener([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        gate.release();
      });
      if (by_destructor) {
        workers.reset();
      } else {
        workers->stop();
        CHECK(workers->running() == 0);
      }
      CHECK(processed.load() == items);
      opener.join();
    }
    CHECK(processed.load() == items);
  }
}

TEST_CASE("workers: a worker starts at its shard's first work, and again after stop()") {
  Seen seen;
  Workers workers(4, Threads::yes, seen.handler());
  CHECK(workers.shards() == 4);
  CHECK(workers.running() == 0);
  workers.submit(work_for("a", 1));
  CHECK(workers.running() == 1);
  // A key of another shard starts a second worker; one of the same shard does not.
  std::string other = "b";
  while (workers.shard_of(other) == workers.shard_of("a")) other += "b";
  std::string same = "c";
  while (workers.shard_of(same) != workers.shard_of("a")) same += "c";
  workers.submit(work_for(same, 2));
  CHECK(workers.running() == 1);
  workers.submit(work_for(other, 3));
  CHECK(workers.running() == 2);
  workers.stop();
  CHECK(workers.running() == 0);
  CHECK(seen.count == 3);
  workers.submit(work_for("a", 4));
  CHECK(workers.running() == 1);
  workers.drain();
  std::lock_guard lock(seen.mutex);
  CHECK(seen.stamps["a"] == std::vector<std::int64_t>{1, 4});
}

TEST_CASE("workers without threads process each work on the caller's thread before submit() returns") {
  Seen seen;
  Workers workers(0, Threads::no, seen.handler());
  CHECK(workers.shards() == 1);
  workers.submit(work_for("a", 1));
  CHECK(seen.count == 1);
  CHECK(seen.threads["a"] == std::vector<std::thread::id>{std::this_thread::get_id()});
  CHECK(workers.running() == 0);
  workers.drain();  // nothing to wait for
  workers.stop();
}
