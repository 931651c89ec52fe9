#pragma once
// Turns an update into the patch from an object's last recorded state: a two-way strategic merge
// patch for built-in types, a JSON merge patch for custom resources (DESIGN.md, the recording
// format). Pure: no I/O, no threads; the caller keeps one ObjectState per object.
//
// The state is the object's compact JSON with the end of each top-level member's text, so that
// an update is compared member by member as text: only the members whose text changed are read
// back and diffed (a Pod's status changes; its spec and most of its metadata do not). An update
// received as text (diff_text) is compared as received, so only its changed members are parsed
// at all. Either way the patch is exactly the one the whole objects would give.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "formats/error.hpp"
#include "formats/json.hpp"
#include "formats/value.hpp"

namespace ktape::recorder {

// An object's last recorded state: its compact JSON (to_json's text), and where the text of each
// top-level member ("key":value) ends in it; no ends for a non-object or an empty object.
struct ObjectState {
  std::string json;
  std::vector<std::size_t> ends;
};

enum class PatchKind {
  strategic,  // built-in types: strategic merge patch (kubectl's two-way patch)
  merge,      // custom resources: JSON merge patch (RFC 7386)
};

struct Patch {
  formats::Value value;  // never empty: an update that changes nothing is no Patch
  PatchKind kind = PatchKind::strategic;
};

// The recorded state of `object` (already stripped of what is not recorded).
ObjectState make_state(const formats::Value& object);

// The patch from `state` to `object`, of `kind`; `state` becomes the object's. nullopt when
// nothing recordable changed (the same text, members reordered, or a diff that comes out empty).
// A strategic diff that does not exist (a merge-list element without its merge key) gives the
// whole object with "$patch":"replace", which strategic apply honours.
// `object` is borrowed: its members are moved out for the diff and back; it is unchanged on
// return. Never an Error (the Result keeps one shape with diff_text).
Result<std::optional<Patch>> diff_object(ObjectState& state, formats::Value& object, PatchKind kind);

// An object as received: the text of each top-level member (formats::split_json_object), its
// metadata decoded (and stripped of what is not recorded), which stands in for that member's text.
struct ObjectText {
  const std::vector<formats::JsonMember>& members;
  std::size_t metadata;        // the index of "metadata" in `members`
  const formats::Value& meta;  // the object's metadata as recorded
};

// diff_object for an object as received; `object.members` must name apiVersion and kind. An Error
// (kind parse, "an event's object is not JSON...") when a changed member is not JSON: the event
// cannot be read, and `state` is left as it was.
Result<std::optional<Patch>> diff_text(ObjectState& state, const ObjectText& object, PatchKind kind);

}  // namespace ktape::recorder
