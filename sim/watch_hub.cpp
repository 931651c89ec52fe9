#include "sim/watch_hub.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>

#include <boost/asio/post.hpp>

namespace ktape::sim {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// Bookmarks (allowWatchBookmarks) are sent this often, and when a watch times out.
constexpr auto k_bookmark_interval = std::chrono::seconds(5);
// Timeouts, bookmarks and clients that went away are looked at this often.
constexpr auto k_tick = std::chrono::milliseconds(250);
// The waiter wakes at least this often (to notice a stopping store).
constexpr auto k_wait_tick = std::chrono::milliseconds(500);
// Events read from the ring at a time.
constexpr std::size_t k_fetch_max = 4096;
// One chunk carries about this much (the initial events are formatted this much at a time).
constexpr std::size_t k_chunk_bytes = std::size_t{256} * 1024;
constexpr std::string_view k_crlf = "\r\n";
constexpr std::string_view k_last_chunk = "0\r\n\r\n";

bool peer_closed(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

// Between two reads of the ring, the hub lets events gather for this long: one gathered write per
// watcher instead of one per event. It grows with the number of watchers (1,000: 10 ms), so that
// a lone watcher waits nearly nothing.
std::chrono::microseconds gather_interval(std::size_t sessions) {
  return std::chrono::microseconds(std::min<std::size_t>(sessions * 10, 10000));
}

using LinePtr = std::shared_ptr<const std::string>;
LinePtr shared_line(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

}  // namespace

struct WatchHub::Session {
  Session(WatchSink& sink_, const WatchPlan& plan_) : sink(sink_), plan(plan_) {}
  WatchSink& sink;
  const WatchPlan& plan;
  std::uint64_t cursor = 0;  // every event up to here is queued (or not selected)
  std::size_t initial_next = 0;
  bool initial_done = false;
  std::deque<LinePtr> queue;
  std::vector<LinePtr> in_flight;
  std::string chunk_head;
  bool writing = false;
  bool ending = false;     // timed out: the queue, then the last chunk
  bool last_sent = false;  // the last chunk is being written
  bool failing = false;    // finish(false) once the write in flight returns
  bool done = false;
  Clock::time_point deadline, last_bookmark;
  std::promise<bool> result;
};

WatchHub::WatchHub(Store& store, net::io_context& ioc, std::size_t max_queued)
    : m_store(store), m_ioc(ioc), m_max_queued(std::max<std::size_t>(max_queued, 1)), m_timer(ioc) {}

WatchHub::~WatchHub() { stop(); }

void WatchHub::start() {
  m_cursor = m_store.current_rv();
  m_work.emplace(m_ioc.get_executor());
  schedule_tick();
  m_io_thread = std::thread([this] { m_ioc.run(); });
  m_wait_thread = std::thread([this] { wait_loop(); });
}

void WatchHub::stop() {
  {
    std::lock_guard lock(m_idle_mu);
    m_stopping = true;
  }
  m_idle_cv.notify_all();
  if (m_wait_thread.joinable()) m_wait_thread.join();
  if (!m_io_thread.joinable()) return;
  net::post(m_ioc, [this] {
    abort_all();
    m_timer.cancel();
  });
  m_work.reset();
  m_io_thread.join();
}

bool WatchHub::run(WatchSink& sink, const WatchPlan& plan) {
  auto s = std::make_shared<Session>(sink, plan);
  auto result = s->result.get_future();
  if (m_stopping) return false;
  net::post(m_ioc, [this, s] { add(s); });
  return result.get();
}

void WatchHub::wait_loop() {
  std::uint64_t seen = m_store.current_rv();
  auto last_fetch = Clock::now();
  while (!m_stopping) {
    if (m_session_count == 0) {
      // No watcher: sleep through the writes instead of waking for each (add() resynchronizes).
      std::unique_lock lock(m_idle_mu);
      m_idle_cv.wait_for(lock, k_wait_tick, [&] { return m_session_count > 0 || m_stopping; });
      if (m_session_count == 0 && m_store.wait_past(0, Clock::now()) != 0) continue;
    }
    std::uint64_t rv = m_store.wait_past(seen, Clock::now() + k_wait_tick);
    if (rv == 0) {
      m_stopping = true;
      net::post(m_ioc, [this] { abort_all(); });
      return;
    }
    if (rv <= seen) continue;
    seen = rv;
    std::this_thread::sleep_until(last_fetch + gather_interval(m_session_count));
    last_fetch = Clock::now();
    if (!m_fetch_posted.exchange(true)) net::post(m_ioc, [this] { fetch(); });
  }
}

void WatchHub::add(const std::shared_ptr<Session>& s) {
  if (m_stopping) {
    s->done = true;
    s->result.set_value(false);
    return;
  }
  s->cursor = s->plan.start.cursor;
  s->deadline = Clock::now() + s->plan.timeout;
  s->last_bookmark = Clock::now();
  // The first watcher after an idle spell: what was written meanwhile went to nobody; the
  // watcher's own history comes from catch_up.
  if (m_sessions.empty()) m_cursor = m_store.current_rv();
  m_sessions.push_back(s);
  {
    std::lock_guard lock(m_idle_mu);
    m_session_count = m_sessions.size();
  }
  m_idle_cv.notify_one();
  catch_up(s);
  pump(s);
}

// Events between the watch's start and what the hub has dispatched come from the ring directly.
void WatchHub::catch_up(const std::shared_ptr<Session>& s) {
  while (!s->done && s->cursor < m_cursor) {
    std::uint64_t before = s->cursor;
    WatchBatch batch =
        m_store.next_events(s->plan.start.storage, s->plan.filter, s->cursor, Clock::now(), k_fetch_max);
    if (batch.stopped || batch.fell_behind) return finish(s, false);
    for (const auto& [type, entry] : batch.events)
      s->queue.push_back(shared_line(Api::event_line(s->plan, type, *entry)));
    if (s->cursor == before) break;
  }
}

void WatchHub::fetch() {
  m_fetch_posted = false;
  for (;;) {
    EventSlice slice = m_store.events_after(m_cursor, k_fetch_max);
    if (slice.fell_behind) {
      abort_all();
      m_cursor = m_store.current_rv();
      return;
    }
    if (slice.events.empty()) return;
    // Each event's line in each form, made by the first watcher that needs it.
    std::vector<std::array<LinePtr, 3>> lines(slice.events.size());
    std::vector<std::shared_ptr<Session>> sessions = m_sessions;
    for (const auto& s : sessions) {
      if (s->done) continue;
      for (std::size_t i = 0; i < slice.events.size(); ++i) {
        const Event& ev = slice.events[i];
        if (ev.storage != s->plan.start.storage || ev.rv <= s->cursor) continue;
        auto type = Store::visible_as(ev, s->plan.filter);
        if (!type) continue;
        if (s->plan.table) {
          s->queue.push_back(shared_line(Api::event_line(s->plan, *type, *ev.entry)));
          continue;
        }
        LinePtr& line = lines[i][static_cast<std::size_t>(*type)];
        if (!line) line = shared_line(Api::event_line(s->plan, *type, *ev.entry));
        s->queue.push_back(line);
      }
      s->cursor = std::max(s->cursor, slice.events.back().rv);
      if (s->queue.size() > m_max_queued) {
        finish(s, false);
        continue;
      }
      pump(s);
    }
    m_cursor = slice.events.back().rv;
    if (slice.events.size() < k_fetch_max) return;
  }
}

void WatchHub::schedule_tick() {
  m_timer.expires_after(k_tick);
  m_timer.async_wait([this](boost::system::error_code ec) {
    if (ec || m_stopping) return;
    tick();
    schedule_tick();
  });
}

void WatchHub::tick() {
  auto now = Clock::now();
  std::vector<std::shared_ptr<Session>> sessions = m_sessions;
  for (const auto& s : sessions) {
    if (s->done || s->ending) continue;
    bool due = s->plan.bookmarks && now - s->last_bookmark >= k_bookmark_interval;
    if (now >= s->deadline) {
      s->ending = true;
      due = s->plan.bookmarks;
    }
    if (due) {
      s->queue.push_back(shared_line(Api::bookmark_line(s->plan, s->cursor, false)));
      s->last_bookmark = now;
    }
    if (!s->writing && s->queue.empty() && s->initial_done && !s->ending && peer_closed(s->sink.fd())) {
      finish(s, false);
      continue;
    }
    pump(s);
  }
}

void WatchHub::pump(const std::shared_ptr<Session>& s) {
  if (s->done || s->writing) return;
  const WatchPlan& plan = s->plan;
  s->in_flight.clear();
  std::size_t bytes = 0;
  while (!s->initial_done && bytes < k_chunk_bytes) {
    if (s->initial_next == plan.start.initial.size()) {
      if (plan.initial_events_end && plan.bookmarks)
        s->in_flight.push_back(shared_line(Api::bookmark_line(plan, plan.start.cursor, true)));
      s->initial_done = true;
      break;
    }
    s->in_flight.push_back(
        shared_line(Api::event_line(plan, EventType::added, *plan.start.initial[s->initial_next++])));
    bytes += s->in_flight.back()->size();
  }
  while (s->initial_done && !s->queue.empty() && bytes < k_chunk_bytes) {
    bytes += s->queue.front()->size();
    s->in_flight.push_back(std::move(s->queue.front()));
    s->queue.pop_front();
  }
  std::vector<net::const_buffer> buffers;
  if (!s->in_flight.empty()) {
    bytes = 0;
    for (const LinePtr& l : s->in_flight) bytes += l->size();
    char hex[32];
    int n = std::snprintf(hex, sizeof hex, "%zx\r\n", bytes);
    s->chunk_head.assign(hex, static_cast<std::size_t>(n));
    buffers.reserve(s->in_flight.size() + 2);
    buffers.emplace_back(net::buffer(s->chunk_head));
    for (const LinePtr& l : s->in_flight) buffers.emplace_back(net::buffer(*l));
    buffers.emplace_back(net::buffer(k_crlf.data(), k_crlf.size()));
  } else if (s->ending && !s->last_sent) {
    s->last_sent = true;
    buffers.emplace_back(net::buffer(k_last_chunk.data(), k_last_chunk.size()));
  } else {
    if (s->last_sent) finish(s, true);
    return;
  }
  s->writing = true;
  s->sink.write(std::move(buffers), [this, s](bool ok) {
    s->writing = false;
    if (!ok || s->failing) return finish(s, false);
    pump(s);
  });
}

void WatchHub::finish(const std::shared_ptr<Session>& s, bool ok) {
  if (s->done) return;
  if (s->writing) {
    // The write in flight references the session's lines: end once it returns, soon.
    s->failing = true;
    ::shutdown(s->sink.fd(), SHUT_RDWR);
    return;
  }
  s->done = true;
  std::erase(m_sessions, s);
  m_session_count = m_sessions.size();
  s->queue.clear();
  s->result.set_value(ok);
}

void WatchHub::abort_all() {
  std::vector<std::shared_ptr<Session>> sessions = m_sessions;
  for (const auto& s : sessions) finish(s, false);
}

}  // namespace ktape::sim
