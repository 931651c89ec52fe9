// The Store's writes: create, modify (update and patch), delete, and what CRDs add and remove.
#include <algorithm>

#include "formats/json.hpp"
#include "sim/object_util.hpp"
#include "sim/store.hpp"
#include "sim/strategy.hpp"

namespace ktape::sim {

using formats::Value;

namespace {

bool is_namespaces(const ResourceInfo& info) { return info.group.empty() && info.resource == "namespaces"; }
bool is_crds(const ResourceInfo& info) {
  return info.group == "apiextensions.k8s.io" && info.resource == "customresourcedefinitions";
}

// Namespaces and services are DNS labels; everything else a DNS subdomain.
std::optional<std::string> check_name(const ResourceInfo& info, std::string_view name) {
  bool label = info.group.empty() && (info.resource == "namespaces" || info.resource == "services");
  return label ? check_dns1123_label(name) : check_dns1123_subdomain(name);
}

Value condition(std::string_view type, std::string_view reason, std::string_view message,
                const std::string& now) {
  Value c = Value::object();
  c.set("type", type);
  c.set("status", "True");
  c.set("lastTransitionTime", now);
  c.set("reason", reason);
  c.set("message", message);
  return c;
}

// What the apiextensions controllers write once a CRD's names are accepted and it is served.
void set_crd_status(Value& crd) {
  std::string now = detail::now_rfc3339();
  Value status = Value::object();
  status.set("conditions",
             formats::Array{condition("NamesAccepted", "NoConflicts", "no conflicts found", now),
                            condition("Established", "InitialNamesAccepted",
                                      "the initial names have been accepted", now)});
  if (const Value* names = crd.at({"spec", "names"})) status.set("acceptedNames", *names);
  Value stored = Value::array();
  if (const Value* versions = crd.at({"spec", "versions"}); versions && versions->is_array()) {
    for (const Value& v : versions->as_array()) {
      const Value* storage = v.find("storage");
      if (storage && storage->is_bool() && storage->as_bool()) stored.push_back(v.string_at({"name"}));
    }
  }
  status.set("storedVersions", stored);
  crd.set("status", status);
}

// The object without metadata and status: what a generation counts changes of.
Value spec_part(const Value& object) {
  Value v = object;
  v.erase("metadata");
  v.erase("status");
  return v;
}

ApiResult<void> prepare_new(const ResourceInfo& info, Value& object) {
  std::string name = detail::metadata_string(object, "name");
  if (name.empty() && detail::metadata_string(object, "generateName").empty())
    return tl::unexpected(err_invalid(info.kind, "", "metadata.name",
                                      "Required value: name or generateName is required",
                                      "FieldValueRequired"));
  if (!name.empty()) {
    if (auto bad = check_name(info, name))
      return tl::unexpected(err_invalid(info.kind, name, "metadata.name", *bad));
  }
  Value& meta = detail::metadata_of(object);
  meta.set("uid", detail::new_uid());
  meta.set("creationTimestamp", detail::now_rfc3339());
  for (auto field : {"deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion", "selfLink"})
    meta.erase(field);
  if (uses_generation(info)) {
    meta.set("generation", 1);
  } else {
    meta.erase("generation");
  }
  if (is_namespaces(info)) {
    meta["labels"].set("kubernetes.io/metadata.name", name);
    object["spec"].set("finalizers", formats::Array{Value("kubernetes")});
    object["status"] = Value::object();
    object["status"].set("phase", "Active");
  } else if (info.has_status && !is_crds(info)) {
    object.erase("status");
    if (info.group.empty() && info.resource == "pods") object["status"].set("phase", "Pending");
  }
  return {};
}

}  // namespace

ApiResult<EntryPtr> Store::create(const ResourceInfo& info, const std::string& ns, Value object,
                                  DryRun dry_run, const Admit& admit) {
  if (!object.is_object()) return tl::unexpected(err_bad_request("the object provided is not a JSON object"));
  if (auto ok = prepare_new(info, object); !ok) return tl::unexpected(ok.error());
  // The name is generated and the namespace set before admission, as the real server does.
  Value& meta = detail::metadata_of(object);
  const bool generated = detail::metadata_string(object, "name").empty();
  const std::string prefix = generated ? detail::metadata_string(object, "generateName") : "";
  if (generated) meta.set("name", prefix + detail::random_suffix());
  if (info.namespaced) {
    meta.set("namespace", ns);
  } else {
    meta.erase("namespace");
  }
  if (admit) {
    if (auto ok = admit(object); !ok) return tl::unexpected(ok.error());
  }
  if (is_crds(info)) {
    auto served = resources_from_crd(object);
    if (!served)
      return tl::unexpected(
          err_invalid(info.kind, detail::metadata_string(object, "name"), "spec", served.error().message));
    set_crd_status(object);
  }
  // Everything but the checks against the stored state happens before the lock is taken: the
  // object is serialized once, with a hole for its resourceVersion.
  const std::string key_ns = info.namespaced ? ns : "";
  for (;;) {
    std::string name = detail::metadata_string(object, "name");
    Prepared p = prepare(object);
    std::unique_lock lock(m_mu);
    Storage* s = storage_locked(info);
    if (!s) return tl::unexpected(err_unknown_resource());
    if (info.namespaced) {
      Storage* nss = m_storages.at("/namespaces").get();
      auto it = nss->objects.find("/" + ns);
      if (it == nss->objects.end()) return tl::unexpected(err_not_found("namespaces", ns));
      if (it->second->deleting) return tl::unexpected(err_namespace_terminating(info.resource, name, ns));
    }
    if (s->objects.count(std::string(key_ns).append("/").append(name))) {
      if (generated) {  // a generated name that is taken: another one
        detail::metadata_of(object).set("name", prefix + detail::random_suffix());
        continue;
      }
      return tl::unexpected(err_already_exists(info.resource, name));
    }
    if (dry_run == DryRun::yes) return preview(std::move(object), 0);
    EntryPtr e = commit_prepared(*s, std::move(p), EventType::added, nullptr);
    if (is_crds(info)) register_crd_locked(*formats::parse_json(*e->json));
    if (is_namespaces(info) || (info.group.empty() && info.resource == "services")) {
      std::lock_guard work(m_work_mu);
      (is_namespaces(info) ? m_new_namespaces : m_changed_services)
          .insert(is_namespaces(info) ? name : e->key());
      m_work_cv.notify_one();
    }
    lock.unlock();
    notify();
    return e;
  }
}

ApiResult<EntryPtr> Store::modify(const ResourceInfo& info, const std::string& ns, const std::string& name,
                                  Subresource sub, const Mutator& mutate, DryRun dry_run) {
  std::unique_lock lock(m_mu);
  Storage* s = storage_locked(info);
  auto it = s ? s->objects.find((info.namespaced ? ns : "") + "/" + name) : decltype(s->objects.end()){};
  if (!s || it == s->objects.end()) return tl::unexpected(err_not_found(info.resource, name));
  auto result = modify_locked(*s, it->second, sub, mutate, dry_run);
  lock.unlock();
  notify();
  return result;
}

ApiResult<EntryPtr> Store::modify_locked(Storage& s, const EntryPtr& current, Subresource sub,
                                         const Mutator& mutate, DryRun dry_run) {
  const ResourceInfo& info = s.info;
  auto cur = formats::parse_json(*current->json);
  if (!cur) return tl::unexpected(err_internal("stored object unreadable: " + cur.error().message));
  auto next = mutate(*cur);
  if (!next) return tl::unexpected(next.error());
  if (!next->is_object()) return tl::unexpected(err_bad_request("the object provided is not a JSON object"));
  std::string rv = detail::metadata_string(*next, "resourceVersion");
  if (!rv.empty() && rv != std::to_string(current->rv))
    return tl::unexpected(err_conflict(info.resource, current->name));
  Value result = sub == Subresource::status ? *cur : *next;
  if (sub == Subresource::status) {
    if (const Value* st = next->find("status")) result.set("status", *st);
    // managedFields record the status write too (Api tracks them on `next`)
    if (const Value* managed = next->at({"metadata", "managedFields"}))
      detail::metadata_of(result).set("managedFields", *managed);
  } else if (info.has_status && sub == Subresource::main) {
    if (const Value* st = cur->find("status")) {
      result.set("status", *st);
    } else {
      result.erase("status");
    }
  }
  Value& meta = detail::metadata_of(result);
  const Value& old_meta = *cur->find("metadata");
  for (auto field : {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                     "deletionGracePeriodSeconds", "generation"}) {
    if (const Value* v = old_meta.find(field)) {
      meta.set(field, *v);
    } else {
      meta.erase(field);
    }
  }
  meta.set("resourceVersion", std::to_string(current->rv));
  if (uses_generation(info) && spec_part(result) != spec_part(*cur))
    meta.set("generation", old_meta.find("generation") ? *old_meta.find("generation")->as_int64() + 1 : 1);
  if (result == *cur) return current;
  if (is_crds(info)) {
    if (!resources_from_crd(result))
      return tl::unexpected(err_invalid(info.kind, current->name, "spec", "invalid"));
  }
  if (dry_run == DryRun::yes) return preview(std::move(result), current->rv);
  EntryPtr e = commit_put(s, std::move(result), EventType::modified, current);
  if (is_crds(info)) register_crd_locked(*formats::parse_json(*e->json));
  if (e->deleting && e->finalizers.empty() && !is_namespaces(info)) commit_remove(s, e);
  return e;
}

ApiResult<DeleteOutcome> Store::remove(const ResourceInfo& info, const std::string& ns,
                                       const std::string& name, const DeleteRequest& request) {
  std::unique_lock lock(m_mu);
  Storage* s = storage_locked(info);
  std::string key = (info.namespaced ? ns : "") + "/" + name;
  auto it = s ? s->objects.find(key) : decltype(s->objects.end()){};
  if (!s || it == s->objects.end()) return tl::unexpected(err_not_found(info.resource, name));
  if ((!request.precondition_uid.empty() && request.precondition_uid != it->second->uid) ||
      (!request.precondition_rv.empty() && request.precondition_rv != std::to_string(it->second->rv)))
    return tl::unexpected(err_conflict(info.resource, name));
  auto result = remove_locked(*s, key, request.propagation, request.dry_run);
  lock.unlock();
  notify();
  return result;
}

ApiResult<DeleteOutcome> Store::remove_locked(Storage& s, const std::string& key, Propagation propagation,
                                              DryRun dry_run) {
  auto it = s.objects.find(key);
  if (it == s.objects.end())
    return tl::unexpected(err_not_found(s.info.resource, key.substr(key.find('/') + 1)));
  EntryPtr entry = it->second;
  if (entry->deleting) return DeleteOutcome{entry, false};
  std::vector<std::string> finalizers = entry->finalizers;
  auto add = [&](const char* f) {
    if (std::find(finalizers.begin(), finalizers.end(), f) == finalizers.end()) finalizers.push_back(f);
  };
  if (m_options.garbage_collector && propagation == Propagation::foreground) add("foregroundDeletion");
  if (m_options.garbage_collector && propagation == Propagation::orphan) add("orphan");
  const bool dry = dry_run == DryRun::yes;
  if (finalizers.empty() && !is_namespaces(s.info))
    return DeleteOutcome{dry ? entry : commit_remove(s, entry), true};
  Value object = *formats::parse_json(*entry->json);
  Value& meta = detail::metadata_of(object);
  meta.set("deletionTimestamp", detail::now_rfc3339());
  if (!is_namespaces(s.info)) meta.set("deletionGracePeriodSeconds", 0);
  if (is_namespaces(s.info)) {
    object["status"].set("phase", "Terminating");
  } else {
    formats::Array list;
    for (const auto& f : finalizers) list.emplace_back(f);
    meta.set("finalizers", std::move(list));
  }
  if (dry) return DeleteOutcome{preview(std::move(object), entry->rv), false};
  if (is_namespaces(s.info)) {
    std::lock_guard lock(m_work_mu);
    m_terminating.emplace(entry->name, std::chrono::steady_clock::now());
  }
  EntryPtr e = commit_put(s, std::move(object), EventType::modified, entry);
  if (propagation == Propagation::foreground) enqueue_dependents(e->uid);
  m_work_cv.notify_one();
  return DeleteOutcome{e, false};
}

void Store::register_crd_locked(const Value& crd) {
  auto infos = resources_from_crd(crd);
  if (!infos || infos->empty()) return;
  const ResourceInfo& first = infos->front();
  std::erase_if(m_served, [&](const ResourceInfo& r) {
    return r.group == first.group && r.resource == first.resource;
  });
  for (const ResourceInfo& info : *infos) m_served.push_back(info);
  publish_served_locked();
  auto& slot = m_storages[first.group + "/" + first.resource];
  if (!slot) {
    slot = std::make_unique<Storage>();
    slot->id = m_next_storage_id++;
    slot->info = first;
  }
}

void Store::unregister_crd_locked(const Value& crd) {
  std::string group(crd.string_at({"spec", "group"}));
  std::string plural(crd.string_at({"spec", "names", "plural"}));
  std::erase_if(m_served, [&](const ResourceInfo& r) { return r.group == group && r.resource == plural; });
  publish_served_locked();
  auto it = m_storages.find(group + "/" + plural);
  if (it == m_storages.end()) return;
  std::unique_ptr<Storage> storage = std::move(it->second);
  m_storages.erase(it);
  while (!storage->objects.empty()) commit_remove(*storage, storage->objects.begin()->second);
}

}  // namespace ktape::sim
