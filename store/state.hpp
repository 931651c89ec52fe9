#pragma once
// The state a recording describes at a point in time: its snapshot objects, then its events
// applied in order (creates, strategic/merge patches, deletes). Used to check recordings against a
// cluster, to show a recording's state, and to seek in a replay. Reading a recording into it is
// one streaming pass: memory holds the live objects, never the file.
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "formats/recording.hpp"
#include "formats/value.hpp"

namespace ktape::store {

// The plural resource of a kind ("apps/v1", "Deployment" -> "deployments").
using PluralResolver = std::function<std::string(std::string_view api_version, std::string_view kind)>;

// Lowercase kind + "s", corrected for the built-in kinds whose plural differs (normalize_plural).
// Right for every built-in kind and for most custom ones; pass a discovery-backed resolver for
// custom resources with irregular plurals.
std::string guess_plural(std::string_view kind);

class RecordedState {
 public:
  explicit RecordedState(PluralResolver resolver = {});

  // Applies one entry. A patch or delete of an object the state does not hold, or a patch that
  // does not apply, is an Error (the state is unchanged); a create of an object it holds replaces it.
  Result<void> apply(const formats::RecordingEntry& entry);
  // The same, moving the entry's object or create template into the state instead of copying it.
  Result<void> apply(formats::RecordingEntry&& entry);

  // Objects by key(), ordered.
  const std::map<std::string, formats::Value>& objects() const { return m_objects; }
  // Moves the objects out (the state is then empty): for a caller done applying entries.
  std::map<std::string, formats::Value> release_objects() { return std::move(m_objects); }
  // "apps/v1|deployments|shop|web" ("" namespace for cluster-scoped objects).
  static std::string key(std::string_view api_version, std::string_view resource,
                         std::string_view namespace_name, std::string_view name);

 private:
  // The resolver's answer for the last apiVersion and kind asked: objects of one kind come in
  // runs, and a discovery-backed resolver scans every resource.
  const std::string& plural_of(std::string_view api_version, std::string_view kind);

  PluralResolver m_resolver;
  std::map<std::string, formats::Value> m_objects;
  std::string m_last_api_version, m_last_kind, m_last_plural;
};

}  // namespace ktape::store
