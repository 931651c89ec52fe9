#pragma once
// Scheduler: the owner dependency graph of a replay. The replayer submits the objects it is to
// create, in file order, each with its UID in the recording and its owners' UIDs; an object is
// ready once every owner exists in the target, and the replayer reports each create as it
// completes, which readies the objects waiting on it (so a grandchild read before its parent is
// created once the chain above it resolves).
//
// An object never waits forever:
// - an owner that the input does not contain (nothing submitted carries its UID) releases the
//   object at finish(), reported as missing_owner, or at expire() for a look-ahead window,
//   reported as owner_beyond_window;
// - an owner whose create failed releases it at once, reported as failed_owner;
// - an ownership cycle (A owns B owns A, or A owns itself) is found when the submission that
//   closes it arrives; that object is released from the owners on the cycle, reported as cycle.
// "Released" means it no longer waits on those owners; the Relinker then finds them unmapped at
// create time and drops or keeps the references by its policy. Owners are matched by UID only.
//
// Cost: submit, created and failed take time in proportion to the owners of the objects they
// touch (one hash lookup per UID), except a submission whose object is already waited on by
// others while it waits itself: it walks the waiting objects below it to look for a cycle.
// finish, expire and counts walk the objects not yet done. Objects are forgotten once created or
// failed; every UID met is remembered (a few dozen bytes each).
//
// Use, with a Relinker beside it:
//   if (auto s = scheduler.submit(node_of(object)); s.ready) start_create(s.id);
//   // a create of `id` succeeded: the object had old_uid in the recording, got new_uid
//   relinker.record_created(key, old_uid, new_uid);
//   for (NodeId next : scheduler.created(old_uid)) start_create(next);
//   // a create of `id` failed for good
//   for (NodeId next : scheduler.failed(id)) start_create(next);
//   // the input ended (or the look-ahead window moved on: expire)
//   for (NodeId next : scheduler.finish()) start_create(next);
//   for (const Problem& p : scheduler.take_problems()) report(p.message);
// where start_create rewrites the object with the Relinker and sends it.
//
// Thread safety: every member function may be called from any thread; one mutex serialises them.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "formats/value.hpp"
#include "ownerref/refs.hpp"

namespace ktape::ownerref {

// Submission order: the first object submitted is 0, the next 1, and so on.
using NodeId = std::uint64_t;

// One object to create, as the scheduler sees it.
struct Node {
  std::string uid;               // its UID in the recording; "" when it has none (nothing can wait on it)
  std::vector<OwnerRef> owners;  // its owner references; ordering uses each uid, messages the rest
  std::string label;             // names it in messages: "apps/v1 ReplicaSet demo/web-1"
};

// uid, owners and label from a whole object.
Node node_of(const formats::Value& object);

enum class ProblemKind {
  missing_owner,        // the input does not contain the owner (nothing submitted carries its UID)
  owner_beyond_window,  // nothing submitted by the end of the object's look-ahead window carries
                        // the owner's UID (it may come later, too late for this object)
  failed_owner,         // the owner's create was reported failed
  cycle,                // the object owns itself, directly or through the objects it owns
};

struct Problem {
  ProblemKind kind = ProblemKind::missing_owner;
  NodeId node = 0;                      // the object released without the owners below
  std::vector<OwnerRef> owners;         // the owner references it was released from
  std::vector<std::string> cycle_uids;  // cycle: UIDs around it, from the object's own; each waits
                                        // on the next, the last on the first
  std::string message;                  // one line for the user naming the object and the owners
};

class Scheduler {
 public:
  struct Submitted {
    NodeId id = 0;
    bool ready = false;  // true: create it now; false: a later call returns it
  };

  // Adds an object. It is ready at once when every owner already exists (or, after finish(), does
  // not exist and was never submitted: it is then released at once).
  Submitted submit(Node node);

  // The object with UID `old_uid` now exists in the target: created, or found existing. Call it
  // after every successful create, also for objects created without being submitted here
  // (namespaces, say), so that the objects they own do not wait. Every ready object carrying the
  // UID is done. Returns the objects this made ready, in submission order; calling it again for
  // the same UID returns nothing.
  std::vector<NodeId> created(std::string_view old_uid);

