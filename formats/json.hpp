#pragma once
// JSON text <-> Value, through RapidJSON. Numbers are read as their exact text; strings are
// UTF-8 and written without escaping non-ASCII.
#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "formats/value.hpp"

namespace ktape::formats {

// Parses one JSON value; trailing non-space text is an error. The error names the byte offset.
// Numbers keep their text; one outside a double's range (1e400) is an error, as in Go.
Result<Value> parse_json(std::string_view text);

// Compact JSON.
std::string to_json(const Value& value);
// Appends compact JSON to `out` (no intermediate string).
void append_json(std::string& out, const Value& value);
// True when to_json(value) == text, found without writing the text (and at the first difference).
bool is_json_of(const Value& value, std::string_view text);
// Two-space indented JSON, as `kubectl get -o json` prints it.
std::string to_json_pretty(const Value& value);

// Appends `s` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view s);

}  // namespace ktape::formats
