// The event phase: a reader thread (the caller) waits for each event's scaled due time and hands
// it to a Dispatcher, whose workers apply it once the events it depends on are done: the previous
// event on the same object, and the creates of its owners still in flight.
#include <concurrentqueue/blockingconcurrentqueue.h>

#include <condition_variable>
#include <thread>
#include <unordered_map>

#include "formats/patch.hpp"
#include "ownerref/refs.hpp"
#include "replayer/run.hpp"
#include "replayer/schedule.hpp"

namespace ktape::replayer {

namespace {

using Nanos = std::chrono::nanoseconds;
constexpr Nanos k_max_nap = std::chrono::milliseconds(10);          // controls are checked this often
constexpr std::chrono::milliseconds k_owner_wait{500};              // an owner recorded just after its child
constexpr Nanos k_progress_every = std::chrono::milliseconds(250);  // progress line refresh

struct Task {
  formats::ResourcePatch event;
  kube::ApiResource resource;
  std::optional<Schedule::TimePoint> due;  // set when the event had a scaled time (lateness counts)
  std::string key;                         // the object it changes: "group|Kind|namespace|name"
  std::vector<std::string> owner_keys;     // the objects it names as owners, by the same key
  int waiting = 0;                         // prerequisites not yet done (guarded by the mutex)
  bool done = false;
  std::vector<std::shared_ptr<Task>> dependents;
};
using TaskPtr = std::shared_ptr<Task>;

class Dispatcher {
 public:
  explicit Dispatcher(Run& run) : m_run(run) {
    for (int i = 0; i < std::max(run.options.concurrency, 1); ++i) m_workers.emplace_back([this] { work(); });
  }
  ~Dispatcher() {
    drain();
    m_shutdown = true;
    m_workers.clear();  // joins
  }
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Orders `task` after the last task on its own object and the tasks on it that named it as an
  // owner since (a delete waits for its children's creates), and after the last task on each of
  // its owners (a child's create waits for its owner's create).
  void submit(const TaskPtr& task) {
    std::lock_guard lock(m_mutex);
    ++m_in_flight;
    auto depend = [&](const TaskPtr& on) {
      if (!on || on->done || on == task) return;
      on->dependents.push_back(task);
      ++task->waiting;
    };
    Slot& own = m_slots[task->key];
    depend(own.last);
    // A create never waits for its children: a child recorded before its namespace or owner (the
    // recorder stamps each resource's watch separately) then meets a namespace that is on its way.
    if (task->event.method != formats::Method::create)
      for (const auto& child : own.children) depend(child);
    own.last = task;
    own.children.clear();
    for (const auto& key : task->owner_keys) {
      Slot& owner = m_slots[key];
      depend(owner.last);
      owner.children.push_back(task);
    }
    if (task->waiting == 0) m_queue.enqueue(task);
  }

  // Returns once every submitted task is done.
  void drain() {
    std::unique_lock lock(m_mutex);
    m_idle.wait(lock, [&] { return m_in_flight == 0; });
  }

 private:
  void work() {
    TaskPtr task;
    while (!m_shutdown) {
      if (!m_queue.wait_dequeue_timed(task, std::chrono::milliseconds(50))) continue;
      execute(*task);
      complete(task);
      task.reset();
    }
  }

  void execute(Task& task) {
    if (task.due) m_run.summary.late(m_run.clock->now() - *task.due);
    switch (task.event.method) {
      case formats::Method::create: {
        formats::Value object = task.event.template_value;
        if (task.resource.namespaced && object.string_at({"metadata", "namespace"}).empty())
          object["metadata"].set("namespace", task.event.namespace_name);
        m_run.applier.create(task.resource, std::move(object), k_owner_wait);
        break;
      }
      case formats::Method::patch:
        m_run.applier.patch(task.resource, task.event);
        break;
      case formats::Method::remove:
        m_run.applier.remove(task.resource, task.event);
        break;
    }
  }

  void complete(const TaskPtr& task) {
    std::lock_guard lock(m_mutex);
    task->done = true;
    for (const auto& child : task->dependents)
      if (--child->waiting == 0) m_queue.enqueue(child);
    task->dependents.clear();
    forget(task, task->key);
    for (const auto& key : task->owner_keys) forget(task, key);
    if (--m_in_flight == 0) m_idle.notify_all();
  }

