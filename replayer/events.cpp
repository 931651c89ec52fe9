// The event phase: a reader thread (the caller) waits for each event's scaled due time and hands
// it to a Dispatcher, whose workers apply it once the events it depends on are done: the previous
// event on the same object, its namespace's, and the creates of its owners. An owner that the
// file creates later (the pre-flight read knows every UID the replay creates) is waited for
// however late it comes, through an ownerref::Scheduler, which also breaks ownership cycles; an
// owner the file never creates is not waited for (the Relinker drops or keeps the reference).
#include <concurrentqueue/blockingconcurrentqueue.h>

#include <condition_variable>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include "formats/patch.hpp"
#include "ownerref/refs.hpp"
#include "ownerref/scheduler.hpp"
#include "replayer/policy.hpp"
#include "replayer/run.hpp"
#include "replayer/schedule.hpp"

namespace ktape::replayer {

namespace {

using Nanos = std::chrono::nanoseconds;
constexpr Nanos k_max_nap = std::chrono::milliseconds(10);          // controls are checked this often
constexpr Nanos k_progress_every = std::chrono::milliseconds(250);  // progress line refresh

struct Task {
  formats::ResourcePatch event;
  kube::ApiResource resource;
  std::optional<Schedule::TimePoint> due;  // set when the event had a scaled time (lateness counts)
  std::string key;                         // the object it changes: "group|Kind|namespace|name"
  std::vector<std::string> owner_keys;     // the objects it names as owners, by the same key
  std::string namespace_key;               // its namespace's key ("" for cluster-scoped objects)
  // A create: its UID in the recording, and the owners it waits for (those the replay creates
  // and has not yet; scheduled by the Scheduler as node `node`).
  std::string old_uid;
  std::vector<ownerref::OwnerRef> pending_owners;
  std::string label;
  std::optional<ownerref::NodeId> node;
  bool created = false;  // the create left the object existing in the target (set by the worker)
  int waiting = 0;       // prerequisites not yet done (guarded by the mutex)
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
    finish();
    drain();
    m_shutdown = true;
    m_workers.clear();  // joins
  }
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Orders `task` after the last task on its own object and the tasks on it that named it as an
  // owner since (a delete waits for its children's changes), after the last task on its
  // namespace, and (not a create) after the last task on each of its owners. A create waits for
  // its pending owners through the Scheduler instead (by UID, cycles broken), and never for its
  // children: a child recorded before its owner then meets an owner on its way.
  void submit(const TaskPtr& task) {
    std::lock_guard lock(m_mutex);
    ++m_in_flight;
    auto depend = [&](const TaskPtr& on) {
      if (!on || on->done || on == task) return;
      on->dependents.push_back(task);
      ++task->waiting;
    };
    bool create = task->event.method == formats::Method::create;
    Slot& own = m_slots[task->key];
    depend(own.last);
    // A child parked until an owner's create still to come names an incarnation that is not
    // this one: a delete does not wait for it (it would wait for its own re-creation).
    if (!create)
      for (const auto& child : own.children)
        if (!child->node || !m_parked.count(*child->node)) depend(child);
    own.last = task;
    own.children.clear();
    for (const auto& key : task->owner_keys) {
      Slot& owner = m_slots[key];
      if (!create || key == task->namespace_key) depend(owner.last);
      owner.children.push_back(task);
    }
    if (create && (!task->old_uid.empty() || !task->pending_owners.empty())) {
      auto submitted =
          m_scheduler.submit(ownerref::Node{task->old_uid, std::move(task->pending_owners), task->label});
      task->node = submitted.id;
      if (!submitted.ready) {
        ++task->waiting;
        m_parked.emplace(submitted.id, task);
      }
      report_problems();
    }
    if (task->waiting == 0) enqueue(task);
  }

  // The input ended: creates still waiting for an owner that never came go on without it.
  void finish() {
    std::lock_guard lock(m_mutex);
    release(m_scheduler.finish());
    report_problems();
  }

  // Returns once every submitted task is done. Call finish() first, or creates may wait forever.
  void drain() {
    std::unique_lock lock(m_mutex);
    m_idle.wait(lock, [&] { return m_in_flight == 0; });
  }

  // Returns once no task is queued or running; the tasks left wait for owners still to come.
  void quiesce() {
    std::unique_lock lock(m_mutex);
    m_idle.wait(lock, [&] { return m_active == 0; });
  }

