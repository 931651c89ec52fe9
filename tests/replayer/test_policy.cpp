// What a replay leaves to a target that runs its own control plane and controllers
// (replayer/policy.hpp, issue 12): the control plane's objects, values the target allocates
// itself, --owned skip, and a controller in the target acting before a recorded change.
#include <doctest/doctest.h>

#include <algorithm>

#include "formats/json.hpp"
#include "replayer/policy.hpp"
#include "tests/replayer/target.hpp"

using namespace ktape;
using namespace ktape::replayer;
using namespace ktape::replayer::test;

namespace {

std::vector<Request> with(const ScriptedTarget& target, const std::string& method, const std::string& path) {
  std::vector<Request> out;
  for (const auto& r : target.requests())
    if (r.method == method && r.path == path) out.push_back(r);
  return out;
}

std::string errors_text(const SummaryReport& report) {
  std::string out;
  for (const auto& e : report.errors) out += e + "\n";
  return out;
}

std::string service(const std::string& name, const std::string& spec) {
  return object_json("v1", "Service", "demo", name, "u-" + name, "", R"("spec":)" + spec);
}

std::string pod(const std::string& name, const std::string& owners, const std::string& spec = "{}") {
  return object_json("v1", "Pod", "demo", name, "u-" + name, owners, R"("spec":)" + spec);
}

// A 422 as kube-apiserver 1.32 words it for a Service whose ClusterIP is taken.
Reply ip_allocated(const std::string& name, const std::string& ip) {
  return status_reply(422, "Invalid",
                      "Service \"" + name + "\" is invalid: spec.clusterIPs: Invalid value: []string{\"" +
                          ip + "\"}: failed to allocate IP " + ip + ": provided IP is already allocated");
}

// A Service create answered as the target would allocate: clusterIP 10.96.7.7 when none is asked.
std::optional<Reply> allocating(const Request& q,
                                const std::function<std::optional<Reply>(const Request&)>& refuse) {
  if (q.method != "POST" || q.path != k_services) return std::nullopt;
  if (auto refused = refuse(q)) return refused;
  formats::Value object = q.json();
  if (object.string_at({"spec", "clusterIP"}).empty()) {
    object["spec"].set("clusterIP", "10.96.7.7");
    formats::Value ips = formats::Value::array();
    ips.push_back("10.96.7.7");
    object["spec"].set("clusterIPs", std::move(ips));
  }
  if (object.string_at({"spec", "type"}) == "NodePort") {
    formats::Value& port = object["spec"]["ports"].as_array()[0];
    if (!port.find("nodePort")) port.set("nodePort", std::int64_t{31081});
  }
  object["metadata"].set("uid", "new-" + std::string(object.string_at({"metadata", "name"})));
  return Reply{201, formats::to_json(object), ""};
}

}  // namespace

TEST_CASE("control_plane_owns: the table's rows, and look-alikes that are the user's") {
  CHECK(control_plane_owns("", "Service", "default", "kubernetes"));
  CHECK_FALSE(control_plane_owns("", "Service", "shop", "kubernetes"));
  CHECK(control_plane_owns("discovery.k8s.io", "EndpointSlice", "default", "kubernetes"));
  CHECK(control_plane_owns("", "ConfigMap", "shop", "kube-root-ca.crt"));
  CHECK_FALSE(control_plane_owns("", "ConfigMap", "shop", "kube-root-ca"));
  CHECK(control_plane_owns("", "ServiceAccount", "shop", "default"));
  CHECK_FALSE(control_plane_owns("", "ServiceAccount", "shop", "builder"));
  CHECK(
      control_plane_owns("rbac.authorization.k8s.io", "ClusterRole", "", "system:controller:job-controller"));
  CHECK_FALSE(control_plane_owns("rbac.authorization.k8s.io", "ClusterRole", "", "shop-admin"));
  CHECK(control_plane_owns("rbac.authorization.k8s.io", "RoleBinding", "kube-system",
                           "system::leader-locking"));
  CHECK(control_plane_owns("apiregistration.k8s.io", "APIService", "", "v1.apps"));
  CHECK(control_plane_owns("flowcontrol.apiserver.k8s.io", "FlowSchema", "", "exempt"));
  CHECK(control_plane_owns("coordination.k8s.io", "Lease", "kube-system", "kube-controller-manager"));
  CHECK_FALSE(control_plane_owns("coordination.k8s.io", "Lease", "shop", "my-leader"));
}

