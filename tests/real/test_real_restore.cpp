// `ktape restore` against a real control plane with its controllers running (issue 14): a
// Deployment's image and replicas rolled back, a ConfigMap's data, a deleted Secret brought back,
// an extra Service pruned, and the control plane's own kube-root-ca.crt left alone; then the same
// rollback by server-side apply (--update apply), and kube::Client::apply's conflicts as the real
// apiserver words them. Skipped with a message when ../shared/realk8s is absent.
#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "kube/client.hpp"
#include "kube/kubeconfig.hpp"
#include "tests/e2e/harness.hpp"
#include "tests/real/real_cluster.hpp"

using namespace ktape;
using ktape::e2e::Home;

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// kube::Client::apply against the real apiserver: a field kubectl-create owns is a 409 naming it
// and its manager, force takes it, and the object records the manager's Apply entry.
void check_client_apply(const std::string& kubeconfig) {
  auto config = kube::load_kubeconfig(kube::KubeconfigOptions{kubeconfig, {}, {}, {}, {}});
  REQUIRE(config);
  auto client = kube::Client::create(std::move(*config));
  REQUIRE(client);
  auto discovery = (*client)->discover();
  REQUIRE(discovery);
  auto cms = discovery->resolve("configmaps");
  REQUIRE(cms);
  auto cfg = formats::parse_json(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"shop"},"data":{"mode":"red"}})");
  REQUIRE(cfg);
  kube::ApplyOptions options{"ktape-test", false, ""};
  auto refused = (*client)->apply(*cms, "shop", *cfg, options);
  REQUIRE(!refused);
  CHECK(is_conflict(refused.error()));
  CHECK(refused.error().http_status == 409);
  INFO(refused.error().message);
  CHECK(refused.error().message.find("conflict with \"ktape\"") != std::string::npos);  // restore's
  CHECK(refused.error().message.find(".data.mode") != std::string::npos);
  options.force = true;
  auto forced = (*client)->apply(*cms, "shop", *cfg, options);
  REQUIRE_MESSAGE(forced, forced.error().message);
  CHECK(forced->string_at({"data", "mode"}) == "red");
  bool recorded = false;
  for (const auto& e : forced->at({"metadata", "managedFields"})->as_array())
    recorded |= e.string_at({"manager"}) == "ktape-test" && e.string_at({"operation"}) == "Apply";
  CHECK(recorded);
}

}  // namespace

