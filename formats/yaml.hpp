#pragma once
// YAML <-> Value. The emitter is ktape's own streaming emitter (block style, as kubectl prints
// YAML); yaml-cpp reads. Scalars resolve as Kubernetes' YAML reader resolves them (YAML 1.1 as in
// sigs.k8s.io/yaml: null/~, true/false/yes/no/on/off, decimal/hex/octal integers, floats), and the
// emitter quotes every string that would otherwise resolve to something else, so
// parse_yaml(to_yaml(v)) == v for every Value whose strings are valid UTF-8 and whose numbers are
// within a double's range (as parse_json guarantees). Plain `.inf`/`.nan` read as strings (a Value
// has no such numbers); plain keys are converted as sigs.k8s.io/yaml converts them (`y:` is the key
// "true", `0x1F:` is "31"); integers wider than 64 bits keep their digits. Reading takes a fast
// path for the block style ktape and kubectl write and yaml-cpp for everything else.
#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "formats/value.hpp"

namespace ktape::formats {

// One document in block style, without a leading "---", ending in a newline. No line of it starts
// with "---" or "..." at column 0, so documents can be joined with "---" lines. Bytes that are not
// valid UTF-8 cannot be written as YAML; each is escaped as \xNN (which reads back as U+00NN).
std::string to_yaml(const Value& value);
// Appends the document to `out`.
void append_yaml(std::string& out, const Value& value);

// Parses exactly one YAML document (a stream with several is an error; an empty one is null).
// Error messages say "line N: what is wrong", with lines counted from `first_line` so a caller
// that cut the document out of a larger file reports the file's own line numbers. Aliases may
// expand to at most 1,000,000 nodes; a repeated key keeps its last value; `<<` merge keys work.
Result<Value> parse_yaml(std::string_view text, std::size_t first_line = 1);

}  // namespace ktape::formats
