// Graceful deletion on replay (applier.hpp): a watch shows the start of a graceful delete as a
// change that sets metadata.deletionTimestamp and deletionGracePeriodSeconds, and adds the
// finalizer of a foreground or orphan propagation. A target's apiserver sets those fields only
// through a DELETE, so that change is replayed as one.
#include <algorithm>

#include "formats/recording.hpp"
#include "replayer/applier.hpp"

namespace ktape::replayer {

namespace {

// The finalizers a DELETE adds for its propagation policy (apimachinery's metav1).
constexpr std::string_view k_foreground = "foregroundDeletion";
constexpr std::string_view k_orphan = "orphan";

// Removes the string `name` from the list metadata[field] (a strategic patch's "$setElementOrder"
// list too); a strategic list left empty goes. True when it was there.
bool drop_entry(formats::Value& metadata, std::string_view field, std::string_view name, bool strategic) {
  formats::Value* list = metadata.find(field);
  if (list == nullptr || !list->is_array()) return false;
  auto& items = list->as_array();
  auto it = std::find_if(items.begin(), items.end(),
                         [&](const formats::Value& v) { return v.is_string() && v.as_string() == name; });
  if (it == items.end()) return false;
  items.erase(it);
  if (items.empty() && strategic) metadata.erase(field);
  return true;
}

}  // namespace

Applier::Deletion Applier::take_deletion(formats::Value& body, formats::PatchType type,
                                         const ownerref::ObjectKey& key, bool marked) const {
  Deletion out;
  formats::Value* metadata = body.find("metadata");
  if (metadata == nullptr || !metadata->is_object()) return out;
  bool starts = marked || formats::sets_deletion_timestamp(body);
  if (const formats::Value* grace = metadata->find("deletionGracePeriodSeconds"); grace && grace->is_number())
    out.grace_period = grace->as_int64();
  metadata->erase("deletionTimestamp");
  metadata->erase("deletionGracePeriodSeconds");
  if (starts) {
    bool strategic = type == formats::PatchType::strategic;  // a merge patch's lists are whole lists
    if (drop_entry(*metadata, "finalizers", k_foreground, strategic)) out.propagation = "Foreground";
    if (drop_entry(*metadata, "finalizers", k_orphan, strategic)) out.propagation = "Orphan";
    drop_entry(*metadata, "$setElementOrder/finalizers", k_foreground, true);
    drop_entry(*metadata, "$setElementOrder/finalizers", k_orphan, true);
  }
  if (metadata->size() == 0) body.erase("metadata");
  if (!starts) return out;
  std::lock_guard lock(m_gc_mutex);
  auto it = m_terminating.find(key);
  // A second start on a terminating object is a DELETE with a shorter grace period (kubectl
  // delete --grace-period, the kubelet's final delete), or nothing.
  out.send =
      it == m_terminating.end() || (out.grace_period && (!it->second || *out.grace_period < *it->second));
  return out;
}

bool Applier::delete_gracefully(const kube::ApiResource& resource, const formats::ResourcePatch& event,
                                const ownerref::ObjectKey& key, const Deletion& deletion) {
  auto removed = m_client.remove(resource, event.namespace_name, event.name,
                                 kube::DeleteOptions{deletion.propagation, deletion.grace_period, {}, {}});
  if (!removed && !is_not_found(removed.error())) {
    failed(resource, "delete (graceful) " + describe(resource, event.namespace_name, event.name),
           removed.error());
    return false;
  }
  {
    std::lock_guard lock(m_gc_mutex);
    m_terminating.insert_or_assign(key, deletion.grace_period);
    m_deleted.insert(key);
  }
  m_summary.count(counted_name(resource), removed ? Outcome::deleted : Outcome::skipped);
  return true;
}

bool Applier::terminating(const ownerref::ObjectKey& key) const {
  std::lock_guard lock(m_gc_mutex);
  return m_terminating.count(key) > 0;
}

}  // namespace ktape::replayer
