#pragma once
// The simulated cluster's state: every served resource, its objects as serialized JSON with the
// few fields the server indexes, one global resourceVersion counter and a ring of recent events
// that watches read from. One reader/writer lock guards it all; every write bumps the counter by
// exactly one and appends exactly one event, so the event of resourceVersion N sits at a known
// index of the ring. Writers never wait on watchers: a watcher that falls out of the ring is
// told so and its connection is closed, as the real apiserver closes slow watchers.
//
// The controllers of kube-controller-manager that clients rely on run here too, on one owned
// thread: the owner-reference garbage collector (background, foreground with
// blockOwnerDeletion, orphan) and the namespace controller (a Terminating namespace loses its
// content, then goes).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "formats/value.hpp"
#include "sim/allocation.hpp"
#include "sim/api_error.hpp"
#include "sim/resources.hpp"
#include "sim/selector.hpp"

namespace ktape::sim {

using ResourcePtr = std::shared_ptr<const ResourceInfo>;

struct OwnerRef {
  std::string uid;
  bool block = false;  // blockOwnerDeletion
};

// One stored version of an object. Immutable once stored; every write stores a new one.
struct Entry {
  std::string ns, name, uid;
  std::uint64_t rv = 0;
  std::shared_ptr<const std::string> json;  // the full object, serialized once per write
  Labels labels;
  std::vector<OwnerRef> owners;
  std::vector<std::string> finalizers;
  bool deleting = false;  // has a deletionTimestamp
  std::string key() const { return ns + "/" + name; }
};
using EntryPtr = std::shared_ptr<const Entry>;

enum class EventType { added, modified, deleted };
std::string_view event_type_name(EventType type);  // "ADDED", "MODIFIED", "DELETED"

struct Event {
  std::uint64_t rv = 0;
  int storage = 0;  // which resource's storage (Store::storage_of)
  EventType type = EventType::added;
  EntryPtr entry;  // the new state; for DELETED the last state with the deletion's RV
  EntryPtr prev;   // the state before, null for ADDED
};

struct ListFilter {
  std::string ns;  // "" : every namespace
  LabelSelector labels;
  FieldSelector fields;
  bool matches(const Entry& entry) const;
};

struct ListPage {
  std::vector<EntryPtr> items;
  std::uint64_t rv = 0;                  // the snapshot's resourceVersion
  std::string continue_token;            // "" on the last page
  std::optional<std::size_t> remaining;  // remainingItemCount (absent with a label selector)
};

enum class Propagation { background, foreground, orphan };
// main: spec and metadata (status kept as stored); status: status only; both: a server-side write of
// spec and status together (pods/binding sets spec.nodeName and the PodScheduled condition).
enum class Subresource { main, status, both };
// dryRun=All: a write goes through every check and answers what it would store, but stores
// nothing, emits no event and takes no resourceVersion.
enum class DryRun { no, yes };

struct DeleteRequest {
  Propagation propagation = Propagation::background;
  std::string precondition_uid;  // non-empty: must match the stored object's uid (409 Conflict)
  std::string precondition_rv;   // non-empty: must match its resourceVersion (409 Conflict)
  DryRun dry_run = DryRun::no;
};

struct DeleteOutcome {
  EntryPtr entry;        // the last state (removed) or the state now held by finalizers
  bool removed = false;  // false: a deletionTimestamp was set and finalizers hold it
};

struct StoreOptions {
  std::size_t watch_history = 100000;  // events kept in the ring
  bool garbage_collector = true;       // run the owner-reference GC
  bool content_controllers = false;    // default ServiceAccount, kube-root-ca.crt, Endpoints(Slices)
};

// What a watch gets when it starts: synthetic ADDED entries (for RV unset or "0") and the RV
// after which live events follow.
struct WatchStart {
  std::vector<EntryPtr> initial;
  std::uint64_t cursor = 0;
  int storage = 0;
};

// Events of every storage after a resourceVersion, for the server's watch fan-out.
struct EventSlice {
  std::vector<Event> events;
  bool fell_behind = false;  // the ring moved past the resourceVersion asked for
};

struct WatchBatch {
  std::vector<std::pair<EventType, EntryPtr>> events;
  bool fell_behind = false;  // the ring moved past the cursor: the watch must end
  bool stopped = false;      // the store is shutting down
};

// What the server does to a new object once it has its uid, name and namespace, before it is
// stored: defaulting, admission, validation and allocation (an error refuses the create).
using Admit = std::function<ApiResult<void>(formats::Value& object)>;

// A mutation of the stored object: receives the current object, returns the new one.
using Mutator = std::function<ApiResult<formats::Value>(const formats::Value& current)>;

class Store {
 public:
  explicit Store(StoreOptions options);
  ~Store();  // stops the controllers
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Starts the controller thread; loads nothing. Call once after construction (and after load()).
  void start_controllers();
  // Stops the controller thread and wakes every waiting watcher. Idempotent.
  void stop();

