#pragma once
// Private to formats/: how a plain (unquoted) YAML scalar resolves, shared by the reader (to build
// Values) and the emitter (to know which strings must be quoted). The rules are go-yaml v2's, as
// used by sigs.k8s.io/yaml and so by kubectl and the apiserver (YAML 1.1):
//   null: "", ~, null, Null, NULL
//   bool: y/Y/yes/Yes/YES/on/On/ON/true/True/TRUE and n/N/no/No/NO/off/Off/OFF/false/False/FALSE
//   int:  underscores removed, then Go's strconv base-0 syntax (decimal, 0x hex, 0o or leading-0
//         octal, 0b binary) with an optional sign; decimal integers of any width keep their exact
//         text (go-yaml would round those beyond 64 bits through a double), others become decimal
//   float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? within a double's range, written
//         as JSON number text (leading '+' and zeros dropped, "1." -> "1.0", ".5" -> "0.5")
//   .inf/.nan variants: go-yaml reads them as floats, which JSON (and so Value) cannot hold; ktape
//         reads them as strings, and the emitter always quotes them.
//   "<<" is the merge key (only meaningful as a mapping key).
// Everything else is a string.
#include <optional>
#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "formats/value.hpp"

namespace ktape::formats::yaml_detail {

enum class PlainKind { null, boolean, number, string, merge, special_float };

struct Resolved {
  PlainKind kind = PlainKind::string;
  bool boolean = false;
  std::string number;  // JSON number text when kind == number
};

Resolved resolve_plain(std::string_view text);

// A plain mapping key as sigs.k8s.io/yaml turns it into a JSON key: by its resolved value
// ("yes" -> "true", "0x1F" -> "31", "~" -> "null"), so that both reader paths agree.
std::string plain_key(std::string_view text);

// True when `text` written as a plain scalar would read back as this very string: it resolves to
// a string and its characters are safe unquoted on one line (no indicators, no ": " or " #", no
// leading or trailing space, no control characters).
bool plain_string_is_safe(std::string_view text);

// Decodes the UTF-8 sequence at text[i] and advances i past it; returns -1 (advancing one byte)
// for a byte that does not start a valid, shortest-form sequence.
long decode_utf8(std::string_view text, std::size_t& i);

// YAML's c-printable set minus the characters YAML 1.1 readers treat as line breaks (U+0085,
// U+2028, U+2029) and the byte-order mark: these may appear unescaped in any scalar.
bool is_printable(long code_point);

// The fast path of parse_yaml: the block subset that ktape and kubectl write (block mappings and
// sequences, plain and single-quoted scalars (also folded onto indented lines, as go-yaml wraps
// them), single-line double-quoted and literal block scalars, {} and [], comment lines before the
// content). nullopt for anything else (flow collections, anchors, tags, comments inside,
// multi-line double-quoted scalars, `>` scalars, errors): the caller then uses yaml-cpp, which
// also produces the error messages.
// Whatever it accepts, it reads exactly as yaml-cpp does.
std::optional<Value> parse_block_subset(std::string_view text);

// parse_yaml without the fast path (the oracle for the fast path in tests).
Result<Value> parse_yaml_with_yaml_cpp(std::string_view text, std::size_t first_line);

}  // namespace ktape::formats::yaml_detail
