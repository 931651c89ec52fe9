#pragma once
// Target selection, the same for every command that talks to a cluster (DESIGN.md): --cluster NAME
// (a ktape simulated cluster), else --kubeconfig / $KUBECONFIG / ~/.kube/config with --context,
// plus impersonation and the client-side rate limit.
#include <memory>
#include <string>
#include <vector>

#include "formats/error.hpp"
#include "kube/client.hpp"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11 names its namespace
class App;
}

namespace ktape::cli {

struct TargetFlags {
  std::string cluster;                 // --cluster NAME
  std::string kubeconfig;              // --kubeconfig FILE ("" = $KUBECONFIG, then ~/.kube/config)
  std::string context;                 // --context
  std::string as;                      // --as
  std::vector<std::string> as_groups;  // --as-group
  double qps = 0;                      // --qps (0 = no client-side limit)
  int burst = 10;                      // --burst
};

// Adds the flags to `cmd`; `flags` must outlive the parse.
void add_target_flags(CLI::App& cmd, TargetFlags& flags);

struct Target {
  std::unique_ptr<kube::Client> client;
  std::string label;  // "cluster demo" or the server URL, for headers and messages
};

// Reads the kubeconfig the flags point at and builds a client. Errors name the file, the context
// and the field, and never contain a credential.
Result<Target> connect(const TargetFlags& flags);

}  // namespace ktape::cli
