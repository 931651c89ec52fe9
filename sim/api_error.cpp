#include "sim/api_error.hpp"

#include <optional>

namespace ktape::sim {
namespace {

formats::Value name_details(std::string_view plural, std::string_view name) {
  formats::Value d = formats::Value::object();
  d.set("name", name);
  d.set("kind", plural);
  return d;
}

ApiError make(int code, std::string reason, std::string message, formats::Value details = {}) {
  return ApiError{code, std::move(reason), std::move(message), std::move(details)};
}

bool is_alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool is_label(std::string_view s) {
  if (s.empty() || !is_alnum_lower(s.front()) || !is_alnum_lower(s.back())) return false;
  for (char c : s) {
    if (!is_alnum_lower(c) && c != '-') return false;
  }
  return true;
}

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.append("\"").append(s).append("\"");
  return out;
}

}  // namespace

formats::Value status_document(const ApiError& error) {
  formats::Value v = formats::Value::object();
  v.set("kind", "Status");
  v.set("apiVersion", "v1");
  v.set("metadata", formats::Value::object());
  v.set("status", "Failure");
  v.set("message", error.message);
  if (!error.reason.empty()) v.set("reason", error.reason);  // omitempty, as metav1.Status
  if (!error.details.is_null()) v.set("details", error.details);
  v.set("code", error.code);
  return v;
}

ApiError err_not_found(std::string_view plural, std::string_view name) {
  return make(404, "NotFound", std::string(plural) + " " + quoted(name) + " not found",
              name_details(plural, name));
}

ApiError err_unknown_resource() {
  return make(404, "NotFound", "the server could not find the requested resource", formats::Value::object());
}

ApiError err_already_exists(std::string_view plural, std::string_view name) {
  return make(409, "AlreadyExists", std::string(plural) + " " + quoted(name) + " already exists",
              name_details(plural, name));
}

ApiError err_conflict(std::string_view plural, std::string_view name) {
  return make(409, "Conflict",
              "Operation cannot be fulfilled on " + std::string(plural) + " " + quoted(name) +
                  ": the object has been modified; please apply your changes to the latest version and try "
                  "again",
              name_details(plural, name));
}

ApiError err_uid_precondition(std::string_view plural, std::string_view name, std::string_view key,
                              std::string_view given_uid, std::string_view stored_uid) {
  std::string message = "Operation cannot be fulfilled on ";
  message.append(plural)
      .append(" ")
      .append(quoted(name))
      .append(": StorageError: invalid object, Code: 4, Key: ");
  message.append(key).append(
      ", ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: ");
  message.append(given_uid).append(", UID in object meta: ").append(stored_uid);
  return make(409, "Conflict", std::move(message), name_details(plural, name));
}

ApiError err_bad_request(std::string message) { return make(400, "BadRequest", std::move(message)); }

ApiError err_invalid(std::string_view kind, std::string_view name, std::string_view field,
                     std::string_view detail, std::string_view cause_reason) {
  formats::Value cause = formats::Value::object();
  cause.set("reason", cause_reason);
  cause.set("message", detail);
  cause.set("field", field);
  formats::Value d = formats::Value::object();
  d.set("name", name);
  d.set("kind", kind);
  d.set("causes", formats::Array{cause});
  return make(422, "Invalid",
              std::string(kind) + " " + quoted(name) + " is invalid: " + std::string(field) + ": " +
                  std::string(detail),
              std::move(d));
}

ApiError err_method_not_allowed() {
  return make(405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
              formats::Value::object());
}

ApiError err_unsupported_media(std::string message) {
  bool plain = message == "415: Unsupported Media Type";
  return make(415, "UnsupportedMediaType", std::move(message),
              plain ? formats::Value::object() : formats::Value{});
}

ApiError err_expired(std::string message) { return make(410, "Expired", std::move(message)); }

ApiError err_namespace_terminating(std::string_view plural, std::string_view name, std::string_view ns) {
  formats::Value cause = formats::Value::object();
  cause.set("reason", "NamespaceTerminating");
  cause.set("message", "namespace " + std::string(ns) + " is being terminated");
  cause.set("field", "metadata.namespace");
  formats::Value d = name_details(plural, name);
  d.set("causes", formats::Array{cause});
  return make(403, "Forbidden",
              std::string(plural) + " " + quoted(name) +
                  " is forbidden: unable to create new content in namespace " + std::string(ns) +
                  " because it is being terminated",
              std::move(d));
}

ApiError err_too_large(std::size_t limit) {
  return make(413, "RequestEntityTooLarge", "Request entity too large: limit is " + std::to_string(limit));
}

ApiError err_internal(std::string message) { return make(500, "InternalError", std::move(message)); }

std::optional<std::string> check_dns1123_subdomain(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 253;
  std::size_t start = 0;
  while (ok && start <= name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    ok = is_label(name.substr(start, dot - start));
    start = dot + 1;
  }
  if (ok) return std::nullopt;
  if (name.size() > 253) return "Invalid value: " + quoted(name) + ": must be no more than 253 characters";
  return "Invalid value: " + quoted(name) +
         ": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
         "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
         "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
}

std::optional<std::string> check_dns1123_label(std::string_view name) {
  if (is_label(name) && name.size() <= 63) return std::nullopt;
  if (name.size() > 63) return "Invalid value: " + quoted(name) + ": must be no more than 63 characters";
  return "Invalid value: " + quoted(name) +
         ": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
         "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
         "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
}

}  // namespace ktape::sim
