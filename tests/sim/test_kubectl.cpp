// kubectl v1.32 end to end against a simulated cluster: what a user does with kubectl works.
#include <doctest/doctest.h>

#include <thread>

#include "tests/sim/kubectl_runner.hpp"
#include "tests/sim/sim_client.hpp"
#include "tests/support/files.hpp"

using namespace ktape;
using namespace ktape::sim::test;

namespace {

const char* k_manifests = R"(apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
  labels:
    app: web
data:
  color: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
)";

const char* k_crd = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.demo.example.com
spec:
  group: demo.example.com
  names:
    kind: Widget
    plural: widgets
    singular: widget
    shortNames: [wd]
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
    subresources:
      status: {}
)";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("kubectl: create -f a multi-document file, get in every format") {
  Cluster c;
  Kubectl kubectl(c.server->port());
  Run created = kubectl("create -f " + kubectl.file("m.yaml", k_manifests));
  INFO(created.output);
  REQUIRE(created.status == 0);
  CHECK(contains(created.output, "namespace/shop created"));
  CHECK(contains(created.output, "deployment.apps/web created"));
  Run get = kubectl("get configmaps -n shop");
  INFO(get.output);
  CHECK(get.status == 0);
  CHECK(contains(get.output, "NAME"));
  CHECK(contains(get.output, "settings"));
  Run yaml = kubectl("get configmap settings -n shop -o yaml");
  CHECK(contains(yaml.output, "color: blue"));
  Run json = kubectl("get deployment web -n shop -o json");
  auto parsed = formats::parse_json(json.output);
  REQUIRE(parsed);
  CHECK(parsed->string_at({"metadata", "name"}) == "web");
  Run all = kubectl("get all -n shop");
  INFO(all.output);
  CHECK(all.status == 0);
  CHECK(contains(all.output, "deployment.apps/web"));
  Run resources = kubectl("api-resources");
  INFO(resources.output);
  CHECK(resources.status == 0);
  CHECK(contains(resources.output, "deployments"));
  CHECK(contains(resources.output, "configmaps"));
}

TEST_CASE("kubectl: label, annotate, patch of all three types, apply twice") {
  Cluster c;
  Kubectl kubectl(c.server->port());
  REQUIRE(kubectl("create -f " + kubectl.file("m.yaml", k_manifests)).status == 0);
  Run label = kubectl("label configmap settings -n shop tier=front");
  INFO(label.output);
  CHECK(label.status == 0);
  CHECK(kubectl("annotate configmap settings -n shop note=hello").status == 0);
  CHECK(kubectl("patch configmap settings -n shop --type merge -p '{\"data\":{\"size\":\"L\"}}'").status ==
        0);
  CHECK(kubectl("patch configmap settings -n shop --type json -p "
                "'[{\"op\":\"add\",\"path\":\"/data/shape\",\"value\":\"round\"}]'")
            .status == 0);
  Run strategic = kubectl(
      "patch deployment web -n shop -p "
      "'{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.28\"}]}}}}"
      "'");
  INFO(strategic.output);
  CHECK(strategic.status == 0);
  auto cm = c.get("/api/v1/namespaces/shop/configmaps/settings").json();
  CHECK(cm.string_at({"metadata", "labels", "tier"}) == "front");
  CHECK(cm.string_at({"metadata", "annotations", "note"}) == "hello");
  CHECK(cm.string_at({"data", "size"}) == "L");
  CHECK(cm.string_at({"data", "shape"}) == "round");
  auto dep = c.get("/apis/apps/v1/namespaces/shop/deployments/web").json();
  const auto* containers = dep.at({"spec", "template", "spec", "containers"});
  REQUIRE(containers);
  REQUIRE(containers->size() == 1);
  CHECK(containers->as_array()[0].string_at({"image"}) == "nginx:1.28");

  std::string applied =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: shop\ndata:\n  k: one\n";
  Run first = kubectl("apply -f " + kubectl.file("a.yaml", applied));
  INFO(first.output);
  CHECK(first.status == 0);
  CHECK(contains(first.output, "configmap/applied created"));
  Run second = kubectl("apply -f " + kubectl.file("a.yaml", applied.substr(0, applied.size() - 4) + "two\n"));
  INFO(second.output);
  CHECK(second.status == 0);
  CHECK(contains(second.output, "configmap/applied configured"));
  CHECK(c.get("/api/v1/namespaces/shop/configmaps/applied").json().string_at({"data", "k"}) == "two");
}

TEST_CASE("kubectl: get -w sees another client's writes") {
  Cluster c;
  Kubectl kubectl(c.server->port());
  std::string out_file = kubectl.file("watch.out", "");
  std::thread watcher(
      [&] { (void)kubectl("get configmaps -n default -w --request-timeout=4s > '" + out_file + "'"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  REQUIRE(c.post("/api/v1/namespaces/default/configmaps", configmap("watched")).status == 201);
  watcher.join();
  std::string text = test_support::read_file(out_file);
  INFO(text);
  CHECK(contains(text, "watched"));
}

TEST_CASE("kubectl: delete cascades through ownerReferences; namespaces delete their content") {
  Cluster c;
  Kubectl kubectl(c.server->port());
  REQUIRE(kubectl("create -f " + kubectl.file("m.yaml", k_manifests)).status == 0);
  auto dep = c.get("/apis/apps/v1/namespaces/shop/deployments/web").json();
  std::string rs =
      R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"web-1","ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"web","uid":")" +
      std::string(dep.string_at({"metadata", "uid"})) +
      R"(","controller":true,"blockOwnerDeletion":true}]},"spec":{"selector":{"matchLabels":{"app":"web"}},)"
      R"("template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx"}]}}}})";
  REQUIRE(c.post("/apis/apps/v1/namespaces/shop/replicasets", rs).status == 201);
  Run del = kubectl("delete deployment web -n shop");
  INFO(del.output);
  CHECK(del.status == 0);
  CHECK(Cluster::eventually(
      [&] { return c.get("/apis/apps/v1/namespaces/shop/replicasets/web-1").status == 404; }));
  Run ns = kubectl("delete namespace shop --wait=true --timeout=10s");
  INFO(ns.output);
  CHECK(ns.status == 0);
  CHECK(c.get("/api/v1/namespaces/shop").status == 404);
  CHECK(c.get("/api/v1/namespaces/shop/configmaps/settings").status == 404);
}

