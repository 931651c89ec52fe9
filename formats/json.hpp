#pragma once
// JSON text <-> Value, through RapidJSON. Numbers are read as their exact text; strings are
// UTF-8 and written without escaping non-ASCII.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// One member of a JSON object as text: its key (unescaped) and the text of its value.
struct JsonMember {
  std::string key;
  std::string_view value;
};
// The members of the JSON object `text`, found without building a Value: to read a few members of
// a large document, or to compare members as text. The walk checks the structure (brackets,
// strings, colons, commas, nothing after the object) but not the scalars in it: parse a member's
// value before relying on it. false when `text` is not an object of that shape (nested deeper
// than 1,000 levels included); `out` is then unspecified.
bool split_json_object(std::string_view text, std::vector<JsonMember>& out);
// The text of a JSON string literal (quotes included) as the string it stands for; nullopt when
// it is not one.
std::optional<std::string> json_string_value(std::string_view literal);

}  // namespace ktape::formats
