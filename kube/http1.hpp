#pragma once
// Internal to kube/: plain-HTTP/1.1 request/response on the calling thread over kept-alive
// sockets, for the requests that need nothing of libcurl: http:// without a proxy (neither
// proxy-url nor the *_proxy variables), basic auth or a whole-transfer timeout. A request costs a
// send and a receive or two; libcurl spent several times that in its own bookkeeping per request.
// Responses are parsed by Boost.Beast (Content-Length, chunked, or up to the close); no compressed
// answer is asked for.
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "formats/error.hpp"
#include "kube/transport.hpp"

namespace ktape::kube {

class Http1Pool {
 public:
  explicit Http1Pool(std::chrono::milliseconds connect_timeout);
  ~Http1Pool();
  Http1Pool(const Http1Pool&) = delete;
  Http1Pool& operator=(const Http1Pool&) = delete;

  // Whether perform() takes `request` (else libcurl does).
  static bool handles(const HttpRequest& request, const TransportOptions& options);
  // As Transport::perform, with the same errors: reason "connect" when the request never left.
  Result<HttpResponse> perform(const HttpRequest& request);

 private:
  struct Connection;
  std::unique_ptr<Connection> take(const std::string& authority);
  void give(std::unique_ptr<Connection> connection);

  std::chrono::milliseconds m_connect_timeout;
  std::mutex m_mutex;
  std::vector<std::unique_ptr<Connection>> m_idle;
};

}  // namespace ktape::kube