  // Creates default, kube-system and kube-public when absent.
  void ensure_system_namespaces();

  // Resources served right now (built-ins and those of established CRDs).
  std::vector<ResourceInfo> served() const;
  // The served resource, nullptr when none; it stays valid after a CRD change.
  ResourcePtr find_resource(std::string_view group, std::string_view version,
                            std::string_view resource) const;

  ApiResult<EntryPtr> get(const ResourceInfo& info, const std::string& ns, const std::string& name) const;
  // A page of the objects selected by `filter`. `limit` 0: everything. `continue_token` resumes a
  // paginated list over the snapshot taken by its first page (410 Expired once evicted).
  ApiResult<ListPage> list(const ResourceInfo& info, const ListFilter& filter, std::size_t limit,
                           const std::string& continue_token);

  // Create: validates the name, requires the namespace (404) not terminating (403), sets uid,
  // creationTimestamp, generation and resourceVersion; AlreadyExists on a taken name. With
  // `dry_run` the answer has no resourceVersion and nothing is stored.
  // `admit` (when set) runs after the server fields are set, without the lock.
  ApiResult<EntryPtr> create(const ResourceInfo& info, const std::string& ns, formats::Value object,
                             DryRun dry_run = DryRun::no, const Admit& admit = {});
  // Update through `mutate` (PUT: returns the body; PATCH: applies the patch). A resourceVersion
  // in the result that differs from the stored one is a 409 Conflict. Status semantics follow
  // `sub`. A write that changes nothing stores nothing (no new RV, no event). With `dry_run` the
  // answer carries the stored resourceVersion and nothing is stored.
  ApiResult<EntryPtr> modify(const ResourceInfo& info, const std::string& ns, const std::string& name,
                             Subresource sub, const Mutator& mutate, DryRun dry_run = DryRun::no);
  // Delete with finalizers and propagation, as `request` says.
  ApiResult<DeleteOutcome> remove(const ResourceInfo& info, const std::string& ns, const std::string& name,
                                  const DeleteRequest& request);

  ApiResult<WatchStart> start_watch(const ResourceInfo& info, const ListFilter& filter,
                                    std::optional<std::uint64_t> from_rv);
  // Waits until events after `cursor` exist (or `deadline`), returns up to `max` of them that
  // `filter` selects on `storage` and advances `cursor` past every event it looked at.
  WatchBatch next_events(int storage, const ListFilter& filter, std::uint64_t& cursor,
                         std::chrono::steady_clock::time_point deadline, std::size_t max);

  // How `event` shows to a watch with `filter` (a MODIFIED that leaves or enters the selection
  // is a DELETED or an ADDED), or nothing when it does not. The storage is not checked.
  static std::optional<EventType> visible_as(const Event& event, const ListFilter& filter);
  // Waits (without holding the store) until the resourceVersion passes `after` or `deadline`;
  // returns it, 0 once the store is stopping. One waiter serves every watch (the server's hub).
  std::uint64_t wait_past(std::uint64_t after, std::chrono::steady_clock::time_point deadline);
  // Up to `max` events after `after`, of every storage, in order.
  EventSlice events_after(std::uint64_t after, std::size_t max) const;

  // The Services' ClusterIPs and NodePorts; what a removed Service held is released here.
  ServiceAllocator& allocator() { return m_allocator; }

  std::uint64_t current_rv() const;
  std::size_t object_count() const;

  // Every object of every storage as {"resource": {...}, "object": {...}} lines, and back.
  std::string dump() const;
  ApiResult<std::size_t> restore(std::string_view text);
  // Replaces every object with those of a dump (an exact snapshot: uids and resourceVersions
  // kept), as an etcd restore with --bump-revision --mark-compacted does: the counter becomes the
  // dump's or, when that is not past the current one, the current one plus the removals (it never
  // goes back); the event history is dropped, so every open watch ends and a watch or continue
  // token from before is answered 410 Gone. A dump that does not parse changes nothing (an Error
  // naming the line). Returns the objects restored.
  ApiResult<std::size_t> replace(std::string_view text);

 private:
  struct Storage {
    int id = 0;
    ResourceInfo info;                        // the storage version's entry
    std::map<std::string, EntryPtr> objects;  // by "namespace/name", the order lists use
  };
  struct WorkItem {
    int storage;
    std::string key;
  };

