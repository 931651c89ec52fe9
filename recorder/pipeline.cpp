#include "recorder/pipeline.hpp"

#include <concurrentqueue/concurrentqueue.h>

#include <algorithm>
#include <string_view>
#include <thread>
#include <vector>

#include "formats/yaml.hpp"

namespace ktape::recorder {

namespace {
constexpr auto k_idle_wait = std::chrono::milliseconds(5);
constexpr auto k_backlog_wait = std::chrono::milliseconds(1);  // a lister's pause while the writer catches up

// A held snapshot object read back as the create it becomes when its list completes after the
// section has closed.
Result<formats::Value> parse_held(std::string_view document) {
  if (document.substr(0, 4) == "---\n") document.remove_prefix(4);
  return formats::parse_yaml(document);
}
}  // namespace

struct Pipeline::Queue {
  moodycamel::ConcurrentQueue<Record> queue;
};

Pipeline::Pipeline(formats::RecordingWriter& writer, kube::Clock& clock, Stamp stamp, PipelineOptions options)
    : m_writer(writer),
      m_clock(clock),
      m_stamp(std::move(stamp)),
      m_options(std::move(options)),
      m_queue(std::make_unique<Queue>()) {}

Pipeline::~Pipeline() {
  if (m_thread.joinable()) (void)finish();
}

void Pipeline::push(Record record) {
  if (record.kind == Record::Kind::snapshot_object)
    while (m_pushed.load(std::memory_order_relaxed) - m_done.load(std::memory_order_relaxed) >
               m_options.max_queued_objects &&
           !m_finishing.load(std::memory_order_acquire) && m_thread.joinable())
      std::this_thread::sleep_for(k_backlog_wait);
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
    for (std::size_t i = 0; i < n; ++i) {
      process(batch[i]);
      batch[i] = Record{};  // a held object's tree is freed now, not when the slot is next used
    }
    m_done.fetch_add(n, std::memory_order_relaxed);
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
      commit_list(record.resource);
      ++m_lists_done;
      return;
    case Record::Kind::list_restarted:
      if (auto it = m_spills.find(record.resource); it != m_spills.end()) it->second.spill->reset();
      return;
    case Record::Kind::snapshot_object:
      hold_object(record);
      return;
    case Record::Kind::event:
      ++m_stats.events;
      ++m_stats.events_per_resource[record.resource];
      m_writer.add_event(std::move(record.rendered));
      return;
  }
}

void Pipeline::hold_object(Record& record) {
  auto& held = m_spills[record.resource];
  if (!held.spill) {
    auto created = SnapshotSpill::create(m_options.spill_dir);
    if (!created) return set_error(created.error());
    held.spill = std::move(*created);
    held.resource = record.event.resource;
  }
  m_render.clear();
  formats::render_object(record.object, m_writer.marker_base(), m_render);
  if (auto r = held.spill->append(m_render); !r) set_error(r.error());
}

void Pipeline::commit_list(const std::string& resource) {
  auto it = m_spills.find(resource);
  if (it == m_spills.end()) return;  // the list had no objects
  HeldList held = std::move(it->second);
  m_spills.erase(it);
  SnapshotSpill* spill = held.spill.get();
  Result<void> copied;
  if (m_section_open) {
    copied = spill->for_each_chunk([this](std::string_view text, std::size_t objects) {
      return m_writer.write_rendered_objects(text, objects);
    });
    m_stats.objects += spill->documents();
    m_stats.objects_per_resource[resource] += spill->documents();
  } else {
    // The section closed before this list completed: its objects appear now, as creates.
    std::int64_t now = m_stamp();
    copied = spill->for_each_document([&](std::string_view document) -> Result<void> {
      auto object = parse_held(document);
      if (!object) return fail(with_context(object.error(), "a held snapshot object of " + resource));
      formats::ResourcePatch event;
      event.resource = held.resource;
      event.name = std::string(object->string_at({"metadata", "name"}));
      event.namespace_name = std::string(object->string_at({"metadata", "namespace"}));
      event.method = formats::Method::create;
      event.duration_ns = now;
      event.template_value = std::move(*object);
      ++m_stats.events;
      ++m_stats.events_per_resource[resource];
      m_writer.add_event(std::move(event));
      return {};
    });
  }
  if (!copied) set_error(copied.error());
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
