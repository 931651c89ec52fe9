#include "cli/target.hpp"

#include <CLI/CLI.hpp>

#include "cli/home.hpp"
#include "kube/in_cluster.hpp"
#include "kube/kubeconfig.hpp"

namespace ktape::cli {

namespace {

// A simulated cluster made by `ktape cluster create` announces itself in cluster.json (URL, and
// the CA when it serves TLS); it does not authenticate, so that is all a client needs.
Result<kube::RestConfig> cluster_config(const std::string& name) {
  auto registry = cluster_registry();
  auto state = registry.state(name);
  if (!state) return fail(state.error());
  kube::RestConfig config;
  config.server = state->url;
  config.ca_pem = state->ca_pem;
  config.context = name;
  config.source = (registry.dir(name) / "cluster.json").string();
  return config;
}

}  // namespace

void add_target_flags(CLI::App& cmd, TargetFlags& flags) {
  cmd.add_option("--cluster", flags.cluster, "A ktape simulated cluster by name (see `ktape cluster list`)");
  cmd.add_option("--kubeconfig", flags.kubeconfig,
                 "Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)");
  cmd.add_option("--context", flags.context, "Kubeconfig context (default: its current-context)");
  cmd.add_option("--as", flags.as, "Impersonate this user");
  cmd.add_option("--as-group", flags.as_groups, "Impersonate this group (repeatable)");
  cmd.add_option("--qps", flags.qps, "Client-side request rate limit (0: none)");
  cmd.add_option("--burst", flags.burst, "Client-side burst with --qps")->capture_default_str();
}

Result<Target> connect(const TargetFlags& flags) {
  Result<kube::RestConfig> config = fail(ErrorKind::invalid, "no target");
  std::string label;
  if (!flags.cluster.empty()) {
    if (!flags.kubeconfig.empty() || !flags.context.empty())
      return fail(ErrorKind::invalid, "--cluster and --kubeconfig/--context name two targets: give one");
    config = cluster_config(flags.cluster);
    label = "cluster " + flags.cluster;
  } else {
    kube::KubeconfigOptions ko;
    ko.path = flags.kubeconfig;
    ko.context = flags.context;
    ko.as = flags.as;
    ko.as_groups = flags.as_groups;
    config = kube::load_client_config(ko);  // the in-cluster config when no kubeconfig exists
  }
  if (!config) return fail(config.error());
  if (label.empty()) label = config->context.empty() ? config->server : "context " + config->context;
  if (!flags.cluster.empty()) {
    config->impersonate_user = flags.as;
    config->impersonate_groups = flags.as_groups;
  }
  kube::ClientOptions options;
  options.qps = flags.qps;
  options.burst = flags.burst;
  auto client = kube::Client::create(std::move(*config), options);
  if (!client) return fail(client.error());
  return Target{std::move(*client), label};
}

}  // namespace ktape::cli