  // What is pending on one object: the last task that changes it, and the tasks since that named it
  // as an owner.
  struct Slot {
    TaskPtr last;
    std::vector<TaskPtr> children;
  };

  // Drops a finished task from the slot of `key`, and the slot once nothing is pending on it.
  void forget(const TaskPtr& task, const std::string& key) {
    auto it = m_slots.find(key);
    if (it == m_slots.end()) return;
    Slot& slot = it->second;
    if (slot.last == task) slot.last.reset();
    std::erase(slot.children, task);
    if (!slot.last && slot.children.empty()) m_slots.erase(it);
  }

  Run& m_run;
  moodycamel::BlockingConcurrentQueue<TaskPtr> m_queue;
  std::mutex m_mutex;
  std::condition_variable m_idle;
  std::size_t m_in_flight = 0;
  std::unordered_map<std::string, Slot> m_slots;
  std::atomic<bool> m_shutdown{false};
  std::vector<std::jthread> m_workers;
};

// The reader's side: the schedule, the controls, the progress line.
class Pacer {
 public:
  explicit Pacer(Run& run)
      : m_run(run),
        m_schedule(run.clock->now(), run.options.from, run.options.speed),
        m_last_progress(run.clock->now()) {}

  // Waits until `recorded` is due; false when the replay is to stop. `due` is set to the scaled
  // due time when the event has one.
  bool wait(Nanos recorded, std::optional<Schedule::TimePoint>& due) {
    while (true) {
      auto now = m_run.clock->now();
      obey_controls(now);
      if (m_run.controls.stop) return false;
      auto at = m_schedule.due(recorded);
      report(now, recorded);
      if (at <= now) {
        if (at != Schedule::TimePoint::min()) due = at;
        m_reached = recorded;
        m_lag = at == Schedule::TimePoint::min() ? Nanos{0} : now - at;
        return true;
      }
      m_run.clock->sleep_for(std::min<Nanos>(at - now, k_max_nap));
    }
  }

 private:
  void obey_controls(Schedule::TimePoint now) {
    bool paused = m_run.controls.paused;
    if (paused && !m_schedule.paused()) m_schedule.pause(now);
    if (!paused && m_schedule.paused()) m_schedule.resume(now);
    double speed = m_run.controls.speed.exchange(-1);
    if (speed >= 0) m_schedule.set_speed(speed, now, m_reached);
  }

  void report(Schedule::TimePoint now, Nanos recorded) {
    if (!m_run.hooks.progress || now - m_last_progress < k_progress_every) return;
    m_last_progress = now;
    m_run.hooks.progress(Progress{std::max(m_reached, std::min(recorded, m_schedule.position(now))),
                                  m_schedule.speed(), m_lag, m_schedule.paused(), m_events});
  }

 public:
  // One more event dispatched (for the progress line).
  void dispatched() { ++m_events; }

 private:
  std::uint64_t m_events = 0;
  Run& m_run;
  Schedule m_schedule;
  Schedule::TimePoint m_last_progress;
  Nanos m_reached{0};
  Nanos m_lag{0};
};

formats::PatchType patch_type_of(const kube::ApiResource& resource) {
  return formats::has_strategic_metadata(resource.api_version(), resource.kind)
             ? formats::PatchType::strategic
             : formats::PatchType::merge;
}

std::vector<ownerref::OwnerRef> owners_of(const formats::ResourcePatch& event,
                                          const kube::ApiResource& resource) {
  if (event.method == formats::Method::create) return ownerref::owner_refs_of(event.template_value);
  if (event.method == formats::Method::patch)
    return ownerref::owners_added_by(patch_type_of(resource), event.template_value);
  return {};
}

std::string object_key(std::string_view group, std::string_view kind, std::string_view ns,
                       std::string_view name) {
  std::string key(group);
  key.append("|").append(kind).append("|").append(ns).append("|").append(name);
  return key;
}

std::string plan_line(const formats::ResourcePatch& event, const kube::ApiResource& resource) {
  char at[32];
  std::snprintf(at, sizeof at, "+%.3fs ", static_cast<double>(event.duration_ns) / 1e9);
  return std::string(at) + std::string(formats::method_name(event.method)) + " " +
         describe(resource, event.namespace_name, event.name);
}

// The owners of every object the events have created, by key, so that every later change of a
// child (a status patch too) is ordered before its owner's next change (a delete, whose garbage
// collection would remove the child under the patch).
class OwnerKeys {
 public:
  // The owner keys of the object `key` after `event`; forgets the object on delete.
  std::vector<std::string> update(const std::string& key, const formats::ResourcePatch& event,
                                  const kube::ApiResource& resource) {
    std::vector<std::string> added;
    if (resource.namespaced && !event.namespace_name.empty())  // its namespace counts as an owner
      added.push_back(object_key("", "Namespace", "", event.namespace_name));
    for (const auto& owner : owners_of(event, resource))
      added.push_back(
          object_key(ownerref::group_of(owner.api_version), owner.kind, event.namespace_name, owner.name));
    if (event.method == formats::Method::remove) {
      auto node = m_by_key.extract(key);
      return node ? std::move(node.mapped()) : std::vector<std::string>{};
    }
    auto& known = m_by_key[key];
    if (event.method == formats::Method::create) known.clear();
    for (auto& k : added)
      if (std::find(known.begin(), known.end(), k) == known.end()) known.push_back(std::move(k));
    return ancestors(known);
  }

