#pragma once
// Internal to replayer/: the state one replay shares between its phases.
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "formats/recording.hpp"
#include "kube/client.hpp"
#include "ownerref/relinker.hpp"
#include "replayer/applier.hpp"
#include "replayer/objects.hpp"
#include "replayer/replayer.hpp"
#include "replayer/summary.hpp"

namespace ktape::replayer {

struct Run {
  Run(kube::Client& c, const ReplayOptions& o, Controls& ctl, const Hooks& h, kube::Discovery discovery,
      Filter f, std::unordered_map<std::string, FileObject> file_creates)
      : client(c),
        options(o),
        controls(ctl),
        hooks(h),
        clock(o.clock ? o.clock : kube::make_system_clock()),
        catalog(std::move(discovery)),
        relinker(o.dangling == DanglingMode::keep ? ownerref::DanglingOwners::keep
                                                  : ownerref::DanglingOwners::drop),
        summary(o.max_errors_listed),
        applier(c, catalog, relinker, summary, o),
        filter(std::move(f)),
        creates(std::move(file_creates)) {}

  void log(const std::string& line) const {
    if (hooks.log) hooks.log(line);
  }
  void plan(const std::string& line) const {
    if (hooks.plan) hooks.plan(line);
  }

  kube::Client& client;
  const ReplayOptions& options;
  Controls& controls;
  const Hooks& hooks;
  std::shared_ptr<kube::Clock> clock;
  Catalog catalog;
  ownerref::Relinker relinker;
  Summary summary;
  Applier applier;
  Filter filter;
  const std::unordered_map<std::string, FileObject> creates;  // Preflight::creates
  LabelMemory labels;                                         // creates left out by -l
  // Snapshot objects whose namespace neither the snapshot nor the target holds, by namespace
  // name: a recorder lists each resource at its own moment, so an object listed a moment after
  // its namespace was created is in the snapshot while its namespace is an event. They are
  // created right after that namespace's create event (events.cpp), or at the end (failing as any
  // create into a missing namespace does) when the file never creates it.
  std::unordered_map<std::string, std::vector<formats::Value>> awaiting_namespace;
  LabelMemory owned;  // creates left to the target's controllers (--owned skip), by the same rules
};

// --dry-run's plan (plan.cpp). "+1.234s": a recorded time as the plan shows it.
std::string format_offset(std::chrono::nanoseconds at);
// "[at ]skip LABEL: WHY".
std::string plan_skip(std::string_view at, const std::string& label, const std::string& why);
// The plan of one create (`at`: its recorded time, nullopt in the snapshot): the line, one line
// per ownerReference (re-linked to which owner of the recording, or dangling), and what
// --on-existing does when the target already holds it (reads the target).
std::string plan_create(Run& run, const kube::ApiResource& resource, const formats::Value& object,
                        std::optional<std::chrono::nanoseconds> at);

// Calls fn(0) ... fn(count - 1) on up to `concurrency` threads; returns when every call has.
void parallel_for(std::size_t count, int concurrency, const std::function<void(std::size_t)>& fn);

// The snapshot phase over the snapshot section's objects (already filtered).
void run_snapshot(Run& run, std::vector<formats::Value> objects);
// Creates the snapshot objects still awaiting a namespace that no event created (run.awaiting_namespace).
void create_awaiting(Run& run);

// The event phase: `first` (the event that ended the snapshot section, if any), then the rest of
// `reader`. A read error is reported in the summary; what came before it has been applied.
void run_events(Run& run, formats::RecordingReader& reader, std::optional<formats::RecordingEntry> first);

}  // namespace ktape::replayer
