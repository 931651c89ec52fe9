#pragma once
// What the replayer does to objects and resources: strips server-set fields before a create,
// matches label selectors and the replay's selection, and resolves a recording's resources
// against the target's discovery (kwok's naive plurals included).
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "formats/error.hpp"
#include "formats/label_selector.hpp"
#include "formats/recording.hpp"
#include "formats/value.hpp"
#include "kube/client.hpp"
#include "kube/discovery.hpp"
#include "kube/selection.hpp"
#include "replayer/options.hpp"

namespace ktape::replayer {

// Removes what the server sets on create: metadata uid, resourceVersion, creationTimestamp,
// generation, managedFields, selfLink, deletionTimestamp, deletionGracePeriodSeconds. Everything
// else (ownerReferences included: the Relinker rewrites them) is left as it is.
void strip_server_fields(formats::Value& object);

// Label selectors are formats/'s (shared with the simulated cluster).
using LabelSelector = formats::LabelSelector;

// The replay's selection: kube::SelectionMatcher (resources, namespace globs, labels) with the
// replay's own rules on top (Namespace objects by -n alone, CRDs always kept).
class Filter {
 public:
  // Names in `selection` resolve against `discovery`; an unknown name is a not_found Error naming
  // its flag and the name, a malformed -l an invalid Error.
  static Result<Filter> make(const kube::Selection& selection, const kube::Discovery& discovery);
  // True when an object of `resource` (namespace `ns`, labels from `object`, null for events
  // without an object) is to be replayed. Namespaces and CRDs that selected objects need are
  // always kept by the replayer itself.
  bool selected(const kube::ApiResource& resource, std::string_view ns, const formats::Value* object) const {
    return m_matcher.selected(resource, ns, object);
  }
  // The namespace filter alone (-n, --exclude-namespace): Namespace objects the replay creates for
  // what it selects pass this, not the resource filter.
  bool namespace_selected(std::string_view name) const { return m_matcher.namespace_selected(name); }
  // A snapshot object: Namespace objects by namespace_selected, CRDs always (the custom resources
  // selected need them), the rest by selected().
  bool snapshot_selected(const kube::ApiResource& resource, const formats::Value& object) const;
  // True when -l was given: patches and deletes then follow their object's create (LabelMemory).
  bool has_labels() const { return m_matcher.has_labels(); }

 private:
  explicit Filter(kube::SelectionMatcher matcher) : m_matcher(std::move(matcher)) {}
  kube::SelectionMatcher m_matcher;
};

// The objects whose create -l left out, by key (object_key), so that their patches and deletes
// are left out too: membership is decided at the create (snapshot object or create event) and
// kept until the object's delete, whatever its later patches do to its labels. Thread-safe.
class LabelMemory {
 public:
  // At a create: `selected` is what the filter said of the whole object.
  void created(const std::string& key, bool selected);
  // A patch or delete of `key`: false when its create was left out.
  bool selected(const std::string& key) const;
  // After a delete event: the name is free again.
  void deleted(const std::string& key);

 private:
  mutable std::mutex m_mutex;
  std::unordered_set<std::string> m_left_out;
};

// "group|Kind|namespace|name": one object's key in the event phase and LabelMemory.
std::string object_key(std::string_view group, std::string_view kind, std::string_view ns,
                       std::string_view name);

// The target's resources, refreshed after CRDs are created. Thread-safe.
class Catalog {
 public:
  explicit Catalog(kube::Discovery discovery) : m_discovery(std::move(discovery)) {}
  // The served resource of an event's group/version/resource. kwok's naive plural
  // ("endpointss") is corrected, and a custom resource's naive plural is matched by kind.
  // nullopt when the target does not serve it.
  std::optional<kube::ApiResource> find(const formats::GroupVersionResource& gvr) const;
  // The served resource of an object, by its apiVersion and kind; nullopt when not served.
  std::optional<kube::ApiResource> find_object(const formats::Value& object) const;
  // Discovers again (after a CRD became Established).
  Result<void> refresh(kube::Client& client);
  kube::Discovery discovery() const;

 private:
  mutable std::mutex m_mutex;
  kube::Discovery m_discovery;
};

// "apps/v1 Deployment shop/web" for messages.
std::string describe(const kube::ApiResource& resource, std::string_view ns, std::string_view name);
// The resource's name in summaries: "deployments.apps", "pods".
std::string resource_label(const formats::GroupVersionResource& gvr);

// A CRD's served resource (group, plural, kind, scope) at its first served version, or nullopt
// when `object` is not a CustomResourceDefinition.
std::optional<kube::ApiResource> resource_of_crd(const formats::Value& object);

}  // namespace ktape::replayer
