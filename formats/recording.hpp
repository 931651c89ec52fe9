#pragma once
// The recording schema (DESIGN.md, "The recording format"): a multi-document YAML stream whose
// first line is a `# ktape: {json}` header comment, then a snapshot section of plain Kubernetes
// objects, then an event section of kwok's `action.kwok.x-k8s.io/v1alpha1` ResourcePatch
// documents sorted by durationNanosecond. kwok's own files (no header, naive plurals, events only
// mostly sorted, time markers anywhere) read the same way.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "formats/reader.hpp"
#include "formats/time.hpp"
#include "formats/value.hpp"

namespace ktape::formats {

inline constexpr std::string_view k_action_api_version = "action.kwok.x-k8s.io/v1alpha1";
inline constexpr std::string_view k_resource_patch_kind = "ResourcePatch";
inline constexpr int k_format_version = 1;

// ktape's header, carried as JSON in the first line's comment so that other readers ignore it.
struct Header {
  int format_version = k_format_version;
  std::string start_time;      // RFC3339 (nanoseconds): durationNanosecond counts from here
  std::string source;          // where it was recorded: a server URL or "cluster NAME"
  std::string server_version;  // the server's gitVersion, "" when unknown
  std::string mode;            // "record" or "snapshot"
  bool time_markers = false;   // time fields written as "$(time-offset-nanosecond N)"
  Value selection;             // what was selected (resources, namespaces, selector): an object
};

// "# ktape: {...}\n".
std::string format_header_line(const Header& header);
// The header as the JSON object that line carries (what `ktape show -o json` prints as `header`).
Value to_value(const Header& header);
// `comment` is a comment line's text without "# ". nullopt when it is not a ktape header; a ktape
// header with bad JSON or fields is an Error.
Result<std::optional<Header>> parse_header_comment(std::string_view comment);

enum class Method { create, patch, remove };  // written "create", "patch", "delete"
std::string_view method_name(Method method);

struct GroupVersionResource {
  std::string group;                // "" for the core group
  std::string version;              // "v1"
  std::string resource;             // plural, "deployments"
  std::string api_version() const;  // "v1", "apps/v1"
  friend bool operator==(const GroupVersionResource&, const GroupVersionResource&) = default;
};

struct ResourcePatch {
  GroupVersionResource resource;
  std::string name;
  std::string namespace_name;    // "" for cluster-scoped objects
  std::int64_t duration_ns = 0;  // since the header's startTime
  Method method = Method::create;
  Value template_value;  // create: the object; patch: the patch document; delete: null
  bool resync = false;   // found by a relist after a 410, written after a "# resync" comment
  // A patch that starts a graceful delete (it sets metadata.deletionTimestamp, see
  // sets_deletion_timestamp), written after a "# graceful-delete" comment: a comment so that the
  // document stays the patch kwok and older readers know, and store's states stay exact.
  bool graceful_delete = false;
};

// True when `patch` (a strategic or JSON merge patch) sets metadata.deletionTimestamp to a time:
// the start of a graceful delete as a watch shows it, which a replay must send as a DELETE (an
// apiserver refuses the field in a patch: "field is immutable").
bool sets_deletion_timestamp(const Value& patch);

// True when `doc` is an action.kwok.x-k8s.io ResourcePatch.
bool is_resource_patch(const Value& doc);
Value to_value(const ResourcePatch& event);
// The same, moving the template into the document instead of copying it.
Value to_value(ResourcePatch&& event);
// Errors name the missing or malformed field: "field target.name: missing".
Result<ResourcePatch> parse_resource_patch(const Value& doc);

// kwok writes plurals as lowercase kind + "s" ("endpointss", "networkpolicys"); this returns the
// real plural for the built-in kinds whose plural differs, else `resource` unchanged (a custom
// resource's naive plural is resolved against discovery by kind, by the replayer).
std::string normalize_plural(std::string_view resource);

// Removes what must not go into a snapshot: metadata.resourceVersion, and metadata.managedFields
// unless `keep_managed_fields`.
void strip_for_snapshot(Value& object, bool keep_managed_fields);

// One entry of a recording, in replay order: a snapshot object or an event.
struct RecordingEntry {
  enum class Kind { object, event };
  Kind kind = Kind::object;
  Value object;              // kind == object
  ResourcePatch event;       // kind == event
  std::size_t document = 0;  // where it came from, for error messages
  std::size_t line = 0;
};

struct RecordingReadOptions {
  // Time markers become times relative to this (the replay's start); nullopt leaves them as text.
  std::optional<TimePoint> time_base;
  // kwok's files are only mostly sorted: events are read ahead this many at a time and yielded
  // in durationNanosecond order (stable for equal times). 0 yields file order.
  std::size_t sort_window = 4096;
};

class RecordingReader {
 public:
  static Result<RecordingReader> open(const std::string& path, RecordingReadOptions options = {});
  RecordingReader(DocumentReader documents, RecordingReadOptions options);
  RecordingReader(RecordingReader&&) noexcept;
  RecordingReader& operator=(RecordingReader&&) noexcept;
  ~RecordingReader();

  // The header, once the first document has been read (nullopt for kwok's files).
  const std::optional<Header>& header() const;
  // The next entry; nullopt at the end. Errors name the file, the document and its line; every
  // entry before a bad document has been delivered.
  Result<std::optional<RecordingEntry>> next();
  const std::string& name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace ktape::formats
