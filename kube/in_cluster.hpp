#pragma once
// In-cluster configuration, as client-go's rest.InClusterConfig reads it: a Pod's service account
// gives the server (https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT), the bearer token
// (TOKEN file, re-read as the kubelet rotates it: see CredentialSource), the CA (ca.crt) and the
// namespace, all in /var/run/secrets/kubernetes.io/serviceaccount. The folder can be moved with
// $KTAPE_SERVICE_ACCOUNT_DIR (for tests, and for running outside a Pod with a copied token).
#include <string>

#include "formats/error.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/rest_config.hpp"

namespace ktape::kube {

// "/var/run/secrets/kubernetes.io/serviceaccount", or $KTAPE_SERVICE_ACCOUNT_DIR when set.
std::string service_account_dir();

// True when KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are both set (client-go's test).
bool in_cluster_environment();

// The in-cluster RestConfig. Errors: not_found when the variables are unset ("not running in a
// cluster"); io naming the token or CA file that cannot be read. The token itself is read through
// token_file (so that it is re-read as it rotates) and never appears in an error.
Result<RestConfig> load_in_cluster_config();

// What every command uses: the kubeconfig when one of kubeconfig_paths(options) exists or
// --kubeconfig was given, else the in-cluster config when in_cluster_environment(), else the
// kubeconfig loader's own error ("none of ... exists").
Result<RestConfig> load_client_config(const KubeconfigOptions& options);

}  // namespace ktape::kube
