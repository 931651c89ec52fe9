#include "recorder/pipeline.hpp"

#include <concurrentqueue/concurrentqueue.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace ktape::recorder {

namespace {
constexpr auto k_idle_wait = std::chrono::milliseconds(5);
}  // namespace

struct Pipeline::Queue {
  moodycamel::ConcurrentQueue<Record> queue;
};

Pipeline::Pipeline(formats::RecordingWriter& writer, kube::Clock& clock, Stamp stamp, PipelineOptions options)
    : m_writer(writer),
      m_clock(clock),
      m_stamp(std::move(stamp)),
      m_options(options),
      m_queue(std::make_unique<Queue>()) {}

Pipeline::~Pipeline() {
  if (m_thread.joinable()) (void)finish();
}

void Pipeline::push(Record record) {
  if (record.kind == Record::Kind::event) {
    m_events_seen.fetch_add(1, std::memory_order_relaxed);
    record.rendered = formats::render_event(std::move(record.event), m_writer.marker_base());
  }
  m_pushed.fetch_add(1, std::memory_order_relaxed);
  m_queue->queue.enqueue(std::move(record));
}

void Pipeline::start() {
  m_started = m_clock.now();
  m_last_flush = m_started;
  if (m_options.expected_lists == 0) m_section_open = false;
  m_thread_start = std::chrono::steady_clock::now();
  m_thread = std::thread([this] { run(); });
}

void Pipeline::run() {
  std::vector<Record> batch(512);
  for (;;) {
    bool finishing = m_finishing.load(std::memory_order_acquire);
    std::size_t n = m_queue->queue.try_dequeue_bulk(batch.begin(), batch.size());
    if (n == 0 && !finishing) {
      // Nothing waiting: sleep rather than block on the queue's semaphore, which spins first and
      // takes a core from the watch threads. Events are held for the reorder lag anyway.
      std::this_thread::sleep_for(k_idle_wait);
      tick();
      continue;
    }
    // The queue's depth when this batch was taken: pushed but not yet processed.
    std::uint64_t depth = m_pushed.load(std::memory_order_relaxed) - m_processed;
    m_stats.queue_max = std::max(m_stats.queue_max, depth);
    m_processed += n;
    auto busy_from = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i) process(batch[i]);
    tick();
    m_busy += std::chrono::steady_clock::now() - busy_from;
    // Producers have stopped before finish() is called: once the queue is seen empty after that,
    // nothing more can arrive.
    if (finishing && n == 0) return;
  }
}

void Pipeline::process(Record& record) {
  if (error()) return;  // the file is broken: keep draining, write nothing more
  switch (record.kind) {
    case Record::Kind::listed:
      ++m_lists_done;
      return;
    case Record::Kind::snapshot_object:
      if (m_section_open) {
        ++m_stats.objects;
        ++m_stats.objects_per_resource[record.resource];
        if (auto r = m_writer.write_object(record.object); !r) set_error(r.error());
        return;
      }
      // The section closed before this list finished: the object appears now, as a create.
      record.event.name = std::string(record.object.string_at({"metadata", "name"}));
      record.event.namespace_name = std::string(record.object.string_at({"metadata", "namespace"}));
      record.event.method = formats::Method::create;
      record.event.duration_ns = m_stamp();
      record.event.template_value = std::move(record.object);
      ++m_stats.events;
      ++m_stats.events_per_resource[record.resource];
      m_writer.add_event(std::move(record.event));
      return;
    case Record::Kind::event:
      ++m_stats.events;
      ++m_stats.events_per_resource[record.resource];
      m_writer.add_event(std::move(record.rendered));
      return;
  }
}

void Pipeline::tick() {
  if (error()) return;
  auto now = m_clock.now();
  if (m_section_open &&
      (m_lists_done >= m_options.expected_lists || now - m_started >= m_options.snapshot_deadline))
    m_section_open = false;
  if (!m_section_open) {
    auto lag = std::chrono::duration_cast<std::chrono::nanoseconds>(m_options.reorder_lag).count();
    if (auto r = m_writer.release(m_stamp() - lag); !r) return set_error(r.error());
  }
  if (now - m_last_flush >= m_options.flush_interval) {
    m_last_flush = now;
    if (auto r = m_writer.flush(); !r) set_error(r.error());
  }
}

Result<void> Pipeline::finish() {
  m_finishing.store(true, std::memory_order_release);
  if (m_thread.joinable()) m_thread.join();
  auto life = std::chrono::steady_clock::now() - m_thread_start;
  if (life.count() > 0)
    m_stats.writer_busy = std::chrono::duration<double>(m_busy) / std::chrono::duration<double>(life);
  m_stats.writer = m_writer.stats();
  if (auto e = error()) {
    (void)m_writer.flush();  // keep what can still be kept
    return fail(*e);
  }
  auto closed = m_writer.close();
  m_stats.writer = m_writer.stats();
  return closed;
}

std::optional<Error> Pipeline::error() const {
  std::lock_guard lock(m_error_mutex);
  return m_error;
}

void Pipeline::set_error(Error e) {
  std::lock_guard lock(m_error_mutex);
  if (!m_error) m_error = std::move(e);
}

}  // namespace ktape::recorder
