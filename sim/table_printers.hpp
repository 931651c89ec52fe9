#pragma once
// Internal to sim/: the per-resource column printers behind make_table.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/value.hpp"
#include "sim/resources.hpp"

namespace ktape::sim::table {

struct Printer {
  std::vector<formats::Value> columns;                         // TableColumnDefinition objects
  std::function<formats::Value(const formats::Value&)> cells;  // object -> array of cells
};

// The printer of a built-in resource with one, else NAME and AGE (custom resources included).
const Printer& printer_for(const ResourceInfo& info);

// A TableColumnDefinition.
formats::Value column(std::string_view name, std::string_view description, int priority = 0,
                      std::string_view format = "", std::string_view type = "string");
// The AGE cell of `object`: its creationTimestamp against the wall clock, "<unknown>" without one.
std::string age_of(const formats::Value& object);

}  // namespace ktape::sim::table
