#pragma once
// metav1.Status errors as the real kube-apiserver 1.32 writes them (reason, code, message and
// details, word for word where shared/k8s-reference/responses/ captured one).
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "formats/value.hpp"

namespace ktape::sim {

struct ApiError {
  int code = 500;          // HTTP status
  std::string reason;      // "NotFound", "AlreadyExists"...
  std::string message;     // the Status message, for the user
  formats::Value details;  // the Status details object; null: omitted
};

template <typename T>
using ApiResult = tl::expected<T, ApiError>;

// The metav1.Status document for `error` (status "Failure").
formats::Value status_document(const ApiError& error);

// `plural "name" not found` (404).
ApiError err_not_found(std::string_view plural, std::string_view name);
// "the server could not find the requested resource" (404), for unknown paths and resources.
ApiError err_unknown_resource();
// `plural "name" already exists` (409).
ApiError err_already_exists(std::string_view plural, std::string_view name);
// A stale resourceVersion precondition (409 Conflict).
ApiError err_conflict(std::string_view plural, std::string_view name);
// 409 Conflict of an update whose body names another uid than the stored object's (the storage
// layer's UID precondition), worded as etcd3's StorageError with the object's key `key`
// ("/registry/configmaps/ns/name").
ApiError err_uid_precondition(std::string_view plural, std::string_view name, std::string_view key,
                              std::string_view given_uid, std::string_view stored_uid);
// 400 BadRequest with `message`.
ApiError err_bad_request(std::string message);
// 422 Invalid on one field: `Kind "name" is invalid: field: detail`.
ApiError err_invalid(std::string_view kind, std::string_view name, std::string_view field,
                     std::string_view detail, std::string_view cause_reason = "FieldValueInvalid");
ApiError err_method_not_allowed();
// 415; `message` defaults to the real server's "415: Unsupported Media Type".
ApiError err_unsupported_media(std::string message = "415: Unsupported Media Type");
// 410 Expired with `message`.
ApiError err_expired(std::string message);
// 403: create in a namespace that is being terminated.
ApiError err_namespace_terminating(std::string_view plural, std::string_view name, std::string_view ns);
// 413 for a body over `limit` bytes.
ApiError err_too_large(std::size_t limit);
// 500 with `message`.
ApiError err_internal(std::string message);

// The DNS-1123 checks the apiserver applies to names; nullopt when `name` passes, else the
// detail text of the real validation message.
std::optional<std::string> check_dns1123_subdomain(std::string_view name);
std::optional<std::string> check_dns1123_label(std::string_view name);

}  // namespace ktape::sim
