#pragma once
// metadata.managedFields as a real kube-apiserver 1.32 keeps them (server-side apply's field
// management): every write records, per (manager, operation Update|Apply, apiVersion,
// subresource), the set of fields it set (FieldsV1, see field_set.hpp) and when. An Update takes
// the fields it changes from every other manager; an Apply owns exactly the fields of its
// configuration, removes those it owned before and no longer sets (unless another manager owns
// them), and is refused with a 409 Conflict naming each field another manager owns with another
// value, unless forced, which moves their ownership. Entries with no fields left are removed.
// Computed at write time only: reads serve the stored JSON.
//
// Not modelled: the cap of ten Update managers (older ones merged into one), the
// last-applied-configuration annotation's upgrade to managed fields, version conversion of
// entries of another apiVersion, and CRD list types (custom resources' lists are atomic).
#include <string>
#include <string_view>

#include "formats/value.hpp"
#include "sim/api_error.hpp"
#include "sim/resources.hpp"

namespace ktape::sim {

enum class FieldOperation { update, apply };

// Who writes, and how.
struct FieldManager {
  std::string manager;                                // see manager_of()
  FieldOperation operation = FieldOperation::update;  // Apply: a server-side apply patch
  std::string subresource;                            // "" or "status"
  bool force = false;                                 // force=true: an Apply takes conflicting fields
  std::string time;                                   // RFC3339 time of the write
  // An Apply that creates the object: the configuration applied (not owned by this struct).
  const formats::Value* applied = nullptr;
};

// The manager of a request as the real server names it: the fieldManager query parameter, else
// the User-Agent up to its first '/' ("kubectl/v1.32.4 (linux/amd64)" is "kubectl"), at most 128
// characters; "unknown" when both are empty.
std::string manager_of(std::string_view field_manager, std::string_view user_agent);

// A create of `object` (decoded and defaulted, of resource `info`): an Update owns every field it
// sets; an Apply (`who.applied` set) owns the fields of its configuration.
void track_create(const ResourceInfo& info, const FieldManager& who, formats::Value& object);

// An Update of `old` to `object`: `who` takes the fields that changed from every manager.
// managedFields given in `object` that differ from `old`'s replace them (an empty list resets
// them), as the real server lets a client do on the main resource.
void track_update(const ResourceInfo& info, const FieldManager& who, const formats::Value& old,
                  formats::Value& object);

// An Apply of `config` to the stored `live` object: the merged object with its managedFields, or a
// 409 Conflict ("Apply failed with 1 conflict: conflict with \"alice\": .data.color", one cause of
// reason FieldManagerConflict per field) when another manager owns a field the configuration
// changes and `who.force` is false. An Apply that changes nothing returns `live` as it is.
ApiResult<formats::Value> apply_config(const ResourceInfo& info, const FieldManager& who,
                                       const formats::Value& live, const formats::Value& config);

}  // namespace ktape::sim
