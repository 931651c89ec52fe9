#pragma once
// Internal to sim/: the watch fan-out. Every watch stream of the server is written by one hub
// thread with asynchronous writes, instead of one thread per watcher waking for every event:
// one waiter thread learns of new events, the hub reads each batch of the store's event ring
// once, formats each event's line once (shared by every watcher that sees it in the same form)
// and queues it to every watcher whose resource and selectors it matches. A watcher's writes are
// gathered (many lines per chunk, one system call for many events). A slow reader never blocks
// the store or the other watchers: its queue grows until the write timeout of the server (or the
// history bound) closes it, as the real apiserver closes slow watchers.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "sim/api.hpp"

namespace ktape::sim {

// The connection a watch is written to (its stream stays owned by the connection's thread,
// which waits in WatchHub::run while the hub writes).
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  // Writes every buffer, then calls `done` (on the hub's thread) with false on an error.
  virtual void write(std::vector<boost::asio::const_buffer> buffers, std::function<void(bool)> done) = 0;
  virtual int fd() const = 0;
};

class WatchHub {
 public:
  // `ioc` is run by the hub's thread; the sinks' streams must use it as their executor.
  // `max_queued`: a watcher with more events than this waiting to be written is closed.
  WatchHub(Store& store, boost::asio::io_context& ioc, std::size_t max_queued);
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  void start();
  // Ends every watch (their connections close) and joins the threads. Idempotent.
  void stop();

  // Streams `plan` to `sink` (the response header already written): the initial events, then
  // live ones, bookmarks, and the final chunk at the timeout. Blocks until the stream ends.
  // True when it ended cleanly (the connection may serve another request).
  bool run(WatchSink& sink, const WatchPlan& plan);

 private:
  struct Session;
  void wait_loop();
  void fetch();
  void tick();
  void schedule_tick();
  void add(const std::shared_ptr<Session>& s);
  void catch_up(const std::shared_ptr<Session>& s);
  void abort_all();
  void pump(const std::shared_ptr<Session>& s);
  void finish(const std::shared_ptr<Session>& s, bool ok);

  Store& m_store;
  boost::asio::io_context& m_ioc;
  std::size_t m_max_queued;
  std::vector<std::shared_ptr<Session>> m_sessions;  // on the hub's thread only
  std::uint64_t m_cursor = 0;                        // events up to here are dispatched
  std::atomic<bool> m_fetch_posted{false};
  std::atomic<std::size_t> m_session_count{0};
  std::atomic<bool> m_stopping{false};
  std::mutex m_idle_mu;  // the waiter sleeps on m_idle_cv while there is no watcher
  std::condition_variable m_idle_cv;
  boost::asio::steady_timer m_timer;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> m_work;
  std::thread m_io_thread, m_wait_thread;
};

}  // namespace ktape::sim
