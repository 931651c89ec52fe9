#pragma once
// Relinker: the old-UID -> new-UID map of one replay, and the rewriting of ownerReferences UIDs
// in objects about to be created and in patches about to be sent, so that children re-link to
// their re-created parents; the same for every other field that carries a UID (uid_fields.hpp:
// Job selectors and controller-uid labels, claimRefs, targetRefs, Events, token Secrets).
//
// Mappings are by UID, and UIDs are never reused, so a parent deleted and re-created under the
// same name is a second incarnation with a second mapping. The first mapping is kept: an event
// recorded while a child still pointed at the first incarnation is rewritten to the first
// incarnation's new UID, an object that no longer exists in the target either, so the target's
// garbage collector treats the child as the source's did.
//
// An owner reference whose UID has no mapping is dangling. Every rewrite reports its dangling
// references, and the policy chosen at construction drops them (the default) or keeps them with
// their old UID (the target's garbage collector then deletes the child, as the issue's
// --keep-dangling-owners promises). An owner that is not created yet counts as dangling too, so
// rewrite an object only once the Scheduler has made it ready (its owners exist, or never will).
//
// Thread safety: every member function may be called from any thread at the same time; rewrites
// share a lock, record_* take it exclusively.
#include <atomic>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "formats/error.hpp"
#include "formats/patch.hpp"
#include "formats/value.hpp"
#include "ownerref/refs.hpp"
#include "ownerref/uid_fields.hpp"

namespace ktape::ownerref {

enum class DanglingOwners {
  drop,  // remove the reference (the child survives in the target, unowned)
  keep,  // leave it with its old UID (the target's garbage collector deletes the child)
};

// What one rewrite did. A dangling owner is listed once per rewrite, in order of appearance.
struct Rewrite {
  std::size_t rewritten = 0;       // UIDs replaced by their new UID (owners and uid_fields())
  std::size_t left_to_server = 0;  // generated UID fields left out of a create (a Job's selector)
  std::vector<OwnerRef> dropped;   // dangling references removed (policy drop)
  std::vector<OwnerRef> kept;      // dangling references left with their old UID

  bool has_dangling() const { return !dropped.empty() || !kept.empty(); }
};

// One incarnation of an object: the UID it had in the recording and the one the target gave it.
struct Incarnation {
  std::string old_uid;
  std::string new_uid;
};

// Running totals over every call, for the replay summary.
struct RelinkStats {
  std::uint64_t mapped = 0;     // old UIDs with a mapping
  std::uint64_t rewritten = 0;  // UIDs replaced in objects and patches
  std::uint64_t dangling = 0;   // dangling references met (dropped or kept)
};

class Relinker {
 public:
  explicit Relinker(DanglingOwners dangling = DanglingOwners::drop) : m_policy(dangling) {}

  // After a create succeeded, or the object was found already existing in the target: `key` now
  // has `new_uid` there, and `old_uid` (its UID in the recording) maps to it. Recording the same
  // old UID again (the object re-created by --on-existing recreate) replaces its new UID. An
  // empty old_uid records the incarnation by key only.
  void record_created(const ObjectKey& key, std::string_view old_uid, std::string_view new_uid);

  // After a delete: `key` has no current incarnation. Its UID mapping is kept (see above).
  void record_deleted(const ObjectKey& key);

  // The new UID of `old_uid`, or nullopt when it has none.
  std::optional<std::string> new_uid(std::string_view old_uid) const;

  // The incarnation of `key` that currently exists in the target, or nullopt when there is none
  // (never created, or deleted since).
  std::optional<Incarnation> current(const ObjectKey& key) const;

  // Rewrites every metadata.ownerReferences[].uid of an object about to be created; dangling
  // references are dropped or kept by the policy, and when every entry is dropped the field is
  // removed. An ownerReferences that is not a list is an Error (invalid) and `object` is unchanged.
  // Then the object's other UID fields (relink_object_fields): mapped UIDs replaced, generated
  // fields left out for the apiserver, unmapped UIDs left as recorded (never reported: they do not
  // make the target delete anything).
  Result<Rewrite> rewrite_object(formats::Value& object) const;

  // Rewrites the owner UIDs inside a patch about to be sent:
  // - merge (RFC 7386): metadata.ownerReferences replaces the list whole; entries are rewritten
  //   and dangling ones dropped by the policy (a list left empty stays, meaning "no owners").
  // - strategic: metadata.ownerReferences entries merge by uid; plain entries and
  //   {"$patch":"delete","uid":...} entries are rewritten, as are the {"uid":...} entries of
  //   "$setElementOrder/ownerReferences"; by the drop policy a dangling UID leaves all three
  //   (a delete directive for an owner with no mapping is never reported: the target cannot hold
  //   it unless it was kept, and then the old UID is the right one to name). A list that drops
  //   to nothing is removed from the patch; {"$patch":"replace"} markers stay.
  // - json (RFC 6902): values of add/replace/test operations on /metadata/ownerReferences (the
  //   list, one entry, or one entry's /uid) are rewritten; a dangling reference is dropped only
  //   inside a whole-list value, and kept elsewhere (removing an operation would shift the
  //   indices that later operations name).
  // A patch whose ownerReferences parts have the wrong shape is an Error (invalid) naming the
  // field, and `patch` is unchanged.
  // Then, for a patch of an object of `kind` in `group` (the patched object's; "" for none), the
  // kind's other UID fields (relink_patch_fields): mapped UIDs replaced, the rest left as is.
  Result<Rewrite> rewrite_patch(formats::PatchType type, formats::Value& patch, std::string_view group = {},
                                std::string_view kind = {}) const;

  DanglingOwners policy() const { return m_policy; }
  RelinkStats stats() const;

 private:
  // The new UID of old_uid, or nullptr; the caller holds m_mutex (shared or exclusive).
  const std::string* find_locked(std::string_view old_uid) const;
  // Adds a finished rewrite to the running totals and passes it on.
  Result<Rewrite> counted(Result<Rewrite> rewrite) const;

  const DanglingOwners m_policy;
  mutable std::shared_mutex m_mutex;
  std::unordered_map<std::string, std::string, StringHash, std::equal_to<>> m_by_uid;  // old -> new
  std::unordered_map<ObjectKey, Incarnation, ObjectKeyHash> m_by_key;
  mutable std::atomic<std::uint64_t> m_rewritten{0};
  mutable std::atomic<std::uint64_t> m_dangling{0};
};

}  // namespace ktape::ownerref
