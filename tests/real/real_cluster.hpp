#pragma once
// A real control plane for a test: ../shared/realk8s (a real kube-apiserver 1.32,
// kube-controller-manager and etcd on loopback), started in a temporary directory and always
// stopped, also when the test fails.
#include <optional>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace ktape::real {

// The realk8s script at ${KTAPE_SHARED:-<repo>/../shared}/realk8s/realk8s; nullopt when absent.
std::optional<std::string> find_realk8s();

// Whether a test must fail rather than skip when realk8s is absent (KTAPE_REQUIRE_REALK8S=1, set
// by .ci/run where CI has it).
bool realk8s_required();

class RealCluster {
 public:
  // `realk8s up` in a new temporary directory; REQUIREs that it comes up.
  explicit RealCluster(std::string realk8s);
  ~RealCluster();  // `realk8s down`
  RealCluster(const RealCluster&) = delete;
  RealCluster& operator=(const RealCluster&) = delete;

  const std::string& kubeconfig() const { return m_kubeconfig; }
  // `realk8s fresh`: an empty cluster again (same kubeconfig); REQUIREs success.
  void fresh();

 private:
  std::string m_realk8s;
  test_support::TempDir m_dir{"ktape-realk8s"};
  std::string m_kubeconfig;
};

}  // namespace ktape::real
