#include "sim/admission.hpp"

#include "sim/crd_schema.hpp"
#include "sim/defaulting.hpp"
#include "sim/object_util.hpp"
#include "sim/strategy.hpp"
#include "sim/validation.hpp"

namespace ktape::sim {

using formats::Value;

namespace {

// Decoding: defaults, unknown fields (refused under Strict, warned about under Warn) and
// values that do not decode (a 400 like the real decoder's).
ApiResult<void> decode(const ResourceInfo& info, Value& object, const WriteContext& context) {
  if (info.custom) {
    if (!context.crd_schema) return {};
    std::vector<std::string> pruned = apply_structural_schema(*context.crd_schema, object);
    if (context.field_validation == FieldValidation::strict && !pruned.empty()) {
      std::string list;
      for (const auto& f : pruned)
        list += (list.empty() ? "" : ", ") + ("unknown field \"" + f.substr(1) + "\"");
      return tl::unexpected(err_bad_request(".: strict decoding error: " + list));
    }
    if (context.warnings && context.field_validation == FieldValidation::warn)
      for (const auto& f : pruned) context.warnings->push_back("unknown field \"" + f.substr(1) + "\"");
    return {};
  }
  Decoded decoded = apply_defaults(info, object);
  std::string prefix =
      info.kind + " in version \"" + info.version + "\" cannot be handled as a " + info.kind + ": ";
  if (!decoded.error.empty()) return tl::unexpected(err_bad_request(prefix + decoded.error));
  if (decoded.unknown_fields.empty() || context.field_validation == FieldValidation::ignore) return {};
  if (context.field_validation == FieldValidation::strict) {
    std::string list;
    for (const auto& f : decoded.unknown_fields)
      list += (list.empty() ? "" : ", ") + ("unknown field \"" + f + "\"");
    return tl::unexpected(err_bad_request(prefix + "strict decoding error: " + list));
  }
  if (context.warnings)
    for (const auto& f : decoded.unknown_fields) context.warnings->push_back("unknown field \"" + f + "\"");
  return {};
}

// rest.BeforeUpdate: what an update may leave out comes from the stored object (name and
// namespace from the request, uid when empty, creationTimestamp always, deletionTimestamp once
// set, deletionGracePeriodSeconds when dropped), so that only a real change is refused.
void restore_server_metadata(const Value& old, Value& object) {
  const Value* was = old.find("metadata");
  if (!was || !object.is_object()) return;
  Value& meta = object["metadata"];
  if (!meta.is_object()) meta = Value::object();
  auto empty = [&](const char* field) {
    const Value* v = meta.find(field);
    return !v || v->is_null() || (v->is_string() && v->as_string().empty());
  };
  auto restore = [&](const char* field) {
    if (const Value* v = was->find(field)) meta.set(field, *v);
  };
  for (const char* field : {"name", "namespace", "uid", "deletionGracePeriodSeconds"})
    if (empty(field)) restore(field);
  restore("creationTimestamp");
  if (was->find("deletionTimestamp")) restore("deletionTimestamp");
  meta.erase("selfLink");  // no longer stored since Kubernetes 1.24
}

bool is_services(const ResourceInfo& info) { return info.group.empty() && info.resource == "services"; }

}  // namespace

std::optional<FieldValidation> parse_field_validation(std::string_view value) {
  if (value.empty() || value == "Warn") return FieldValidation::warn;
  if (value == "Strict") return FieldValidation::strict;
  if (value == "Ignore") return FieldValidation::ignore;
  return std::nullopt;
}

ApiResult<void> admit_create(const ResourceInfo& info, Value& object, const WriteContext& context) {
  if (auto ok = decode(info, object, context); !ok) return ok;
  if (context.fields) track_create(info, *context.fields, object);
  if (info.custom) return {};
  prepare_for_create(info, object, context.limit_ranges);
  if (auto ok = validate_create(info, object); !ok) return ok;
  if (is_services(info) && context.allocator) return context.allocator->allocate(object, !context.dry_run);
  return {};
}

ApiResult<void> admit_update(const ResourceInfo& info, const Value& old, Value& object,
                             const WriteContext& context) {
  if (auto ok = decode(info, object, context); !ok) return ok;
  restore_server_metadata(old, object);
  if (context.fields) track_update(info, *context.fields, old, object);
  if (info.custom) {
    FieldErrors errors;
    detail::validate_metadata_update(object, old, errors);
    if (errors.empty()) return {};
    return tl::unexpected(err_invalid_causes(info, detail::metadata_string(object, "name"), errors.causes()));
  }
  prepare_for_update(info, old, object);
  if (is_services(info) && context.allocator) {
    if (auto ok = context.allocator->update(old, object, !context.dry_run); !ok) return ok;
  }
  return validate_update(info, old, object);
}

}  // namespace ktape::sim
