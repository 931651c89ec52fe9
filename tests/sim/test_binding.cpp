// POST pods/NAME/binding, the scheduler's way to set spec.nodeName (a patch of that field is
// refused, as by a real apiserver), with the real server's answers.
#include <doctest/doctest.h>

#include "tests/sim/sim_client.hpp"

using namespace ktape;
using namespace ktape::sim::test;

namespace {
const std::string k_pods = "/api/v1/namespaces/default/pods";

std::string pod(const std::string& name) {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
         R"("},"spec":{"containers":[{"name":"c","image":"busybox"}]}})";
}

std::string binding(const std::string& name, const std::string& node, const std::string& kind = "Node") {
  return R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":")" + name +
         R"(","annotations":{"example.com/by":"test"}},"target":{"kind":")" + kind + R"(","name":")" + node +
         R"("}})";
}
}  // namespace

TEST_CASE("pods/binding sets spec.nodeName and PodScheduled; a second binding is a Conflict") {
  Cluster c;
  REQUIRE(c.post(k_pods, pod("p")).status == 201);
  Reply patched = c.patch(k_pods + "/p", R"({"spec":{"nodeName":"node-a"}})", "application/merge-patch+json");
  CHECK(patched.status == 422);  // a Pod update may not change spec.nodeName

  Reply bound = c.post(k_pods + "/p/binding", binding("p", "node-a"));
  CHECK(bound.status == 201);
  CHECK(bound.json().string_at({"kind"}) == "Status");
  CHECK(bound.json().string_at({"status"}) == "Success");
  formats::Value got = c.get(k_pods + "/p").json();
  CHECK(got.string_at({"spec", "nodeName"}) == "node-a");
  CHECK(got.string_at({"metadata", "annotations", "example.com/by"}) == "test");
  const formats::Value* conditions = got.at({"status", "conditions"});
  REQUIRE(conditions != nullptr);
  bool scheduled = false;
  for (const auto& cond : conditions->as_array())
    scheduled |= cond.string_at({"type"}) == "PodScheduled" && cond.string_at({"status"}) == "True";
  CHECK(scheduled);

  Reply again = c.post(k_pods + "/p/binding", binding("p", "node-b"));
  CHECK(again.status == 409);
  CHECK(again.json().string_at({"message"}) ==
        "Operation cannot be fulfilled on pods/binding \"p\": pod p is already assigned to node \"node-a\"");
  CHECK(c.get(k_pods + "/p").json().string_at({"spec", "nodeName"}) == "node-a");
}

TEST_CASE("pods/binding refuses a wrong name, a target that is not a Node, and a missing Pod") {
  Cluster c;
  REQUIRE(c.post(k_pods, pod("p")).status == 201);
  Reply other = c.post(k_pods + "/p/binding", binding("q", "node-a"));
  CHECK(other.status == 400);
  CHECK(other.json().string_at({"message"}) == "name in URL does not match name in Binding object");
  // Field errors: the real server answers its aggregate as a 500 without a reason.
  Reply pod_target = c.post(k_pods + "/p/binding", binding("p", "node-a", "Pod"));
  CHECK(pod_target.status == 500);
  CHECK(pod_target.json().string_at({"message"}) ==
        R"(target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>")");
  CHECK(pod_target.json().find("reason") == nullptr);
  CHECK(c.post(k_pods + "/p/binding", binding("p", "")).json().string_at({"message"}) ==
        "target.name: Required value");
  CHECK(c.post(k_pods + "/missing/binding", binding("missing", "node-a")).status == 404);
  CHECK(c.get(k_pods + "/p/binding").status == 405);
  CHECK(c.get(k_pods + "/p").json().at({"spec", "nodeName"}) == nullptr);
}
