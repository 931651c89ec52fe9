// deploy/ against a real control plane: the manifests pass `kubectl apply --dry-run=server` (real
// admission, the restricted Pod Security level included), and ktape, given only the in-cluster
// variables, a CA file and a token of the ServiceAccount that deploy/ binds to its read-only
// ClusterRole, exports the cluster. Skipped with a message when ../shared/realk8s is absent.
#include <doctest/doctest.h>

#include "kube/kubeconfig.hpp"
#include "tests/e2e/harness.hpp"
#include "tests/real/real_cluster.hpp"

using namespace ktape;
namespace fs = std::filesystem;
using ktape::e2e::Home;

TEST_CASE("deploy/ on a real control plane: server dry run, read-only RBAC, in-cluster export") {
  auto realk8s = real::find_realk8s();
  if (!realk8s) {
    if (real::realk8s_required()) FAIL("KTAPE_REQUIRE_REALK8S=1 but ../shared/realk8s/realk8s is absent");
    MESSAGE("skipped: ../shared/realk8s/realk8s is absent");
    return;
  }
  real::RealCluster cluster(*realk8s);
  Home home;
  const auto& kc = cluster.kubeconfig();
  std::string deploy = std::string(KTAPE_SOURCE_DIR) + "/deploy/";
  // The namespace first, for real: a server dry run of namespaced objects needs it to exist.
  auto ns = home.kubectl_with(kc, "apply -f " + deploy + "00-namespace.yaml");
  REQUIRE_MESSAGE(ns.code == 0, ns.err);
  auto dry = home.kubectl_with(kc, "apply --dry-run=server -f " + deploy);
  REQUIRE_MESSAGE(dry.code == 0, dry.err);
  CHECK(dry.out.find("deployment.apps/ktape created (server dry run)") != std::string::npos);
  CHECK(dry.err.find("PodSecurity") == std::string::npos);  // the restricted level admits the Pod

  for (const char* f : {"10-serviceaccount.yaml", "20-rbac.yaml"}) {
    auto r = home.kubectl_with(kc, "apply -f " + deploy + f);
    REQUIRE_MESSAGE(r.code == 0, r.err);
  }
  const std::string as = " --as=system:serviceaccount:ktape:ktape";
  CHECK(home.kubectl_with(kc, "auth can-i list secrets -A" + as).out == "yes\n");
  CHECK(home.kubectl_with(kc, "auth can-i watch deployments.apps -A" + as).out == "yes\n");
  CHECK(home.kubectl_with(kc, "auth can-i create configmaps -n default" + as).out == "no\n");
  CHECK(home.kubectl_with(kc, "auth can-i delete pods -n default" + as).out == "no\n");

  auto token = home.kubectl_with(kc, "create token ktape -n ktape");
  REQUIRE_MESSAGE(token.code == 0, token.err);
  auto server = home.kubectl_with(kc, "config view --minify -o jsonpath={.clusters[0].cluster.server}");
  REQUIRE(server.out.rfind("https://127.0.0.1:", 0) == 0);
  auto sa = home.path / "serviceaccount";
  fs::create_directories(sa);
  test_support::write_file(sa / "token", token.out);
  // realk8s writes its CA into the kubeconfig as certificate-authority-data.
  auto kubeconfig_text = e2e::slurp(kc);
  auto at = kubeconfig_text.find("certificate-authority-data: ");
  REQUIRE(at != std::string::npos);
  at += std::string("certificate-authority-data: ").size();
  auto ca = kube::decode_base64(kubeconfig_text.substr(at, kubeconfig_text.find('\n', at) - at));
  REQUIRE(ca);
  REQUIRE(ca->find("BEGIN CERTIFICATE") != std::string::npos);
  test_support::write_file(sa / "ca.crt", *ca);
  test_support::write_file(sa / "namespace", "ktape");
  auto out = home.path / "real-in-cluster.yaml";
  std::string env = "env -u KUBECONFIG HOME=" + (home.path / "nohome").string() +
                    " KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=" + server.out.substr(18) +
                    " KTAPE_SERVICE_ACCOUNT_DIR=" + sa.string() + " ";
  auto r = home.run(env + KTAPE_BINARY + " export --resource configmaps,serviceaccounts -A --path " +
                    out.string());
  REQUIRE_MESSAGE(r.code == 0, r.err);
  auto text = e2e::slurp(out);
  CHECK(text.find("name: kube-root-ca.crt") != std::string::npos);
  CHECK(text.find("namespace: ktape") != std::string::npos);
  CHECK(r.err.find(token.out.substr(0, 40)) == std::string::npos);
}
