#include "sim/store.hpp"

#include <algorithm>
#include <charconv>

#include "formats/json.hpp"
#include "sim/object_util.hpp"

namespace ktape::sim {

using formats::Value;

namespace {

// kind and apiVersion first, as the real server serializes objects: a LIST of a built-in resource
// then drops them from its items by skipping a known prefix (Api::list).
void put_type_first(Value& object) {
  if (!object.is_object()) return;
  formats::Object& members = object.as_object();
  std::size_t front = 0;
  for (std::string_view key : {"kind", "apiVersion"}) {
    auto it = std::find_if(members.begin() + static_cast<std::ptrdiff_t>(front), members.end(),
                           [&](const formats::Member& m) { return m.key == key; });
    if (it == members.end()) continue;
    std::rotate(members.begin() + static_cast<std::ptrdiff_t>(front), it, it + 1);
    ++front;
  }
}

// Paginated lists keep this many snapshots; an older continue token is answered 410 Expired.
constexpr std::size_t k_max_snapshots = 32;

std::string storage_key(std::string_view group, std::string_view resource) {
  return std::string(group) + "/" + std::string(resource);
}

bool is_crds(const ResourceInfo& info) {
  return info.group == "apiextensions.k8s.io" && info.resource == "customresourcedefinitions";
}

// The fields the store indexes; ns, name and uid from metadata.
std::shared_ptr<Entry> make_entry(const Value& object) {
  auto e = std::make_shared<Entry>();
  e->ns = detail::metadata_string(object, "namespace");
  e->name = detail::metadata_string(object, "name");
  e->uid = detail::metadata_string(object, "uid");
  if (const Value* labels = object.at({"metadata", "labels"}); labels && labels->is_object()) {
    for (const auto& m : labels->as_object()) {
      e->labels.emplace_back(m.key, m.value.is_string() ? m.value.as_string() : formats::to_json(m.value));
    }
  }
  if (const Value* refs = object.at({"metadata", "ownerReferences"}); refs && refs->is_array()) {
    for (const Value& r : refs->as_array()) {
      const Value* block = r.find("blockOwnerDeletion");
      e->owners.push_back({std::string(r.string_at({"uid"})), block && block->is_bool() && block->as_bool()});
    }
  }
  if (const Value* fins = object.at({"metadata", "finalizers"}); fins && fins->is_array()) {
    for (const Value& f : fins->as_array()) {
      if (f.is_string()) e->finalizers.push_back(f.as_string());
    }
  }
  e->deleting = object.at({"metadata", "deletionTimestamp"}) != nullptr &&
                !object.at({"metadata", "deletionTimestamp"})->is_null();
  return e;
}

// Appends the members of `object` as formats::to_json writes them; `inner(key, value)` may write
// a member's value itself (returning true) instead.
template <class Inner>
void append_members(std::string& out, const Value& object, Inner&& inner) {
  out += '{';
  bool first = true;
  for (const formats::Member& m : object.as_object()) {
    if (!first) out += ',';
    first = false;
    formats::append_json_string(out, m.key);
    out += ':';
    if (!inner(m.key, m.value)) formats::append_json(out, m.value);
  }
  out += '}';
}

// Compact JSON of `object` (as formats::to_json) whose first metadata.resourceVersion is the
// empty string; returns the offset between that string's quotes.
std::size_t append_with_rv_hole(std::string& out, const Value& object) {
  std::size_t hole = std::string::npos;
  bool in_meta = false;
  append_members(out, object, [&](const std::string& key, const Value& meta) {
    if (in_meta || key != "metadata" || !meta.is_object()) return false;
    in_meta = true;
    append_members(out, meta, [&](const std::string& field, const Value&) {
      if (hole != std::string::npos || field != "resourceVersion") return false;
      out += "\"\"";
      hole = out.size() - 1;
      return true;
    });
    return true;
  });
  return hole;
}

std::string field_value(const Entry& entry, const std::string& path) {
  if (path == "metadata.name") return entry.name;
  if (path == "metadata.namespace") return entry.ns;
  auto parsed = formats::parse_json(*entry.json);
  if (!parsed) return {};
  const Value* v = &*parsed;
  std::size_t start = 0;
  while (v && start <= path.size()) {
    std::size_t dot = path.find('.', start);
    if (dot == std::string::npos) dot = path.size();
    v = v->find(std::string_view(path).substr(start, dot - start));
    start = dot + 1;
  }
  if (!v || v->is_null()) return {};
  if (v->is_string()) return v->as_string();
  if (v->is_number()) return v->number_text();
  if (v->is_bool()) return v->as_bool() ? "true" : "false";
  return formats::to_json(*v);
}

std::vector<std::string> default_namespaces() { return {"default", "kube-system", "kube-public"}; }

}  // namespace

std::string_view event_type_name(EventType type) {
  switch (type) {
    case EventType::added:
      return "ADDED";
    case EventType::modified:
      return "MODIFIED";
    case EventType::deleted:
      return "DELETED";
  }
  return "ERROR";
}

bool ListFilter::matches(const Entry& entry) const {
  if (!ns.empty() && entry.ns != ns) return false;
  if (!labels.matches(entry.labels)) return false;
  for (const auto& r : fields.requirements()) {
    if ((field_value(entry, r.path) == r.value) != r.equals) return false;
  }
  return true;
}

Store::Store(StoreOptions options) : m_options(options) {
  for (const ResourceInfo& info : builtin_resources()) {
    m_served.push_back(info);
    auto& slot = m_storages[storage_key(info.group, info.resource)];
    if (!slot) {
      slot = std::make_unique<Storage>();
      slot->id = m_next_storage_id++;
      slot->info = info;
    }
  }
  publish_served_locked();
}

Store::~Store() { stop(); }

void Store::start_controllers() {
  m_controller = std::thread([this] { controller_loop(); });
}

void Store::stop() {
  {
    std::lock_guard lock(m_work_mu);
    m_stopping = true;
  }
  m_work_cv.notify_all();
  if (m_controller.joinable()) m_controller.join();
  m_stopped = true;
  { std::unique_lock lock(m_mu); }
  m_cv.notify_all();
}

void Store::notify() { m_cv.notify_all(); }

void Store::ensure_system_namespaces() {
  auto info = find_resource("", "v1", "namespaces");
  for (const std::string& name : default_namespaces()) {
    Value ns = Value::object();
    ns.set("apiVersion", "v1");
    ns.set("kind", "Namespace");
    detail::metadata_of(ns).set("name", name);
    (void)create(*info, "", std::move(ns));
  }
}

std::vector<ResourceInfo> Store::served() const {
  std::shared_lock lock(m_mu);
  return m_served;
}

ResourcePtr Store::find_resource(std::string_view group, std::string_view version,
                                 std::string_view resource) const {
  std::shared_ptr<const std::vector<ResourcePtr>> index;
  {
    std::lock_guard lock(m_index_mu);
    index = m_served_index;
  }
  for (const ResourcePtr& info : *index) {
    if (info->resource == resource && info->version == version && info->group == group) return info;
  }
  return nullptr;
}

void Store::publish_served_locked() {
  auto index = std::make_shared<std::vector<ResourcePtr>>();
  index->reserve(m_served.size());
  for (const ResourceInfo& info : m_served) index->push_back(std::make_shared<const ResourceInfo>(info));
  std::lock_guard lock(m_index_mu);
  m_served_index = std::move(index);
}

Store::Storage* Store::storage_locked(const ResourceInfo& info) const {
  auto it = m_storages.find(storage_key(info.group, info.resource));
  return it == m_storages.end() ? nullptr : it->second.get();
}

Store::Storage* Store::storage_by_id(int id) const {
  for (const auto& [key, s] : m_storages) {
    if (s->id == id) return s.get();
  }
  return nullptr;
}

std::uint64_t Store::current_rv() const {
  std::shared_lock lock(m_mu);
  return m_rv;
}

std::size_t Store::object_count() const {
  std::shared_lock lock(m_mu);
  std::size_t n = 0;
  for (const auto& [key, s] : m_storages) n += s->objects.size();
  return n;
}

ApiResult<EntryPtr> Store::get(const ResourceInfo& info, const std::string& ns,
                               const std::string& name) const {
  std::shared_lock lock(m_mu);
  Storage* s = storage_locked(info);
  auto it = s ? s->objects.find(ns + "/" + name) : decltype(s->objects.end()){};
  if (!s || it == s->objects.end()) return tl::unexpected(err_not_found(info.resource, name));
  return it->second;
}

ApiResult<ListPage> Store::list(const ResourceInfo& info, const ListFilter& filter, std::size_t limit,
                                const std::string& continue_token) {
  ListPage page;
  std::shared_ptr<const std::vector<EntryPtr>> items;
  std::size_t offset = 0;
  if (!continue_token.empty()) {
    auto text = detail::base64url_decode(continue_token);
    auto token = text ? formats::parse_json(*text) : Result<Value>(fail(ErrorKind::parse, "not base64"));
    if (!token || !token->find("snap") || !token->find("off"))
      return tl::unexpected(
          err_bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                          "(version meta.k8s.io/v1)"));
    std::unique_lock lock(m_mu);
    auto it = m_snapshots.find(static_cast<std::uint64_t>(token->find("snap")->as_int64().value_or(0)));
    if (it == m_snapshots.end())
      return tl::unexpected(err_expired(
          "The provided continue parameter is too old to display a consistent list result. You can start a "
          "new list without the continue parameter, or use the continue token in this response to retrieve "
          "the remainder of the results. Continuing with the provided token results in an inconsistent list "
          "- objects that were created, modified, or deleted between the time the first chunk was returned "
          "and now may show up in the list."));
    items = it->second.items;
    page.rv = it->second.rv;
    offset = static_cast<std::size_t>(token->find("off")->as_int64().value_or(0));
  } else {
    std::shared_lock lock(m_mu);
    auto all = std::make_shared<std::vector<EntryPtr>>();
    if (Storage* s = storage_locked(info)) {
      auto it = filter.ns.empty() ? s->objects.begin() : s->objects.lower_bound(filter.ns + "/");
      for (; it != s->objects.end(); ++it) {
        if (!filter.ns.empty() && it->second->ns != filter.ns) break;
        if (filter.matches(*it->second)) all->push_back(it->second);
      }
    }
    page.rv = m_rv;
    items = std::move(all);
  }
  std::size_t end = limit == 0 ? items->size() : std::min(items->size(), offset + limit);
  page.items.assign(items->begin() + static_cast<std::ptrdiff_t>(std::min(offset, items->size())),
                    items->begin() + static_cast<std::ptrdiff_t>(end));
  if (end < items->size()) {
    std::uint64_t id = 0;
    {
      std::unique_lock lock(m_mu);
      if (continue_token.empty()) {
        id = m_next_snapshot++;
        m_snapshots[id] = Snapshot{page.rv, items};
        while (m_snapshots.size() > k_max_snapshots) m_snapshots.erase(m_snapshots.begin());
      } else {
        id = static_cast<std::uint64_t>(formats::parse_json(*detail::base64url_decode(continue_token))
                                            ->find("snap")
                                            ->as_int64()
                                            .value_or(0));
      }
    }
    Value token = Value::object();
    token.set("v", "meta.k8s.io/v1");
    token.set("rv", static_cast<std::uint64_t>(page.rv));
    token.set("start", items->at(end)->key() + std::string(1, '\0'));
    token.set("snap", id);
    token.set("off", static_cast<std::uint64_t>(end));
    page.continue_token = detail::base64url_encode(formats::to_json(token));
    if (filter.labels.empty() && filter.fields.empty()) page.remaining = items->size() - end;
  }
  return page;
}

