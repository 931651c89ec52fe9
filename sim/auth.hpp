#pragma once
// Who may talk to a simulated cluster: `ktape cluster serve --token FILE` makes the server require
// a bearer token (ServerOptions::token), and a server reachable beyond this machine without TLS and
// a token gets a warning, since it hands every object it holds (Secrets included) to anyone.
#include <optional>
#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "sim/api_error.hpp"

namespace ktape::sim {

// The token in `path`: its content without surrounding whitespace. An Error (io) names the file
// when it cannot be read; an Error (invalid) when the token is empty or holds whitespace or control
// characters (it goes into an HTTP header and a kubeconfig). The token never appears in a message.
Result<std::string> read_token_file(const std::string& path);

// 401 Unauthorized as kube-apiserver answers a request without valid credentials (no details).
ApiError err_unauthorized();

// True for addresses only this machine reaches: 127.0.0.0/8, ::1, "localhost".
bool is_loopback_address(std::string_view address);

// The warning to print before serving on `address`, or nullopt: a non-loopback address served
// without TLS or without a token is readable (or sniffable) by anyone who can reach it.
std::optional<std::string> exposure_warning(std::string_view address, bool tls, bool token);

}  // namespace ktape::sim
