// make_plan / check / apply against the simulated cluster (a real apiserver over HTTP): full and
// partial restores, --at in the middle of a recording, --prune and its limits, a CRD and its
// objects, a concurrent writer's conflicts, and interrupted restores that converge when run again.
#include <doctest/doctest.h>

#include <algorithm>

#include "tests/restore/sim_target.hpp"
#include "tests/support/recording_text.hpp"

using namespace ktape;
using namespace ktape::restore;
using namespace ktape::restore::test;
using test_support::event_doc;
using test_support::object_json;
using test_support::owner_json;

namespace {

// A Namespace as an apiserver returns it (and a recording holds it): with the name label and the
// kubernetes finalizer it adds.
std::string namespace_json(const std::string& name, const std::string& uid) {
  return object_json("v1", "Namespace", "", name, uid, "", R"("spec":{"finalizers":["kubernetes"]})",
                     R"({"kubernetes.io/metadata.name":")" + name + "\"}");
}

const std::string k_secret =
    object_json("v1", "Secret", "demo", "s", "u-s", "", R"("type":"Opaque","data":{"p":"c2VjcmV0"})");

// demo/a patched at 1 s, demo/c created at 2 s, demo/b deleted at 3 s; other/o untouched.
std::string recording() {
  std::string file = snapshot_doc(namespace_json("demo", "u-ns"));
  file += snapshot_doc(namespace_json("other", "u-ns2"));
  file += snapshot_doc(configmap_json("demo", "a", "u-a", R"({"x":"1"})", R"({"app":"a"})"));
  file += snapshot_doc(configmap_json("demo", "b", "u-b", R"({"y":"2"})", R"({"app":"b"})"));
  file += snapshot_doc(k_secret);
  file += snapshot_doc(configmap_json("other", "o", "u-o", R"({"z":"1"})"));
  file += event_doc("", "configmaps", "demo", "a", "patch", 1 * k_second, R"({"data":{"x":"2"}})");
  file += event_doc("", "configmaps", "demo", "c", "create", 2 * k_second,
                    configmap_json("demo", "c", "u-c", R"({"w":"3"})"));
  file += event_doc("", "configmaps", "demo", "b", "delete", 3 * k_second);
  return file;
}

// The target drifted from the recording: a changed, s deleted, an extra d, other/o changed.
void drift(SimTarget& t) {
  t.create("namespaces", namespace_json("demo", ""));
  t.create("namespaces", namespace_json("other", ""));
  t.create("configmaps", configmap_json("demo", "a", "", R"({"x":"9"})", R"({"app":"a"})"));
  t.create("configmaps", configmap_json("demo", "b", "", R"({"y":"2"})", R"({"app":"b"})"));
  t.create("configmaps", configmap_json("demo", "d", "", R"({"extra":"1"})"));
  t.create("configmaps", configmap_json("other", "o", "", R"({"z":"5"})"));
}

RestoreOptions options_for(const std::string& path) {
  RestoreOptions o;
  o.path = path;
  return o;
}

std::vector<std::string> step_lines(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& s : plan.steps) out.push_back(std::string(action_name(s.action)) + " " + s.label());
  return out;
}

bool has_line(const Plan& plan, const std::string& line) {
  auto lines = step_lines(plan);
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

}  // namespace

TEST_CASE("a full restore into an empty target creates the final state, namespaces first") {
  SimTarget t;
  Files files;
  auto r = restore_into(t, options_for(files.write("rec.yaml", recording())));
  CHECK(r.plan.count(Action::create) == 6);  // 2 namespaces, a, c, s, o
  CHECK(r.plan.steps.front().resource.resource == "namespaces");
  CHECK(r.report.totals.created == 6);
  CHECK(r.report.totals.failed == 0);
  CHECK(r.after.writes() == 0);
  CHECK(data_of(*t.get("configmaps", "demo", "a"), "x") == "2");
  CHECK(t.get("configmaps", "demo", "c"));
  CHECK_FALSE(t.get("configmaps", "demo", "b"));
  CHECK(t.get("secrets", "demo", "s")->string_at({"data", "p"}) == "c2VjcmV0");
}

