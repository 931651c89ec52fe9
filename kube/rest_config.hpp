#pragma once
// Everything needed to reach one apiserver as one user: the result of reading a kubeconfig
// (kube/kubeconfig.hpp), or built by hand for a simulated cluster.
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ktape::kube {

// An exec credential plugin (client.authentication.k8s.io/v1 or v1beta1), as kubeconfig names it.
struct ExecConfig {
  std::string api_version;  // "client.authentication.k8s.io/v1" or ".../v1beta1"
  std::string command;      // a relative path with a '/' is already resolved against the file
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // added to the inherited environment
  std::string install_hint;                              // printed when the plugin cannot be run
  bool provide_cluster_info = false;
};

struct RestConfig {
  std::string server;  // "https://host:port" with an optional path prefix, no trailing slash

  // TLS
  std::string ca_pem;                     // certificate-authority(-data); empty: system CAs
  bool insecure_skip_tls_verify = false;  // insecure-skip-tls-verify
  std::string tls_server_name;            // tls-server-name
  std::string proxy_url;                  // proxy-url
  std::string client_cert_pem;            // client-certificate(-data)
  std::string client_key_pem;             // client-key(-data)

  // Authentication (at most one of token/token_file/basic/exec is normally set)
  std::string token;       // bearer token
  std::string token_file;  // bearer token read from this file (re-read after a 401)
  std::string username;    // basic auth
  std::string password;
  std::optional<ExecConfig> exec;

  // Impersonation (--as, --as-group)
  std::string impersonate_user;
  std::vector<std::string> impersonate_groups;

  std::string namespace_name = "default";  // the context's namespace (or --namespace)
  std::string context;                     // context name, for messages ("" when built by hand)
  std::string source;                      // kubeconfig file(s), for messages
};

}  // namespace ktape::kube