Store::Prepared Store::prepare(Value& object) {
  // The text is written into a buffer each thread reuses, then copied to a string of its exact
  // size plus room for the digits: no doubling on the way, no slack kept for the object's life.
  constexpr std::size_t k_rv_digits = 20;                           // std::uint64_t's most
  constexpr std::size_t k_scratch_kept = std::size_t{1024} * 1024;  // a larger buffer is freed after use
  thread_local std::string scratch;
  detail::metadata_of(object).set("resourceVersion", "");
  put_type_first(object);
  Prepared p;
  p.entry = make_entry(object);
  scratch.clear();
  p.rv_at = append_with_rv_hole(scratch, object);
  p.json = std::make_shared<std::string>();
  p.json->reserve(scratch.size() + k_rv_digits);
  p.json->append(scratch);
  if (scratch.capacity() > k_scratch_kept) std::string().swap(scratch);
  return p;
}

EntryPtr Store::preview(Value object, std::uint64_t rv) {
  Value& meta = detail::metadata_of(object);
  if (rv) {
    meta.set("resourceVersion", std::to_string(rv));
  } else {
    meta.erase("resourceVersion");
  }
  auto e = make_entry(object);
  e->rv = rv;
  e->json = std::make_shared<const std::string>(formats::to_json(object));
  return e;
}

