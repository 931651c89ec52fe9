#pragma once
// Every field, besides metadata.ownerReferences, in which a built-in object carries another
// object's UID, and how replay re-links it. A UID is the source cluster's: the target gives every
// re-created object a new one, so each such field is either rewritten from the Relinker's
// old-UID -> new-UID map, or left out of the create so that the target's apiserver fills it in
// from the new UID (a Job's generated selector, which it refuses to take from the client).
//
// The table is data: one row per field, read by Relinker::rewrite_object and rewrite_patch (the
// same walk for an object, a JSON merge patch and a strategic merge patch, whose maps and lists
// have the object's shape; a JSON patch's operations are matched by their path). Pure and
// immutable; safe from any thread.
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "formats/patch.hpp"
#include "formats/value.hpp"

namespace ktape::ownerref {

enum class Relink {
  // The old UID becomes its new UID where the Relinker maps it; an unmapped UID (the object it
  // names is not in the recording, or not created yet) is left as recorded.
  map,
  // A create leaves `drop` out so that the apiserver generates it from the new UID, unless the
  // boolean at `unless` is true (then the field is the user's and is mapped). Patches map it.
  generated,
};

struct UidField {
  std::string_view group;              // API group of the kind that carries the field; "" core
  std::string_view kind;               // "Job"
  std::vector<std::string_view> path;  // to the UID string; "*" is every element of a list
  Relink relink = Relink::map;
  std::vector<std::string_view> drop;    // generated: what a create leaves out (path or a prefix)
  std::vector<std::string_view> unless;  // generated: a boolean that keeps it ("spec.manualSelector")
  std::string_view what;                 // what the UID names, for the README and messages
};

// Every row, in a stable order (the README's table is this one).
std::span<const UidField> uid_fields();

// The rows for objects of `kind` in `group`; empty for a kind without UID fields.
std::vector<const UidField*> uid_fields_of(std::string_view group, std::string_view kind);

// "spec.claimRef.uid", "metadata.labels[batch.kubernetes.io/controller-uid]", "subsets[*]...".
std::string describe_path(std::span<const std::string_view> path);

// The new UID of an old one, or nullptr when it has none (the Relinker's map, under its lock).
using FindUid = std::function<const std::string*(std::string_view old_uid)>;

// What relinking the UID fields of one object or patch did.
struct FieldRelink {
  std::size_t rewritten = 0;       // UIDs replaced by their new UID
  std::size_t left_to_server = 0;  // generated fields left out of a create
};

// Re-links the UID fields of `object` (a whole object about to be created; its kind is its own):
// mapped UIDs are replaced, generated fields are left out (see Relink). Fields of the wrong shape
// (a label that is not a string, a list that is not a list) are left alone: the target's
// validation names them better than a guess would.
FieldRelink relink_object_fields(const FindUid& find, formats::Value& object);

// Re-links the UID fields inside a patch of an object of `kind` in `group`: merge and strategic
// patches by the object's paths (a "$patch" directive entry is walked like any other), a JSON
// patch through the values of its add, replace and test operations whose path is a field's path
// or a prefix of it. Generated fields are mapped, never left out (the target's object has them).
FieldRelink relink_patch_fields(const FindUid& find, formats::PatchType type, formats::Value& patch,
                                std::string_view group, std::string_view kind);

}  // namespace ktape::ownerref
