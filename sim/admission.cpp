#include "sim/admission.hpp"

#include "sim/crd_schema.hpp"
#include "sim/defaulting.hpp"
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
  if (info.custom) return {};
  prepare_for_create(info, object, context.limit_ranges);
  if (auto ok = validate_create(info, object); !ok) return ok;
  if (is_services(info) && context.allocator) return context.allocator->allocate(object, !context.dry_run);
  return {};
}

ApiResult<void> admit_update(const ResourceInfo& info, const Value& old, Value& object,
                             const WriteContext& context) {
  if (auto ok = decode(info, object, context); !ok) return ok;
  // The server-set identity is the stored one whatever the body says (the store enforces it too).
  if (const Value* uid = old.at({"metadata", "uid"}); uid && object.find("metadata"))
    object["metadata"].set("uid", *uid);
  if (info.custom) return {};
  prepare_for_update(info, old, object);
  if (is_services(info) && context.allocator) {
    if (auto ok = context.allocator->update(old, object, !context.dry_run); !ok) return ok;
  }
  return validate_update(info, old, object);
}

}  // namespace ktape::sim
