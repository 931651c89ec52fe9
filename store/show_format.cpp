#include "store/show_format.hpp"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>

#include "formats/json.hpp"
#include "formats/time.hpp"
#include "formats/yaml.hpp"

namespace ktape::store {

using formats::Value;

namespace {

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

std::string rpad(const std::string& text, std::size_t width) {
  return text.size() < width ? std::string(width - text.size(), ' ') + text : text;
}

std::string num(std::uint64_t n) { return std::to_string(n); }

// The ASCII strip: each bucket as a digit 1-9 scaled to the largest, "." when empty.
std::string ascii_strip(const std::vector<std::uint64_t>& buckets) {
  std::uint64_t top = 0;
  for (auto n : buckets) top = std::max(top, n);
  std::string out;
  for (auto n : buckets) out += n == 0 ? '.' : static_cast<char>('1' + (n * 9 - 1) / top);
  return out;
}

// Every line of `text` prefixed by `indent`.
std::string indented(const std::string& text, const std::string& indent) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out.append(indent).append(text, start, nl - start).append("\n");
    start = nl + 1;
  }
  return out;
}

Value buckets_value(const std::vector<std::uint64_t>& buckets) {
  Value out = Value::array();
  for (auto n : buckets) out.push_back(Value(n));
  return out;
}

// " (2026-12-07T11:00:01.500000Z)" when the header gives a start time, else "".
std::string absolute_time(const std::optional<formats::Header>& header, std::int64_t ns) {
  if (!header) return {};
  auto start = formats::parse_rfc3339(header->start_time);
  if (!start) return {};
  return " (" +
         formats::format_rfc3339(*start + std::chrono::nanoseconds(ns), formats::TimePrecision::micro) + ")";
}

std::string header_text(const RecordingSummary& s) {
  std::string out = "File:            " + s.path + " (" + num(s.file_bytes) + " bytes)\n";
  if (!s.header && s.locked) return out + "Header:          encrypted with age (counts from its .meta)\n";
  if (!s.header) return out + "Header:          none (a kwok-format recording)\n";
  const auto& h = *s.header;
  out += "Source:          " + h.source + "\n";
  out += "Server version:  " + (h.server_version.empty() ? std::string("unknown") : h.server_version) + "\n";
  out += "Mode:            " + h.mode + "\n";
  out += "Start:           " + h.start_time + "\n";
  out += "Time markers:    " + std::string(h.time_markers ? "yes" : "no") + "\n";
  out += "Selection:       " + formats::to_json(h.selection.is_null() ? Value::object() : h.selection) + "\n";
  return out;
}

}  // namespace