TEST_CASE(
    "policy: the control plane's objects are kept by default and replayed with --control-plane-objects "
    "replay") {
  Replay r;
  std::string file = namespace_doc("demo", "u-ns") +
                     snapshot_doc(object_json("v1", "ConfigMap", "demo", "kube-root-ca.crt", "u-ca", "",
                                              R"("data":{"ca.crt":"x"})")) +
                     snapshot_doc(object_json("v1", "ServiceAccount", "demo", "default", "u-sa")) +
                     snapshot_doc(object_json("v1", "ConfigMap", "demo", "app", "u-app")) +
                     event_doc("", "configmaps", "demo", "kube-root-ca.crt", "patch", 1 * k_ms,
                               R"({"data":{"ca.crt":"y"}})") +
                     event_doc("", "configmaps", "demo", "kube-root-ca.crt", "delete", 2 * k_ms);
  SUBCASE("keep (the default)") {
    SummaryReport report = r.run(file);
    CHECK(r.target.write_lines() == std::vector<std::string>{"POST /api/v1/namespaces", "POST " + k_cms});
    CHECK(r.target.stored(k_cms + "/app"));
    CHECK(report.reasons[std::string(k_kept_control_plane)] == 4);
    CHECK(report.by_resource["configmaps"].skipped == 3);
    CHECK(report.by_resource["serviceaccounts"].skipped == 1);
    CHECK(report.totals.failed == 0);
    CHECK(format_summary(report).find("kept: the target's control plane manages it: 4") != std::string::npos);
  }
  SUBCASE("replay") {
    r.options.control_plane = ControlPlaneObjects::replay;
    SummaryReport report = r.run(file);
    CHECK(r.target.stored(k_cms + "/app"));
    CHECK(with(r.target, "POST", "/api/v1/namespaces/demo/serviceaccounts").size() == 1);
    CHECK(with(r.target, "PATCH", k_cms + "/kube-root-ca.crt").size() == 1);
    CHECK(with(r.target, "DELETE", k_cms + "/kube-root-ca.crt").size() == 1);
    CHECK(report.reasons.empty());
    CHECK(report.totals.failed == 0);
  }
}

TEST_CASE("policy: a create refused as 'already allocated' counts as existing once a GET finds the object") {
  Replay r;
  formats::Value existing = *formats::parse_json(
      R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"demo",)"
      R"("uid":"target-web","resourceVersion":"3"},"spec":{"clusterIP":"10.96.0.9"}})");
  r.target.put(k_services, existing);
  r.target.script([](const Request& q) -> std::optional<Reply> {
    if (q.method == "POST" && q.path == k_services) return ip_allocated("web", "10.96.0.1");
    return std::nullopt;
  });
  SummaryReport report =
      r.run(namespace_doc("demo", "u-ns") + snapshot_doc(service("web", R"({"clusterIP":"10.96.0.1"})")) +
            snapshot_doc(object_json("v1", "ConfigMap", "demo", "child", "u-child",
                                     owner_json("v1", "Service", "web", "u-web"))));
  CHECK_MESSAGE(report.totals.failed == 0, errors_text(report));
  CHECK(report.by_resource["services"].skipped == 1);
  CHECK(with(r.target, "POST", k_services).size() == 1);
  CHECK(with(r.target, "GET", k_services + "/web").size() >= 1);
  CHECK(with(r.target, "POST", k_cms).at(0).owner_uid() == "target-web");
}

