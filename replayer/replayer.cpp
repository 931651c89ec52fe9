#include "replayer/replayer.hpp"

#include <cstdio>

#include "replayer/run.hpp"

namespace ktape::replayer {

namespace {

Error refused(const Preflight& pre) {
  std::string message = "pre-flight check found " + std::to_string(pre.problems.size()) +
                        " problem(s); fix them or pass --force to replay anyway:";
  for (const auto& p : pre.problems) message += "\n  " + p;
  return Error{ErrorKind::invalid, message, 0, {}};
}

// Reads the snapshot section; returns the entry that ended it (the first event), if any. A read
// error ends the section and is reported.
std::optional<formats::RecordingEntry> read_snapshot(Run& run, formats::RecordingReader& reader,
                                                     std::vector<formats::Value>& objects, bool& broken) {
  while (true) {
    auto entry = reader.next();
    if (!entry) {
      run.summary.error(entry.error().message + " (replayed what came before it)");
      broken = true;
      return std::nullopt;
    }
    if (!*entry) return std::nullopt;
    if ((*entry)->kind == formats::RecordingEntry::Kind::event) return std::move(*entry);
    objects.push_back(std::move((*entry)->object));
  }
}

}  // namespace

Result<SummaryReport> replay(kube::Client& client, const ReplayOptions& options, Controls& controls,
                             const Hooks& hooks) {
  auto clock = options.clock ? options.clock : kube::make_system_clock();
  auto started = clock->now();
  auto pre = preflight(client, options);
  if (!pre) return fail(pre.error());
  if (!pre->problems.empty() && !options.force && !options.dry_run) return fail(refused(*pre));
  auto discovery = client.discover();
  if (!discovery) return fail(with_context(discovery.error(), "discovery of the target"));
  auto filter = Filter::make(options.selection, *discovery);
  if (!filter) return fail(filter.error());
  Run run(client, options, controls, hooks, std::move(*discovery), std::move(*filter),
          std::move(pre->creates));
  for (const auto& p : pre->problems) run.summary.problem(p);
  for (const auto& w : pre->warnings) run.log("warning: " + w);

  std::vector<formats::Value> objects;
  bool broken = false;
  std::optional<formats::RecordingReader> reader;
  std::optional<formats::RecordingEntry> first;
  if (pre->snapshot_kept) {
    // No event follows that needs the file again: the pre-flight read is the only one.
    objects = std::move(pre->snapshot);
    if (pre->snapshot_error) {
      run.summary.error(pre->snapshot_error->message + " (replayed what came before it)");
      broken = true;
    }
  } else {
    auto base = std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
    auto opened =
        formats::RecordingReader::open(options.path, {formats::TimePoint(base.time_since_epoch()), 4096});
    if (!opened) return fail(opened.error());
    reader.emplace(std::move(*opened));
    first = read_snapshot(run, *reader, objects, broken);
  }
  run.log("snapshot: " + std::to_string(objects.size()) + " objects");
  run_snapshot(run, std::move(objects));
  if (!options.snapshot_only && !broken && !controls.stop) {
    char speed[32];
    std::snprintf(speed, sizeof speed, "%gx", options.speed);
    run.log(options.speed > 0 ? "events: replaying at speed " + std::string(speed)
                              : std::string("events: replaying as fast as possible"));
    if (reader) run_events(run, *reader, std::move(first));  // else the file has no events
  }
  if (!controls.stop) create_awaiting(run);

  SummaryReport report = run.summary.report();
  auto stats = run.relinker.stats();
  report.relinked = stats.rewritten;
  report.dangling = stats.dangling;
  report.stopped = controls.stop;
  report.dry_run = options.dry_run;
  report.elapsed = clock->now() - started;
  return report;
}

}  // namespace ktape::replayer
