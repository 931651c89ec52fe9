#pragma once
// Request bodies in Kubernetes protobuf, as kubectl's typed generators send them (`kubectl create
// namespace|configmap|secret|deployment|...` use Content-Type application/vnd.kubernetes.protobuf),
// turned into the JSON object kubectl would have sent as JSON, so that the rest of the server
// sees JSON only. Responses stay JSON, which kubectl accepts.
#include <cstdint>
#include <string>
#include <string_view>

#include "formats/value.hpp"
#include "sim/api_error.hpp"

namespace ktape::sim {

inline constexpr std::string_view k_protobuf_media_type = "application/vnd.kubernetes.protobuf";

// The object in `body`: the magic bytes "k8s\0", then a runtime.Unknown envelope whose typeMeta
// names apiVersion and kind and whose raw bytes are the object's own message. The result carries
// apiVersion and kind first, then the object's fields as kubectl's JSON would (empty values of
// omitempty fields left out, Quantities as strings, IntOrStrings as numbers or strings, times as
// RFC 3339). Never a partial object: a body that is not protobuf is a 400 BadRequest; a kind the
// decoder's table does not have, or a field number it does not know carrying a value, is a 415
// UnsupportedMediaType whose message names the kind or the field and says to send JSON.
ApiResult<formats::Value> decode_protobuf_object(std::string_view body);

namespace protobuf {
// metav1.Time (seconds) and metav1.MicroTime (`micros`: six fractional digits) as JSON writes
// them: RFC 3339 in UTC ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00.000123Z").
std::string format_time(std::int64_t seconds, std::int32_t nanos, bool micros);
// metav1.Duration as JSON writes it, Go's time.Duration text: "0s", "1.5s", "1h2m3s", "300ms".
std::string format_duration(std::int64_t nanos);
}  // namespace protobuf

}  // namespace ktape::sim
