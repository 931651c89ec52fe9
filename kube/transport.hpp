#pragma once
// HTTP transport. Over TLS, one curl multi handle driven by one I/O thread owns the connection
// pool of a target: it negotiates HTTP/2 when the server offers it and multiplexes every request
// (watches included) on one connection. Plain-HTTP request/response (perform() of an http://
// URL) runs on the calling thread instead, over HTTP/1.1 connections kept alive between requests:
// a small client of its own (kube/http1.hpp) when no proxy, basic auth or whole-transfer timeout
// is involved, else a blocking libcurl transfer on a pooled handle. With nothing to multiplex,
// this saves the hand-over to the I/O thread and back. Watches (start()) always go through the
// I/O thread. Compressed answers (gzip, zstd, brotli) are accepted and decoded from libcurl's
// transfers (the plain-HTTP client asks for none). libcurl stays behind this header.
//
// A Transport is thread-safe: any thread may start transfers; each Transfer is read by one thread.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "formats/error.hpp"

namespace ktape::kube {

struct TransportOptions {
  std::string ca_pem;                                // PEM bundle that verifies the server; empty: system CAs
  bool insecure_skip_tls_verify = false;             // accept any server certificate (kubectl's flag)
  std::string tls_server_name;                       // name sent in SNI and checked in the certificate;
                                                     // empty: the URL's host
  std::string client_cert_pem;                       // client certificate chain (PEM); empty: none
  std::string client_key_pem;                        // its private key (PEM)
  std::string proxy_url;                             // http://, https:// or socks5:// proxy; empty: none
  std::chrono::milliseconds connect_timeout{30000};  // TCP+TLS connect; kubectl's default is 30 s
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;                   // absolute: scheme, host, path and query
  std::vector<std::string> headers;  // "Name: value" lines (Authorization included)
  std::string body;                  // sent when non-empty or the method is not GET
  std::string basic_auth;            // "user:password" for HTTP basic auth; empty: none
  // Client certificate for this request only (exec credentials may return one); empty: the
  // transport's.
  std::string client_cert_pem, client_key_pem;
  std::chrono::seconds idle_timeout{0};  // abort when no byte arrives for this long; 0: never
  std::chrono::milliseconds timeout{0};  // whole transfer; 0: no limit
};

struct HttpResponse {
  int status = 0;            // 200, 404, ...
  std::string content_type;  // Content-Type header, "" when absent
  std::string retry_after;   // Retry-After header, "" when absent
  std::string location;      // Location header, "" when absent
  std::string body;          // decoded body (for Transfer: empty, read it with read())
  int http_version = 0;      // 11 or 2
};

// One request in flight. The body is streamed: read() hands over what has arrived. When the reader
// falls behind by more than a few MiB the transfer is paused (the server's flow control holds the
// rest) and resumed once read.
class Transfer {
 public:
  virtual ~Transfer() = default;
  // Blocks until the status line and headers have arrived, or the transfer failed.
  virtual Result<HttpResponse> wait_headers() = 0;
  // Blocks until body bytes are available; appends them to `out` and returns true. Returns false
  // at the clean end of the body. A failure (reset, idle timeout, cancel) is an Error.
  virtual Result<bool> read(std::string& out) = 0;
  // Aborts the transfer; a blocked read() returns a cancelled Error. Safe from any thread.
  virtual void cancel() = 0;
};

class Transport {
 public:
  // Fails when libcurl cannot be set up (no TLS backend, bad PEM is reported on first use).
  static Result<std::unique_ptr<Transport>> create(const TransportOptions& options);
  virtual ~Transport() = default;  // cancels transfers in flight and joins the I/O thread

  // Performs the request and collects the whole body. A transport failure is an Error of kind
  // transport whose reason is "connect" when the request never reached the server (refused,
  // unresolvable: safe to retry for any verb) and "tls" when a certificate did not verify or could
  // not be used (retrying will not help); any HTTP status is a response.
  virtual Result<HttpResponse> perform(HttpRequest request) = 0;
  // Starts the request and returns at once; the caller streams the body.
  virtual std::shared_ptr<Transfer> start(HttpRequest request) = 0;
};

}  // namespace ktape::kube
