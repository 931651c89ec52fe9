#pragma once
// Internal to kube/: HTTP answers and metav1.Status objects turned into Errors.
#include <string_view>

#include "formats/error.hpp"
#include "formats/value.hpp"
#include "kube/transport.hpp"

namespace ktape::kube {

// not_found for 404, conflict for 409, expired for 410, throttled for 429, else http_status.
ErrorKind kind_for_status(int code);

// The Error a metav1.Status describes: kind from its code (else `http_status`), reason kept,
// message "WHERE: MESSAGE (REASON, CODE)".
Error status_error(const formats::Value& status, std::string_view where, int http_status);

// The Error for an answer that is not a 2xx JSON document: a Status when the body is one; a
// redirect or an HTML page explained as "not a Kubernetes apiserver"; otherwise the status and
// the start of the body (printable characters only).
Error response_error(const HttpResponse& response, std::string_view where);

// True when a 2xx answer's Content-Type can be JSON (application/json, with parameters, or
// absent).
bool is_json_content(std::string_view content_type);

}  // namespace ktape::kube