std::string format_offset(std::int64_t ns) {
  std::string out = ns < 0 ? "-" : "+";
  std::uint64_t abs = ns < 0 ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
  std::uint64_t ms = abs / 1'000'000;
  if (ms < 1000) return out + std::to_string(ms) + "ms";
  std::uint64_t h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  out += std::to_string(s);
  if (frac != 0) {
    char digits[8];
    std::snprintf(digits, sizeof digits, ".%03" PRIu64, frac);
    std::string f(digits);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "s";
}

std::string format_summary_text(const RecordingSummary& s, bool unicode) {
  std::string out = header_text(s);
  out += "Duration:        " + format_offset(s.duration_ns).substr(1) + " (the last event's time)\n";
  out += "Snapshot:        " + num(s.objects) + " objects\n";
  out += "Events:          " + num(s.events) + "\n\n";
  auto strip = [&](const Timeline& t) {
    return unicode ? format_sparkline(t.buckets()) : ascii_strip(t.buckets());
  };
  std::size_t width = 8;
  for (const auto& r : s.resources) width = std::max(width, r.display_name().size());
  out += pad("RESOURCE", width) + "  OBJECTS  CREATES  PATCHES  DELETES  RESYNCS  EVENTS OVER TIME (" +
         format_offset(s.timeline.bucket_ns()).substr(1) + " per column)\n";
  auto row = [&](const std::string& name, std::uint64_t objects, std::uint64_t c, std::uint64_t p,
                 std::uint64_t d, std::uint64_t r, const Timeline& t) {
    out += pad(name, width) + "  " + rpad(num(objects), 7) + "  " + rpad(num(c), 7) + "  " + rpad(num(p), 7) +
           "  " + rpad(num(d), 7) + "  " + rpad(num(r), 7) + "  " + strip(t) + "\n";
  };
  ResourceCounts all;
  for (const auto& r : s.resources) {
    row(r.display_name(), r.objects, r.creates, r.patches, r.deletes, r.resyncs, r.timeline);
    all.objects += r.objects, all.creates += r.creates, all.patches += r.patches;
    all.deletes += r.deletes, all.resyncs += r.resyncs;
  }
  row("TOTAL", all.objects, all.creates, all.patches, all.deletes, all.resyncs, s.timeline);
  if (s.error) out += "\nThe read stopped: " + s.error->message + "\n";
  return out;
}

Value summary_to_value(const RecordingSummary& s) {
  Value v = Value::object();
  v.set("path", s.path);
  v.set("fileBytes", Value(s.file_bytes));
  v.set("header", s.header ? formats::to_value(*s.header) : Value());
  v.set("objects", Value(s.objects));
  v.set("events", Value(s.events));
  v.set("durationNanosecond", Value(s.duration_ns));
  v.set("duration", format_offset(s.duration_ns).substr(1));
  v.set("bucketNanoseconds", Value(s.timeline.bucket_ns()));
  v.set("buckets", buckets_value(s.timeline.buckets()));
  Value resources = Value::array();
  for (const auto& r : s.resources) {
    Value item = Value::object();
    item.set("resource", r.display_name());
    item.set("apiVersion", r.api_version);
    item.set("objects", Value(r.objects));
    item.set("creates", Value(r.creates));
    item.set("patches", Value(r.patches));
    item.set("deletes", Value(r.deletes));
    item.set("resyncs", Value(r.resyncs));
    item.set("buckets", buckets_value(r.timeline.buckets()));
    resources.push_back(std::move(item));
  }
  v.set("resources", std::move(resources));
  if (s.error) v.set("error", s.error->message);
  return v;
}

std::string format_life_text(const ObjectLife& life, bool full) {
  std::string out = life.ref.display() + ": " + num(life.steps.size()) + " steps\n";
  if (life.steps.empty()) out += "  (not in the recording)\n";
  for (const auto& step : life.steps) {
    out += pad(format_offset(step.at_ns), 12) + pad(step.action + (step.resync ? " (resync)" : ""), 18) +
           "document " + num(step.document) + " (line " + num(step.line) + ")\n";
    if (!step.problem.empty()) out += "    did not apply: " + step.problem + "\n";
    if (step.action == "patch") out += indented(formats::to_yaml(step.patch), "    ");
    if (full && step.object) {
      out += "    object after it:\n";
      out += indented(formats::to_yaml(*step.object), "      ");
    }
  }
  if (life.error) out += "The read stopped: " + life.error->message + "\n";
  return out;
}

Value life_to_value(const ObjectLife& life) {
  Value v = Value::object();
  v.set("object", life.ref.display());
  Value steps = Value::array();
  for (const auto& step : life.steps) {
    Value item = Value::object();
    item.set("durationNanosecond", Value(step.at_ns));
    item.set("time", format_offset(step.at_ns));
    item.set("action", step.action);
    item.set("resync", step.resync);
    item.set("document", Value(static_cast<std::uint64_t>(step.document)));
    item.set("line", Value(static_cast<std::uint64_t>(step.line)));
    if (step.action == "patch") item.set("patch", step.patch);
    if (step.object) item.set("object", *step.object);
    if (!step.problem.empty()) item.set("problem", step.problem);
    steps.push_back(std::move(item));
  }
  v.set("steps", std::move(steps));
  if (life.error) v.set("error", life.error->message);
  return v;
}

std::string format_state_text(const StateAt& state) {
  const auto& objects = state.state.objects();
  std::string out = "State at " + format_offset(state.at_ns) + absolute_time(state.header, state.at_ns) +
                    ": " + num(objects.size()) + " objects\n";
  std::vector<std::array<std::string, 3>> rows{{"RESOURCE", "NAMESPACE", "NAME"}};
  for (const auto& [key, object] : objects) {
    // key() is "apiVersion|resource|namespace|name".
    auto a = key.find('|'), b = key.find('|', a + 1), c = key.find('|', b + 1);
    std::string group = key.substr(0, a).find('/') == std::string::npos ? "" : key.substr(0, key.find('/'));
    std::string resource = key.substr(a + 1, b - a - 1) + (group.empty() ? "" : "." + group);
    rows.push_back({resource, key.substr(b + 1, c - b - 1), key.substr(c + 1)});
  }
  std::size_t w0 = 0, w1 = 0;
  for (const auto& r : rows) w0 = std::max(w0, r[0].size()), w1 = std::max(w1, r[1].size());
  for (const auto& r : rows) out += pad(r[0], w0 + 2) + pad(r[1], w1 + 2) + r[2] + "\n";
  for (const auto& p : state.problems) out += "did not apply: " + p + "\n";
  if (state.more_problems > 0)
    out += "... and " + num(state.more_problems) + " more events that did not apply\n";
  if (state.error) out += "The read stopped: " + state.error->message + "\n";
  return out;
}

Value state_to_value(const StateAt& state) {
  Value v = Value::object();
  v.set("apiVersion", "v1");
  v.set("kind", "List");
  Value items = Value::array();
  for (const auto& [key, object] : state.state.objects()) items.push_back(object);
  v.set("items", std::move(items));
  return v;
}

}  // namespace ktape::store
