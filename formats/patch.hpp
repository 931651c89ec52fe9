#pragma once
// Patches over Values: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and Kubernetes'
// strategic merge patch. The strategic one is driven by the patch metadata of the built-in API
// types (merge keys, strategies, list types), chosen by the object's apiVersion and kind; for a
// type absent from that table it behaves as a JSON merge patch.
#include <optional>
#include <string_view>

#include "formats/error.hpp"
#include "formats/value.hpp"

namespace ktape::formats {

enum class PatchType { json, merge, strategic };

// The Content-Type for each (application/json-patch+json, application/merge-patch+json,
// application/strategic-merge-patch+json), and back; nullopt for any other media type.
std::string_view content_type(PatchType type);
std::optional<PatchType> patch_type_from_content_type(std::string_view media_type);

// RFC 7386. create: the smallest patch that turns `original` into `modified`.
Value create_merge_patch(const Value& original, const Value& modified);
Value apply_merge_patch(const Value& target, const Value& patch);

// RFC 6902 (add, remove, replace, move, copy, test). A failed test or a missing path is an Error
// naming the operation's index and path.
Result<Value> apply_json_patch(const Value& target, const Value& patch);

// True when `kind` of `api_version` ("apps/v1", "v1") has built-in strategic-merge metadata.
bool has_strategic_metadata(std::string_view api_version, std::string_view kind);

// Two-way strategic merge patch from `original` to `modified`, with $patch, $setElementOrder,
// $retainKeys and $deleteFromPrimitiveList directives where the metadata calls for them. The type
// is read from original's apiVersion/kind (else modified's).
Result<Value> create_strategic_merge_patch(const Value& original, const Value& modified);
// Applies a strategic merge patch (every directive). An invalid directive is an Error.
Result<Value> apply_strategic_merge_patch(const Value& original, const Value& patch);

// Dispatch by type: json, merge or strategic.
Result<Value> apply_patch(PatchType type, const Value& target, const Value& patch);

}  // namespace ktape::formats
