#pragma once
// The kubeconfig that points kubectl (and ktape's own client) at a simulated cluster.
#include <optional>
#include <string>
#include <string_view>

namespace ktape::sim {

// A kubeconfig YAML for one cluster/user/context named `name` at `server_url`, trusting `ca_pem`
// (embedded as certificate-authority-data) when given. The user is "ktape" with no password: the
// simulated cluster does not authenticate, and a user name keeps kubectl from prompting for
// credentials on an HTTPS server. current-context is `name`.
// With `token`, the user sends it as a bearer token (`ktape cluster serve --token`) instead.
std::string make_kubeconfig(std::string_view name, std::string_view server_url,
                            std::optional<std::string_view> ca_pem,
                            std::optional<std::string_view> token = std::nullopt);

}  // namespace ktape::sim
