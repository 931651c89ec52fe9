// The objects the workload creates: shaped like what controllers and kubelets write, with
// ownerReferences that chain Deployment -> ReplicaSet -> Pod, selectors that match their
// templates, and random parts drawn only from the generator passed in (same seed, same objects).
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "formats/json.hpp"
#include "workload/objects.hpp"
#include "workload/workload.hpp"

using namespace ktape;
using namespace ktape::workload;
using formats::Value;

namespace {

const OwnerInfo k_deployment{"apps/v1", "Deployment", "web", "uid-of-web"};
const OwnerInfo k_replicaset{"apps/v1", "ReplicaSet", "web-abc123", "uid-of-rs"};

// The single ownerReference of `object`, checked against `owner`.
void check_owned_by(const Value& object, const OwnerInfo& owner) {
  const Value* refs = object.at({"metadata", "ownerReferences"});
  REQUIRE(refs);
  REQUIRE(refs->is_array());
  REQUIRE(refs->size() == 1);
  const Value& ref = refs->as_array()[0];
  CHECK(ref.string_at({"apiVersion"}) == owner.api_version);
  CHECK(ref.string_at({"kind"}) == owner.kind);
  CHECK(ref.string_at({"name"}) == owner.name);
  CHECK(ref.string_at({"uid"}) == owner.uid);
  CHECK(ref.find("controller")->as_bool());
  CHECK(ref.find("blockOwnerDeletion")->as_bool());
}

// True when every label of `selector` (a matchLabels object) is in `labels` with the same value.
bool selects(const Value& selector, const Value& labels) {
  for (const auto& [key, value] : selector.as_object()) {
    const Value* label = labels.find(key);
    if (!label || *label != value) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("random_token: length, alphabet, and the same tokens from the same seed") {
  std::mt19937_64 a(42), b(42), c(43);
  auto first = random_token(a, 32);
  CHECK(first.size() == 32);
  CHECK(first.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") == std::string::npos);
  CHECK(random_token(b, 32) == first);
  CHECK(random_token(c, 32) != first);
  CHECK(random_token(a, 0).empty());
}

TEST_CASE("make_deployment: the selector matches the pod template; replicas and image as given") {
  Value d = make_deployment("ns", "web", 3, "registry.example.com/app:1.0");
  CHECK(d.string_at({"apiVersion"}) == "apps/v1");
  CHECK(d.string_at({"kind"}) == "Deployment");
  CHECK(d.string_at({"metadata", "namespace"}) == "ns");
  CHECK(d.string_at({"metadata", "name"}) == "web");
  CHECK(d.at({"spec", "replicas"})->as_int64() == 3);
  CHECK(
      selects(*d.at({"spec", "selector", "matchLabels"}), *d.at({"spec", "template", "metadata", "labels"})));
  const Value* containers = d.at({"spec", "template", "spec", "containers"});
  REQUIRE(containers);
  CHECK(containers->as_array()[0].string_at({"image"}) == "registry.example.com/app:1.0");
  CHECK(d.at({"metadata", "ownerReferences"}) == nullptr);
}

TEST_CASE("make_replicaset: owned by its Deployment; selects its pods by app and pod-template-hash") {
  Value rs = make_replicaset("ns", "web-abc123", "web", "abc123", 2, "img:1", k_deployment);
  CHECK(rs.string_at({"kind"}) == "ReplicaSet");
  CHECK(rs.string_at({"metadata", "name"}) == "web-abc123");
  check_owned_by(rs, k_deployment);
  const Value& selector = *rs.at({"spec", "selector", "matchLabels"});
  CHECK(selector.string_at({"pod-template-hash"}) == "abc123");
  CHECK(selects(selector, *rs.at({"spec", "template", "metadata", "labels"})));
  CHECK(rs.at({"spec", "replicas"})->as_int64() == 2);
}

TEST_CASE("make_pod: owned by its ReplicaSet, selected by it, about 3 KB with its status") {
  std::mt19937_64 rng(7);
  Value rs = make_replicaset("ns", "web-abc123", "web", "abc123", 1, "img:1", k_replicaset);
  Value pod = make_pod("ns", "web-abc123-x1y2z", "web", "abc123", "img:1", k_replicaset, 1200, rng);
  CHECK(pod.string_at({"kind"}) == "Pod");
  check_owned_by(pod, k_replicaset);
  CHECK(selects(*rs.at({"spec", "selector", "matchLabels"}), *pod.at({"metadata", "labels"})));
  CHECK(pod.string_at({"metadata", "annotations", "ktape.io/padding"}).size() == 1200);
  CHECK(pod.string_at({"spec", "nodeName"}).starts_with("node-"));

  pod.set("status", pod_status(true, 0, "img:1", "2026-01-01T00:00:00Z", 7));
  auto size = formats::to_json(pod).size();
  CHECK(size > 2500);  // the header's "~3 KB Pods" with the default padding of 1200 bytes
  CHECK(size < 4000);

  SUBCASE("the same seed gives the same pod; the padding follows the option") {
    std::mt19937_64 again(7);
    Value same = make_pod("ns", "web-abc123-x1y2z", "web", "abc123", "img:1", k_replicaset, 1200, again);
    same.set("status", pod_status(true, 0, "img:1", "2026-01-01T00:00:00Z", 7));
    CHECK(same == pod);
    std::mt19937_64 small(7);
    Value lean = make_pod("ns", "p", "web", "abc123", "img:1", k_replicaset, 10, small);
    CHECK(lean.string_at({"metadata", "annotations", "ktape.io/padding"}).size() == 10);
  }
}

TEST_CASE("pod_status: readiness, restarts, image and a pod IP derived from the number given") {
  Value ready = pod_status(true, 0, "img:1", "2026-01-01T00:00:00Z", 0);
  Value failing = pod_status(false, 3, "img:2", "2026-01-01T00:00:00Z", 251);
  auto condition = [](const Value& status, const std::string& type) {
    for (const auto& c : status.find("conditions")->as_array())
      if (c.string_at({"type"}) == type) return std::string(c.string_at({"status"}));
    return std::string("absent");
  };
  CHECK(condition(ready, "Ready") == "True");
  CHECK(condition(ready, "ContainersReady") == "True");
  CHECK(condition(failing, "Ready") == "False");
  CHECK(condition(failing, "PodScheduled") == "True");
  const Value& container = failing.find("containerStatuses")->as_array()[0];
  CHECK(container.at({"restartCount"})->as_int64() == 3);
  CHECK(container.string_at({"image"}) == "img:2");
  CHECK_FALSE(container.find("ready")->as_bool());
  CHECK(ready.string_at({"podIP"}) == "10.244.0.2");
  CHECK(failing.string_at({"podIP"}) == "10.244.1.3");
  CHECK(failing.string_at({"startTime"}) == "2026-01-01T00:00:00Z");
}

TEST_CASE("configmaps, secrets, services and widgets carry their namespace and name") {
  std::mt19937_64 rng(1);
  Value cm = make_configmap("ns", "settings", rng);
  CHECK(cm.string_at({"kind"}) == "ConfigMap");
  CHECK(cm.string_at({"data", "token"}).size() == 24);
  Value secret = make_secret("ns", "credentials", rng);
  CHECK(secret.string_at({"kind"}) == "Secret");
  CHECK(secret.string_at({"type"}) == "Opaque");
  Value svc = make_service("ns", "web", "web");
  CHECK(svc.string_at({"spec", "selector", "app"}) == "web");
  Value widget = make_widget("ns", "widget-1", 3);
  CHECK(widget.string_at({"apiVersion"}) == "ktape.example.com/v1");
  CHECK(widget.at({"spec", "size"})->as_int64() == 3);
  for (const Value* v : {&cm, &secret, &svc, &widget}) CHECK(v->string_at({"metadata", "namespace"}) == "ns");
  Value ns = make_namespace("wl-0");
  CHECK(ns.string_at({"metadata", "labels", "ktape.io/workload"}) == "true");
}

TEST_CASE("widget_crd: widgets.ktape.example.com, namespaced, v1 with a status subresource") {
  Value crd = widget_crd();
  CHECK(crd.string_at({"kind"}) == "CustomResourceDefinition");
  CHECK(crd.string_at({"metadata", "name"}) == "widgets.ktape.example.com");
  CHECK(crd.string_at({"spec", "scope"}) == "Namespaced");
  CHECK(crd.string_at({"spec", "names", "kind"}) == "Widget");
  const Value& version = crd.at({"spec", "versions"})->as_array()[0];
  CHECK(version.string_at({"name"}) == "v1");
  CHECK(version.at({"subresources", "status"}) != nullptr);
}