  // An object made ready to store without the lock (the costly part of a write: serializing it
  // and reading its indexed fields): its Entry and JSON, but for the resourceVersion, whose
  // digits go at `rv_at` (between the quotes of metadata.resourceVersion).
  struct Prepared {
    std::shared_ptr<Entry> entry;
    std::shared_ptr<std::string> json;
    std::size_t rv_at = 0;
  };
  // Sets metadata.resourceVersion of `object` to "" (the hole).
  static Prepared prepare(formats::Value& object);
  // An Entry for a dry-run answer: never stored; `rv` 0 leaves metadata.resourceVersion out.
  static EntryPtr preview(formats::Value object, std::uint64_t rv);

  // Every line of a dump is a JSON object with "object" or "resourceVersion".
  static ApiResult<void> check_dump(std::string_view text);

  // Everything below is called with m_mu held exclusively.
  ApiResult<std::size_t> restore_locked(std::string_view text);
  Storage* storage_locked(const ResourceInfo& info) const;
  Storage* storage_by_id(int id) const;
  EntryPtr commit_put(Storage& s, formats::Value object, EventType type, EntryPtr prev);
  // Takes the next resourceVersion and stores `p` (from prepare()) with it.
  EntryPtr commit_prepared(Storage& s, Prepared p, EventType type, EntryPtr prev);
  EntryPtr commit_remove(Storage& s, EntryPtr prev);  // by value: callers pass map slots it erases
  ApiResult<DeleteOutcome> remove_locked(Storage& s, const std::string& key, Propagation propagation,
                                         DryRun dry_run = DryRun::no);
  ApiResult<EntryPtr> modify_locked(Storage& s, const EntryPtr& current, Subresource sub,
                                    const Mutator& mutate, DryRun dry_run = DryRun::no);
  void publish_served_locked();  // m_served changed: a new m_served_index
  void register_crd_locked(const formats::Value& crd);
  void unregister_crd_locked(const formats::Value& crd);
  void index_owners(const EntryPtr& entry, int storage, bool add);
  void enqueue(int storage, const std::string& key);
  void enqueue_dependents(const std::string& uid);
  std::vector<std::pair<int, std::string>> dependents_of(const std::string& uid) const;
  void notify();

  // Controllers (controllers.cpp), on m_controller.
  void controller_loop();
  void gc_check_locked(const WorkItem& item);
  // Deletes the content of Terminating namespace `ns`; removes the namespace (and returns true)
  // once it is empty and `may_remove`.
  bool finalize_namespace_locked(const std::string& ns, bool may_remove);
  // The serviceaccount and root-ca-cert-publisher controllers: `default` and kube-root-ca.crt.
  void populate_namespace_locked(const std::string& ns);
  // The endpoints and endpointslice controllers: a Service with a selector gets its Endpoints
  // and an EndpointSlice (no Pods run, so both stay empty); a removed Service loses its Endpoints.
  void reconcile_endpoints_locked(const std::string& key);
  void set_namespace_conditions_locked(const std::string& ns,
                                       const std::map<std::string, std::size_t>& remaining,
                                       const std::map<std::string, std::size_t>& finalizers);
  void set_finalizers_locked(Storage& s, const EntryPtr& entry, std::vector<std::string> finalizers);

  StoreOptions m_options;
  ServiceAllocator m_allocator;
  mutable std::shared_mutex m_mu;
  std::condition_variable_any m_cv;  // new events, or stop
  std::uint64_t m_rv = 0;
  std::deque<Event> m_events;  // m_events[i].rv == m_first_rv + i
  std::uint64_t m_first_rv = 1;
  std::vector<ResourceInfo> m_served;
  // m_served for find_resource, which every request calls: readers never wait on m_mu's writers.
  mutable std::mutex m_index_mu;
  std::shared_ptr<const std::vector<ResourcePtr>> m_served_index;  // under m_index_mu
  std::map<std::string, std::unique_ptr<Storage>> m_storages;      // by "group/resource"
  std::unordered_map<std::string, std::pair<int, std::string>> m_by_uid;
  std::unordered_map<std::string, std::set<std::pair<int, std::string>>> m_dependents;  // owner uid ->
  int m_next_storage_id = 1;
  struct Snapshot {
    std::uint64_t rv;
    std::shared_ptr<const std::vector<EntryPtr>> items;
  };
  std::map<std::uint64_t, Snapshot> m_snapshots;  // by id; the oldest are evicted
  std::uint64_t m_next_snapshot = 1;

  std::mutex m_work_mu;
  std::condition_variable m_work_cv;
  std::deque<WorkItem> m_work;
  // Namespaces the namespace controller is emptying, with when their deletion began.
  std::map<std::string, std::chrono::steady_clock::time_point> m_terminating;
  std::set<std::string> m_new_namespaces;    // namespaces that need their default content
  std::set<std::string> m_changed_services;  // "ns/name" of Services created or removed
  bool m_stopping = false;                   // under m_work_mu
  std::atomic<bool> m_stopped{false};
  std::thread m_controller;
};

}  // namespace ktape::sim
