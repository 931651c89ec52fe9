#pragma once
// Strategic merge patch, as k8s.io/apimachinery/pkg/util/strategicpatch does it for
// kube-apiserver and kubectl. Private to formats/: patch.hpp is the public API.
//
// The directives (names and meaning from the Kubernetes strategic-merge-patch design):
//   {"$patch": "replace"|"delete"} in a map       the map is replaced by the rest / emptied
//   {"$patch": "delete", KEY: v} in a merge list   the element whose merge key is v is removed
//   {"$patch": "replace"} in a merge list          the list is replaced by the other elements
//   "$setElementOrder/F": [...]                    the order of the merge list F after the patch
//   "$deleteFromPrimitiveList/F": [...]            values removed from the primitive merge list F
//   "$retainKeys": [...]                           keys of this map that survive; the rest go
#include <optional>
#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "formats/patch_metadata.hpp"
#include "formats/value.hpp"

namespace ktape::formats::detail {

inline constexpr std::string_view k_patch_directive = "$patch";
inline constexpr std::string_view k_retain_keys_directive = "$retainKeys";
inline constexpr std::string_view k_set_order_prefix = "$setElementOrder/";
inline constexpr std::string_view k_delete_primitive_prefix = "$deleteFromPrimitiveList/";

// The root schema for the type named by first's apiVersion and kind (else second's); nullopt for
// a type without built-in metadata (custom resources) or a document without apiVersion/kind.
std::optional<Schema> schema_of(const Value& first, const Value& second);

// Two-way patch from original to modified (both objects, else an Error).
Result<Value> create_strategic(const Value& original, const Value& modified, Schema schema);
// Applies `patch` (an object, else an Error) to `original`; a malformed directive is an Error.
Result<Value> apply_strategic(const Value& original, const Value& patch, Schema schema);
// The same on `target` itself; on an Error `target` is as it was (only the members the patch
// names are copied beforehand, and only when the patch holds a directive or a merge list).
Result<void> apply_strategic_in_place(Value& target, const Value& patch, Schema schema);

// What identifies a list element: its merge-key value for an object in a keyed list, else the
// element itself. nullptr when an object lacks its merge key.
const Value* element_identity(const Value& element, std::string_view merge_key);

// The common type of every element of both lists (Go's sliceElementType): an Error when they mix
// types or when an element is itself a list. Call only when at least one list is non-empty.
Result<Value::Type> element_type(const Array& first, const Array& second, const std::string& path);

// "a.b" for messages.
std::string child_path(const std::string& path, std::string_view key);

// An Error of kind invalid: "strategic merge patch: PATH: MESSAGE".
Error patch_error(const std::string& path, const std::string& message);

}  // namespace ktape::formats::detail
