#pragma once
// Internal to kube/: how one request becomes a configured curl easy handle, and how curl's
// answers become ktape values. Only transport*.cpp include this (it names curl types).
#include <curl/curl.h>

#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "kube/transport.hpp"

namespace ktape::kube {

// Sets URL, method, body, headers, TLS material, timeouts and HTTP/2 preferences on `easy`.
// Returns the lists curl reads during the transfer; the caller frees them after cleanup.
struct EasyLists {
  curl_slist* headers = nullptr;
  curl_slist* connect_to = nullptr;
};
EasyLists configure_easy(CURL* easy, const TransportOptions& options, const HttpRequest& request);

// A transport Error naming the request and what went wrong, in words a user can act on.
// `proxy_url` (the kubeconfig's proxy-url, or "") is named when the proxy could not be reached.
Error describe_curl_error(CURLcode code, const char* detail, const HttpRequest& request,
                          std::string_view proxy_url = {});

// The URL without user info (never printed); query strings are kept (they carry no secrets).
std::string redact_url(std::string_view url);

// 200 from "HTTP/1.1 200 OK\r\n" or "HTTP/2 200 \r\n"; 0 when unreadable.
int parse_status_line(std::string_view line);
// Keeps the headers the client uses (Content-Type, Retry-After, Location).
void record_header(HttpResponse& response, std::string_view line);

}  // namespace ktape::kube