TEST_CASE("a restore of a drifted target updates what differs and keeps extras unless --prune") {
  SimTarget t;
  Files files;
  drift(t);
  auto options = options_for(files.write("rec.yaml", recording()));
  auto r = restore_into(t, options);
  CHECK(has_line(r.plan, "UPDATE v1 ConfigMap demo/a"));
  CHECK(has_line(r.plan, "CREATE v1 Secret demo/s"));
  CHECK(has_line(r.plan, "KEEP v1 ConfigMap demo/b"));  // only in the target, not pruned
  CHECK(has_line(r.plan, "KEEP v1 ConfigMap demo/d"));
  CHECK(r.report.totals.patched == 2);  // demo/a, other/o
  CHECK(r.after.writes() == 0);
  CHECK(data_of(*t.get("configmaps", "demo", "a"), "x") == "2");
  CHECK(data_of(*t.get("configmaps", "other", "o"), "z") == "1");
  CHECK(t.get("configmaps", "demo", "d"));

  SUBCASE("--prune deletes them, above the 10% default only with --max-delete") {
    options.prune = true;
    auto plan = make_plan(*t.client, options);
    REQUIRE(plan);
    CHECK(plan->count(Action::remove) == 2);
    auto refused = check(*t.client, options, *plan);
    REQUIRE(refused.problems.size() == 1);
    CHECK(refused.problems[0].find("deletes 2 of the target's") != std::string::npos);
    options.max_delete = 2;
    auto pruned = restore_into(t, options);
    CHECK(pruned.report.totals.deleted == 2);
    CHECK(pruned.after.writes() == 0);
    CHECK_FALSE(t.get("configmaps", "demo", "b"));
    CHECK_FALSE(t.get("configmaps", "demo", "d"));
  }
}

TEST_CASE("--at in the middle restores the state at that recorded time") {
  SimTarget t;
  Files files;
  drift(t);
  auto options = options_for(files.write("rec.yaml", recording()));
  options.at_ns = 1500 * 1'000'000;  // after a's patch, before c's create and b's delete
  auto r = restore_into(t, options);
  CHECK(r.after.writes() == 0);
  CHECK(data_of(*t.get("configmaps", "demo", "a"), "x") == "2");
  CHECK(t.get("configmaps", "demo", "b"));
  CHECK_FALSE(t.get("configmaps", "demo", "c"));
  options.at_ns = 0;  // the snapshot: rolled back further, then forward again at the end
  CHECK(restore_into(t, options).after.writes() == 0);
  CHECK(data_of(*t.get("configmaps", "demo", "a"), "x") == "1");
  options.at_ns.reset();
  CHECK(restore_into(t, options).after.writes() == 0);
  CHECK(t.get("configmaps", "demo", "c"));
}

TEST_CASE("a partial restore touches only the selection") {
  SimTarget t;
  Files files;
  drift(t);
  auto options = options_for(files.write("rec.yaml", recording()));
  SUBCASE("by namespace") {
    options.selection.namespaces = {"other"};
    auto r = restore_into(t, options);
    CHECK(r.report.totals.patched == 1);
    CHECK(data_of(*t.get("configmaps", "other", "o"), "z") == "1");
    CHECK(data_of(*t.get("configmaps", "demo", "a"), "x") == "9");
    CHECK_FALSE(t.get("secrets", "demo", "s"));
  }
  SUBCASE("by kind") {
    options.selection.resources = {"secrets"};
    auto r = restore_into(t, options);
    CHECK(r.plan.writes() == 1);
    CHECK(t.get("secrets", "demo", "s"));
    CHECK(data_of(*t.get("configmaps", "demo", "a"), "x") == "9");
  }
  SUBCASE("by label, pruning only labelled objects") {
    options.selection.label_selector = "app in (a,b)";
    options.prune = true;
    options.max_delete = 5;
    options.at_ns.reset();
    auto r = restore_into(t, options);
    CHECK(r.report.totals.deleted == 1);      // demo/b: labelled, gone at the end
    CHECK(t.get("configmaps", "demo", "d"));  // unlabelled: outside the selection
    CHECK(data_of(*t.get("configmaps", "demo", "a"), "x") == "2");
    CHECK(data_of(*t.get("configmaps", "other", "o"), "z") == "5");
  }
}

TEST_CASE("--prune never deletes control-plane objects or objects a controller owns") {
  SimTarget t(false);  // no garbage collector: the pod stays although its owner is absent
  Files files;
  t.create("namespaces", namespace_json("demo", ""));
  t.create("configmaps", configmap_json("demo", "kube-root-ca.crt", "", R"({"ca.crt":"x"})"));
  t.create("pods",
           object_json("v1", "Pod", "demo", "web-1", "", owner_json("apps/v1", "ReplicaSet", "web", "u-rs"),
                       R"("spec":{"containers":[{"name":"c","image":"busybox"}]})"));
  t.create("configmaps", configmap_json("demo", "gone", "", R"({"a":"1"})"));
  std::string file = snapshot_doc(namespace_json("demo", "u-ns"));
  file += snapshot_doc(configmap_json("demo", "kept", "u-k", R"({"a":"1"})"));
  file += snapshot_doc(configmap_json("demo", "p", "u-p", R"({"b":"2"})"));
  auto options = options_for(files.write("rec.yaml", file));
  options.prune = true;
  options.max_delete = 10;
  options.selection.resources = {"configmaps", "pods"};  // pods: the state holds none to list them by
  auto r = restore_into(t, options);
  CHECK(has_line(r.plan, "DELETE v1 ConfigMap demo/gone"));
  CHECK(has_line(r.plan, "KEEP v1 ConfigMap demo/kube-root-ca.crt"));
  CHECK(has_line(r.plan, "KEEP v1 Pod demo/web-1"));
  CHECK(t.get("configmaps", "demo", "kube-root-ca.crt"));
  CHECK(t.get("pods", "demo", "web-1"));
  CHECK_FALSE(t.get("configmaps", "demo", "gone"));
  CHECK(r.after.writes() == 0);
}

