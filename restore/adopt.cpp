// adoption_patch: client-go's csaupgrade for one manager, as a JSON patch of managedFields.
#include "restore/adopt.hpp"

#include <string>

namespace ktape::restore {

namespace {

using formats::Value;

bool is_entry(const Value& entry, std::string_view manager, std::string_view operation) {
  return entry.string_at({"manager"}) == manager && entry.string_at({"operation"}) == operation &&
         entry.string_at({"subresource"}).empty();
}

// FieldsV1 sets are tries of JSON objects ({"f:data":{"f:k":{}}}): their union is a deep merge.
void unite(Value& into, const Value& from) {
  if (!into.is_object() || !from.is_object()) {
    into = from;
    return;
  }
  for (const auto& member : from.as_object()) {
    if (Value* mine = into.find(member.key))
      unite(*mine, member.value);
    else
      into.set(member.key, member.value);
  }
}

Value op(std::string_view name, std::string_view path, Value value) {
  Value o = Value::object();
  o.set("op", std::string(name));
  o.set("path", std::string(path));
  o.set("value", std::move(value));
  return o;
}

}  // namespace

bool has_update_entry(const Value& managed_fields, std::string_view manager) {
  if (!managed_fields.is_array()) return false;
  for (const auto& entry : managed_fields.as_array())
    if (is_entry(entry, manager, "Update")) return true;
  return false;
}

std::optional<Value> adoption_patch(const Value& managed_fields, std::string_view manager,
                                    std::string_view resource_version) {
  if (!has_update_entry(managed_fields, manager)) return std::nullopt;
  Value updated = Value::object();  // the united fields of the Update entries
  Value entries = Value::array();
  std::optional<std::size_t> applied;  // ktape's Apply entry in `entries`
  std::optional<Value> first_update;
  for (const auto& entry : managed_fields.as_array()) {
    if (is_entry(entry, manager, "Update")) {
      if (const Value* fields = entry.find("fieldsV1")) unite(updated, *fields);
      if (!first_update) first_update = entry;
      continue;
    }
    if (is_entry(entry, manager, "Apply")) applied = entries.size();
    entries.push_back(entry);
  }
  if (!applied) {
    Value made = *first_update;
    made.set("operation", "Apply");
    made.set("fieldsV1", Value::object());
    applied = entries.size();
    entries.push_back(std::move(made));
  }
  Value& target = entries.as_array()[*applied];
  if (target.find("fieldsV1") == nullptr) target.set("fieldsV1", Value::object());
  unite(*target.find("fieldsV1"), updated);
  target.set("fieldsType", "FieldsV1");
  Value patch = Value::array();
  patch.push_back(op("test", "/metadata/resourceVersion", Value(std::string(resource_version))));
  patch.push_back(op("replace", "/metadata/managedFields", std::move(entries)));
  return patch;
}

}  // namespace ktape::restore
