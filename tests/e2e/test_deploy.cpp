// deploy/: the manifests pass `kubectl apply --dry-run=server` against the simulated cluster, and
// ktape finds its cluster through the in-cluster config (service-account token, CA, and the
// KUBERNETES_SERVICE_* variables) when no kubeconfig exists, over TLS.
#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "tests/e2e/harness.hpp"

namespace ktape::e2e {

TEST_CASE("deploy/: kubectl apply --dry-run=server accepts every manifest") {
  Home home;
  home.create_cluster("deploy");
  std::string deploy = std::string(KTAPE_SOURCE_DIR) + "/deploy/";
  // The namespace first, for real, as on a real cluster (see tests/real/test_real_deploy.cpp),
  // where a server dry run of namespaced objects needs their namespace to exist.
  auto ns = home.kubectl("deploy", "apply -f " + deploy + "00-namespace.yaml");
  REQUIRE_MESSAGE(ns.code == 0, ns.err);
  auto r = home.kubectl("deploy", "apply --dry-run=server -f " + deploy);
  REQUIRE_MESSAGE(r.code == 0, r.err);
  for (const char* what :
       {"namespace/ktape", "serviceaccount/ktape", "clusterrole.rbac.authorization.k8s.io/ktape-reader",
        "clusterrolebinding.rbac.authorization.k8s.io/ktape-reader", "secret/ktape-backup",
        "deployment.apps/ktape"}) {
    CAPTURE(what);
    CHECK(r.out.find(what) != std::string::npos);
  }
  CHECK(r.out.find("(server dry run)") != std::string::npos);
  // A dry run leaves nothing behind.
  CHECK(home.kubectl("deploy", "get deployment ktape -n ktape").code != 0);
}

TEST_CASE("in-cluster config: ktape exports through a service-account token, CA and KUBERNETES_SERVICE_*") {
  Home home;
  home.create_cluster("incluster", "--tls");
  REQUIRE(home.kubectl("incluster", "create configmap seen-in-cluster --from-literal=k=v").code == 0);
  auto state = formats::parse_json(slurp(home.path / "clusters" / "incluster" / "cluster.json"));
  REQUIRE(state);
  std::string url(state->string_at({"url"}));
  REQUIRE(url.rfind("https://127.0.0.1:", 0) == 0);
  auto sa = home.path / "serviceaccount";
  fs::create_directories(sa);
  test_support::write_file(sa / "token", "a-service-account-token\n");
  test_support::write_file(sa / "ca.crt", std::string(state->string_at({"caPem"})));
  test_support::write_file(sa / "namespace", "default\n");
  auto out = home.path / "in-cluster.yaml";
  std::string env = "env -u KUBECONFIG HOME=" + (home.path / "nohome").string() +
                    " KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=" + url.substr(18) +
                    " KTAPE_SERVICE_ACCOUNT_DIR=" + sa.string() + " ";
  auto r = home.run(env + KTAPE_BINARY + " export --resource configmaps --path " + out.string());
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(slurp(out).find("name: seen-in-cluster") != std::string::npos);
  CHECK(r.err.find("a-service-account-token") == std::string::npos);

  // A CA that did not sign the server's certificate is refused: the CA file is really used.
  test_support::write_file(sa / "ca.crt", slurp(sa / "token"));
  auto refused = home.run(env + KTAPE_BINARY + " export --resource configmaps --path " +
                          (home.path / "no.yaml").string());
  CHECK(refused.code != 0);
  CHECK(refused.err.find("a-service-account-token") == std::string::npos);
}

}  // namespace ktape::e2e
