#pragma once
// The metrics of a long-running ktape, rendered in Prometheus' text exposition format (0.0.4) for
// /metrics. Names follow Prometheus' conventions: a `ktape_` prefix, base units in the name
// (`_seconds`, `_bytes`), `_total` on counters. The names ktape exports are listed once, below, so
// that the README and the code agree.
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ktape::ops {

enum class MetricType { counter, gauge };

struct MetricInfo {
  std::string_view name;
  MetricType type;
  std::string_view help;
};

// Every metric a scheduled ktape exports (documented in the README from this list).
const std::vector<MetricInfo>& known_metrics();

// A label set, e.g. {{"resource", "pods"}}; rendered sorted by label name.
using Labels = std::map<std::string, std::string>;

// Thread-safe. Metrics must be one of known_metrics() (anything else is ignored, so a typo in a
// name shows up as a missing series in tests rather than a new undocumented one).
class Metrics {
 public:
  // Sets a gauge (or a counter, to a value read from elsewhere).
  void set(std::string_view name, double value, const Labels& labels = {});
  // Adds `delta` (>= 0 for counters) to a series, starting from 0.
  void add(std::string_view name, double delta, const Labels& labels = {});
  // The value of a series; 0 when it was never set.
  double value(std::string_view name, const Labels& labels = {}) const;

  // The text exposition: for each known metric with at least one series (counters always, at 0
  // when never touched), "# HELP", "# TYPE" and one line per series.
  std::string render() const;

 private:
  mutable std::mutex m_mutex;
  std::map<std::string, std::map<Labels, double>, std::less<>> m_series;
};

}  // namespace ktape::ops