TEST_CASE("a CRD and its objects: the CRD first, its objects once it is served") {
  SimTarget t;
  Files files;
  std::string crd = object_json(
      "apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "widgets.example.com", "u-crd", "",
      R"("spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList"},"conversion":{"strategy":"None"},"versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]})");
  std::string file = snapshot_doc(namespace_json("demo", "u-ns")) + snapshot_doc(crd);
  file +=
      snapshot_doc(object_json("example.com/v1", "Widget", "demo", "w1", "u-w1", "", R"("spec":{"size":3})"));
  auto options = options_for(files.write("rec.yaml", file));
  SUBCASE("restoring everything") {}
  SUBCASE("restoring only the widgets brings their CRD along") { options.selection.namespaces = {"demo"}; }
  auto r = restore_into(t, options);
  CHECK(r.plan.unserved.empty());
  CHECK(r.report.totals.failed == 0);
  auto w1 = t.get("widgets", "demo", "w1");
  REQUIRE(w1);
  REQUIRE(w1->at({"spec", "size"}) != nullptr);
  CHECK(*w1->at({"spec", "size"}) == formats::Value(3));
  CHECK(r.after.writes() == 0);
}

TEST_CASE("a concurrent writer's conflicts are retried with the newest resourceVersion") {
  SimTarget t;
  Files files;
  drift(t);
  auto options = options_for(files.write("rec.yaml", recording()));
  auto plan = make_plan(*t.client, options);
  REQUIRE(plan);
  // Between the plan and the apply another writer changes demo/a (its resourceVersion moves on)
  // and creates demo/s (the plan's create meets an existing object).
  t.set_data("demo", "a", "x", "writer");
  t.create("secrets",
           object_json("v1", "Secret", "demo", "s", "", "", R"("type":"Opaque","data":{"p":"b3RoZXI="})"));
  auto report = apply(*t.client, options, *plan);
  for (const auto& e : report.errors) MESSAGE(e);
  CHECK(report.totals.failed == 0);
  CHECK(data_of(*t.get("configmaps", "demo", "a"), "x") == "2");
  CHECK(t.get("secrets", "demo", "s")->string_at({"data", "p"}) == "c2VjcmV0");
  auto after = make_plan(*t.client, options);
  REQUIRE(after);
  CHECK(after->writes() == 0);
}

TEST_CASE("pre-flight lists every problem at once") {
  SimTarget t;
  Files files;
  t.create("namespaces", namespace_json("demo", ""));
  t.create("configmaps", configmap_json("demo", "x1", "", "{}"));
  std::string file = snapshot_doc(configmap_json("nowhere", "a", "u-a", "{}"));
  file += snapshot_doc(object_json("example.com/v1", "Gizmo", "demo", "g", "u-g"));
  auto options = options_for(files.write("rec.yaml", file));
  options.prune = true;
  options.max_delete = 0;
  options.selection.resources = {"configmaps"};
  auto plan = make_plan(*t.client, options);
  REQUIRE(plan);
  auto problems = check(*t.client, options, *plan).problems;
  CHECK(problems.size() == 2);  // namespace nowhere, and the delete of demo/x1 over --max-delete 0
  options.selection.resources.clear();
  plan = make_plan(*t.client, options);
  REQUIRE(plan);
  problems = check(*t.client, options, *plan).problems;
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  CHECK(all.find("gizmos.example.com") != std::string::npos);
  CHECK(all.find("namespace nowhere") != std::string::npos);
  CHECK(all.find("--max-delete 0") != std::string::npos);
}

TEST_CASE("an interrupted restore converges when run again") {
  SimTarget t;
  Files files;
  drift(t);
  auto options = options_for(files.write("rec.yaml", recording()));
  options.prune = true;
  options.max_delete = 5;
  options.concurrency = 1;
  auto plan = make_plan(*t.client, options);
  REQUIRE(plan);
  std::atomic<bool> stop{true};  // stopped before its first write
  auto report = apply(*t.client, options, *plan, &stop);
  CHECK(report.stopped);
  CHECK(report.totals.total() == 0);
  auto r = restore_into(t, options);
  CHECK(r.after.writes() == 0);
}
