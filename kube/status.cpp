#include "kube/status.hpp"

#include "formats/json.hpp"

namespace ktape::kube {
namespace {

std::string printable_prefix(std::string_view body, std::size_t limit) {
  std::string out;
  for (char c : body.substr(0, limit)) {
    out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  }
  return out;
}

}  // namespace

ErrorKind kind_for_status(int code) {
  switch (code) {
    case 404:
      return ErrorKind::not_found;
    case 409:
      return ErrorKind::conflict;
    case 410:
      return ErrorKind::expired;
    case 429:
      return ErrorKind::throttled;
    default:
      return ErrorKind::http_status;
  }
}

Error status_error(const formats::Value& status, std::string_view where, int http_status) {
  int code = http_status;
  if (const auto* c = status.find("code"); c && c->as_int64()) code = static_cast<int>(*c->as_int64());
  Error error;
  error.kind = kind_for_status(code);
  error.http_status = code;
  error.reason = std::string(status.string_at({"reason"}));
  std::string message(status.string_at({"message"}));
  if (message.empty()) message = "the server answered " + std::to_string(code);
  error.message = std::string(where) + ": " + message;
  if (!error.reason.empty()) error.message += " (" + error.reason + ", " + std::to_string(code) + ")";
  return error;
}

bool is_json_content(std::string_view content_type) {
  return content_type.empty() || content_type.starts_with("application/json") ||
         content_type.find("+json") != std::string_view::npos;
}

Error response_error(const HttpResponse& response, std::string_view where) {
  const int code = response.status;
  if (code >= 300 && code < 400) {
    std::string message = std::string(where) + ": the server redirected (HTTP " + std::to_string(code) + ")";
    if (!response.location.empty()) message += " to " + printable_prefix(response.location, 200);
    message += "; the server URL does not look like a Kubernetes apiserver";
    return Error{ErrorKind::http_status, message, code, {}};
  }
  if (is_json_content(response.content_type)) {
    auto doc = formats::parse_json(response.body);
    if (doc && doc->string_at({"kind"}) == "Status") return status_error(*doc, where, code);
  }
  if (response.content_type.starts_with("text/html")) {
    return Error{kind_for_status(code),
                 std::string(where) + ": HTTP " + std::to_string(code) +
                     " with an HTML page; the server URL does not look like a Kubernetes apiserver",
                 code,
                 {}};
  }
  std::string message = std::string(where) + ": HTTP " + std::to_string(code);
  if (!response.body.empty()) message += ": " + printable_prefix(response.body, 200);
  return Error{kind_for_status(code), message, code, {}};
}

}  // namespace ktape::kube