 private:
  // `owners` and their owners, recursively (a Deployment's delete must wait for its Pods' changes:
  // the garbage collector removes the grandchildren too). Bounded: ownership chains are short.
  std::vector<std::string> ancestors(const std::vector<std::string>& owners) const {
    constexpr std::size_t k_max = 64;
    std::vector<std::string> out = owners;
    for (std::size_t i = 0; i < out.size() && out.size() < k_max; ++i) {
      auto it = m_by_key.find(out[i]);
      if (it == m_by_key.end()) continue;
      for (const auto& k : it->second)
        if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
    }
    return out;
  }

  std::unordered_map<std::string, std::vector<std::string>> m_by_key;
};

}  // namespace

// Resolves the event's resource, waiting for what is in flight once (a CRD created by an earlier
// event makes its resource served only when that create is done).
static std::optional<kube::ApiResource> resolve(Run& run, Dispatcher& dispatcher,
                                                const formats::ResourcePatch& event) {
  if (auto r = run.catalog.find(event.resource)) return r;
  dispatcher.drain();
  return run.catalog.find(event.resource);
}

void run_events(Run& run, formats::RecordingReader& reader, std::optional<formats::RecordingEntry> first) {
  Dispatcher dispatcher(run);
  Pacer pacer(run);
  OwnerKeys owner_keys;
  while (!run.controls.stop) {
    std::optional<formats::RecordingEntry> entry = std::move(first);
    first.reset();
    if (!entry) {
      auto next = reader.next();
      if (!next) {
        run.summary.error(next.error().message + " (replayed what came before it)");
        break;
      }
      if (!*next) break;
      entry = std::move(**next);
    }
    if (entry->kind == formats::RecordingEntry::Kind::object) continue;  // objects after events: not ours
    const formats::ResourcePatch& event = entry->event;
    Nanos recorded(event.duration_ns);
    if (run.options.to && recorded > *run.options.to) break;
    auto resource = resolve(run, dispatcher, event);
    if (!resource) {
      run.summary.count(resource_label(event.resource), Outcome::failed);
      run.summary.error(std::string(formats::method_name(event.method)) + " " + event.resource.api_version() +
                        " " + event.resource.resource + " " + event.namespace_name + "/" + event.name +
                        ": the target does not serve " + resource_label(event.resource));
      continue;
    }
    const formats::Value* object = event.method == formats::Method::create ? &event.template_value : nullptr;
    if (!run.filter.selected(*resource, event.namespace_name, object)) continue;
    auto task = std::make_shared<Task>();
    if (!pacer.wait(recorded, task->due)) break;
    pacer.dispatched();
    if (run.options.dry_run) {
      run.plan(plan_line(event, *resource));
      continue;
    }
    task->key = object_key(resource->group, resource->kind, event.namespace_name, event.name);
    task->owner_keys = owner_keys.update(task->key, event, *resource);
    task->resource = std::move(*resource);
    task->event = std::move(entry->event);
    dispatcher.submit(task);
  }
  dispatcher.drain();
}

}  // namespace ktape::replayer
