#include "replayer/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ktape::replayer {

namespace {

std::uint64_t& field(Counts& counts, Outcome outcome) {
  switch (outcome) {
    case Outcome::created:
      return counts.created;
    case Outcome::patched:
      return counts.patched;
    case Outcome::deleted:
      return counts.deleted;
    case Outcome::skipped:
      return counts.skipped;
    case Outcome::failed:
      break;
  }
  return counts.failed;
}

void bump(Counts& counts, Outcome outcome) { ++field(counts, outcome); }

std::string millis(std::chrono::nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f ms", static_cast<double>(d.count()) / 1e6);
  return buf;
}

std::string counts_line(const Counts& c) {
  return std::to_string(c.created) + " created, " + std::to_string(c.patched) + " patched, " +
         std::to_string(c.deleted) + " deleted, " + std::to_string(c.skipped) + " skipped, " +
         std::to_string(c.failed) + " failed";
}

formats::Value counts_value(const Counts& c) {
  formats::Value v = formats::Value::object();
  v.set("created", c.created);
  v.set("patched", c.patched);
  v.set("deleted", c.deleted);
  v.set("skipped", c.skipped);
  v.set("failed", c.failed);
  return v;
}

formats::Value strings_value(const std::vector<std::string>& lines) {
  formats::Value v = formats::Value::array();
  for (const auto& line : lines) v.push_back(line);
  return v;
}

}  // namespace

std::chrono::nanoseconds percentile(std::vector<std::chrono::nanoseconds>& samples, double q) {
  if (samples.empty()) return std::chrono::nanoseconds{0};
  std::sort(samples.begin(), samples.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size())));
  rank = std::clamp<std::size_t>(rank, 1, samples.size());
  return samples[rank - 1];
}

void Summary::count(std::string_view resource, Outcome outcome) {
  std::lock_guard lock(m_mutex);
  bump(m_report.by_resource[std::string(resource)], outcome);
  bump(m_report.totals, outcome);
}

void Summary::skip(std::string_view resource, std::string_view reason) {
  std::lock_guard lock(m_mutex);
  bump(m_report.by_resource[std::string(resource)], Outcome::skipped);
  bump(m_report.totals, Outcome::skipped);
  ++m_report.reasons[std::string(reason)];
}

void Summary::note(std::string line) {
  std::lock_guard lock(m_mutex);
  m_report.notes.push_back(std::move(line));
}

void Summary::error(std::string message) {
  std::lock_guard lock(m_mutex);
  if (m_report.errors.size() < m_max_errors)
    m_report.errors.push_back(std::move(message));
  else
    ++m_report.errors_not_listed;
}

void Summary::problem(std::string message) {
  std::lock_guard lock(m_mutex);
  m_report.problems.push_back(std::move(message));
}

void Summary::late(std::chrono::nanoseconds lateness) {
  std::lock_guard lock(m_mutex);
  m_lateness.push_back(std::max(lateness, std::chrono::nanoseconds{0}));
}

SummaryReport Summary::report() const {
  std::lock_guard lock(m_mutex);
  SummaryReport out = m_report;
  auto samples = m_lateness;
  out.lateness.samples = samples.size();
  out.lateness.p50 = percentile(samples, 0.50);
  out.lateness.p99 = percentile(samples, 0.99);
  out.lateness.max = samples.empty() ? std::chrono::nanoseconds{0} : samples.back();
  return out;
}

std::string format_summary(const SummaryReport& r) {
  std::string out =
      r.dry_run ? "dry run, nothing written: " : (r.stopped ? "replay stopped: " : "replay done: ");
  out += counts_line(r.totals) + " in " + millis(r.elapsed) + "\n";
  for (const auto& [resource, counts] : r.by_resource)
    out += "  " + resource + ": " + counts_line(counts) + "\n";
  out += "owner references: " + std::to_string(r.relinked) + " re-linked, " + std::to_string(r.dangling) +
         " dangling\n";
  if (r.lateness.samples > 0)
    out += "lateness over " + std::to_string(r.lateness.samples) + " events: p50 " + millis(r.lateness.p50) +
           ", p99 " + millis(r.lateness.p99) + ", max " + millis(r.lateness.max) + "\n";
  if (!r.reasons.empty()) out += "skips by reason:\n";
  for (const auto& [reason, count] : r.reasons) out += "  " + reason + ": " + std::to_string(count) + "\n";
  if (!r.notes.empty()) out += "changed for the target (" + std::to_string(r.notes.size()) + "):\n";
  for (const auto& n : r.notes) out += "  " + n + "\n";
  if (!r.problems.empty()) out += "problems (" + std::to_string(r.problems.size()) + "):\n";
  for (const auto& p : r.problems) out += "  " + p + "\n";
  if (!r.errors.empty()) out += "errors:\n";
  for (const auto& e : r.errors) out += "  " + e + "\n";
  if (r.errors_not_listed > 0) out += "  ... and " + std::to_string(r.errors_not_listed) + " more\n";
  return out;
}

formats::Value summary_to_value(const SummaryReport& r) {
  formats::Value v = formats::Value::object();
  v.set("dryRun", r.dry_run);
  v.set("stopped", r.stopped);
  v.set("elapsedSeconds", static_cast<double>(r.elapsed.count()) / 1e9);
  v.set("totals", counts_value(r.totals));
  formats::Value resources = formats::Value::object();
  for (const auto& [resource, counts] : r.by_resource) resources.set(resource, counts_value(counts));
  v.set("resources", std::move(resources));
  formats::Value late = formats::Value::object();
  late.set("samples", static_cast<std::uint64_t>(r.lateness.samples));
  late.set("p50Ms", static_cast<double>(r.lateness.p50.count()) / 1e6);
  late.set("p99Ms", static_cast<double>(r.lateness.p99.count()) / 1e6);
  late.set("maxMs", static_cast<double>(r.lateness.max.count()) / 1e6);
  v.set("lateness", std::move(late));
  v.set("relinked", r.relinked);
  v.set("dangling", r.dangling);
  formats::Value reasons = formats::Value::object();
  for (const auto& [reason, count] : r.reasons) reasons.set(reason, count);
  v.set("skippedBecause", std::move(reasons));
  v.set("changedForTarget", strings_value(r.notes));
  v.set("problems", strings_value(r.problems));
  v.set("errors", strings_value(r.errors));
  v.set("errorsNotListed", r.errors_not_listed);
  return v;
}

}  // namespace ktape::replayer
