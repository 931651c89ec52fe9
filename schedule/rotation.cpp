#include "schedule/rotation.hpp"

#include <filesystem>
#include <list>
#include <optional>
#include <thread>

#include "formats/time.hpp"

namespace ktape::schedule {
namespace {

struct Running {
  std::string path;
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  std::optional<Result<recorder::RecordSummary>> result;
  std::optional<TimePoint> stop_at;  // set when the next file has started
  std::thread thread;
};

class Rotation {
 public:
  Rotation(const RunnerOptions& o, kube::Client& client, const recorder::RecordOptions& record,
           const recorder::RecordHooks& hooks)
      : m_o(o), m_client(client), m_record(record), m_hooks(hooks) {}
  ~Rotation() { close_all(); }
  Rotation(const Rotation&) = delete;
  Rotation& operator=(const Rotation&) = delete;

  void start(TimePoint tick, TimePoint overlap_until) {
    for (auto& r : m_running)
      if (!r->stop_at) r->stop_at = overlap_until;
    auto path = m_o.naming.path_at(tick);
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
      m_o.metrics->add("ktape_errors_total", 1);
      m_o.log->error("rotation failed: its file already exists; left as it is", {{"path", path}});
      return;
    }
    m_o.log->info("rotation: new file", {{"path", path}});
    m_o.metrics->set("ktape_last_attempt_timestamp_seconds",
                     std::chrono::duration<double>(tick.time_since_epoch()).count());
    auto r = std::make_unique<Running>();
    r->path = path;
    Running* raw = r.get();
    raw->thread = std::thread([this, raw] {
      recorder::RecordOptions ro = m_record;
      ro.path = raw->path;
      ro.snapshot = false;
      ro.duration = {};
      raw->result = recorder::record(m_client, ro, raw->stop, m_hooks);
      raw->done = true;
    });
    m_running.push_back(std::move(r));
  }

  // Stops the files whose overlap has passed and reaps those that ended on their own (failures).
  void reap(TimePoint now) {
    for (auto it = m_running.begin(); it != m_running.end();) {
      auto& r = **it;
      if (r.stop_at && *r.stop_at <= now) r.stop = true;
      if (!r.stop.load() && !r.done.load()) {
        ++it;
        continue;
      }
      finish(r);
      it = m_running.erase(it);
    }
  }

  void close_all() {
    for (auto& r : m_running) r->stop = true;
    for (auto& r : m_running) finish(*r);
    m_running.clear();
  }

  std::uint64_t written() const { return m_written; }

 private:
  void finish(Running& r) {
    if (r.thread.joinable()) r.thread.join();
    if (r.result && report_file(m_o, r.path, *r.result, Partial::keep)) ++m_written;
  }

  const RunnerOptions& m_o;
  kube::Client& m_client;
  const recorder::RecordOptions& m_record;
  const recorder::RecordHooks& m_hooks;
  std::list<std::unique_ptr<Running>> m_running;
  std::uint64_t m_written = 0;
};

}  // namespace

std::uint64_t run_rotation(const RunnerOptions& options, kube::Client& client,
                           const recorder::RecordOptions& record, const std::atomic<bool>& stop,
                           const recorder::RecordHooks& hooks) {
  RunnerOptions o = options;
  if (!o.clock) o.clock = kube::make_system_clock();
  // The new file's snapshot section is closed by the recorder's deadline at the latest; a second
  // more covers the time its first LIST takes to start.
  auto overlap =
      std::chrono::duration_cast<TimePoint::duration>(record.snapshot_deadline + std::chrono::seconds(1));
  o.metrics->set("ktape_up", 1);
  Rotation rotation(o, client, record, hooks);
  auto now = o.clock->wall_now();
  rotation.start(std::chrono::floor<std::chrono::seconds>(now), now);
  auto next = next_tick(o.schedule, now);
  o.log->info("rotating recording started",
              {{"schedule", o.schedule.spec}, {"next", next ? formats::format_rfc3339(*next) : "never"}});
  while (!stop.load()) {
    o.clock->sleep_for(std::chrono::milliseconds(100));
    now = o.clock->wall_now();
    if (next && *next <= now) {
      rotation.start(*next, *next + overlap);
      auto following = next_tick(o.schedule, *next);
      while (following && *following <= now) {
        o.metrics->add("ktape_ticks_skipped_total", 1);
        o.log->warn("tick skipped: late", {{"tick", formats::format_rfc3339(*following)}});
        following = next_tick(o.schedule, *following);
      }
      next = following;
    }
    rotation.reap(now);
  }
  rotation.close_all();
  o.metrics->set("ktape_up", 0);
  o.log->info("rotating recording stopped", {{"files", std::to_string(rotation.written())}});
  return rotation.written();
}

}  // namespace ktape::schedule
