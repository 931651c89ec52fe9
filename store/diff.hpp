#pragma once
// `ktape diff`: what differs between two states, each a recording's state at a recorded time
// (store/state.hpp) or a live cluster's objects. Objects are compared after removing what a server
// sets on its own (metadata.uid, resourceVersion, creationTimestamp, generation, managedFields,
// selfLink, ownerReferences[].uid), plus status and any field the caller names. Memory: the two
// states, normalised, and nothing else (no file is held).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "formats/error.hpp"
#include "formats/value.hpp"
#include "kube/client.hpp"
#include "kube/selection.hpp"

namespace ktape::store {

// One side of a diff: a recording (at a recorded time) or a live cluster.
struct DiffSide {
  std::string path;                   // the recording; "" when `live` is set
  std::optional<std::int64_t> at_ns;  // the state at this recorded time; nullopt = the final state
  kube::Client* live = nullptr;       // a live cluster (not owned); nullptr for a recording
  std::string label;                  // how the side is named in output ("a.yaml@5m", "cluster demo")
};

struct DiffOptions {
  kube::Selection selection;   // --resource, -n, -l, excludes: applied to both sides alike
  bool ignore_status = false;  // --ignore-status: leave .status out of the comparison
  // --ignore-field: more fields to leave out, each "a.b.c" (dots separate keys) or a JSON pointer
  // "/metadata/annotations/example.com~1note" (for keys that contain dots).
  std::vector<std::string> ignore_fields;
};

enum class DiffAction { added, removed, modified };  // added: only in B; removed: only in A
std::string_view action_name(DiffAction action);

struct DiffEntry {
  std::string resource;  // "deployments.apps", "pods"
  std::string namespace_name;
  std::string name;
  DiffAction action = DiffAction::modified;
  // modified: the top-level fields that differ, metadata's one level down ("spec", "metadata.labels").
  std::vector<std::string> fields;
  formats::Value before, after;  // normalised; null on the side where the object is absent
};

// Object key (store::RecordedState::key) -> object, normalised.
using ObjectMap = std::map<std::string, formats::Value>;

// A DiffOptions::ignore_fields entry as its keys: "a.b.c" -> {a, b, c}; a JSON pointer
// "/metadata/annotations/a~1b" -> {metadata, annotations, a/b} (RFC 6901 escapes undone).
std::vector<std::string> parse_field_path(std::string_view text);

// Removes the server-set fields and those `options` names from `object`, in place.
void normalize_for_diff(formats::Value& object, const DiffOptions& options);

// The differences between two normalised states, in key order. Pure.
std::vector<DiffEntry> diff_states(const ObjectMap& a, const ObjectMap& b);

// diff_states for states no longer needed after it: the same entries in the same order, but every
// object is freed as soon as it is compared (while it is still in the cache), a differing one is
// moved into its entry instead of copied, and the two halves of the key range are compared on two
// threads (this one and one joined here). `a` and `b` keep their keys, each with a null value.
std::vector<DiffEntry> diff_states_moving(ObjectMap& a, ObjectMap& b);

// Reads both sides, normalises and selects their objects, and compares them. Errors: a recording
// that cannot be read or replayed into a state (naming file, document and line), a live cluster
// that cannot be listed, a --resource that names nothing on either side, a malformed -l.
Result<std::vector<DiffEntry>> diff_sides(const DiffSide& a, const DiffSide& b,
                                          const DiffOptions& options = {});

// kubectl-diff style text for one modified object: a unified diff (3 lines of context) of the two
// objects' YAML, headed "--- A/RESOURCE/NS/NAME" / "+++ B/...". Secret data and stringData values
// are shown as "***" (or "*** (before)" / "*** (after)" where they differ), as kubectl diff does.
std::string format_raw_diff(const DiffEntry& entry, const std::string& a_label, const std::string& b_label);

}  // namespace ktape::store
