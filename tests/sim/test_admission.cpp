// The write pipeline against a real HTTP cluster: defaulting (Go defaulters and OpenAPI
// defaults), strategies and admission, validation with the real causes, allocation, and the
// controllers that add a namespace's and a Service's objects.
#include <doctest/doctest.h>

#include "tests/sim/sim_client.hpp"

using namespace ktape;
using namespace ktape::sim::test;

namespace {

const std::string k_pods = "/api/v1/namespaces/default/pods";
const std::string k_svcs = "/api/v1/namespaces/default/services";

}  // namespace

TEST_CASE("a Pod is defaulted in its spec, its containers and its template copies") {
  Cluster c;
  Reply r = c.post(
      k_pods, R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},)"
              R"("spec":{"containers":[{"name":"a","image":"nginx","ports":[{"containerPort":80}]},)"
              R"({"name":"b","image":"nginx:1.27","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]}})");
  REQUIRE(r.status == 201);
  auto pod = r.json();
  CHECK(pod.string_at({"spec", "dnsPolicy"}) == "ClusterFirst");
  CHECK(pod.string_at({"spec", "schedulerName"}) == "default-scheduler");
  CHECK(pod.string_at({"spec", "serviceAccountName"}) == "default");
  const auto& containers = pod.at({"spec", "containers"})->as_array();
  CHECK(containers[0].string_at({"imagePullPolicy"}) == "Always");  // no tag
  CHECK(containers[1].string_at({"imagePullPolicy"}) == "IfNotPresent");
  CHECK(containers[0].at({"ports"})->as_array()[0].string_at({"protocol"}) == "TCP");
  CHECK(containers[1].string_at({"resources", "requests", "memory"}) == "1Gi");  // from the limits
  CHECK(pod.string_at({"status", "phase"}) == "Pending");
  CHECK(pod.string_at({"status", "qosClass"}) == "Burstable");
  CHECK(pod.at({"spec", "tolerations"})->size() == 2);
}

TEST_CASE("validation refuses with the real server's causes, several at once") {
  Cluster c;
  Reply r = c.post(k_svcs, R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},)"
                           R"("spec":{"ports":[{"port":70000},{"port":80}]}})");
  REQUIRE(r.status == 422);
  auto status = r.json();
  CHECK(status.string_at({"reason"}) == "Invalid");
  CHECK(status.string_at({"message"}) ==
        "Service \"s\" is invalid: [spec.ports[0].name: Required value, spec.ports[0].port: Invalid value: "
        "70000: "
        "must be between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid value: 70000: must be "
        "between 1 "
        "and 65535, inclusive, spec.ports[1].name: Required value]");
  CHECK(status.at({"details", "causes"})->size() == 4);
  CHECK(c.get(k_svcs + "/s").status == 404);
  SUBCASE("unknown fields: dropped with a warning, refused under Strict") {
    std::string body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"dta":{"k":"v"}})";
    Reply strict = c.post("/api/v1/namespaces/default/configmaps?fieldValidation=Strict", body);
    CHECK(strict.status == 400);
    CHECK(strict.json().string_at({"message"}) ==
          "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown "
          "field \"dta\"");
    Reply warn = c.post("/api/v1/namespaces/default/configmaps", body);
    CHECK(warn.status == 201);
    CHECK(warn.json().find("dta") == nullptr);
  }
}

TEST_CASE("ClusterIPs and NodePorts are allocated once, and free again when the Service goes") {
  Cluster c;
  std::string fixed =
      R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"NAME"},)"
      R"("spec":{"type":"NodePort","clusterIP":"10.96.7.7","ports":[{"port":80,"nodePort":30555}]}})";
  auto named = [&](const std::string& name) {
    std::string body = fixed;
    return body.replace(body.find("NAME"), 4, name);
  };
  Reply first = c.post(k_svcs, named("one"));
  REQUIRE(first.status == 201);
  CHECK(first.json().string_at({"spec", "ipFamilyPolicy"}) == "SingleStack");
  Reply taken = c.post(k_svcs, named("two"));
  CHECK(taken.status == 422);
  CHECK(taken.json().string_at({"message"}).find("provided IP is already allocated") !=
        std::string_view::npos);
  REQUIRE(c.del(k_svcs + "/one").status == 200);
  CHECK(c.post(k_svcs, named("two")).status == 201);
  Reply any = c.post(k_svcs, R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"three"},)"
                             R"("spec":{"type":"NodePort","ports":[{"port":80}]}})");
  REQUIRE(any.status == 201);
  auto node_port = any.json().at({"spec", "ports"})->as_array()[0].find("nodePort")->as_int64();
  CHECK((node_port && *node_port >= 30000 && *node_port <= 32767));
  CHECK(any.json().string_at({"spec", "clusterIP"}).starts_with("10.96."));
}