TEST_CASE(
    "policy: a Service whose ClusterIP or NodePort the target refuses is created without it, and the summary "
    "says so") {
  Replay r;
  SUBCASE("an allocated ClusterIP") {
    r.target.script([](const Request& q) {
      return allocating(q, [](const Request& p) -> std::optional<Reply> {
        if (p.string_at({"spec", "clusterIP"}) == "10.96.0.1") return ip_allocated("web", "10.96.0.1");
        return std::nullopt;
      });
    });
    SummaryReport report =
        r.run(namespace_doc("demo", "u-ns") +
              snapshot_doc(service("web", R"({"clusterIP":"10.96.0.1","clusterIPs":["10.96.0.1"]})")));
    CHECK_MESSAGE(report.totals.failed == 0, errors_text(report));
    auto posts = with(r.target, "POST", k_services);
    REQUIRE(posts.size() == 2);
    CHECK_FALSE(posts[1].json().at({"spec", "clusterIPs"}));
    CHECK(posts[1].string_at({"spec", "clusterIP"}).empty());
    CHECK(report.by_resource["services"].created == 1);
    REQUIRE(report.notes.size() == 1);
    CHECK(report.notes[0].find("v1 Service demo/web: clusterIP 10.96.0.1 refused") != std::string::npos);
    CHECK(report.notes[0].find("created with clusterIP 10.96.7.7") != std::string::npos);
  }
  SUBCASE("a NodePort outside the target's range, then its ClusterIP") {
    r.target.script([](const Request& q) {
      return allocating(q, [](const Request& p) -> std::optional<Reply> {
        formats::Value body = p.json();
        if (body.at({"spec", "ports"})->as_array()[0].find("nodePort"))
          return status_reply(
              422, "Invalid",
              "Service \"np\" is invalid: spec.ports[0].nodePort: Invalid value: 40080: provided "
              "port is not in the valid range. The range of valid ports is 30000-32767");
        if (p.string_at({"spec", "clusterIP"}) == "10.0.0.5")
          return status_reply(
              422, "Invalid",
              "Service \"np\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.0.0.5\"}: "
              "failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range");
        return std::nullopt;
      });
    });
    SummaryReport report = r.run(namespace_doc("demo", "u-ns") +
                                 snapshot_doc(service("np", R"({"type":"NodePort","clusterIP":"10.0.0.5",)"
                                                            R"("ports":[{"port":81,"nodePort":40080}]})")));
    CHECK_MESSAGE(report.totals.failed == 0, errors_text(report));
    auto posts = with(r.target, "POST", k_services);
    REQUIRE(posts.size() == 3);
    CHECK(posts[1].string_at({"spec", "clusterIP"}) == "10.0.0.5");
    CHECK_FALSE(posts[1].json().at({"spec", "ports"})->as_array()[0].find("nodePort"));
    CHECK(posts[2].string_at({"spec", "clusterIP"}).empty());
    REQUIRE(report.notes.size() == 1);
    CHECK(report.notes[0].find("nodePort refused") != std::string::npos);
    CHECK(report.notes[0].find("clusterIP 10.0.0.5 refused") != std::string::npos);
    CHECK(report.notes[0].find("created with clusterIP 10.96.7.7, nodePort 31081") != std::string::npos);
  }
  SUBCASE("a headless Service keeps None: a refusal of it is a failure, not a retry") {
    r.target.script([](const Request& q) -> std::optional<Reply> {
      if (q.method == "POST" && q.path == k_services)
        return status_reply(422, "Invalid",
                            "Service \"h\" is invalid: spec.clusterIPs: Invalid value: \"None\"");
      return std::nullopt;
    });
    SummaryReport report =
        r.run(namespace_doc("demo", "u-ns") + snapshot_doc(service("h", R"({"clusterIP":"None"})")));
    CHECK(with(r.target, "POST", k_services).size() == 1);
    CHECK(report.by_resource["services"].failed == 1);
  }
}

TEST_CASE("policy: --owned skip replays only what no controller owns, and the events of what it skipped") {
  Replay r;
  r.options.owned = OwnedObjects::skip;
  std::string not_controller = R"({"apiVersion":"apps/v1","kind":"Deployment","name":"web","uid":"u-web"})";
  std::string file =
      namespace_doc("demo", "u-ns") +
      snapshot_doc(object_json("apps/v1", "Deployment", "demo", "web", "u-web")) +
      snapshot_doc(object_json("apps/v1", "ReplicaSet", "demo", "web-1", "u-rs",
                               owner_json("apps/v1", "Deployment", "web", "u-web"))) +
      snapshot_doc(pod("web-1-a", owner_json("apps/v1", "ReplicaSet", "web-1", "u-rs"))) +
      snapshot_doc(object_json("v1", "ConfigMap", "demo", "notes", "u-notes", not_controller)) +
      event_doc("", "pods", "demo", "web-1-a", "patch", 1 * k_ms, R"({"metadata":{"labels":{"x":"1"}}})") +
      event_doc("", "pods", "demo", "web-1-b", "create", 2 * k_ms,
                pod("web-1-b", owner_json("apps/v1", "ReplicaSet", "web-1", "u-rs"))) +
      event_doc("", "pods", "demo", "web-1-a", "delete", 3 * k_ms) +
      event_doc("apps", "deployments", "demo", "web", "patch", 4 * k_ms, R"({"spec":{"replicas":3}})") +
      // The name comes back without a controller: replayed.
      event_doc("", "pods", "demo", "web-1-a", "create", 5 * k_ms, pod("web-1-a", ""));
  SummaryReport report = r.run(file);
  CHECK_MESSAGE(report.totals.failed == 0, errors_text(report));
  CHECK(with(r.target, "POST", k_rss).empty());
  auto pod_posts = with(r.target, "POST", k_pods);
  REQUIRE(pod_posts.size() == 1);
  CHECK(pod_posts[0].string_at({"metadata", "name"}) == "web-1-a");
  CHECK(with(r.target, "PATCH", k_pods + "/web-1-a").empty());
  CHECK(with(r.target, "DELETE", k_pods + "/web-1-a").empty());
  CHECK(with(r.target, "PATCH", k_deps + "/web").size() == 1);
  CHECK(with(r.target, "POST", k_cms).at(0).owner_uid() == "new-web");  // a non-controller owner: replayed
  CHECK(report.reasons[std::string(k_owned_skip)] == 5);  // rs, pod a, its patch and delete, pod b
  CHECK(report.problems.empty());
}