 private:
  void work() {
    TaskPtr task;
    while (!m_shutdown) {
      // The timeout only bounds how long shutdown waits; a task wakes a worker at once.
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
        formats::Value object = std::move(task.event.template_value);
        if (task.resource.namespaced && object.string_at({"metadata", "namespace"}).empty())
          object["metadata"].set("namespace", task.event.namespace_name);
        task.created = m_run.applier.create(task.resource, std::move(object));
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

  // Caller holds m_mutex.
  void enqueue(const TaskPtr& task) {
    ++m_active;
    m_queue.enqueue(task);
  }

  // The Scheduler made `ready` free of their owner waits. Caller holds m_mutex.
  void release(const std::vector<ownerref::NodeId>& ready) {
    for (auto id : ready) {
      auto it = m_parked.find(id);
      if (it == m_parked.end()) continue;
      TaskPtr child = std::move(it->second);
      m_parked.erase(it);
      if (--child->waiting == 0) enqueue(child);
    }
  }

  // Caller holds m_mutex.
  void report_problems() {
    for (const auto& problem : m_scheduler.take_problems()) m_run.summary.problem(problem.message);
  }

  void complete(const TaskPtr& task) {
    std::lock_guard lock(m_mutex);
    task->done = true;
    for (const auto& child : task->dependents)
      if (--child->waiting == 0) enqueue(child);
    task->dependents.clear();
    if (task->node)
      release(task->created && !task->old_uid.empty() ? m_scheduler.created(task->old_uid)
                                                      : m_scheduler.failed(*task->node));
    report_problems();
    forget(task, task->key);
    for (const auto& key : task->owner_keys) forget(task, key);
    --m_active;
    if (--m_in_flight == 0 || m_active == 0) m_idle.notify_all();
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
  std::size_t m_in_flight = 0;  // submitted, not done
  std::size_t m_active = 0;     // queued or running
  std::unordered_map<std::string, Slot> m_slots;
  ownerref::Scheduler m_scheduler;
  std::unordered_map<ownerref::NodeId, TaskPtr> m_parked;  // creates waiting for owners
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

  // One more event dispatched (for the progress line).
  void dispatched() { ++m_events; }

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

// Resolves the event's resource, waiting for what is running once (a CRD created by an earlier
// event makes its resource served only when that create is done).
static std::optional<kube::ApiResource> resolve(Run& run, Dispatcher& dispatcher,
                                                const formats::ResourcePatch& event) {
  if (auto r = run.catalog.find(event.resource)) return r;
  dispatcher.quiesce();
  return run.catalog.find(event.resource);
}

namespace {

// Whether the selection replays `event` on object `key`: creates by the whole object (and
// remembered for -l), patches and deletes by resource and namespace, and by -l only when their
// object's create was left out.
bool event_selected(Run& run, const kube::ApiResource& resource, const formats::ResourcePatch& event,
                    const std::string& key) {
  if (event.method == formats::Method::create) {
    bool selected = run.filter.selected(resource, event.namespace_name, &event.template_value);
    if (run.filter.has_labels()) run.labels.created(key, selected);
    return selected;
  }
  bool selected = run.filter.selected(resource, event.namespace_name, nullptr) && run.labels.selected(key);
  if (event.method == formats::Method::remove) run.labels.deleted(key);
  return selected;
}

// The owners a create waits for: those the replay creates in the event section and has not
// created yet. Owners the file never creates are not waited for.
std::vector<ownerref::OwnerRef> pending_owners(const Run& run, const formats::Value& object) {
  std::vector<ownerref::OwnerRef> pending;
  for (auto& ref : ownerref::owner_refs_of(object)) {
    auto it = ref.uid.empty() ? run.creates.end() : run.creates.find(ref.uid);
    if (it != run.creates.end() && it->second.at && !run.relinker.new_uid(ref.uid))
      pending.push_back(std::move(ref));
  }
  return pending;
}

// Why the replay leaves the event's object alone (policy.hpp), or nullopt when it replays the
// event. Under --owned skip a create's choice holds for the object's patches and its delete.
std::optional<std::string_view> left_alone_event(Run& run, const kube::ApiResource& resource,
                                                 const formats::ResourcePatch& event,
                                                 const std::string& key) {
  bool create = event.method == formats::Method::create;
  auto why =
      left_alone(run.options, resource.group, resource.kind, resource.namespaced ? event.namespace_name : "",
                 event.name, create ? &event.template_value : nullptr);
  if (run.options.owned != OwnedObjects::skip) return why;
  if (create) {
    run.owned.created(key, why != k_owned_skip);
    return why;
  }
  bool replayed = run.owned.selected(key);
  if (event.method == formats::Method::remove) run.owned.deleted(key);
  if (!why && !replayed) return k_owned_skip;
  return why;
}

void plan_event(Run& run, const kube::ApiResource& resource, const formats::ResourcePatch& event) {
  std::string at = format_offset(std::chrono::nanoseconds(event.duration_ns));
  if (event.method != formats::Method::create)
    return run.plan(at + " " + std::string(formats::method_name(event.method)) + " " +
                    describe(resource, event.namespace_name, event.name));
  formats::Value object = event.template_value;
  if (resource.namespaced && object.is_object() && object.string_at({"metadata", "namespace"}).empty())
    object["metadata"].set("namespace", event.namespace_name);
  run.plan(plan_create(run, resource, object, std::chrono::nanoseconds(event.duration_ns)));
}

TaskPtr make_task(Run& run, OwnerKeys& owner_keys, kube::ApiResource resource, formats::ResourcePatch event,
                  std::string key) {
  auto task = std::make_shared<Task>();
  task->key = std::move(key);
  task->owner_keys = owner_keys.update(task->key, event, resource);
  if (resource.namespaced && !event.namespace_name.empty())
    task->namespace_key = object_key("", "Namespace", "", event.namespace_name);
  if (event.method == formats::Method::create) {
    task->old_uid = std::string(ownerref::uid_of(event.template_value));
    task->pending_owners = pending_owners(run, event.template_value);
    task->label = describe(resource, event.namespace_name, event.name);
  }
  task->resource = std::move(resource);
  task->event = std::move(event);
  return task;
}

// After the create of a namespace: the snapshot objects that waited for it (run.awaiting_namespace),
// as creates at the same recorded time, ordered after it by the Dispatcher.
void submit_awaiting(Run& run, Dispatcher& dispatcher, OwnerKeys& owner_keys, const Task& created) {
  const formats::ResourcePatch& e = created.event;
  if (e.method != formats::Method::create || created.resource.kind != "Namespace" ||
      !created.resource.group.empty())
    return;
  auto node = run.awaiting_namespace.extract(e.name);
  if (!node) return;
  std::set<std::string, std::less<>> uids;  // an owner among them is waited for, as a later create is
  for (const auto& object : node.mapped()) uids.emplace(ownerref::uid_of(object));
  for (auto& object : node.mapped()) {
    auto resource = run.catalog.find_object(object);
    if (!resource) continue;  // it was found when deferred; the catalog only grows
    formats::ResourcePatch create;
    create.resource = {resource->group, resource->version, resource->resource};
    create.name = std::string(object.string_at({"metadata", "name"}));
    create.namespace_name = e.name;
    create.duration_ns = e.duration_ns;
    create.template_value = std::move(object);
    std::string key = object_key(resource->group, resource->kind, e.name, create.name);
    bool selected = run.filter.snapshot_selected(*resource, create.template_value);
    if (run.filter.has_labels()) run.labels.created(key, selected);
    if (!selected) continue;
    auto task = make_task(run, owner_keys, std::move(*resource), std::move(create), std::move(key));
    for (auto& ref : ownerref::owner_refs_of(task->event.template_value))
      if (uids.count(ref.uid) && !run.relinker.new_uid(ref.uid))
        task->pending_owners.push_back(std::move(ref));
    dispatcher.submit(task);
  }
}

}  // namespace

void run_events(Run& run, formats::RecordingReader& reader, std::optional<formats::RecordingEntry> first) {
  Dispatcher dispatcher(run);
  Pacer pacer(run);
  OwnerKeys owner_keys;
  while (!run.controls.stop) {
    // `first` once, then the reader's entries; exchange leaves `first` empty for the next turn.
    std::optional<formats::RecordingEntry> entry = std::exchange(first, std::nullopt);
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
    std::string label = std::string(formats::method_name(event.method)) + " " + event.resource.api_version() +
                        " " + event.resource.resource + " " + event.namespace_name + "/" + event.name;
    if (!resource) {
      std::string why = "the target does not serve " + resource_label(event.resource);
      if (run.options.dry_run) {
        run.plan(plan_skip(format_offset(recorded), label, why));
        continue;
      }
      run.summary.count(resource_label(event.resource), Outcome::failed);
      label += ": ";
      label += why;
      run.summary.error(std::move(label));
      continue;
    }
    std::string key = object_key(resource->group, resource->kind, event.namespace_name, event.name);
    if (!event_selected(run, *resource, event, key)) {
      if (run.options.dry_run)
        run.plan(plan_skip(format_offset(recorded), label, "left out by the selection (--resource, -n, -l)"));
      continue;
    }
    if (auto why = left_alone_event(run, *resource, event, key)) {
      if (run.options.dry_run)
        run.plan(plan_skip(format_offset(recorded), label, std::string(*why)));
      else
        run.summary.skip(counted_name(*resource), *why);
      continue;
    }
    if (run.options.dry_run) {  // a plan does not wait for the schedule
      plan_event(run, *resource, event);
      continue;
    }
    std::optional<Schedule::TimePoint> due;
    if (!pacer.wait(recorded, due)) break;
    pacer.dispatched();
    auto task = make_task(run, owner_keys, std::move(*resource), std::move(entry->event), std::move(key));
    task->due = due;
    dispatcher.submit(task);
    submit_awaiting(run, dispatcher, owner_keys, *task);
  }
  dispatcher.finish();
  dispatcher.drain();
}

}  // namespace ktape::replayer
