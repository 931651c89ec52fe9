// meta.k8s.io/v1 Tables for `kubectl get`: the columns of the real server's printers (the
// common ones), cells computed from schema-less objects, and PartialObjectMetadata rows.
#include <chrono>

#include "formats/time.hpp"
#include "sim/resources.hpp"
#include "sim/table_printers.hpp"

namespace ktape::sim {

using formats::Value;

std::string human_duration(long long seconds) {
  // kubectl's duration printer: coarser as the age grows, at most two units.
  auto two = [](long long a, const char* ua, long long b, const char* ub) {
    return b == 0 ? std::to_string(a) + ua : std::to_string(a) + ua + std::to_string(b) + ub;
  };
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return std::to_string(seconds) + "s";
  long long minutes = seconds / 60;
  if (minutes < 10) return two(minutes, "m", seconds % 60, "s");
  if (minutes < 180) return std::to_string(minutes) + "m";
  long long hours = minutes / 60;
  if (hours < 8) return two(hours, "h", minutes % 60, "m");
  if (hours < 48) return std::to_string(hours) + "h";
  long long days = hours / 24;
  if (hours < 24LL * 8) return two(days, "d", hours % 24, "h");
  if (hours < 24LL * 365 * 2) return std::to_string(days) + "d";
  long long years = days / 365;
  if (hours < 24LL * 365 * 8) return two(years, "y", days % 365, "d");
  return std::to_string(years) + "y";
}

namespace table {

std::string age_of(const Value& object) {
  auto created = formats::parse_rfc3339(object.string_at({"metadata", "creationTimestamp"}));
  if (!created) return "<unknown>";
  auto elapsed = std::chrono::system_clock::now() - *created;
  return human_duration(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count());
}

Value column(std::string_view name, std::string_view description, int priority, std::string_view format,
             std::string_view type) {
  Value out = Value::object();
  out.set("name", name);
  out.set("type", type);
  out.set("format", format);
  out.set("description", description);
  out.set("priority", priority);
  return out;
}

}  // namespace table

namespace {

Value partial_object_metadata(const Value& object) {
  Value out = Value::object();
  out.set("kind", "PartialObjectMetadata");
  out.set("apiVersion", "meta.k8s.io/v1");
  const Value* metadata = object.find("metadata");
  out.set("metadata", metadata != nullptr ? *metadata : Value::object());
  return out;
}

}  // namespace

Value make_table(const ResourceInfo& info, const std::vector<Value>& objects,
                 std::string_view resource_version, std::string_view continue_token) {
  const table::Printer& printer = table::printer_for(info);
  Value columns = Value::array();
  for (const auto& c : printer.columns) columns.push_back(c);
  Value rows = Value::array();
  for (const auto& object : objects) {
    Value row = Value::object();
    row.set("cells", printer.cells(object));
    row.set("object", partial_object_metadata(object));
    rows.push_back(std::move(row));
  }
  Value metadata = Value::object();
  metadata.set("resourceVersion", resource_version);
  if (!continue_token.empty()) metadata.set("continue", continue_token);
  Value out = Value::object();
  out.set("kind", "Table");
  out.set("apiVersion", "meta.k8s.io/v1");
  out.set("metadata", std::move(metadata));
  out.set("columnDefinitions", std::move(columns));
  out.set("rows", std::move(rows));
  return out;
}

}  // namespace ktape::sim