TEST_CASE(
    "policy: replaying everything, a 404 or 409 on an object a controller owns is the target's controller "
    "acting first") {
  Replay r;
  r.target.script([](const Request& q) -> std::optional<Reply> {
    if (q.method == "PATCH" && q.path.starts_with(k_pods + "/"))
      return status_reply(404, "NotFound", "pods \"x\" not found");
    if (q.method == "DELETE" && q.path == k_pods + "/owned")
      return status_reply(404, "NotFound", "pods \"owned\" not found");
    return std::nullopt;
  });
  std::string file =
      namespace_doc("demo", "u-ns") +
      snapshot_doc(object_json("apps/v1", "ReplicaSet", "demo", "rs", "u-rs")) +
      snapshot_doc(pod("owned", owner_json("apps/v1", "ReplicaSet", "rs", "u-rs"))) +
      snapshot_doc(pod("mine", "")) +
      event_doc("", "pods", "demo", "owned", "patch", 1 * k_ms, R"({"metadata":{"labels":{"x":"1"}}})") +
      event_doc("", "pods", "demo", "owned", "delete", 2 * k_ms) +
      event_doc("", "pods", "demo", "mine", "patch", 3 * k_ms, R"({"metadata":{"labels":{"x":"1"}}})");
  SummaryReport report = r.run(file);
  CHECK(report.reasons[std::string(k_controller_first)] == 2);
  CHECK(report.by_resource["pods"].failed == 1);  // no controller owns "mine": a real failure
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].find("demo/mine") != std::string::npos);
}

TEST_CASE(
    "policy: --drop-node-name creates Pods and patches them without spec.nodeName; the default keeps it, "
    "a recorded change of the node as a binding") {
  Replay r;
  std::string file = namespace_doc("demo", "u-ns") + snapshot_doc(pod("p", "", R"({"nodeName":"node-7"})")) +
                     event_doc("", "pods", "demo", "p", "patch", 1 * k_ms,
                               R"({"spec":{"nodeName":"node-8"},"metadata":{"labels":{"x":"1"}}})");
  SUBCASE("keep") {
    SummaryReport report = r.run(file);
    CHECK(with(r.target, "POST", k_pods).at(0).string_at({"spec", "nodeName"}) == "node-7");
    auto patch = with(r.target, "PATCH", k_pods + "/p").at(0);
    CHECK(patch.json().find("spec") == nullptr);  // an apiserver refuses a patch of spec.nodeName
    CHECK(patch.string_at({"metadata", "labels", "x"}) == "1");
    auto bindings = with(r.target, "POST", k_pods + "/p/binding");
    REQUIRE(bindings.size() == 1);
    CHECK(bindings[0].string_at({"kind"}) == "Binding");
    CHECK(bindings[0].string_at({"metadata", "name"}) == "p");
    CHECK(bindings[0].string_at({"target", "kind"}) == "Node");
    CHECK(bindings[0].string_at({"target", "name"}) == "node-8");
    CHECK(report.totals.failed == 0);
  }
  SUBCASE("drop") {
    r.options.drop_node_name = true;
    SummaryReport report = r.run(file);
    CHECK(with(r.target, "POST", k_pods).at(0).string_at({"spec", "nodeName"}).empty());
    auto patch = with(r.target, "PATCH", k_pods + "/p").at(0);
    CHECK(patch.string_at({"spec", "nodeName"}).empty());
    CHECK(patch.string_at({"metadata", "labels", "x"}) == "1");
    CHECK(with(r.target, "POST", k_pods + "/p/binding").empty());
    CHECK(report.totals.failed == 0);
  }
}
