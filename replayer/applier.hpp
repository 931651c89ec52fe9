#pragma once
// Applier: one recorded change sent to the target. Creates (snapshot objects and create events)
// strip server-set fields, re-link owner UIDs, handle an object that already exists by the
// --on-existing policy and write status through /status; patches go as strategic merge for the
// built-in types and JSON merge for custom resources, status through /status; deletes propagate
// in the background. A patch that starts a graceful delete (ResourcePatch::graceful_delete, or
// unmarked, a patch that sets metadata.deletionTimestamp) is sent as the DELETE it was, with the
// recorded grace period; no patch ever carries deletionTimestamp or deletionGracePeriodSeconds
// (an apiserver refuses them: "field is immutable"). See graceful.cpp. Every outcome is counted in the
// Summary, every failure is an error line there, and nothing is thrown: the replay goes on.
//
// Thread safety: every member function may be called from many threads at once for different
// objects; the caller keeps the changes of one object in order.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "formats/patch.hpp"
#include "formats/recording.hpp"
#include "formats/value.hpp"
#include "kube/client.hpp"
#include "ownerref/relinker.hpp"
#include "replayer/objects.hpp"
#include "replayer/options.hpp"
#include "replayer/summary.hpp"

namespace ktape::replayer {

class Applier {
 public:
  Applier(kube::Client& client, Catalog& catalog, ownerref::Relinker& relinker, Summary& summary,
          const ReplayOptions& options);

  // Creates `object` (a whole recorded object of `resource`). Returns true when the object exists
  // in the target afterwards (created, or found existing) and its UID is mapped. Owners not mapped
  // yet are dangling: the caller creates a child only once its owners are done.
  bool create(const kube::ApiResource& resource, formats::Value object);
  // Applies a patch event; a target that does not exist is a failure reported in the summary,
  // except for an object this replay deleted gracefully (the target may have finished the delete
  // sooner: an unscheduled Pod goes at once), which is skipped. The start of a graceful delete is
  // a DELETE with the recorded grace period and the propagation its finalizers show
  // (foregroundDeletion, orphan), after the rest of the patch.
  void patch(const kube::ApiResource& resource, const formats::ResourcePatch& event);
  // Applies a delete event; an object already gone (the target's garbage collector) is skipped.
  // The final delete of an object deleted gracefully before goes with grace period 0: the
  // recording says the grace period is over.
  void remove(const kube::ApiResource& resource, const formats::ResourcePatch& event);

  // Waits until the CRD `name` is Established (bounded by options.crd_established_timeout), then
  // refreshes the catalog. False (with an error in the summary) when it never becomes Established.
  bool wait_established(std::string_view name);

 private:
  // One object being created: where it goes and what it was in the recording.
  struct Creating {
    const kube::ApiResource& resource;
    std::string ns;
    std::string old_uid;
    std::string label;        // "apps/v1 Deployment shop/web"
    formats::Value status;    // to write through /status after the create; null for none
    formats::Value object;    // stripped and re-linked, ready to send
    bool sent_again = false;  // the create was sent once more after the existing object vanished
  };
  Result<formats::Value> post(const Creating& c);
  bool exists(const Creating& c);
  bool send_create(Creating& c);
  bool controlled(const ownerref::ObjectKey& key) const;
  bool controller_conflict(const ownerref::ObjectKey& key, const Error& error) const;
  bool controller_acted(const Creating& c, const Error& error);
  bool on_existing(Creating& c);
  bool update_existing(Creating& c);
  bool recreate(Creating& c);
  void write_status(Creating& c);
  // A status write refused as invalid: counted as kept (policy.hpp's k_status_refused) and noted.
  void status_refused(const kube::ApiResource& resource, const std::string& label, const Error& error);
  void mapped(const Creating& c, const formats::Value& target_object);
  void failed(const kube::ApiResource& resource, const std::string& what, const Error& error);
  bool collected_by_target(const ownerref::ObjectKey& key, const Error& error) const;
  // What a patch asks of a graceful delete, with the deletion fields taken out of `body`.
  struct Deletion {
    bool send = false;                         // a DELETE is due (a start, or a shorter grace)
    std::optional<std::int64_t> grace_period;  // the recorded deletionGracePeriodSeconds
    std::string propagation = "Background";    // from the finalizers the DELETE added
  };
  Deletion take_deletion(formats::Value& body, formats::PatchType type, const ownerref::ObjectKey& key,
                         bool marked) const;
  bool delete_gracefully(const kube::ApiResource& resource, const formats::ResourcePatch& event,
                         const ownerref::ObjectKey& key, const Deletion& deletion);
  // POST pods/NAME/binding to `node`: how a recorded change of a Pod's spec.nodeName is replayed.
  Result<void> bind(const kube::ApiResource& resource, const formats::ResourcePatch& event,
                    const std::string& node);
  bool terminating(const ownerref::ObjectKey& key) const;
  bool owner_deleted(const ownerref::ObjectKey& key) const;
  void sleep(std::chrono::milliseconds duration);

  kube::Client& m_client;
  Catalog& m_catalog;
  ownerref::Relinker& m_relinker;
  Summary& m_summary;
  const ReplayOptions& m_options;
  std::shared_ptr<kube::Clock> m_clock;
  // For collected_by_target: each created object's owners (by key, as its references name them;
  // the child's namespace, or none for a cluster-scoped owner), and the objects this replay deleted.
  mutable std::mutex m_gc_mutex;
  std::unordered_map<ownerref::ObjectKey, std::vector<ownerref::ObjectKey>, ownerref::ObjectKeyHash> m_owners;
  std::unordered_set<ownerref::ObjectKey, ownerref::ObjectKeyHash> m_deleted;
  // Objects this replay deleted gracefully and whose final delete has not come, with the grace
  // period sent (nullopt: the target's default).
  std::unordered_map<ownerref::ObjectKey, std::optional<std::int64_t>, ownerref::ObjectKeyHash> m_terminating;
  // The objects created with a controller owner (policy.hpp's has_controller_owner), by key.
  std::unordered_set<ownerref::ObjectKey, ownerref::ObjectKeyHash> m_controlled;
};

// The summary's name of a served resource: "deployments.apps", "pods".
std::string counted_name(const kube::ApiResource& resource);

}  // namespace ktape::replayer
