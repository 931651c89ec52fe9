#pragma once
// The write pipeline of a real kube-apiserver between decoding a body and storing it, in its
// order: decoding (defaults, unknown fields, fieldValidation), the registry strategy and the
// mutating admission plugins, validation, then allocation (Service ClusterIPs and NodePorts).
// Each step lives in its own file; this one only runs them.
#include <string>
#include <vector>

#include "formats/value.hpp"
#include "sim/allocation.hpp"
#include "sim/api_error.hpp"
#include "sim/managed_fields.hpp"
#include "sim/resources.hpp"

namespace ktape::sim {

enum class FieldValidation { ignore, warn, strict };  // the fieldValidation query parameter

// FieldValidation from the query parameter's value ("" is Warn, the server's default); nullopt
// for an unknown value.
std::optional<FieldValidation> parse_field_validation(std::string_view value);

struct WriteContext {
  FieldValidation field_validation = FieldValidation::warn;
  bool dry_run = false;                          // allocate without reserving
  std::vector<formats::Value> limit_ranges;      // the namespace's LimitRanges (for Pods)
  ServiceAllocator* allocator = nullptr;         // required for Services
  std::vector<std::string>* warnings = nullptr;  // receives Warning headers' texts; may be null
  const formats::Value* crd_schema = nullptr;    // a custom resource's openAPIV3Schema, when it has one
  const FieldManager* fields = nullptr;          // records managedFields after decoding, when set
};

// A new object of `info` (with uid, name and namespace set): decoded, prepared, validated and
// allocated in place.
ApiResult<void> admit_create(const ResourceInfo& info, formats::Value& object, const WriteContext& context);
// An update of `old` to `object`, the same way (allocations that the new object leaves out are
// kept from `old`).
ApiResult<void> admit_update(const ResourceInfo& info, const formats::Value& old, formats::Value& object,
                             const WriteContext& context);

}  // namespace ktape::sim
