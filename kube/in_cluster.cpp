#include "kube/in_cluster.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ktape::kube {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before threads start
  return v != nullptr && *v != '\0' ? v : nullptr;
}

// The host as a URL authority: an IPv6 address goes in brackets (net.JoinHostPort).
std::string join_host_port(const std::string& host, const std::string& port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
  return host + ":" + port;
}

}  // namespace

std::string service_account_dir() {
  const char* dir = env("KTAPE_SERVICE_ACCOUNT_DIR");
  return dir != nullptr ? dir : "/var/run/secrets/kubernetes.io/serviceaccount";
}

bool in_cluster_environment() {
  return env("KUBERNETES_SERVICE_HOST") != nullptr && env("KUBERNETES_SERVICE_PORT") != nullptr;
}

Result<RestConfig> load_in_cluster_config() {
  if (!in_cluster_environment())
    return fail(ErrorKind::not_found,
                "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
  auto dir = std::filesystem::path(service_account_dir());
  RestConfig config;
  config.server = "https://" + join_host_port(env("KUBERNETES_SERVICE_HOST"), env("KUBERNETES_SERVICE_PORT"));
  config.token_file = (dir / "token").string();
  std::error_code ec;
  if (!std::filesystem::exists(config.token_file, ec))
    return fail(ErrorKind::io, "in-cluster config: the service account token " + config.token_file +
                                   " does not exist (is automountServiceAccountToken off?)");
  std::ifstream ca(dir / "ca.crt", std::ios::binary);
  if (!ca) return fail(ErrorKind::io, "in-cluster config: " + (dir / "ca.crt").string() + " cannot be read");
  std::ostringstream pem;
  pem << ca.rdbuf();
  config.ca_pem = pem.str();
  std::ifstream ns(dir / "namespace");
  std::string namespace_name;
  if (ns && std::getline(ns, namespace_name) && !namespace_name.empty())
    config.namespace_name = namespace_name;
  config.context = "in-cluster";
  config.source = "in-cluster config (" + dir.string() + ")";
  return config;
}

Result<RestConfig> load_client_config(const KubeconfigOptions& options) {
  bool any_kubeconfig = !options.path.empty();
  std::error_code ec;
  for (const auto& path : kubeconfig_paths(options))
    any_kubeconfig = any_kubeconfig || std::filesystem::exists(path, ec);
  if (any_kubeconfig || !in_cluster_environment()) return load_kubeconfig(options);
  auto config = load_in_cluster_config();
  if (!config) return config;
  if (!options.namespace_name.empty()) config->namespace_name = options.namespace_name;
  config->impersonate_user = options.as;
  config->impersonate_groups = options.as_groups;
  return config;
}

}  // namespace ktape::kube