TEST_CASE("the content controllers give a namespace and a Service their own objects") {
  sim::ServerOptions options;
  options.content_controllers = true;
  Cluster c(options);
  REQUIRE(c.post("/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team"}})")
              .status == 201);
  CHECK(Cluster::eventually(
      [&] { return c.get("/api/v1/namespaces/team/serviceaccounts/default").status == 200; }));
  CHECK(Cluster::eventually(
      [&] { return c.get("/api/v1/namespaces/team/configmaps/kube-root-ca.crt").status == 200; }));
  REQUIRE(c.post("/api/v1/namespaces/team/services",
                 R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},)"
                 R"("spec":{"selector":{"app":"web"},"ports":[{"port":80}]}})")
              .status == 201);
  CHECK(Cluster::eventually([&] { return c.get("/api/v1/namespaces/team/endpoints/web").status == 200; }));
  REQUIRE(c.del("/api/v1/namespaces/team/services/web").status == 200);
  CHECK(Cluster::eventually([&] { return c.get("/api/v1/namespaces/team/endpoints/web").status == 404; }));
}

TEST_CASE("a Job must carry its own uid unless its selector is manual, as a replayed recording does not") {
  Cluster c;
  const std::string jobs = "/apis/batch/v1/namespaces/default/jobs";
  const std::string foreign = "11111111-2222-3333-4444-555555555555";
  Reply r = c.post(
      jobs, R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{)"
            R"("selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":")" +
                foreign + R"("}},"template":{"metadata":{"labels":{"batch.kubernetes.io/controller-uid":")" +
                foreign +
                R"("}},"spec":{"restartPolicy":"Never","containers":[{"name":"w","image":"b"}]}}}})");
  REQUIRE(r.status == 422);
  const auto status = r.json();
  const auto* causes = status.at({"details", "causes"});
  REQUIRE(causes != nullptr);
  REQUIRE(causes->size() == 2);
  CHECK(causes->as_array()[0].string_at({"field"}) ==
        "spec.template.metadata.labels[batch.kubernetes.io/controller-uid]");
  CHECK(causes->as_array()[0].string_at({"message"}).find("must be '") != std::string_view::npos);
  CHECK(causes->as_array()[0].string_at({"message"}).find("must be '" + foreign) == std::string_view::npos);
  CHECK(causes->as_array()[1].string_at({"field"}) == "spec.selector");
  CHECK(causes->as_array()[1].string_at({"message"}).find("`selector` not auto-generated") !=
        std::string_view::npos);
  // Without them, the Job gets its own uid in all four labels and the selector.
  Reply ok =
      c.post(jobs, R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{"template":{)"
                   R"("spec":{"restartPolicy":"Never","containers":[{"name":"w","image":"b"}]}}}})");
  REQUIRE(ok.status == 201);
  auto job = ok.json();
  std::string uid(job.string_at({"metadata", "uid"}));
  CHECK(job.string_at({"spec", "selector", "matchLabels", "batch.kubernetes.io/controller-uid"}) == uid);
  CHECK(job.string_at({"spec", "template", "metadata", "labels", "controller-uid"}) == uid);
  CHECK(job.string_at({"spec", "template", "metadata", "labels", "job-name"}) == "j");
}

TEST_CASE("server-set metadata is immutable on update, and a ClusterIP is checked before it is allocated") {
  Cluster c;
  const std::string cms = "/api/v1/namespaces/default/configmaps";
  REQUIRE(c.post(cms, R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})").status == 201);
  Reply uid = c.patch(cms + "/c", R"({"metadata":{"uid":"11111111-2222-3333-4444-555555555555"}})",
                      "application/merge-patch+json");
  CHECK(uid.status == 422);
  CHECK(uid.json().string_at({"message"}) ==
        "ConfigMap \"c\" is invalid: metadata.uid: Invalid value: \"11111111-2222-3333-4444-555555555555\": "
        "field "
        "is immutable");
  Reply deleting = c.patch(cms + "/c", R"({"metadata":{"deletionTimestamp":"2030-01-01T00:00:00Z"}})",
                           "application/merge-patch+json");
  CHECK(deleting.status == 422);
  CHECK(deleting.json()
            .string_at({"message"})
            .find("Invalid value: 2030-01-01 00:00:00 +0000 UTC: field is immutable") !=
        std::string_view::npos);
  Reply renamed = c.patch(cms + "/c", R"({"metadata":{"name":"d"}})", "application/merge-patch+json");
  CHECK(renamed.status == 400);
  Reply stamped = c.patch(cms + "/c", R"({"metadata":{"creationTimestamp":"2020-01-01T00:00:00Z"}})",
                          "application/merge-patch+json");
  CHECK(stamped.status == 200);
  CHECK(stamped.json().string_at({"metadata", "creationTimestamp"}) != "2020-01-01T00:00:00Z");
  Reply put =
      c.put(cms + "/c", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","uid":"x"}})");
  CHECK(put.status == 409);
  CHECK(put.json().string_at({"message"}).find("Key: /registry/configmaps/default/c") !=
        std::string_view::npos);

  Reply taken = c.post(k_svcs, R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"t"},)"
                               R"("spec":{"clusterIP":"10.96.0.1","ports":[{"port":80}]}})");
  CHECK(taken.status == 422);
  CHECK(taken.json().string_at({"message"}).find("provided IP is already allocated") !=
        std::string_view::npos);
  Reply bad = c.post(k_svcs, R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"b"},)"
                             R"("spec":{"clusterIP":"10.96.300.1","ports":[{"port":80}]}})");
  CHECK(bad.status == 422);
  CHECK(bad.json()
            .string_at({"message"})
            .find("spec.clusterIPs[0]: Invalid value: \"10.96.300.1\": must be a valid IP") !=
        std::string_view::npos);
}
