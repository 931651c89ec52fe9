#include "kube/transport_setup.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ktape::kube {
namespace {

// Large receive buffers cut per-callback overhead on big LISTs and busy watches (curl's default
// is 16 KiB; 256 KiB measured faster on 50 MiB bodies).
constexpr long k_receive_buffer = 256L * 1024;

bool iequals_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  return true;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  return std::string(s);
}

void set_blob(CURL* easy, CURLoption option, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(easy, option, &blob);
}

// tls-server-name: curl has no SNI override, so the URL names the TLS name and CONNECT_TO sends
// the connection to the real host. The Host header then carries that name, which apiservers
// ignore.
curl_slist* apply_server_name(CURL* easy, const std::string& server_name, const std::string& url) {
  CURLU* parsed = curl_url();
  if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    curl_url_cleanup(parsed);
    return nullptr;
  }
  char* host = nullptr;
  char* port = nullptr;
  curl_url_get(parsed, CURLUPART_HOST, &host, 0);
  curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
  std::string connect_to = server_name + ":" + port + ":" + host + ":" + port;
  curl_url_set(parsed, CURLUPART_HOST, server_name.c_str(), 0);
  char* rewritten = nullptr;
  curl_url_get(parsed, CURLUPART_URL, &rewritten, 0);
  curl_easy_setopt(easy, CURLOPT_URL, rewritten);
  curl_slist* list = curl_slist_append(nullptr, connect_to.c_str());
  curl_easy_setopt(easy, CURLOPT_CONNECT_TO, list);
  curl_free(rewritten);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(parsed);
  return list;
}

void configure_tls(CURL* easy, const TransportOptions& options, const HttpRequest& request) {
  if (!options.ca_pem.empty()) set_blob(easy, CURLOPT_CAINFO_BLOB, options.ca_pem);
  if (options.insecure_skip_tls_verify) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  const std::string& cert =
      request.client_cert_pem.empty() ? options.client_cert_pem : request.client_cert_pem;
  const std::string& key = request.client_cert_pem.empty() ? options.client_key_pem : request.client_key_pem;
  if (!cert.empty()) {
    set_blob(easy, CURLOPT_SSLCERT_BLOB, cert);
    curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!key.empty()) {
    set_blob(easy, CURLOPT_SSLKEY_BLOB, key);
    curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
  }
}

void configure_method(CURL* easy, const HttpRequest& request) {
  if (request.method == "GET" && request.body.empty()) {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    return;
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    return;
  }
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
  if (request.method != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
}

}  // namespace

EasyLists configure_easy(CURL* easy, const TransportOptions& options, const HttpRequest& request) {
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  // Over TLS, wait for a connection being set up to show whether it multiplexes (HTTP/2) rather
  // than open another. Not over plain HTTP (no HTTP/2 there): a transfer waiting on a fresh
  // HTTP/1.1 connection that carries a watch waits until the watch ends (libcurl 7.88), which
  // held the first watch events of a recorder until it stopped.
  if (request.url.starts_with("https://")) curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, k_receive_buffer);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  if (request.timeout.count() > 0) {
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  }
  if (!options.proxy_url.empty()) {
    // A kubeconfig's proxy-url carries every request, as it does for kubectl: NO_PROXY in the
    // environment does not apply to it (without proxy-url, libcurl reads the *_PROXY variables).
    curl_easy_setopt(easy, CURLOPT_PROXY, options.proxy_url.c_str());
    curl_easy_setopt(easy, CURLOPT_NOPROXY, "");
  }
  configure_tls(easy, options, request);
  EasyLists lists;
  if (!options.tls_server_name.empty() && request.url.starts_with("https://")) {
    lists.connect_to = apply_server_name(easy, options.tls_server_name, request.url);
  }
  if (!request.basic_auth.empty()) {
    curl_easy_setopt(easy, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(easy, CURLOPT_USERPWD, request.basic_auth.c_str());
  }
  configure_method(easy, request);
  for (const auto& header : request.headers) lists.headers = curl_slist_append(lists.headers, header.c_str());
  // No "Expect: 100-continue" round trip before bodies.
  lists.headers = curl_slist_append(lists.headers, "Expect:");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, lists.headers);
  return lists;
}

Error describe_curl_error(CURLcode code, const char* detail, const HttpRequest& request,
                          std::string_view proxy_url) {
  std::string what;
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      what = proxy_url.empty() ? "could not connect"
                               : "could not connect through the proxy " + redact_url(proxy_url);
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
      what = "could not resolve the host name";
      break;
    case CURLE_COULDNT_RESOLVE_PROXY:
      what = "could not resolve the proxy";
      break;
    case CURLE_OPERATION_TIMEDOUT:
      what = "timed out";
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
      what = "the server's certificate did not verify against the certificate-authority";
      break;
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CLIENTCERT:
      what = "the client certificate or key could not be used";
      break;
    case CURLE_SSL_CONNECT_ERROR:
      what = "TLS handshake failed";
      break;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      what = "the connection was lost";
      break;
    default:
      what = curl_easy_strerror(code);
      break;
  }
  std::string message = request.method + " " + redact_url(request.url) + ": " + what;
  if (detail && *detail) message += " (" + trim(detail) + ")";
  const bool before_sending = code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
                              code == CURLE_COULDNT_RESOLVE_PROXY;
  const bool certificate =
      code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CLIENTCERT;
  return Error{ErrorKind::transport, std::move(message), 0,
               before_sending ? "connect" : (certificate ? "tls" : "")};
}

std::string redact_url(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  auto host_start = scheme + 3;
  auto at = url.find('@', host_start);
  auto slash = url.find('/', host_start);
  if (at == std::string_view::npos || (slash != std::string_view::npos && at > slash))
    return std::string(url);
  return std::string(url.substr(0, host_start)) + std::string(url.substr(at + 1));
}

int parse_status_line(std::string_view line) {
  auto space = line.find(' ');
  if (space == std::string_view::npos || line.size() < space + 4) return 0;
  int status = 0;
  auto digits = line.substr(space + 1, 3);
  std::from_chars(digits.data(), digits.data() + digits.size(), status);
  return status;
}

void record_header(HttpResponse& response, std::string_view line) {
  if (iequals_prefix(line, "content-type:")) response.content_type = trim(line.substr(13));
  if (iequals_prefix(line, "retry-after:")) response.retry_after = trim(line.substr(12));
  if (iequals_prefix(line, "location:")) response.location = trim(line.substr(9));
}

}  // namespace ktape::kube
