#pragma once
// Reading kubeconfig files the way kubectl does: --kubeconfig, else every file of $KUBECONFIG
// (':'-separated, merged: the first file that names a cluster, user or context wins, and the first
// current-context wins; missing files in the list are skipped), else ~/.kube/config. The chosen
// context gives the cluster, the user and the namespace. Relative paths (certificate files,
// tokenFile, an exec command with a '/') resolve against the folder of the file that holds them.
// Certificate and key files are read at load time. Errors name the file, the context and the
// field, and never contain a token, password or key.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/error.hpp"
#include "kube/rest_config.hpp"

namespace ktape::kube {

struct KubeconfigOptions {
  std::string path;                    // --kubeconfig; "" = $KUBECONFIG, else ~/.kube/config
  std::string context;                 // --context; "" = current-context
  std::string namespace_name;          // --namespace; "" = the context's, else "default"
  std::string as;                      // --as: impersonate this user ("" = the kubeconfig user's `as`)
  std::vector<std::string> as_groups;  // --as-group (replaces the kubeconfig user's as-groups)
};

// The files that would be read, in merge order (whether or not they exist).
std::vector<std::string> kubeconfig_paths(const KubeconfigOptions& options);

// Loads and merges the files and resolves the context into a RestConfig.
Result<RestConfig> load_kubeconfig(const KubeconfigOptions& options);

// The context names of the merged files and the current-context ("" when unset).
struct KubeconfigContexts {
  std::vector<std::string> names;
  std::string current;
};
Result<KubeconfigContexts> list_kubeconfig_contexts(const KubeconfigOptions& options);

// Standard base64 (with or without padding, whitespace ignored); nullopt when invalid.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace ktape::kube
