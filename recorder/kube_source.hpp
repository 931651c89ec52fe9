#pragma once
// The list+watch Source of one resource of a real (or simulated) apiserver, through kube::Client.
#include <memory>
#include <string>

#include "kube/client.hpp"
#include "recorder/source.hpp"

namespace ktape::recorder {

struct KubeSourceOptions {
  std::string namespace_name;  // "" = all namespaces (server-side); globs are filtered by the loop
  std::string label_selector;  // server-side -l
};

// `client` must outlive the source.
std::unique_ptr<Source> make_kube_source(kube::Client& client, kube::ApiResource resource,
                                         KubeSourceOptions options);

}  // namespace ktape::recorder
