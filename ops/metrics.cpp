#include "ops/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace ktape::ops {
namespace {

const MetricInfo* find_metric(std::string_view name) {
  for (const auto& m : known_metrics())
    if (m.name == name) return &m;
  return nullptr;
}

// Label values escape backslash, double quote and newline (the exposition format's rule).
void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\')
      out.append("\\\\");
    else if (c == '"')
      out.append("\\\"");
    else if (c == '\n')
      out.append("\\n");
    else
      out.push_back(c);
  }
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("NaN");
    return;
  }
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.9g", v);
  out.append(buf);
}

}  // namespace

const std::vector<MetricInfo>& known_metrics() {
  static const std::vector<MetricInfo> k_metrics = {
      {"ktape_up", MetricType::gauge, "1 while ktape runs its schedule"},
      {"ktape_last_success_timestamp_seconds", MetricType::gauge,
       "Unix time at which the last successful snapshot or recording file was finished"},
      {"ktape_last_attempt_timestamp_seconds", MetricType::gauge, "Unix time at which the last tick started"},
      {"ktape_snapshot_duration_seconds", MetricType::gauge,
       "How long the last successful file took to write"},
      {"ktape_snapshot_objects", MetricType::gauge,
       "Objects in the snapshot section of the last successful file"},
      {"ktape_snapshot_bytes", MetricType::gauge, "Size as stored of the last successful file"},
      {"ktape_snapshots_total", MetricType::counter, "Files written successfully"},
      {"ktape_errors_total", MetricType::counter, "Ticks that failed (retried at the next tick)"},
      {"ktape_ticks_skipped_total", MetricType::counter,
       "Ticks skipped because the previous file was still being written"},
      {"ktape_retention_deleted_total", MetricType::counter, "Files deleted by the retention policy"},
      {"ktape_objects_total", MetricType::counter, "Objects written to snapshot sections, over all files"},
      {"ktape_events_total", MetricType::counter, "Watch events recorded, over all files"},
      {"ktape_bytes_written_total", MetricType::counter, "Bytes written as stored, over all files"},
      {"ktape_relists_total", MetricType::counter, "Relists after a 410 Gone, per resource"},
      {"ktape_request_failures_total", MetricType::counter,
       "Failed list or watch requests (retried), per resource"},
      {"ktape_queue_depth", MetricType::gauge,
       "Most records that waited for the writer at once during the last file"},
  };
  return k_metrics;
}

void Metrics::set(std::string_view name, double value, const Labels& labels) {
  if (!find_metric(name)) return;
  std::lock_guard lock(m_mutex);
  m_series[std::string(name)][labels] = value;
}

void Metrics::add(std::string_view name, double delta, const Labels& labels) {
  if (!find_metric(name)) return;
  std::lock_guard lock(m_mutex);
  m_series[std::string(name)][labels] += delta;
}

double Metrics::value(std::string_view name, const Labels& labels) const {
  std::lock_guard lock(m_mutex);
  auto series = m_series.find(name);
  if (series == m_series.end()) return 0;
  auto v = series->second.find(labels);
  return v == series->second.end() ? 0 : v->second;
}

std::string Metrics::render() const {
  std::lock_guard lock(m_mutex);
  std::string out;
  for (const auto& info : known_metrics()) {
    auto series = m_series.find(info.name);
    bool labelled_only = info.name == "ktape_relists_total" || info.name == "ktape_request_failures_total";
    if (series == m_series.end() && (info.type != MetricType::counter || labelled_only)) continue;
    out.append("# HELP ").append(info.name).append(" ").append(info.help).append("\n");
    out.append("# TYPE ").append(info.name).append(info.type == MetricType::counter ? " counter\n"
                                                                                    : " gauge\n");
    if (series == m_series.end()) {
      out.append(info.name).append(" 0\n");
      continue;
    }
    for (const auto& [labels, value] : series->second) {
      out.append(info.name);
      if (!labels.empty()) {
        out.push_back('{');
        bool first = true;
        for (const auto& [key, label_value] : labels) {
          out.append(first ? "" : ",").append(key).append("=\"");
          append_label_value(out, label_value);
          out.push_back('"');
          first = false;
        }
        out.push_back('}');
      }
      out.push_back(' ');
      append_number(out, value);
      out.push_back('\n');
    }
  }
  return out;
}

}  // namespace ktape::ops
