#include "schedule/runner.hpp"

#include <algorithm>
#include <filesystem>

#include "formats/time.hpp"
#include "store/catalog.hpp"

namespace ktape::schedule {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_stamp_pattern = "YYYYMMDD-HHMMSS";

std::string stamp(TimePoint t) {
  // format_rfc3339 gives "2026-12-07T15:04:05Z"; the file name wants "20261207-150405".
  auto text = formats::format_rfc3339(std::chrono::time_point_cast<std::chrono::nanoseconds>(t));
  std::string out;
  for (char c : text.substr(0, 19))
    if (c != '-' && c != ':') out.push_back(c == 'T' ? '-' : c);
  return out;
}

double unix_seconds(TimePoint t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

void record_success(const RunnerOptions& o, const recorder::RecordSummary& s, TimePoint now) {
  auto& m = *o.metrics;
  m.set("ktape_last_success_timestamp_seconds", unix_seconds(now));
  m.set("ktape_snapshot_duration_seconds", std::chrono::duration<double>(s.elapsed).count());
  m.set("ktape_snapshot_objects", static_cast<double>(s.objects));
  m.set("ktape_snapshot_bytes", static_cast<double>(s.file_bytes));
  m.set("ktape_queue_depth", static_cast<double>(s.queue_max));
  m.add("ktape_snapshots_total", 1);
  m.add("ktape_objects_total", static_cast<double>(s.objects));
  m.add("ktape_events_total", static_cast<double>(s.events));
  m.add("ktape_bytes_written_total", static_cast<double>(s.file_bytes));
  for (const auto& r : s.resources) {
    if (r.relists > 0) m.add("ktape_relists_total", static_cast<double>(r.relists), {{"resource", r.name}});
    if (r.failures > 0)
      m.add("ktape_request_failures_total", static_cast<double>(r.failures), {{"resource", r.name}});
  }
  o.log->info("file written",
              {{"path", s.path},
               {"objects", std::to_string(s.objects)},
               {"events", std::to_string(s.events)},
               {"bytes", std::to_string(s.file_bytes)},
               {"seconds", std::to_string(std::chrono::duration<double>(s.elapsed).count())}});
}

// A failed tick's own file (never an older one: the name is this tick's, and the runner checked
// that it did not exist before the job ran) goes with its sidecar, so it is not taken for a backup.
void remove_partial(const RunnerOptions& o, const std::string& path) {
  std::error_code ec;
  for (const auto& p : {path, path + ".sha256", path + ".meta"})
    if (fs::remove(p, ec)) o.log->info("removed the failed tick's partial file", {{"path", p}});
}

void run_tick(const RunnerOptions& o, TimePoint tick, const Job& job, std::uint64_t& written) {
  auto path = o.naming.path_at(tick);
  o.metrics->set("ktape_last_attempt_timestamp_seconds", unix_seconds(o.clock->wall_now()));
  std::error_code ec;
  if (fs::exists(path, ec)) {
    o.metrics->add("ktape_errors_total", 1);
    o.log->error("tick failed: its file already exists; left as it is", {{"path", path}});
    return;
  }
  o.log->info("tick", {{"schedule", o.schedule.spec}, {"path", path}});
  if (report_file(o, path, job(path), Partial::remove)) ++written;
}

// Sleeps until `when` in steps of at most 200 ms; false when stop was set first.
bool wait_until(const RunnerOptions& o, TimePoint when, const std::atomic<bool>& stop) {
  while (!stop.load()) {
    auto left = when - o.clock->wall_now();
    if (left <= TimePoint::duration::zero()) return true;
    o.clock->sleep_for(std::min<std::chrono::nanoseconds>(left, std::chrono::milliseconds(200)));
  }
  return false;
}

}  // namespace

bool report_file(const RunnerOptions& o, const std::string& path,
                 const Result<recorder::RecordSummary>& result, Partial partial) {
  if (!result) {
    o.metrics->add("ktape_errors_total", 1);
    o.log->error("file failed; older files are kept, retrying at the next tick",
                 {{"path", path}, {"error", result.error().message}});
    if (partial == Partial::remove) remove_partial(o, path);
    return false;
  }
  record_success(o, *result, o.clock->wall_now());
  apply_retention(o, o.clock->wall_now());
  return true;
}

std::string FileNaming::path_at(TimePoint tick) const {
  std::string name = prefix;
  name.append("-").append(stamp(tick)).append(extension);
  return (fs::path(dir) / name).string();
}

bool FileNaming::is_ours(std::string_view file_name) const {
  std::size_t stamp_size = k_stamp_pattern.size();
  if (file_name.size() != prefix.size() + 1 + stamp_size + extension.size()) return false;
  if (!file_name.starts_with(prefix) || file_name[prefix.size()] != '-' || !file_name.ends_with(extension))
    return false;
  auto s = file_name.substr(prefix.size() + 1, stamp_size);
  for (std::size_t i = 0; i < stamp_size; ++i) {
    bool digit = s[i] >= '0' && s[i] <= '9';
    if (i == 8 ? s[i] != '-' : !digit) return false;
  }
  return true;
}

Result<FileNaming> parse_file_naming(const std::string& path) {
  fs::path p(path);
  FileNaming n;
  n.dir = p.parent_path().empty() ? "." : p.parent_path().string();
  std::string name = p.filename().string();
  // Longest first, so that an encrypted compressed recording keeps all of its extension.
  for (std::string_view ext : {".yaml.zst.age", ".yaml.gz.age", ".yml.zst.age", ".yml.gz.age", ".yaml.age",
                               ".yml.age", ".yaml.zst", ".yaml.gz", ".yml.zst", ".yml.gz", ".yaml", ".yml"}) {
    if (name.size() > ext.size() && name.ends_with(ext)) {
      n.extension.assign(ext.data(), ext.size());
      name.resize(name.size() - ext.size());
      break;
    }
  }
  if (n.extension.empty()) n.extension = ".yaml";
  if (name.empty() || name == "." || name == "..")
    return fail(ErrorKind::invalid, "--path \"" + path +
                                        "\": a scheduled export needs DIR/PREFIX (files are named "
                                        "PREFIX-YYYYMMDD-HHMMSS.yaml[.zst])");
  n.prefix = name;
  return n;
}

std::size_t apply_retention(const RunnerOptions& o, TimePoint now) {
  if (!o.retention.any()) return 0;
  auto entries = store::list_recordings(o.naming.dir);
  if (!entries) {
    o.metrics->add("ktape_errors_total", 1);
    o.log->error("retention: cannot list the folder", {{"error", entries.error().message}});
    return 0;
  }
  std::vector<store::CatalogEntry> ours;
  std::vector<store::RetentionCandidate> candidates;
  for (auto& e : *entries) {
    auto name = fs::path(e.info.path).filename().string();
    if (!o.naming.is_ours(name) || !e.info.has_sidecar) continue;  // unfinished files are not judged
    candidates.push_back({name, e.start_unix_ns, e.info.file_bytes});
    ours.push_back(std::move(e));
  }
  auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  auto plan = store::plan_retention(candidates, o.retention, now_ns);
  std::size_t deleted = 0;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (plan[i].keep) continue;
    std::string why;
    for (const auto& r : plan[i].reasons) why.append(why.empty() ? "" : "; ").append(r);
    auto done = store::delete_recording(ours[i].info.path);
    if (!done) {
      o.metrics->add("ktape_errors_total", 1);
      o.log->error("retention: cannot delete", {{"error", done.error().message}});
      continue;
    }
    ++deleted;
    o.metrics->add("ktape_retention_deleted_total", 1);
    o.log->info("retention: deleted", {{"path", ours[i].info.path}, {"reason", why}});
  }
  return deleted;
}

std::uint64_t run_schedule(const RunnerOptions& options, const std::atomic<bool>& stop, const Job& job) {
  RunnerOptions o = options;
  if (!o.clock) o.clock = kube::make_system_clock();
  o.metrics->set("ktape_up", 1);
  std::uint64_t written = 0;
  auto next = next_tick(o.schedule, o.clock->wall_now());
  o.log->info("schedule started",
              {{"schedule", o.schedule.spec}, {"next", next ? formats::format_rfc3339(*next) : "never"}});
  while (next && wait_until(o, *next, stop)) {
    run_tick(o, *next, job, written);
    auto now = o.clock->wall_now();
    auto following = next_tick(o.schedule, *next);
    while (following && *following <= now) {
      o.metrics->add("ktape_ticks_skipped_total", 1);
      o.log->warn("tick skipped: the previous file was still being written",
                  {{"tick", formats::format_rfc3339(*following)}});
      following = next_tick(o.schedule, *following);
    }
    next = following;
  }
  o.metrics->set("ktape_up", 0);
  o.log->info("schedule stopped", {{"files", std::to_string(written)}});
  return written;
}

}  // namespace ktape::schedule
