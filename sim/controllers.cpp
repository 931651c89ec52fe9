// The controllers of kube-controller-manager that clients rely on: the owner-reference garbage
// collector and the namespace controller. One thread; each pass holds the store's lock.
#include <algorithm>

#include "formats/json.hpp"
#include "sim/object_util.hpp"
#include "sim/store.hpp"

namespace ktape::sim {

using formats::Value;

namespace {

// How often a Terminating namespace whose content is held by finalizers is looked at again.
constexpr auto k_namespace_retry = std::chrono::milliseconds(100);
// How long a deleted namespace stays Terminating at least: the real namespace controller's pass
// (discovery, then a deletecollection per resource) takes 5.3-5.4 s for a namespace holding a
// ConfigMap and a Secret (measured on ../shared/realk8s); clients (kubectl wait, tests) see the
// Terminating phase in between. 1.5 s was too short for `kubectl wait --for=delete` started right
// after the delete on a loaded machine: the namespace was gone before the wait began.
constexpr auto k_namespace_min_terminating = std::chrono::milliseconds(4000);

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::vector<std::string> without(std::vector<std::string> list, std::string_view item) {
  std::erase(list, std::string(item));
  return list;
}

}  // namespace

void Store::controller_loop() {
  for (;;) {
    std::deque<WorkItem> work;
    std::map<std::string, std::chrono::steady_clock::time_point> terminating;
    std::set<std::string> created, services;
    {
      std::unique_lock lock(m_work_mu);
      m_work_cv.wait_for(lock, k_namespace_retry, [&] {
        return m_stopping || !m_work.empty() || !m_new_namespaces.empty() || !m_changed_services.empty();
      });
      if (m_stopping) return;
      work.swap(m_work);
      created.swap(m_new_namespaces);
      services.swap(m_changed_services);
      terminating = m_terminating;
    }
    if (work.empty() && terminating.empty() && created.empty() && services.empty()) continue;
    {
      std::unique_lock lock(m_mu);
      if (m_options.content_controllers) {
        for (const std::string& ns : created) populate_namespace_locked(ns);
        for (const std::string& key : services) reconcile_endpoints_locked(key);
      }
      if (m_options.garbage_collector) {
        for (const WorkItem& item : work) gc_check_locked(item);
      }
      auto now = std::chrono::steady_clock::now();
      for (const auto& [ns, since] : terminating) {
        if (finalize_namespace_locked(ns, now - since >= k_namespace_min_terminating)) {
          std::lock_guard wl(m_work_mu);
          m_terminating.erase(ns);
        }
      }
    }
    notify();
  }
}

void Store::set_finalizers_locked(Storage& s, const EntryPtr& entry, std::vector<std::string> finalizers) {
  Value object = *formats::parse_json(*entry->json);
  Value& meta = detail::metadata_of(object);
  if (finalizers.empty()) {
    meta.erase("finalizers");
  } else {
    formats::Array list;
    for (auto& f : finalizers) list.emplace_back(std::move(f));
    meta.set("finalizers", std::move(list));
  }
  EntryPtr e = commit_put(s, std::move(object), EventType::modified, entry);
  if (e->deleting && e->finalizers.empty()) commit_remove(s, e);
}

void Store::gc_check_locked(const WorkItem& item) {
  Storage* s = storage_by_id(item.storage);
  auto it = s ? s->objects.find(item.key) : decltype(s->objects.end()){};
  if (!s || it == s->objects.end()) return;
  EntryPtr e = it->second;
  if (e->deleting && contains(e->finalizers, "orphan")) {
    for (auto& [sid, key] : dependents_of(e->uid)) {
      Storage* ds = storage_by_id(sid);
      auto dit = ds ? ds->objects.find(key) : decltype(ds->objects.end()){};
      if (!ds || dit == ds->objects.end()) continue;
      Value child = *formats::parse_json(*dit->second->json);
      if (Value* refs = child.at({"metadata", "ownerReferences"}); refs && refs->is_array()) {
        std::erase_if(refs->as_array(), [&](const Value& r) { return r.string_at({"uid"}) == e->uid; });
        if (refs->as_array().empty()) detail::metadata_of(child).erase("ownerReferences");
      }
      commit_put(*ds, std::move(child), EventType::modified, dit->second);
    }
    set_finalizers_locked(*s, e, without(e->finalizers, "orphan"));
    return;
  }
  if (e->deleting && contains(e->finalizers, "foregroundDeletion")) {
    bool blocked = false;
    for (auto& [sid, key] : dependents_of(e->uid)) {
      Storage* ds = storage_by_id(sid);
      auto dit = ds ? ds->objects.find(key) : decltype(ds->objects.end()){};
      if (!ds || dit == ds->objects.end()) continue;
      EntryPtr child = dit->second;
      bool blocks = std::any_of(child->owners.begin(), child->owners.end(),
                                [&](const OwnerRef& o) { return o.uid == e->uid && o.block; });
      if (!child->deleting)
        (void)remove_locked(*ds, key, blocks ? Propagation::foreground : Propagation::background);
      if (blocks && ds->objects.count(key)) blocked = true;
    }
    if (!blocked) set_finalizers_locked(*s, e, without(e->finalizers, "foregroundDeletion"));
    return;
  }
  if (e->owners.empty()) return;
  std::size_t absent = 0;
  for (const OwnerRef& owner : e->owners) {
    auto oit = m_by_uid.find(owner.uid);
    if (oit == m_by_uid.end()) {
      ++absent;
    } else if (Storage* os = storage_by_id(oit->second.first)) {
      // A foreground owner may be waiting on this dependent.
      auto owner = os->objects.find(oit->second.second);
      if (owner != os->objects.end() && owner->second->deleting) enqueue(os->id, owner->first);
    }
  }
  if (absent == e->owners.size() && !e->deleting) (void)remove_locked(*s, item.key, Propagation::background);
}

namespace {

// The CA bundle the root-ca-cert-publisher puts in every namespace: the simulated cluster's
// placeholder (it signs nothing; clients only check that the ConfigMap exists).
constexpr const char* k_root_ca =
    "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrdGFwZS1zaW11\n"
    "bGF0ZWQtY2x1c3Rlci1jYTAeFw0yNjAxMDEwMDAwMDBaFw0zNjAxMDEwMDAwMDBaMCMx\n-----END CERTIFICATE-----\n";

Value new_object(const char* kind, const std::string& ns, const char* name) {
  Value o = Value::object();
  o.set("apiVersion", "v1");
  o.set("kind", kind);
  Value& meta = o["metadata"];
  meta.set("name", name);
  meta.set("namespace", ns);
  meta.set("uid", detail::new_uid());
  meta.set("creationTimestamp", detail::now_rfc3339());
  return o;
}

Value condition(const char* type, bool status, const char* reason, const std::string& message) {
  Value c = Value::object();
  c.set("lastTransitionTime", detail::now_rfc3339());
  c.set("message", message);
  c.set("reason", reason);
  c.set("status", status ? "True" : "False");
  c.set("type", type);
  return c;
}

// "configmaps. has 1 resource instances, secrets. has 2 resource instances"
std::string counts(const std::map<std::string, std::size_t>& by, const char* what) {
  std::string out;
  for (const auto& [name, n] : by)
    out += (out.empty() ? "" : ", ") + name + what + std::to_string(n) + " resource instances";
  return out;
}

}  // namespace

void Store::populate_namespace_locked(const std::string& ns) {
  Storage& nss = *m_storages.at("/namespaces");
  auto it = nss.objects.find("/" + ns);
  if (it == nss.objects.end() || it->second->deleting) return;
  auto sas = m_storages.find("/serviceaccounts");
  if (sas != m_storages.end() && !sas->second->objects.count(ns + "/default"))
    commit_put(*sas->second, new_object("ServiceAccount", ns, "default"), EventType::added, nullptr);
  auto cms = m_storages.find("/configmaps");
  if (cms != m_storages.end() && !cms->second->objects.count(ns + "/kube-root-ca.crt")) {
    Value cm = new_object("ConfigMap", ns, "kube-root-ca.crt");
    cm["metadata"]["annotations"].set(
        "kubernetes.io/description",
        "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
        "such as the "
        "internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of "
        "Kubernetes clusters.");
    cm["data"].set("ca.crt", k_root_ca);
    commit_put(*cms->second, std::move(cm), EventType::added, nullptr);
  }
}

void Store::reconcile_endpoints_locked(const std::string& key) {
  auto svcs = m_storages.find("/services");
  auto eps = m_storages.find("/endpoints");
  auto slices = m_storages.find("discovery.k8s.io/endpointslices");
  if (svcs == m_storages.end() || eps == m_storages.end() || slices == m_storages.end()) return;
  auto svc = svcs->second->objects.find(key);
  auto ep = eps->second->objects.find(key);
  if (svc == svcs->second->objects.end()) {
    if (ep != eps->second->objects.end()) commit_remove(*eps->second, ep->second);
    return;
  }
  if (ep != eps->second->objects.end()) return;
  Value service = *formats::parse_json(*svc->second->json);
  const Value* selector = service.at({"spec", "selector"});
  if (!selector || !selector->is_object() || selector->size() == 0) return;
  std::string ns = svc->second->ns, name = svc->second->name, now = detail::now_rfc3339();
  Value endpoints = new_object("Endpoints", ns, name.c_str());
  if (const Value* labels = service.at({"metadata", "labels"})) endpoints["metadata"].set("labels", *labels);
  endpoints["metadata"]["annotations"].set("endpoints.kubernetes.io/last-change-trigger-time", now);
  commit_put(*eps->second, std::move(endpoints), EventType::added, nullptr);
  std::string slice_name = name + "-" + detail::random_suffix();
  Value slice = new_object("EndpointSlice", ns, slice_name.c_str());
  slice.set("apiVersion", "discovery.k8s.io/v1");
  Value& meta = slice["metadata"];
  meta.set("generateName", name + "-");
  meta.set("generation", 1);
  meta["annotations"].set("endpoints.kubernetes.io/last-change-trigger-time", now);
  Value labels = service.at({"metadata", "labels"}) ? *service.at({"metadata", "labels"}) : Value::object();
  labels.set("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io");
  labels.set("kubernetes.io/service-name", name);
  meta.set("labels", std::move(labels));
  Value owner = Value::object();
  owner.set("apiVersion", "v1");
  owner.set("blockOwnerDeletion", true);
  owner.set("controller", true);
  owner.set("kind", "Service");
  owner.set("name", name);
  owner.set("uid", svc->second->uid);
  meta.set("ownerReferences", formats::Array{owner});
  slice.set("addressType", "IPv4");
  slice.set("endpoints", nullptr);
  slice.set("ports", nullptr);
  commit_put(*slices->second, std::move(slice), EventType::added, nullptr);
}

void Store::set_namespace_conditions_locked(const std::string& ns,
                                            const std::map<std::string, std::size_t>& remaining,
                                            const std::map<std::string, std::size_t>& finalizers) {
  Storage& nss = *m_storages.at("/namespaces");
  auto it = nss.objects.find("/" + ns);
  if (it == nss.objects.end()) return;
  Value object = *formats::parse_json(*it->second->json);
  formats::Array conditions{
      condition("NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered",
                "All resources successfully discovered"),
      condition("NamespaceDeletionGroupVersionParsingFailure", false, "ParsedGroupVersions",
                "All legacy kube types successfully parsed"),
      condition("NamespaceDeletionContentFailure", false, "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization"),
      remaining.empty() ? condition("NamespaceContentRemaining", false, "ContentRemoved",
                                    "All content successfully removed")
                        : condition("NamespaceContentRemaining", true, "SomeResourcesRemain",
                                    "Some resources are remaining: " + counts(remaining, ". has ")),
      finalizers.empty() ? condition("NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers",
                                     "All content-preserving finalizers finished")
                         : condition("NamespaceFinalizersRemaining", true, "SomeFinalizersRemain",
                                     "Some content in the namespace has finalizers remaining: " +
                                         counts(finalizers, " in ")),
  };
  // Only a change of what the conditions say is written (their times would always differ).
  const Value* old = object.at({"status", "conditions"});
  if (old && old->is_array() && old->size() == conditions.size()) {
    bool same = true;
    for (std::size_t i = 0; i < conditions.size(); ++i)
      same = same && old->as_array()[i].string_at({"message"}) == conditions[i].string_at({"message"});
    if (same) return;
  }
  object["status"].set("conditions", std::move(conditions));
  commit_put(nss, std::move(object), EventType::modified, it->second);
}

bool Store::finalize_namespace_locked(const std::string& ns, bool may_remove) {
  std::size_t remaining = 0;
  std::map<std::string, std::size_t> by_resource, by_finalizer;
  std::string prefix = ns + "/";
  for (auto& [name, storage] : m_storages) {
    Storage& s = *storage;
    if (!s.info.namespaced) continue;
    std::vector<std::string> keys;
    for (auto it = s.objects.lower_bound(prefix); it != s.objects.end() && it->second->ns == ns; ++it)
      keys.push_back(it->first);
    for (const std::string& key : keys) {
      auto it = s.objects.find(key);
      if (it != s.objects.end() && !it->second->deleting)
        (void)remove_locked(s, key, Propagation::background);
      auto left = s.objects.find(key);
      if (left == s.objects.end()) continue;
      ++remaining;
      ++by_resource[s.info.resource + "." + s.info.group];
      for (const std::string& f : left->second->finalizers) ++by_finalizer[f];
    }
  }
  set_namespace_conditions_locked(ns, by_resource, by_finalizer);
  if (remaining > 0 || !may_remove) return false;
  Storage& nss = *m_storages.at("/namespaces");
  auto it = nss.objects.find("/" + ns);
  if (it != nss.objects.end()) commit_remove(nss, it->second);
  return true;
}

}  // namespace ktape::sim
