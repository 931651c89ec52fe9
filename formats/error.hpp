#pragma once
// Expected failures are values: Result<T> is tl::expected<T, Error>. Error carries a kind that
// callers branch on (through the small predicates below), the HTTP status when there was one,
// and a message written for the user: what failed and where (file, document, line, field).
#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace ktape {

enum class ErrorKind {
  io,           // a file or socket could not be read or written
  parse,        // input is not what its format says (YAML, JSON, a time marker, a field)
  invalid,      // input is well-formed but violates a rule (a missing field, a bad name)
  transport,    // the connection failed: refused, reset, TLS, timeout
  http_status,  // the server answered with an error status not covered by a kind below
  expired,      // 410 Gone: the resourceVersion or continue token is too old
  conflict,     // 409: a resourceVersion precondition failed, or the object already exists
  not_found,    // 404
  throttled,    // 429
  cancelled,    // the operation was stopped on purpose (a signal, a shutdown)
  unsupported,  // a feature the input asks for that ktape does not implement
};

struct Error {
  ErrorKind kind = ErrorKind::io;
  std::string message;  // one line, for the user; never contains tokens, keys or Secret data
  int http_status = 0;  // 0 when no HTTP answer was involved
  std::string reason;   // metav1.Status reason when the server gave one ("AlreadyExists"), else ""
};

template <typename T>
using Result = tl::expected<T, Error>;

// Builds the unexpected side of a Result: `return fail(ErrorKind::parse, "…");`
inline tl::unexpected<Error> fail(ErrorKind kind, std::string message, int http_status = 0) {
  return tl::unexpected<Error>(Error{kind, std::move(message), http_status, {}});
}
inline tl::unexpected<Error> fail(Error error) { return tl::unexpected<Error>(std::move(error)); }

// Prefixes the message with context ("rec.yaml: document 3 (line 41): " + message).
inline Error with_context(Error error, const std::string& context) {
  error.message = context + ": " + error.message;
  return error;
}

inline bool is_expired(const Error& e) { return e.kind == ErrorKind::expired; }
inline bool is_not_found(const Error& e) { return e.kind == ErrorKind::not_found; }
inline bool is_conflict(const Error& e) { return e.kind == ErrorKind::conflict; }
inline bool is_cancelled(const Error& e) { return e.kind == ErrorKind::cancelled; }

// Worth trying again after a backoff: the connection, throttling, or a server-side hiccup.
inline bool is_retriable(const Error& e) {
  return e.kind == ErrorKind::transport || e.kind == ErrorKind::throttled ||
         (e.kind == ErrorKind::http_status &&
          (e.http_status == 500 || e.http_status == 503 || e.http_status == 504));
}

}  // namespace ktape
