#pragma once
// Patches over Values: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and Kubernetes'
// strategic merge patch. The strategic one is driven by the patch metadata of the built-in API
// types (merge keys, strategies), chosen by the object's apiVersion and kind; for a type absent
// from that table it behaves as a JSON merge patch.
//
// Every function is pure (no I/O, no shared state besides the metadata table, which is read-only
// after its first use) and safe to call from several threads. Errors are of kind
// ErrorKind::invalid; their messages name the failing place (a JSON pointer and operation index
// for JSON patch, a dotted field path such as "spec.containers" for strategic merge patch) and
// never quote document values, which may be Secret data.
#include <optional>
#include <string_view>

#include "formats/error.hpp"
#include "formats/value.hpp"

namespace ktape::formats {

enum class PatchType { json, merge, strategic };

// The Content-Type for each (application/json-patch+json, application/merge-patch+json,
// application/strategic-merge-patch+json), and back: parameters (";charset=utf-8") and case are
// ignored; nullopt for any other media type (apply-patch+yaml included).
std::string_view content_type(PatchType type);
std::optional<PatchType> patch_type_from_content_type(std::string_view media_type);

// RFC 7386. create: the smallest patch that turns `original` into `modified`: changed and added
// members, null for removed ones, lists and scalars whole; `modified` itself when either side is
// not an object. Equal numbers written differently ("1.0", "1") are no change. A null inside
// `modified` cannot be expressed (it would delete), as in the RFC.
Value create_merge_patch(const Value& original, const Value& modified);
// RFC 7386 apply: objects merge recursively, null deletes, anything else replaces.
Value apply_merge_patch(const Value& target, const Value& patch);
// The same on `target` itself, for a caller that owns it and would replace it with the result.
void apply_merge_patch_in_place(Value& target, const Value& patch);

// RFC 6902 (add, remove, replace, move, copy, test), applied in order to a copy of `target`;
// `patch` must be an array of operation objects. Pointers follow RFC 6901 ("~0", "~1"; "-" appends
// in add). A failed test, a missing path, an out-of-range index or a malformed operation is an
// Error naming the operation's index, op and path; `target` is never partly patched.
Result<Value> apply_json_patch(const Value& target, const Value& patch);

// True when `kind` of `api_version` ("apps/v1", "v1") is a built-in type of kube-apiserver 1.32
// (and so has strategic-merge semantics, even when none of its fields carries a directive).
bool has_strategic_metadata(std::string_view api_version, std::string_view kind);

// Two-way strategic merge patch from `original` to `modified`, as kube's strategicpatch package
// writes it: maps diff recursively (null for removed keys); merge lists element by element on
// their merge key ({"$patch":"delete", KEY: v} for removed elements) plus
// "$setElementOrder/F" when the list changed or was reordered; primitive merge lists (finalizers)
// with "$deleteFromPrimitiveList/F"; "$retainKeys" where the strategy says retainKeys; every
// other list whole. The type is read from original's apiVersion/kind (else modified's); for a type
// outside the table the result is create_merge_patch's. Both must be objects; a merge-list element
// without its merge key, or a list mixing element types, is an Error.
Result<Value> create_strategic_merge_patch(const Value& original, const Value& modified);
// Applies a strategic merge patch with every directive, as kube-apiserver does; for a type outside
// the table it is apply_merge_patch. Merge-list elements the patch does not name keep their place
// relative to the others. `patch` and `original` must be objects. An invalid directive ($patch
// with a value other than replace/delete, $patch: merge, an element without its merge key, a
// field missing from $retainKeys, a patch list out of its $setElementOrder order) is an Error.
Result<Value> apply_strategic_merge_patch(const Value& original, const Value& patch);
// The same on `target` itself, for a caller that owns the object and would replace it with the
// result (a recorded state applying its events): the same result and the same Errors, without
// copying the object. On an Error `target` is left as it was.
Result<void> apply_strategic_merge_patch_in_place(Value& target, const Value& patch);

// Dispatch by type: json, merge or strategic.
Result<Value> apply_patch(PatchType type, const Value& target, const Value& patch);

}  // namespace ktape::formats