TEST_CASE("kubectl: a CRD, then its custom resources") {
  Cluster c;
  Kubectl kubectl(c.server->port());
  Run crd = kubectl("apply -f " + kubectl.file("crd.yaml", k_crd));
  INFO(crd.output);
  REQUIRE(crd.status == 0);
  Run wait = kubectl("wait --for condition=established --timeout=10s crd/widgets.demo.example.com");
  INFO(wait.output);
  CHECK(wait.status == 0);
  std::string widget =
      "apiVersion: demo.example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: default\nspec:\n  "
      "size: 3\n";
  Run created = kubectl("apply -f " + kubectl.file("w.yaml", widget));
  INFO(created.output);
  CHECK(created.status == 0);
  Run again = kubectl("apply -f " + kubectl.file("w.yaml", widget.substr(0, widget.size() - 2) + "4\n"));
  INFO(again.output);
  CHECK(again.status == 0);
  Run get = kubectl("get widgets");
  INFO(get.output);
  CHECK(contains(get.output, "w1"));
  CHECK(kubectl("get wd w1 -o json").output.find("\"size\": 4") != std::string::npos);
  CHECK(kubectl("label widget w1 color=red").status == 0);
  CHECK(kubectl("delete crd widgets.demo.example.com").status == 0);
  CHECK(c.get("/apis/demo.example.com/v1/namespaces/default/widgets/w1").status == 404);
}

TEST_CASE("kubectl over HTTPS: the cluster's CA is trusted and HTTP/1.1 is negotiated") {
  auto tls = sim::make_tls_material({"127.0.0.1"});
  REQUIRE(tls);
  sim::ServerOptions options;
  options.tls = *tls;
  Cluster c(options);
  CHECK(c.server->url().starts_with("https://"));
  Kubectl kubectl(c.server->port());
  std::string ca = kubectl.file("ca.crt", tls->ca_cert_pem);
  std::string config = kubectl.file(
      "tls-kubeconfig", "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: " +
                            c.server->url() + "\n    certificate-authority: " + ca +
                            "\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n    user: sim\n"
                            "current-context: sim\nusers:\n- name: sim\n  user:\n    token: not-checked\n");
  Run get = kubectl("--kubeconfig '" + config + "' get namespaces");
  INFO(get.output);
  CHECK(get.status == 0);
  CHECK(contains(get.output, "kube-system"));
}

TEST_CASE("kubectl scale goes through the scale subresource; Scale GET, PUT and PATCH over HTTP") {
  Cluster c;
  Kubectl kubectl(c.server->port());
  REQUIRE(kubectl("create -f " + kubectl.file("m.yaml", k_manifests)).status == 0);
  const std::string path = "/apis/apps/v1/namespaces/shop/deployments/web";
  Run scaled = kubectl("scale deployment web -n shop --replicas=5");
  INFO(scaled.output);
  REQUIRE(scaled.status == 0);
  CHECK(contains(scaled.output, "deployment.apps/web scaled"));
  auto dep = c.get(path).json();
  CHECK(dep.at({"spec", "replicas"})->as_int64() == 5);
  CHECK(dep.at({"metadata", "generation"})->as_int64() == 2);
  CHECK(dep.at({"spec", "template", "spec", "containers"})->size() == 1);  // the rest untouched

  auto scale = c.get(path + "/scale").json();
  CHECK(scale.string_at({"kind"}) == "Scale");
  CHECK(scale.string_at({"apiVersion"}) == "autoscaling/v1");
  CHECK(scale.string_at({"metadata", "name"}) == "web");
  CHECK(scale.string_at({"metadata", "uid"}) == dep.string_at({"metadata", "uid"}));
  CHECK(scale.at({"spec", "replicas"})->as_int64() == 5);
  CHECK(scale.at({"status", "replicas"})->as_int64() == 0);
  CHECK(scale.string_at({"status", "selector"}) == "app=web");

  // kubectl's precondition: --current-replicas that does not match refuses.
  Run stale = kubectl("scale deployment web -n shop --current-replicas=2 --replicas=1");
  CHECK(stale.status != 0);
  CHECK(c.get(path).json().at({"spec", "replicas"})->as_int64() == 5);

  // PUT with the Scale's resourceVersion, then again with the now stale one: 409.
  std::string rv(scale.string_at({"metadata", "resourceVersion"}));
  std::string body =
      R"({"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"web","namespace":"shop",)"
      R"("resourceVersion":")" +
      rv + R"("},"spec":{"replicas":3}})";
  auto put = c.put(path + "/scale", body);
  CHECK(put.status == 200);
  CHECK(put.json().at({"spec", "replicas"})->as_int64() == 3);
  CHECK(c.put(path + "/scale", body).status == 409);
  auto patched = c.patch(path + "/scale", R"({"spec":{"replicas":-1}})", "application/merge-patch+json");
  CHECK(patched.status == 422);
  CHECK(patched.json().string_at({"reason"}) == "Invalid");
  CHECK(c.get(path).json().at({"spec", "replicas"})->as_int64() == 3);
  CHECK(c.get("/api/v1/namespaces/shop/configmaps/settings/scale").status == 404);
}
