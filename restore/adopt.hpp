#pragma once
// Inside restore/ (--update apply): ktape's own earlier writes adopted into its server-side apply.
// An object that restore created (POST) or updated with --update put (PUT) carries a
// managedFields entry of manager ktape with operation Update; server-side apply treats that entry
// as another manager, so ktape's apply would leave every field it owns in place, even those the
// state lacks. Before such an apply, the Update entry's fields are moved into ktape's Apply entry,
// as client-go's csaupgrade migrates client-side apply to server-side apply: the apply that
// follows then removes what ktape wrote before and the state no longer holds.
#include <optional>
#include <string_view>

#include "formats/value.hpp"

namespace ktape::restore {

// Whether `managed_fields` (an object's metadata.managedFields) holds an entry of `manager` with
// operation Update on the object itself (not a subresource).
bool has_update_entry(const formats::Value& managed_fields, std::string_view manager);

// The JSON patch that moves the fields of `manager`'s Update entry (on the object) into its Apply
// entry (made from the Update entry when there is none; FieldsV1 united), preceded by a test of
// metadata.resourceVersion == `resource_version` so that it applies only to the version read.
// nullopt when there is no such Update entry.
std::optional<formats::Value> adoption_patch(const formats::Value& managed_fields, std::string_view manager,
                                             std::string_view resource_version);

}  // namespace ktape::restore
