#pragma once
// The apiserver's request semantics, independent of the HTTP library: a parsed request in, a
// response (status, content type, body) or a watch plan out. The HTTP server (server.cpp) owns
// sockets and streams watch plans; everything a client can observe is decided here.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/admission.hpp"
#include "sim/store.hpp"

namespace ktape::sim {

struct Request {
  std::string method;                        // "GET", "POST", ...
  std::string path;                          // percent-decoded, without the query
  std::map<std::string, std::string> query;  // percent-decoded
  std::string content_type;                  // media type without parameters, lower case
  std::string accept;                        // the Accept header as sent
  std::string user_agent;                    // the User-Agent header (names the field manager)
  std::string body;
};

struct Response {
  Response() = default;
  Response(unsigned status_, std::string content_type_, std::string body_)
      : status(status_), content_type(std::move(content_type_)), body(std::move(body_)) {}
  Response(unsigned status_, std::string content_type_, std::shared_ptr<const std::string> body_)
      : status(status_), content_type(std::move(content_type_)), shared_body(std::move(body_)) {}
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When set, the body instead of `body`: a stored object's JSON, sent without a copy.
  std::shared_ptr<const std::string> shared_body;
  // Texts of `Warning: 299 - "..."` headers (unknown fields under fieldValidation=Warn...).
  std::vector<std::string> warnings;
  const std::string& text() const { return shared_body ? *shared_body : body; }
};

// A watch to stream: the server writes `initial` events (and the initial-events-end bookmark
// when asked), then live events from the store, bookmarks when allowed, until the timeout.
struct WatchPlan {
  ResourceInfo info;
  ListFilter filter;
  WatchStart start;
  bool bookmarks = false;           // allowWatchBookmarks=true
  bool initial_events_end = false;  // sendInitialEvents=true: end the initial events with a bookmark
  bool table = false;               // Accept asked for meta.k8s.io Tables
  std::chrono::seconds timeout{1800};
};

// Where a cluster's exact state is read (GET) and replaced (PUT): the body is Store::dump()'s
// text. The server takes a body of any size here (max_body_bytes is for the Kubernetes API).
inline constexpr std::string_view k_snapshot_path = "/ktape/v1/snapshot";

struct ApiOptions {
  std::size_t max_body_bytes = std::size_t{3} * 1024 * 1024;  // checked by the server; reported in 413s
  std::string start_time;                                     // RFC3339, for /ktape/v1/stats
};

class Api {
 public:
  Api(Store& store, ApiOptions options) : m_store(store), m_options(std::move(options)) {}

  // Every answer, errors included, is a Response; a watch is a WatchPlan (or a Response error).
  std::variant<Response, WatchPlan> handle(const Request& request);

  // One line of a watch stream ("{\"type\":...,\"object\":...}\n") for an event of `plan`.
  static std::string event_line(const WatchPlan& plan, EventType type, const Entry& entry);
  // A BOOKMARK at `rv`; `initial_events_end` adds the k8s.io/initial-events-end annotation.
  static std::string bookmark_line(const WatchPlan& plan, std::uint64_t rv, bool initial_events_end);
  // An ERROR event carrying `error` as a Status.
  static std::string error_line(const ApiError& error);

 private:
  struct Target;
  std::variant<Response, WatchPlan> handle_resource(const Request& request, const Target& target);
  Response handle_docs(const Request& request);
  // /ktape/v1/snapshot (api_snapshot.cpp): GET the exact state, PUT one in its place.
  Response handle_snapshot(const Request& request);
  Response list(const Request& request, const Target& target, const ListFilter& filter);
  ApiResult<Response> write(const Request& request, const Target& target);
  // `applied`: the configuration of a server-side apply that creates the object.
  ApiResult<Response> create(const Request& request, const Target& target, formats::Value object,
                             const formats::Value* applied = nullptr);
  ApiResult<Response> remove(const Request& request, const Target& target);
  // GET, PUT and PATCH of .../scale (autoscaling/v1 Scale) of the built-in scalable resources.
  ApiResult<Response> scale(const Request& request, const Target& target);
  // POST of .../pods/NAME/binding (api_binding.cpp): sets spec.nodeName as a scheduler does.
  ApiResult<Response> bind(const Request& request, const ResourceInfo& pods, const std::string& ns,
                           const std::string& name);
  ApiResult<Response> remove_collection(const Request& request, const Target& target,
                                        const ListFilter& filter);

  Store& m_store;
  ApiOptions m_options;
};

// A Response carrying `error` as a metav1.Status.
Response error_response(const ApiError& error);
// A Response carrying `v` as JSON with `status`.
Response json_response(unsigned status, const formats::Value& v);

}  // namespace ktape::sim
