#pragma once
// YAML <-> Value. The emitter is ktape's own streaming emitter (block style, as kubectl prints
// YAML); yaml-cpp reads. Scalars resolve as Kubernetes' YAML reader resolves them (YAML 1.1 as in
// sigs.k8s.io/yaml: null/~, true/false/yes/no/on/off, decimal/hex/octal integers, floats), and the
// emitter quotes every string that would otherwise resolve to something else, so
// parse_yaml(to_yaml(v)) == v for every Value.
#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "formats/value.hpp"

namespace ktape::formats {

// One document in block style, without a leading "---", ending in a newline.
std::string to_yaml(const Value& value);
// Appends the document to `out`.
void append_yaml(std::string& out, const Value& value);

// Parses exactly one YAML document (a stream with several is an error). Error messages say
// "line N: what is wrong", with lines counted from `first_line` so a caller that cut the document
// out of a larger file reports the file's own line numbers.
Result<Value> parse_yaml(std::string_view text, std::size_t first_line = 1);

}  // namespace ktape::formats
