#include "replayer/applier.hpp"

#include <algorithm>
#include <thread>

#include "formats/patch.hpp"
#include "ownerref/refs.hpp"
#include "replayer/policy.hpp"

namespace ktape::replayer {

namespace {

constexpr int k_conflict_retries = 5;  // optimistic-concurrency retries before giving up
constexpr std::chrono::milliseconds k_poll{100};
constexpr std::chrono::seconds k_namespace_wait{3};  // a namespace recorded just after its objects

bool established(const formats::Value& crd) {
  const formats::Value* conditions = crd.at({"status", "conditions"});
  if (conditions == nullptr || !conditions->is_array()) return false;
  for (const auto& c : conditions->as_array())
    if (c.string_at({"type"}) == "Established" && c.string_at({"status"}) == "True") return true;
  return false;
}

bool already_exists(const Error& e) { return is_conflict(e) && e.reason == "AlreadyExists"; }

bool is_core(const kube::ApiResource& resource, std::string_view kind) {
  return resource.group.empty() && resource.kind == kind;
}

// What the target allocated to a created Service: "clusterIP 10.96.0.1, 10.96.0.2" (spec.clusterIPs,
// or its clusterIP) and ", nodePort 31081" for each port that has one.
std::string allocated(const formats::Value& service) {
  std::string out = "clusterIP ";
  const formats::Value* ips = service.at({"spec", "clusterIPs"});
  if (ips == nullptr || !ips->is_array()) out.append(service.string_at({"spec", "clusterIP"}));
  for (std::size_t i = 0; ips != nullptr && ips->is_array() && i < ips->size(); ++i)
    if (ips->as_array()[i].is_string()) out.append(i == 0 ? "" : ", ").append(ips->as_array()[i].as_string());
  const formats::Value* ports = service.at({"spec", "ports"});
  for (std::size_t i = 0; ports != nullptr && ports->is_array() && i < ports->size(); ++i)
    if (const formats::Value* port = ports->as_array()[i].find("nodePort");
        port != nullptr && port->as_int64())
      out.append(", nodePort ").append(std::to_string(*port->as_int64()));
  return out;
}

}  // namespace

std::string counted_name(const kube::ApiResource& resource) {
  return resource.group.empty() ? resource.resource : resource.resource + "." + resource.group;
}

Applier::Applier(kube::Client& client, Catalog& catalog, ownerref::Relinker& relinker, Summary& summary,
                 const ReplayOptions& options)
    : m_client(client),
      m_catalog(catalog),
      m_relinker(relinker),
      m_summary(summary),
      m_options(options),
      m_clock(options.clock ? options.clock : kube::make_system_clock()) {}

void Applier::sleep(std::chrono::milliseconds duration) { m_clock->sleep_for(duration); }

void Applier::failed(const kube::ApiResource& resource, const std::string& what, const Error& error) {
  m_summary.count(counted_name(resource), Outcome::failed);
  m_summary.error(what + ": " + error.message);
}

// The recorder stamps each resource's watch on its own, so a child's change can follow its
// owner's delete in the file by a few milliseconds; the target's garbage collector may then have
// removed the child already. A 404 for an object this replay created, that the recording has not
// deleted, and whose owner (or an owner of an owner) this replay deleted, is that: the change is
// skipped, not failed. Any other 404 stays an error.
bool Applier::collected_by_target(const ownerref::ObjectKey& key, const Error& error) const {
  return is_not_found(error) && m_relinker.current(key).has_value() && owner_deleted(key);
}

bool Applier::controlled(const ownerref::ObjectKey& key) const {
  std::lock_guard lock(m_gc_mutex);
  return m_controlled.count(key) > 0;
}

// Replaying everything into a target whose controllers run: a controller there may have replaced
// or changed an object it controls before the recorded change arrives (a ReplicaSet's Pods,
// deleted and made anew by the target's ReplicaSet controller). A 404 or 409 on an object with a
// controller owner is that: counted as a skip with its reason, not a failure.
bool Applier::controller_acted(const Creating& c, const Error& error) {
  auto key = ownerref::key_of(c.object);
  if (!key || !controller_conflict(*key, error)) return false;
  m_summary.skip(counted_name(c.resource), k_controller_first);
  return true;
}

bool Applier::controller_conflict(const ownerref::ObjectKey& key, const Error& error) const {
  return (is_not_found(error) || is_conflict(error)) && controlled(key);
}

bool Applier::owner_deleted(const ownerref::ObjectKey& key) const {
  constexpr std::size_t k_max_walk = 64;  // ownership chains are a few levels deep
  std::lock_guard lock(m_gc_mutex);
  std::vector<ownerref::ObjectKey> walk{key};
  for (std::size_t i = 0; i < walk.size() && walk.size() < k_max_walk; ++i) {
    auto it = m_owners.find(walk[i]);
    if (it == m_owners.end()) continue;
    for (const auto& owner : it->second) {
      ownerref::ObjectKey cluster_scoped{owner.group, owner.kind, "", owner.name};
      if (m_deleted.count(owner) || m_deleted.count(cluster_scoped)) return true;
      if (std::find(walk.begin(), walk.end(), owner) == walk.end()) walk.push_back(owner);
    }
  }
  return false;
}

void Applier::mapped(const Creating& c, const formats::Value& target_object) {
  auto key = ownerref::key_of(c.object);
  if (!key) return;
  m_relinker.record_created(*key, c.old_uid, ownerref::uid_of(target_object));
}

bool Applier::create(const kube::ApiResource& resource, formats::Value object) {
  Creating c{resource, {}, std::string(ownerref::uid_of(object)), {}, nullptr, {}};
  if (resource.namespaced) c.ns = std::string(object.string_at({"metadata", "namespace"}));
  c.label = describe(resource, c.ns, object.string_at({"metadata", "name"}));
  if (formats::Value* status = object.find("status")) {
    if (m_options.status == StatusMode::keep && resource.has_subresource("status")) c.status = *status;
    if (m_options.status == StatusMode::drop || resource.has_subresource("status")) object.erase("status");
  }
  strip_server_fields(object);
  if (m_options.drop_node_name && is_core(resource, "Pod")) drop_node_name(object);
  if (auto key = ownerref::key_of(object)) {
    std::lock_guard lock(m_gc_mutex);
    if (has_controller_owner(object))
      m_controlled.insert(*key);
    else
      m_controlled.erase(*key);
  }
  if (auto key = ownerref::key_of(object)) {
    std::vector<ownerref::ObjectKey> owners;
    for (const auto& ref : ownerref::owner_refs_of(object))
      owners.push_back({ownerref::group_of(ref.api_version), ref.kind, c.ns, ref.name});
    std::lock_guard lock(m_gc_mutex);
    if (owners.empty())
      m_owners.erase(*key);
    else
      m_owners.insert_or_assign(std::move(*key), std::move(owners));
  }
  auto rewrite = m_relinker.rewrite_object(object);
  if (!rewrite) {
    failed(resource, "create " + c.label, rewrite.error());
    return false;
  }
  for (const auto& ref : rewrite->dropped)
    m_summary.problem(c.label + ": owner " + ownerref::describe(ref) +
                      " resolves nowhere; reference dropped");
  for (const auto& ref : rewrite->kept)
    m_summary.problem(c.label + ": owner " + ownerref::describe(ref) + " resolves nowhere; reference kept");
  c.object = std::move(object);
  return send_create(c);
}

Result<formats::Value> Applier::post(const Creating& c) {
  // Only the new UID is read from the answer (the status write needs nothing from it), and a
  // Service's allocated ClusterIPs when the target refused the recorded ones.
  auto answer = is_core(c.resource, "Service") ? kube::Answer::object : kube::Answer::identity;
  auto created = m_client.create(c.resource, c.ns, c.object, answer);
  // The namespace may be a moment away: its create recorded just after this one (each resource's
  // watch is stamped on its own) is in flight. Bounded, so a namespace that never comes fails.
  auto deadline = m_clock->now() + k_namespace_wait;
  while (!created && is_not_found(created.error()) && !c.ns.empty() && m_clock->now() < deadline) {
    sleep(k_poll / 2);
    created = m_client.create(c.resource, c.ns, c.object, answer);
  }
  return created;
}

// True when the target holds an object of c's name: a create refused as "already allocated" was
// refused because the object is there in another form (the default/kubernetes Service).
bool Applier::exists(const Creating& c) {
  auto got = m_client.get(c.resource, c.ns, c.object.string_at({"metadata", "name"}));
  return got.has_value();
}

bool Applier::send_create(Creating& c) {
  auto created = post(c);
  std::string changed;  // what was taken out for the target, for the summary's note
  while (!created) {
    const Error& error = created.error();
    if (already_exists(error) || (already_allocated(error) && exists(c))) return on_existing(c);
    auto dropped =
        is_core(c.resource, "Service") ? drop_refused_service_values(c.object, error) : std::nullopt;
    if (!dropped) {
      if (controller_acted(c, error)) return false;
      failed(c.resource, "create " + c.label, error);
      return false;
    }
    changed.append(changed.empty() ? "" : "; ")
        .append(dropped->what)
        .append(" refused (")
        .append(error.message)
        .append(")");
    created = post(c);
  }
  if (!changed.empty()) {
    std::string line = c.label + ": " + changed + "; created with " + allocated(*created);
    m_summary.note(std::move(line));
  }
  mapped(c, *created);
  m_summary.count(counted_name(c.resource), Outcome::created);
  if (!c.status.is_null()) write_status(c);
  if (c.resource.kind == "CustomResourceDefinition")
    wait_established(c.object.string_at({"metadata", "name"}));
  return true;
}

bool Applier::on_existing(Creating& c) {
  switch (m_options.on_existing) {
    case OnExisting::update:
      return update_existing(c);
    case OnExisting::recreate:
      return recreate(c);
    case OnExisting::skip:
      break;
  }
  auto existing = m_client.get(c.resource, c.ns, c.object.string_at({"metadata", "name"}));
  if (!existing && is_not_found(existing.error()) && !c.sent_again) {
    // Deleted between the 409 and this read: the target's own controllers made it and removed it
    // (a Service's Endpoints as the replay deletes the Service). Nothing is in the way any more.
    c.sent_again = true;
    return send_create(c);
  }
  if (!existing) {
    failed(c.resource, "get existing " + c.label, existing.error());
    return false;
  }
  mapped(c, *existing);
  m_summary.count(counted_name(c.resource), Outcome::skipped);
  return true;
}

bool Applier::update_existing(Creating& c) {
  std::string name(c.object.string_at({"metadata", "name"}));
  for (int attempt = 0;; ++attempt) {
    auto existing = m_client.get(c.resource, c.ns, name);
    if (!existing) {
      failed(c.resource, "get existing " + c.label, existing.error());
      return false;
    }
    formats::Value object = c.object;
    object["metadata"].set("resourceVersion", existing->string_at({"metadata", "resourceVersion"}));
    auto updated = m_client.update(c.resource, c.ns, object, {}, kube::Answer::identity);
    if (updated) {
      mapped(c, *updated);
      m_summary.count(counted_name(c.resource), Outcome::patched);
      if (!c.status.is_null()) write_status(c);
      return true;
    }
    if (!is_conflict(updated.error()) || attempt >= k_conflict_retries) {
      failed(c.resource, "update existing " + c.label, updated.error());
      return false;
    }
  }
}

bool Applier::recreate(Creating& c) {
  std::string name(c.object.string_at({"metadata", "name"}));
  auto removed = m_client.remove(c.resource, c.ns, name, kube::DeleteOptions{"Background", {}, {}, {}});
  if (!removed && !is_not_found(removed.error())) {
    failed(c.resource, "delete existing " + c.label, removed.error());
    return false;
  }
  auto deadline = m_clock->now() + m_options.crd_established_timeout;
  while (true) {
    auto got = m_client.get(c.resource, c.ns, name);
    if (!got && is_not_found(got.error())) break;
    if (m_clock->now() >= deadline) {
      failed(c.resource, "recreate " + c.label,
             Error{ErrorKind::invalid, "the existing object is still there (finalizers?)", 0, {}});
      return false;
    }
    sleep(k_poll);
  }
  auto created = m_client.create(c.resource, c.ns, c.object, kube::Answer::identity);
  if (!created) {
    failed(c.resource, "recreate " + c.label, created.error());
    return false;
  }
  mapped(c, *created);
  m_summary.count(counted_name(c.resource), Outcome::created);
  if (!c.status.is_null()) write_status(c);
  return true;
}

// The recorded status replaces the target's whole status, as a PUT of the object with it would: a
// JSON patch that adds /status (add replaces an existing member). The body is the status alone, not
// the object, and with no resourceVersion to hold to there is no conflict to retry after a GET.
void Applier::status_refused(const kube::ApiResource& resource, const std::string& label,
                             const Error& error) {
  m_summary.skip(counted_name(resource), k_status_refused);
  m_summary.note(label + ": recorded status refused: " + error.message);
}

void Applier::write_status(Creating& c) {
  std::string name(c.object.string_at({"metadata", "name"}));
  formats::Value op = formats::Value::object();
  op.set("op", "add");
  op.set("path", "/status");
  op.set("value", std::move(c.status));
  formats::Value patch = formats::Value::array();
  patch.push_back(std::move(op));
  for (int attempt = 0;; ++attempt) {
    auto patched =
        m_client.patch(c.resource, c.ns, name, formats::PatchType::json, patch, "status", kube::Answer::none);
    if (patched) return;
    if (auto key = ownerref::key_of(c.object);
        key && (collected_by_target(*key, patched.error()) || controller_conflict(*key, patched.error())))
      return;
    if (patched.error().http_status == 422) return status_refused(c.resource, c.label, patched.error());
    if (!is_conflict(patched.error()) || attempt >= k_conflict_retries) {
      m_summary.error("write status of " + c.label + ": " + patched.error().message);
      return;
    }
  }
}

bool Applier::wait_established(std::string_view name) {
  static const kube::ApiResource k_crds{"apiextensions.k8s.io",
                                        "v1",
                                        "customresourcedefinitions",
                                        "CustomResourceDefinition",
                                        "customresourcedefinition",
                                        false,
                                        {},
                                        {},
                                        {},
                                        {"status"},
                                        true};
  auto deadline = m_clock->now() + m_options.crd_established_timeout;
  std::optional<kube::ApiResource> served;
  while (true) {
    auto crd = m_client.get(k_crds, "", name);
    if (crd) served = resource_of_crd(*crd);
    if (crd && established(*crd)) break;
    if (m_clock->now() >= deadline) {
      m_summary.error(
          "CustomResourceDefinition " + std::string(name) + " did not become Established within " +
          std::to_string(m_options.crd_established_timeout.count()) + " s; its custom resources will fail");
      return false;
    }
    sleep(k_poll);
  }
  // A real apiserver serves the resource in discovery a moment after Established (its discovery
  // cache is updated on its own): discover again until it is there, within the same bound.
  while (true) {
    if (auto refreshed = m_catalog.refresh(m_client); !refreshed) {
      m_summary.error("after CustomResourceDefinition " + std::string(name) + ": " +
                      refreshed.error().message);
      return false;
    }
    if (!served || m_catalog.find({served->group, served->version, served->resource})) return true;
    if (m_clock->now() >= deadline) {
      m_summary.error("CustomResourceDefinition " + std::string(name) +
                      " is Established but its resource is not in "
                      "the target's discovery within " +
                      std::to_string(m_options.crd_established_timeout.count()) + " s");
      return false;
    }
    sleep(k_poll);
  }
}

void Applier::patch(const kube::ApiResource& resource, const formats::ResourcePatch& event) {
  std::string label = describe(resource, event.namespace_name, event.name);
  auto type = formats::has_strategic_metadata(resource.api_version(), resource.kind)
                  ? formats::PatchType::strategic
                  : formats::PatchType::merge;
  ownerref::ObjectKey key{resource.group, resource.kind, resource.namespaced ? event.namespace_name : "",
                          event.name};
  formats::Value body = event.template_value;
  Deletion deletion = take_deletion(body, type, key, event.graceful_delete);
  // A Pod's node is set by a binding, never by a patch (the apiserver refuses that change):
  // the recorded scheduling is replayed as one, or left to the target's scheduler.
  std::string node = is_core(resource, "Pod") ? drop_node_name(body) : std::string();
  if (m_options.drop_node_name) node.clear();
  auto rewrite = m_relinker.rewrite_patch(type, body, resource.group, resource.kind);
  if (!rewrite) return failed(resource, "patch " + label, rewrite.error());
  formats::Value status;
  if (formats::Value* s = body.find("status"); s != nullptr && resource.has_subresource("status")) {
    if (m_options.status == StatusMode::keep) status = *s;
    body.erase("status");
  }
  auto not_applied = [&](const std::string& what, const Error& error) {
    if (collected_by_target(key, error) || (is_not_found(error) && terminating(key)))
      return m_summary.count(counted_name(resource), Outcome::skipped);
    if (controller_conflict(key, error)) return m_summary.skip(counted_name(resource), k_controller_first);
    failed(resource, what, error);
  };
  if (body.is_object() && body.size() > 0) {
    auto patched = m_client.patch(resource, event.namespace_name, event.name, type, body);
    if (!patched) return not_applied("patch " + label, patched.error());
  }
  if (!node.empty()) {
    if (auto bound = bind(resource, event, node); !bound) return not_applied("bind " + label, bound.error());
  }
  if (!status.is_null()) {
    formats::Value status_patch = formats::Value::object();
    status_patch.set("status", std::move(status));
    auto patched = m_client.patch(resource, event.namespace_name, event.name, type, status_patch, "status");
    if (!patched && patched.error().http_status == 422)
      return status_refused(resource, label, patched.error());
    if (!patched) return not_applied("patch status of " + label, patched.error());
  }
  if (deletion.send) {
    delete_gracefully(resource, event, key, deletion);
    return;
  }
  m_summary.count(counted_name(resource), Outcome::patched);
}

Result<void> Applier::bind(const kube::ApiResource& resource, const formats::ResourcePatch& event,
                           const std::string& node) {
  formats::Value binding = formats::Value::object();
  binding.set("apiVersion", "v1");
  binding.set("kind", "Binding");
  formats::Value metadata = formats::Value::object();
  metadata.set("name", event.name);
  metadata.set("namespace", event.namespace_name);
  binding.set("metadata", std::move(metadata));
  formats::Value target = formats::Value::object();
  target.set("apiVersion", "v1");
  target.set("kind", "Node");
  target.set("name", node);
  binding.set("target", std::move(target));
  auto posted = m_client.create_subresource(resource, event.namespace_name, event.name, "binding", binding,
                                            kube::Answer::none);
  // Bound to that node already: a replay run again over the same target.
  if (!posted && is_conflict(posted.error()) &&
      posted.error().message.find("already assigned to node \"" + node + "\"") != std::string::npos)
    return {};
  if (!posted) return tl::unexpected(posted.error());
  return {};
}

void Applier::remove(const kube::ApiResource& resource, const formats::ResourcePatch& event) {
  std::string label = describe(resource, event.namespace_name, event.name);
  ownerref::ObjectKey key{resource.group, resource.kind, resource.namespaced ? event.namespace_name : "",
                          event.name};
  std::optional<std::int64_t> grace;
  {
    std::lock_guard lock(m_gc_mutex);
    if (m_terminating.erase(key) > 0) grace = 0;  // deleted gracefully before: its grace period is over
  }
  auto removed = m_client.remove(resource, event.namespace_name, event.name,
                                 kube::DeleteOptions{"Background", grace, {}, {}});
  m_relinker.record_deleted(key);
  if (removed || is_not_found(removed.error())) {
    std::lock_guard lock(m_gc_mutex);
    m_deleted.insert(key);
  }
  if (!removed && controller_conflict(key, removed.error()) && !owner_deleted(key))
    return m_summary.skip(counted_name(resource), k_controller_first);
  if (!removed && is_not_found(removed.error()))
    return m_summary.count(counted_name(resource), Outcome::skipped);
  if (!removed) return failed(resource, "delete " + label, removed.error());
  m_summary.count(counted_name(resource), Outcome::deleted);
}

}  // namespace ktape::replayer
