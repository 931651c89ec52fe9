#pragma once
// Internal to sim/: turning a Beast request into an Api Request, and TLS ALPN.
#include <openssl/ssl.h>

#include <boost/beast/http.hpp>

#include "sim/api.hpp"

namespace ktape::sim {

// Percent-decodes the path and query ('+' is a space in the query), keeps the media type of
// Content-Type without parameters, lower case. Takes the body by move.
Request to_request(boost::beast::http::request<boost::beast::http::string_body>& request);

// True when `request` carries "Authorization: Bearer TOKEN" with exactly `token` (compared in
// constant time, so that timing does not reveal how much of a guess was right).
bool bearer_token_matches(const boost::beast::http::request<boost::beast::http::string_body>& request,
                          std::string_view token);

// Makes the context select "http/1.1" whatever else the client offers (h2 is not served).
void enable_alpn_http11(SSL_CTX* context);

}  // namespace ktape::sim