  // The create of `id` failed (or the caller gives up on it). Unless another object carrying the
  // same UID is still to be created, the objects waiting on it are released and reported as
  // failed_owner; returns those that became ready. An unknown or finished id returns nothing.
  std::vector<NodeId> failed(NodeId id);

  // The input is complete: every object still waiting on an owner that nothing submitted carries is
  // released and reported missing_owner; returns the objects that became ready. Later submissions
  // with such owners are released at once. After finish(), when the caller has reported every ready
  // object created or failed, nothing is left waiting.
  std::vector<NodeId> finish();

  // The end of a look-ahead window: as finish(), but only for objects submitted before `before`,
  // reported owner_beyond_window, and owners submitted later still count. An owner that arrives
  // after its child was released comes too late for it.
  std::vector<NodeId> expire(NodeId before);

  // The problems found since the last call, oldest first.
  std::vector<Problem> take_problems();

  struct Counts {
    std::size_t waiting = 0;  // submitted, some owner still missing
    std::size_t ready = 0;    // returned as ready, not yet reported created or failed
    std::uint64_t done = 0;   // reported created or failed
  };
  Counts counts() const;

 private:
  // Every UID met is interned once; the graph works on indices into m_infos.
  using UidIndex = std::uint32_t;
  static constexpr UidIndex k_no_uid = UINT32_MAX;
  enum class State { waiting, ready };
  struct Entry {
    Node node;
    State state = State::waiting;
    UidIndex own = k_no_uid;         // node.uid, interned
    std::vector<UidIndex> blockers;  // distinct owners it still waits on
  };
  struct UidInfo {
    std::string uid;
    bool exists = false;           // created in the target
    bool failed = false;           // its last pending create failed
    std::vector<NodeId> carriers;  // submitted objects with this UID, not yet done
    std::vector<NodeId> waiters;   // objects that were waiting on it (some may have moved on)
  };
  enum class Why { finished, window };

  UidIndex intern(std::string_view uid);
  bool unknown(UidIndex uid) const;
  void drop_blocker(NodeId id, Entry& entry, UidIndex uid, std::vector<NodeId>& ready);
  void release_unknown(NodeId id, Entry& entry, Why why, std::vector<NodeId>& ready);
  void release_failed(NodeId id, Entry& entry);
  void break_cycles(NodeId id, Entry& entry);
  std::vector<UidIndex> find_cycle(UidIndex from, UidIndex target) const;
  std::string label_of(UidIndex uid) const;
  void report(ProblemKind kind, NodeId id, const Entry& entry, const std::vector<UidIndex>& owners,
              std::string_view why, const std::vector<UidIndex>& cycle = {});

  // The waiting or ready object `id`, or nullptr once it is done (or was never submitted).
  Entry* find(NodeId id);
  const Entry* find(NodeId id) const;
  // Frees the slot of a finished object, and the finished slots at the front.
  void forget(NodeId id);

  mutable std::mutex m_mutex;
  // Slot i holds object m_first + i, empty once done: O(1) by id, and memory for the span from the
  // oldest unfinished object on (a window, in a streaming replay).
  std::deque<std::optional<Entry>> m_nodes;
  NodeId m_first = 0;
  std::unordered_map<std::string, UidIndex, StringHash, std::equal_to<>> m_index;
  std::vector<UidInfo> m_infos;  // by UidIndex
  std::vector<Problem> m_problems;
  NodeId m_next = 0;
  std::uint64_t m_done = 0;
  bool m_finished = false;
};

// A whole input planned at once (the snapshot section, or --dry-run): the objects in layers, each
// object's owners that the input contains in earlier layers, so that every layer can be created
// with bounded concurrency once the previous one is done.
struct Plan {
  std::vector<std::vector<NodeId>> layers;  // indices into the input, each layer in input order
  std::vector<Problem> problems;            // missing owners and cycles; Problem::node is an index
};
Plan plan_layers(std::vector<Node> nodes);

}  // namespace ktape::ownerref
