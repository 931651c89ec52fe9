#pragma once
// Internal to sim/: small helpers over objects and tokens.
#include <optional>
#include <string>
#include <string_view>

#include "formats/value.hpp"

namespace ktape::sim::detail {

std::string now_rfc3339();                             // "2026-11-21T19:28:42Z"
std::string new_uid();                                 // a random RFC 4122 version 4 UUID
std::string random_suffix();                           // 5 characters, as generateName appends
std::string base64url_encode(std::string_view bytes);  // without padding, as continue tokens are
std::optional<std::string> base64url_decode(std::string_view text);

// metadata as an object, created when absent or not an object.
formats::Value& metadata_of(formats::Value& object);
// The string at metadata.FIELD, "" when absent.
std::string metadata_string(const formats::Value& object, std::string_view field);

}  // namespace ktape::sim::detail
