#include "sim/managed_fields.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

#include "formats/patch.hpp"
#include "sim/field_set.hpp"
#include "sim/object_util.hpp"
#include "sim/strategy.hpp"

namespace ktape::sim {

using formats::Value;

namespace {

// One metadata.managedFields entry.
struct ManagedEntry {
  std::string manager, operation, api_version, subresource, time;
  FieldSet fields;
};
using Entries = std::vector<ManagedEntry>;

const char* operation_name(FieldOperation op) { return op == FieldOperation::apply ? "Apply" : "Update"; }

Entries decode_entries(const Value* managed) {
  Entries out;
  if (!managed || !managed->is_array()) return out;
  for (const Value& e : managed->as_array()) {
    if (!e.is_object()) continue;
    ManagedEntry entry{std::string(e.string_at({"manager"})),    std::string(e.string_at({"operation"})),
                       std::string(e.string_at({"apiVersion"})), std::string(e.string_at({"subresource"})),
                       std::string(e.string_at({"time"})),       {}};
    if (const Value* f = e.find("fieldsV1")) entry.fields = FieldSet::from_fields_v1(*f);
    out.push_back(std::move(entry));
  }
  return out;
}

Value entry_value(const ManagedEntry& e, Value fields_v1) {
  Value v = Value::object();
  v.set("manager", e.manager);
  v.set("operation", e.operation);
  v.set("apiVersion", e.api_version);
  if (!e.time.empty()) v.set("time", e.time);
  v.set("fieldsType", "FieldsV1");
  v.set("fieldsV1", std::move(fields_v1));
  if (!e.subresource.empty()) v.set("subresource", e.subresource);
  return v;
}

// Sorted as the real server sorts them: by operation (Apply first), time, manager, apiVersion,
// subresource.
Value encode_entries(Entries entries) {
  std::stable_sort(entries.begin(), entries.end(), [](const ManagedEntry& a, const ManagedEntry& b) {
    return std::tie(a.operation, a.time, a.manager, a.api_version, a.subresource) <
           std::tie(b.operation, b.time, b.manager, b.api_version, b.subresource);
  });
  Value out = Value::array();
  for (const ManagedEntry& e : entries) out.push_back(entry_value(e, e.fields.to_fields_v1()));
  return out;
}

void store_entries(Value& object, Entries entries) {
  std::erase_if(entries, [](const ManagedEntry& e) { return e.fields.empty(); });
  Value* meta = object.find("metadata");
  if (!meta || !meta->is_object()) return;
  if (entries.empty()) {
    meta->erase("managedFields");
  } else {
    meta->set("managedFields", encode_entries(std::move(entries)));
  }
}

// The entry of `who` (an Apply's identity leaves the apiVersion out, as BuildManagerIdentifier
// does), added when absent.
ManagedEntry& entry_of(Entries& entries, const FieldManager& who, const std::string& api_version) {
  const std::string op = operation_name(who.operation);
  for (ManagedEntry& e : entries)
    if (e.manager == who.manager && e.operation == op && e.subresource == who.subresource &&
        (who.operation == FieldOperation::apply || e.api_version == api_version))
      return e;
  entries.push_back(ManagedEntry{who.manager, op, api_version, who.subresource, "", {}});
  return entries.back();
}

// The fields no manager owns (the real stripMetaManager), and those the write's strategy resets:
// status on the main resource, everything but status on the status subresource.
void strip_ignored(FieldSet& set, const ResourceInfo& info, const std::string& subresource) {
  for (const char* top : {"f:apiVersion", "f:kind"}) set.children.erase(top);
  if (subresource == "status") {
    std::erase_if(set.children, [](const auto& c) { return c.first != "f:status"; });
  } else if (info.has_status) {
    set.children.erase("f:status");
  }
  auto meta = set.children.find("f:metadata");
  if (meta == set.children.end()) return;
  meta->second.member = false;
  for (const char* field : {"f:name", "f:namespace", "f:creationTimestamp", "f:selfLink", "f:uid",
                            "f:clusterName", "f:generation", "f:managedFields", "f:resourceVersion"})
    meta->second.children.erase(field);
  if (meta->second.empty()) set.children.erase(meta);
}

// strip_ignored() on a FieldsV1 value.
void strip_ignored_v1(Value& fields, const ResourceInfo& info, const std::string& subresource) {
  for (const char* top : {"f:apiVersion", "f:kind"}) fields.erase(top);
  if (subresource == "status") {
    std::erase_if(fields.as_object(), [](const formats::Member& m) { return m.key != "f:status"; });
  } else if (info.has_status) {
    fields.erase("f:status");
  }
  Value* meta = fields.find("f:metadata");
  if (!meta) return;
  for (const char* field : {".", "f:name", "f:namespace", "f:creationTimestamp", "f:selfLink", "f:uid",
                            "f:clusterName", "f:generation", "f:managedFields", "f:resourceVersion"})
    meta->erase(field);
  if (meta->size() == 0) fields.erase("f:metadata");
}

FieldType type_of(const ResourceInfo& info) {
  return info.custom ? FieldType{} : kind_field_type(info.group_version(), info.kind);
}

// decodeLiveOrNew: managedFields a client set on the main resource replace the stored ones.
Entries entries_for_update(const Value& old, const Value& object, const std::string& subresource) {
  const Value* live = old.at({"metadata", "managedFields"});
  const Value* given = object.at({"metadata", "managedFields"});
  if (subresource.empty() && given && given->is_array()) {
    if (given->size() == 0) return {};
    if (!live || *given != *live) {
      Entries decoded = decode_entries(given);
      if (!decoded.empty()) return decoded;
    }
  }
  return decode_entries(live);
}

std::string print_manager(const ManagedEntry& e) {
  std::string out = "\"" + e.manager + "\"";
  if (e.operation == "Update") return out + " using " + e.api_version;
  if (!e.subresource.empty()) out += " with subresource \"" + e.subresource + "\"";
  return out;
}

// The real server's 409 for an Apply's conflicts (internal.NewConflictError).
ApiError conflict_error(const std::vector<std::pair<const ManagedEntry*, FieldSet>>& conflicts) {
  Value causes = Value::array();
  std::map<std::string, std::vector<std::string>> by_manager;
  std::size_t count = 0;
  std::string single;
  for (const auto& [entry, set] : conflicts) {
    std::string manager = print_manager(*entry);
    for (const std::string& path : set.paths()) {
      Value cause = Value::object();
      cause.set("reason", "FieldManagerConflict");
      cause.set("message", "conflict with " + manager);
      cause.set("field", path);
      causes.push_back(std::move(cause));
      by_manager[manager].push_back(path);
      single = std::string("conflict with ").append(manager).append(": ").append(path);
      ++count;
    }
  }
  std::string message =
      "Apply failed with " + std::to_string(count) + (count == 1 ? " conflict: " : " conflicts: ");
  if (count == 1) {
    message += single;
  } else {
    bool first = true;
    for (const auto& [manager, paths] : by_manager) {
      message += (first ? "" : "\n") + ("conflicts with " + manager + ":");
      first = false;
      for (const std::string& p : paths) message += "\n- " + p;
    }
  }
  Value details = Value::object();
  details.set("causes", std::move(causes));
  return ApiError{409, "Conflict", std::move(message), std::move(details)};
}

// structured-merge-diff's addBackOwnedItems: a node an Apply gives up ("." of a map a create or
// update owned) whose descendants are still owned by someone (the new configuration included)
// stays, and only its unowned descendants go: the map is not removed with the fields still in it.
void spare_owned_parents(FieldSet& removed, const FieldSet& owned) {
  for (auto& [pe, node] : removed.children) {
    auto it = owned.children.find(pe);
    if (it == owned.children.end()) continue;
    if (node.member && !it->second.children.empty()) node.member = false;
    spare_owned_parents(node, it->second);
  }
}

}  // namespace

std::string manager_of(std::string_view field_manager, std::string_view user_agent) {
  std::string_view name = field_manager.empty() ? user_agent.substr(0, user_agent.find('/')) : field_manager;
  if (name.empty()) return "unknown";  // what the real server records for a request without either
  return std::string(name.substr(0, 128));
}

void track_create(const ResourceInfo& info, const FieldManager& who, Value& object) {
  const std::string api_version = info.group_version();
  if (who.applied) {
    FieldSet set = fields_of(*who.applied, type_of(info));
    strip_ignored(set, info, who.subresource);
    Entries entries;
    ManagedEntry& self = entry_of(entries, who, api_version);
    self.fields = std::move(set);
    self.time = who.time;
    store_entries(object, std::move(entries));
    return;
  }
  Value zero = zero_object(type_of(info));
  // What the store sets before this runs but the real server's strategy sets after its field
  // manager ran (a namespace's spec.finalizers) is nobody's; what the real server's conversion
  // sets before it (a DaemonSet's template-generation annotation) is the creator's.
  if (info.group.empty() && info.resource == "namespaces")
    if (const Value* finalizers = object.at({"spec", "finalizers"}))
      zero["spec"].set("finalizers", *finalizers);
  if (info.group == "apps" && info.resource == "daemonsets")
    detail::metadata_of(object)["annotations"].set("deprecated.daemonset.template.generation", "1");
  const Value* given = object.at({"metadata", "managedFields"});
  if (given && given->is_array() && given->size() > 0) {
    track_update(info, who, zero, object);
    return;
  }
  // The common create, in one pass: one entry, nothing to take from others.
  if (info.group.empty() && info.resource == "secrets") merge_string_data(object);
  Value fields = added_fields_v1(zero, object, type_of(info));
  strip_ignored_v1(fields, info, who.subresource);
  Value& meta = detail::metadata_of(object);
  if (fields.size() == 0) {
    meta.erase("managedFields");
    return;
  }
  ManagedEntry self{who.manager, operation_name(who.operation), api_version, who.subresource, who.time, {}};
  meta.set("managedFields", formats::Array{entry_value(self, std::move(fields))});
}

void track_update(const ResourceInfo& info, const FieldManager& who, const Value& old, Value& object) {
  // stringData is merged into data by the real server's conversion, before its field manager runs
  if (info.group.empty() && info.resource == "secrets") merge_string_data(object);
  Entries entries = entries_for_update(old, object, who.subresource);
  FieldSet changed, removed;
  compare_fields(&old, &object, type_of(info), changed, removed);
  strip_ignored(changed, info, who.subresource);
  strip_ignored(removed, info, who.subresource);
  for (ManagedEntry& e : entries) {
    e.fields.subtract(changed);
    e.fields.subtract(removed);
  }
  if (!changed.empty()) {
    ManagedEntry& self = entry_of(entries, who, info.group_version());
    if (self.fields.empty()) {
      self.fields = std::move(changed);
    } else {
      self.fields.unite(changed);
    }
    self.time = who.time;
  }
  store_entries(object, std::move(entries));
}

ApiResult<Value> apply_config(const ResourceInfo& info, const FieldManager& who, const Value& live,
                              const Value& config) {
  const FieldType type = type_of(info);
  auto merged = formats::apply_patch(info.custom ? formats::PatchType::merge : formats::PatchType::strategic,
                                     live, config);
  if (!merged) return tl::unexpected(err_bad_request(merged.error().message));
  Entries entries = decode_entries(live.at({"metadata", "managedFields"}));
  FieldSet applied = fields_of(config, type);
  strip_ignored(applied, info, who.subresource);
  FieldSet last;
  {
    ManagedEntry& self = entry_of(entries, who, info.group_version());
    last = std::move(self.fields);
    self.fields = applied;
    self.api_version = info.group_version();
  }
  // Fields this manager applied before and leaves out now go, unless another manager owns them.
  last.subtract(applied);
  for (const ManagedEntry& e : entries)
    if (!(e.manager == who.manager && e.operation == "Apply" && e.subresource == who.subresource))
      last.subtract(e.fields);
  if (!last.empty()) {
    FieldSet owned = applied;
    for (const ManagedEntry& e : entries)
      if (!(e.manager == who.manager && e.operation == "Apply" && e.subresource == who.subresource))
        owned.unite(e.fields);
    spare_owned_parents(last, owned);
    remove_fields(*merged, last, type);
  }
  FieldSet changed, removed;
  compare_fields(&live, &*merged, type, changed, removed);
  strip_ignored(changed, info, who.subresource);
  strip_ignored(removed, info, who.subresource);
  std::vector<std::pair<const ManagedEntry*, FieldSet>> conflicts;
  for (ManagedEntry& e : entries) {
    if (e.manager == who.manager && e.operation == "Apply" && e.subresource == who.subresource) continue;
    if (FieldSet both = e.fields.intersect(changed); !both.empty())
      conflicts.emplace_back(&e, std::move(both));
  }
  if (!conflicts.empty() && !who.force) return tl::unexpected(conflict_error(conflicts));
  ManagedEntry* self = nullptr;
  for (ManagedEntry& e : entries) {
    if (e.manager == who.manager && e.operation == "Apply" && e.subresource == who.subresource) {
      self = &e;
      continue;
    }
    e.fields.subtract(changed);
    e.fields.subtract(removed);
  }
  // The time is of the last apply that changed the object: an apply that only takes a share of
  // fields (the same values) records no time, one that changes nothing stores nothing.
  if (self && !(changed.empty() && removed.empty())) self->time = who.time;
  store_entries(*merged, std::move(entries));
  return std::move(*merged);
}

}  // namespace ktape::sim
