#pragma once
// How `ktape show` prints what store/show.hpp reads: text for a person (tables, a sparkline of
// events over time), and Values for `-o json|yaml` whose field names are stable for scripts.
#include <cstdint>
#include <string>

#include "formats/recording.hpp"
#include "formats/value.hpp"
#include "store/show.hpp"

namespace ktape::store {

// "+1m30.5s", "+0s", "+250ms": an offset from the recording's start, short and exact to 1 ms.
std::string format_offset(std::int64_t ns);
// The header as an object: formatVersion, startTime, source, serverVersion, mode, timeMarkers,
// selection (the names of the header line's JSON).
formats::Value header_to_value(const formats::Header& header);

// The header, totals, then one row per resource with its sparkline (`unicode` false draws the
// strip with ASCII digits 0-9 instead of block characters).
std::string format_summary_text(const RecordingSummary& summary, bool unicode = true);
// {path, fileBytes, header|null, objects, events, durationNanosecond, duration, bucketNanoseconds,
//  buckets[], resources[{resource, apiVersion, objects, creates, patches, deletes, resyncs,
//  buckets[]}], error?}
formats::Value summary_to_value(const RecordingSummary& summary);

// One line per step ("+2s  patch  document 4 (line 40)"), the patch (and with `full` the object
// after it) below it as indented YAML.
std::string format_life_text(const ObjectLife& life, bool full);
// {object, steps[{durationNanosecond, time, action, resync, document, line, patch?, object?,
//  problem?}], error?}
formats::Value life_to_value(const ObjectLife& life);

// "State at +1m30s: N objects" then RESOURCE NAMESPACE NAME rows, then the events that did not apply.
std::string format_state_text(const StateAt& state);
// A kubectl-style {apiVersion: v1, kind: List, items: [...]} of every object alive then.
formats::Value state_to_value(const StateAt& state);

}  // namespace ktape::store
