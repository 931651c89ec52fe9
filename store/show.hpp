#pragma once
// What `ktape show` reads out of a recording, each in one streaming pass (memory holds counters,
// one object's history, or the live objects; never the file):
// - summarize_recording: the header, then per resource the snapshot objects and the events by
//   method, with a timeline of events;
// - read_object_life: one object's create, patches and delete, with times;
// - read_state_at: every object alive at a recorded time.
// A read that stops on bad input (a truncated file, a corrupt stream, a document that does not
// parse) still returns what was read before it, with the error alongside.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/error.hpp"
#include "formats/recording.hpp"
#include "formats/value.hpp"
#include "store/state.hpp"
#include "store/timeline.hpp"

namespace ktape::store {

// Buckets of the timelines (`show`'s strip is this many characters wide at most).
inline constexpr std::size_t k_timeline_buckets = 60;

struct ResourceCounts {
  std::string api_version;    // "apps/v1"
  std::string resource;       // plural, "deployments"
  std::uint64_t objects = 0;  // in the snapshot section
  std::uint64_t creates = 0;  // in the event section, resyncs included
  std::uint64_t patches = 0;
  std::uint64_t deletes = 0;
  std::uint64_t resyncs = 0;  // events written after a "# resync" comment (a relist after a 410)
  Timeline timeline{k_timeline_buckets};
  std::uint64_t events() const { return creates + patches + deletes; }
  // kubectl's name for the resource: "deployments.apps", "pods".
  std::string display_name() const;
};

struct RecordingSummary {
  std::string path;
  std::optional<formats::Header> header;  // nullopt for kwok's files
  std::uint64_t file_bytes = 0;           // as stored (compressed bytes for .gz/.zst)
  std::uint64_t objects = 0;              // snapshot section
  std::uint64_t events = 0;
  std::int64_t duration_ns = 0;           // the last event's time (0 without events)
  std::vector<ResourceCounts> resources;  // ordered by display_name(); every timeline aligned
  Timeline timeline{k_timeline_buckets};  // all events, aligned with the resources' timelines
  std::optional<Error> error;             // the read stopped here; everything above is up to it
  bool locked = false;  // an age file no --identity given opens: counts from NAME.meta, if any
};

// Reads `path` whole. An Error only when the file cannot be opened at all; a read that stops later
// sets RecordingSummary::error. An age file that no identity given opens is `locked`: its size, and
// the counts of its NAME.meta when there is one, with an error saying to give --identity.
Result<RecordingSummary> summarize_recording(const std::string& path);

// An object named on the command line: "RESOURCE/NAMESPACE/NAME", or "RESOURCE/NAME" for a
// cluster-scoped one. RESOURCE is a plural, a kind or a singular ("deployments", "Deployment",
// "deployment"), optionally with its group as kubectl writes it ("deployments.apps").
struct ObjectRef {
  std::string resource;  // plural, lowercase
  std::optional<std::string> group;
  std::string namespace_name;
  std::string name;
  // True when the event or object of (api_version, plural) at namespace/name is this one.
  bool matches(std::string_view api_version, std::string_view plural, std::string_view namespace_name,
               std::string_view name) const;
  std::string display() const;  // "deployments/shop/web"
};
// An invalid Error naming what is wrong ("expected RESOURCE/NAMESPACE/NAME or RESOURCE/NAME").
Result<ObjectRef> parse_object_ref(std::string_view text);

struct LifeStep {
  std::int64_t at_ns = 0;  // 0 for a snapshot object
  std::string action;      // "snapshot", "create", "patch", "delete"
  bool resync = false;
  formats::Value patch;                  // a patch's document; a create's object; null otherwise
  std::optional<formats::Value> object;  // the object after this step (with `full`; not for deletes)
  std::size_t document = 0;
  std::size_t line = 0;
  std::string problem;  // why the patch did not apply to the object before it, "" when it did
};

struct ObjectLife {
  ObjectRef ref;
  std::vector<LifeStep> steps;  // in recorded-time order
  std::optional<Error> error;   // the read stopped here
};

struct LifeOptions {
  bool full = false;                     // keep the object after each step in LifeStep::object
  std::optional<std::int64_t> until_ns;  // stop after events later than this (nanoseconds)
};

// One object's history. An Error only when the file cannot be opened.
Result<ObjectLife> read_object_life(const std::string& path, const ObjectRef& ref,
                                    const LifeOptions& options);

struct StateAt {
  std::int64_t at_ns = 0;
  std::optional<formats::Header> header;
  RecordedState state;
  std::vector<std::string> problems;  // events that did not apply ("document 12 (line 80): …"), first 20
  std::size_t more_problems = 0;      // beyond those
  std::optional<Error> error;         // the read stopped here
};

// The state after every snapshot object and every event at or before `at_ns`. An Error only when
// the file cannot be opened.
Result<StateAt> read_state_at(const std::string& path, std::int64_t at_ns);

}  // namespace ktape::store