// `prev` is taken by value here and below: callers pass the map slot that the commit overwrites or
// erases, so a reference would change under the commit.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
EntryPtr Store::commit_put(Storage& s, Value object, EventType type, EntryPtr prev) {
  return commit_prepared(s, prepare(object), type, std::move(prev));
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): see commit_put
EntryPtr Store::commit_prepared(Storage& s, Prepared p, EventType type, EntryPtr prev) {
  ++m_rv;
  char digits[24];
  char* end = std::to_chars(digits, digits + sizeof digits, m_rv).ptr;
  p.json->insert(p.rv_at, digits, static_cast<std::size_t>(end - digits));
  p.entry->rv = m_rv;
  p.entry->json = std::move(p.json);
  EntryPtr e = std::move(p.entry);
  std::string key = e->key();
  s.objects[key] = e;
  if (prev) index_owners(prev, s.id, false);
  index_owners(e, s.id, true);
  m_by_uid[e->uid] = {s.id, key};
  m_events.push_back(Event{m_rv, s.id, type, e, prev});
  while (m_events.size() > m_options.watch_history) {
    m_events.pop_front();
    ++m_first_rv;
  }
  if (!e->owners.empty() || e->deleting) enqueue(s.id, key);
  return e;
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): see commit_put
EntryPtr Store::commit_remove(Storage& s, EntryPtr prev) {
  ++m_rv;
  auto object = formats::parse_json(*prev->json);
  auto gone = std::make_shared<Entry>(*prev);
  if (object) {
    detail::metadata_of(*object).set("resourceVersion", std::to_string(m_rv));
    gone->json = std::make_shared<const std::string>(formats::to_json(*object));
  }
  gone->rv = m_rv;
  s.objects.erase(prev->key());
  m_by_uid.erase(prev->uid);
  index_owners(prev, s.id, false);
  m_events.push_back(Event{m_rv, s.id, EventType::deleted, gone, prev});
  while (m_events.size() > m_options.watch_history) {
    m_events.pop_front();
    ++m_first_rv;
  }
  enqueue_dependents(prev->uid);
  for (const OwnerRef& owner : prev->owners) {
    auto it = m_by_uid.find(owner.uid);
    if (it != m_by_uid.end()) enqueue(it->second.first, it->second.second);
  }
  if (is_crds(s.info) && object) unregister_crd_locked(*object);
  if (s.info.group.empty() && s.info.resource == "services" && object) {
    m_allocator.release(*object);
    std::lock_guard work(m_work_mu);
    m_changed_services.insert(prev->key());
    m_work_cv.notify_one();
  }
  return gone;
}

void Store::index_owners(const EntryPtr& entry, int storage, bool add) {
  for (const OwnerRef& owner : entry->owners) {
    if (add) {
      m_dependents[owner.uid].insert({storage, entry->key()});
    } else if (auto it = m_dependents.find(owner.uid); it != m_dependents.end()) {
      it->second.erase({storage, entry->key()});
      if (it->second.empty()) m_dependents.erase(it);
    }
  }
}

std::vector<std::pair<int, std::string>> Store::dependents_of(const std::string& uid) const {
  auto it = m_dependents.find(uid);
  if (it == m_dependents.end()) return {};
  return {it->second.begin(), it->second.end()};
}

void Store::enqueue(int storage, const std::string& key) {
  {
    std::lock_guard lock(m_work_mu);
    m_work.push_back({storage, key});
  }
  m_work_cv.notify_one();
}

void Store::enqueue_dependents(const std::string& uid) {
  for (auto& [storage, key] : dependents_of(uid)) enqueue(storage, key);
}

}  // namespace ktape::sim
