#pragma once
// Internal to kube/: the state behind kube::Client, shared by its .cpp files.
#include <atomic>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "kube/client.hpp"
#include "kube/credentials.hpp"
#include "kube/rate_limiter.hpp"
#include "kube/transport.hpp"

namespace ktape::kube {

// One request as the client layer sees it: a path on the server, before auth and retries.
struct Call {
  std::string method = "GET";
  std::string path;  // "/api/v1/pods?limit=500"
  std::string body;
  std::string content_type;  // for the body; "" when none
  std::string accept = "application/json";
};

struct Client::Impl {
  Impl(RestConfig config, ClientOptions options, std::unique_ptr<Transport> transport);

  // The HTTP request for `call`, with identity, impersonation and client headers.
  Result<HttpRequest> build(const Call& call);
  // Sends with retries (see client.hpp); returns any HTTP answer, or the last transport Error.
  Result<HttpResponse> send(const Call& call);
  // send(), then a 2xx JSON answer as a Value (as much of it as `answer` asks for); anything else
  // is an Error naming the request.
  Result<formats::Value> send_json(const Call& call, Answer answer = Answer::object);
  // The delay before retry number `attempt` (0-based): exponential with jitter.
  std::chrono::nanoseconds backoff(int attempt);
  std::string where(const Call& call) const { return call.method + " " + call.path; }

  RestConfig config;
  ClientOptions options;
  std::shared_ptr<Clock> clock;
  std::unique_ptr<Transport> transport;
  CredentialSource credentials;
  RateLimiter limiter;
  std::mutex random_mutex;
  std::mt19937_64 random;
  std::atomic<std::int64_t> retries{0};
};

// Percent-encodes a query value or path segment (RFC 3986 unreserved characters kept).
std::string percent_encode(std::string_view text);

}  // namespace ktape::kube
