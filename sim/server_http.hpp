#pragma once
// Internal to sim/: turning a Beast request into an Api Request, and TLS ALPN.
#include <openssl/ssl.h>

#include <boost/beast/http.hpp>

#include "sim/api.hpp"

namespace ktape::sim {

// Percent-decodes the path and query ('+' is a space in the query), keeps the media type of
// Content-Type without parameters, lower case. Takes the body by move.
Request to_request(boost::beast::http::request<boost::beast::http::string_body>& request);

// Makes the context select "http/1.1" whatever else the client offers (h2 is not served).
void enable_alpn_http11(SSL_CTX* context);

}  // namespace ktape::sim
