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
    std::set<std::string> terminating;
    {
      std::unique_lock lock(m_work_mu);
      m_work_cv.wait_for(lock, k_namespace_retry, [&] { return m_stopping || !m_work.empty(); });
      if (m_stopping) return;
      work.swap(m_work);
      terminating = m_terminating;
    }
    if (work.empty() && terminating.empty()) continue;
    {
      std::unique_lock lock(m_mu);
      if (m_options.garbage_collector) {
        for (const WorkItem& item : work) gc_check_locked(item);
      }
      for (const std::string& ns : terminating) {
        if (finalize_namespace_locked(ns)) {
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

bool Store::finalize_namespace_locked(const std::string& ns) {
  std::size_t remaining = 0;
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
      if (s.objects.count(key)) ++remaining;
    }
  }
  if (remaining > 0) return false;
  Storage& nss = *m_storages.at("/namespaces");
  auto it = nss.objects.find("/" + ns);
  if (it != nss.objects.end()) commit_remove(nss, it->second);
  return true;
}

}  // namespace ktape::sim