TEST_CASE("real: restore rolls a namespace back to a recorded moment with the real controllers running") {
  auto realk8s = real::find_realk8s();
  if (!realk8s) {
    if (real::realk8s_required()) FAIL("KTAPE_REQUIRE_REALK8S=1 but ../shared/realk8s/realk8s is absent");
    MESSAGE("skipped: no real control plane (../shared/realk8s/realk8s; set KTAPE_SHARED)");
    return;
  }
  Home home;
  real::RealCluster cluster(*realk8s);
  const auto& kc = cluster.kubeconfig();
  auto k = [&](const std::string& args) {
    auto r = home.kubectl_with(kc, args);
    REQUIRE_MESSAGE(r.code == 0, args << ": " << r.err);
    return trimmed(r.out);
  };
  k("create namespace shop");
  k("-n shop create deployment web --image=nginx:1.25 --replicas=2");
  k("-n shop create configmap cfg --from-literal=mode=blue");
  k("-n shop create secret generic creds --from-literal=password=hunter2");
  REQUIRE(
      e2e::eventually([&] { return k("-n shop get rs -o name").find("replicaset") != std::string::npos; }));
  std::string snap = (home.path / "snap.yaml").string();
  auto exported = home.ktape("export --path " + snap + " --kubeconfig " + kc);
  REQUIRE_MESSAGE(exported.code == 0, exported.err);

  k("-n shop set image deployment/web nginx=nginx:1.26");
  k("-n shop scale deployment/web --replicas=4");
  k(R"(-n shop patch configmap cfg -p '{"data":{"mode":"green"}}')");
  k("-n shop delete secret creds");
  k("-n shop create service clusterip extra --tcp=80:80");
  REQUIRE(e2e::eventually([&] { return k("-n shop get rs -o name").find('\n') != std::string::npos; }));

  std::string restore =
      "restore --path " + snap + " --kubeconfig " + kc +
      " -n shop --resource deployments.apps,configmaps,secrets,services --prune --max-delete 1";
  auto dry = home.ktape(restore + " --dry-run");
  INFO(dry.out, dry.err);
  CHECK(dry.code == 0);
  CHECK(dry.out.find("UPDATE apps/v1 Deployment shop/web (spec)") != std::string::npos);
  CHECK(dry.out.find("UPDATE v1 ConfigMap shop/cfg (data)") != std::string::npos);
  CHECK(dry.out.find("CREATE v1 Secret shop/creds") != std::string::npos);
  CHECK(dry.out.find("DELETE v1 Service shop/extra") != std::string::npos);
  CHECK(dry.out.find("KEEP v1 ConfigMap shop/kube-root-ca.crt") ==
        std::string::npos);  // equal or kept, never written
  CHECK(dry.out.find("hunter2") == std::string::npos);
  CHECK(k("-n shop get service extra -o name") == "service/extra");  // the dry run wrote nothing

  auto done = home.ktape(restore + " --yes");
  INFO(done.out, done.err);
  CHECK(done.code == 0);
  CHECK(done.err.find("verify: the target equals the recorded state") != std::string::npos);
  CHECK(k("-n shop get deployment web -o jsonpath={.spec.template.spec.containers[0].image}") ==
        "nginx:1.25");
  CHECK(k("-n shop get deployment web -o jsonpath={.spec.replicas}") == "2");
  CHECK(k("-n shop get configmap cfg -o jsonpath={.data.mode}") == "blue");
  CHECK(k("-n shop get secret creds -o jsonpath={.data.password}") == "aHVudGVyMg==");
  CHECK(home.kubectl_with(kc, "-n shop get service extra").code != 0);
  CHECK(k("-n shop get configmap kube-root-ca.crt -o name") == "configmap/kube-root-ca.crt");
  // The real Deployment controller rolls back: the ReplicaSet of nginx:1.25 is scaled up again.
  CHECK(e2e::eventually(
      [&] {
        return k("-n shop get rs -o 'jsonpath={range .items[*]}"
                 "{.spec.template.spec.containers[0].image}={.spec.replicas};{end}'")
                   .find("nginx:1.25=2") != std::string::npos;
      },
      std::chrono::seconds(30)));
  auto again = home.ktape(restore + " --yes");  // converged: nothing left to write
  CHECK(again.code == 0);
  CHECK(again.out.find("plan: 0 to create, 0 to update, 0 to delete") != std::string::npos);

  // The same rollback as ktape's forced server-side applies: the image and replicas are taken
  // back from kubectl's managers while the real Deployment controller runs. (nginx:1.26 again: a
  // third revision would leave the rollout stuck, as no kubelet makes any pod available.)
  // cfg gets a key by ktape's own PUT (a restore of a later export that has it): ktape's Update
  // entry is adopted into its Apply entry first, so the apply removes the key the state lacks.
  k(R"(-n shop patch configmap cfg -p '{"data":{"extra":"1"}}')");
  std::string later = (home.path / "later.yaml").string();
  REQUIRE(home.ktape("export --path " + later + " --kubeconfig " + kc).code == 0);
  k(R"(-n shop patch configmap cfg -p '{"data":{"extra":"2","mode":"green"}}')");
  auto put =
      home.ktape("restore --path " + later + " --kubeconfig " + kc + " -n shop --resource configmaps --yes");
  REQUIRE_MESSAGE(put.code == 0, put.err);
  REQUIRE(k("-n shop get configmap cfg -o jsonpath={.data.extra}") == "1");
  k("-n shop set image deployment/web nginx=nginx:1.26");
  k("-n shop scale deployment/web --replicas=5");
  auto applied = home.ktape(restore + " --update apply --yes");
  INFO(applied.out, applied.err);
  CHECK(applied.code == 0);
  CHECK(applied.err.find("verify: the target equals the recorded state") != std::string::npos);
  CHECK(k("-n shop get deployment web -o jsonpath={.spec.template.spec.containers[0].image}") ==
        "nginx:1.25");
  CHECK(k("-n shop get deployment web -o jsonpath={.spec.replicas}") == "2");
  CHECK(k("-n shop get configmap cfg -o jsonpath={.data.mode}") == "blue");
  CHECK(k("-n shop get configmap cfg -o jsonpath={.data.extra}").empty());
  CHECK(
      k(R"(-n shop get configmap cfg -o 'jsonpath={.metadata.managedFields[?(@.manager=="ktape")].operation}')") ==
      "Apply");
  CHECK(
      k(R"(-n shop get deployment web -o 'jsonpath={.metadata.managedFields[?(@.manager=="ktape")].operation}')")
          .find("Apply") != std::string::npos);
  CHECK(e2e::eventually(
      [&] {
        return k("-n shop get rs -o 'jsonpath={range .items[*]}"
                 "{.spec.template.spec.containers[0].image}={.spec.replicas};{end}'")
                   .find("nginx:1.25=2") != std::string::npos;
      },
      std::chrono::seconds(30)));
  check_client_apply(kc);
}
