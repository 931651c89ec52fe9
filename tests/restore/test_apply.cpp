// restore with --update apply (UpdateMethod::apply) against the simulated cluster, which keeps
// managedFields as a real apiserver does: updates reach the recorded state as ktape's forced
// server-side applies, a field ktape applied, created or PUT before and the state lacks is
// removed (adopt.hpp's patch on its own Update entry), a field only
// another manager owns stays (the final verify reports it; put overwrites it), and the recorded
// status goes through /status.
#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "tests/restore/sim_target.hpp"
#include "tests/support/recording_text.hpp"

using namespace ktape;
using namespace ktape::restore;
using namespace ktape::restore::test;
using formats::Value;
using test_support::event_doc;
using test_support::object_json;

namespace {

std::string namespace_json(const std::string& name) {
  return object_json("v1", "Namespace", "", name, "u-" + name, "", R"("spec":{"finalizers":["kubernetes"]})",
                     R"({"kubernetes.io/metadata.name":")" + name + "\"}");
}

// demo/a: x=1 at first; at 1 s x=2 and label tier=gold; at 2 s x=3 and the label gone.
std::string labelled_recording() {
  std::string file = snapshot_doc(namespace_json("demo"));
  file += snapshot_doc(configmap_json("demo", "a", "u-a", R"({"x":"1"})", R"({"app":"a"})"));
  file += event_doc("", "configmaps", "demo", "a", "patch", 1 * k_second,
                    R"({"metadata":{"labels":{"tier":"gold"}},"data":{"x":"2"}})");
  file += event_doc("", "configmaps", "demo", "a", "patch", 2 * k_second,
                    R"({"metadata":{"labels":{"tier":null}},"data":{"x":"3"}})");
  return file;
}

RestoreOptions apply_options(const std::string& path) {
  RestoreOptions o;
  o.path = path;
  o.update = UpdateMethod::apply;
  return o;
}

// The managedFields entry of `manager` with operation Apply on `subresource`; null when absent.
const Value* apply_entry(const Value& object, std::string_view manager, std::string_view subresource = "") {
  const Value* entries = object.at({"metadata", "managedFields"});
  if (entries == nullptr || !entries->is_array()) return nullptr;
  for (const auto& e : entries->as_array())
    if (e.string_at({"manager"}) == manager && e.string_at({"operation"}) == "Apply" &&
        e.string_at({"subresource"}) == subresource)
      return &e;
  return nullptr;
}

Value parsed(const std::string& json) {
  auto v = formats::parse_json(json);
  REQUIRE(v);
  return *v;
}

}  // namespace

TEST_CASE("--update apply reaches the state as ktape's applies and removes what ktape applied before") {
  SimTarget t;
  Files files;
  t.create("namespaces", namespace_json("demo"));
  t.create("configmaps", configmap_json("demo", "a", "", R"({"x":"9"})", R"({"app":"a"})"));
  auto options = apply_options(files.write("rec.yaml", labelled_recording()));
  options.at_ns = 1500 * 1'000'000;  // x=2, labelled tier=gold
  auto r = restore_into(t, options);
  CHECK(r.plan.count(Action::update) == 1);
  CHECK(r.report.totals.patched == 1);
  CHECK(r.report.totals.failed == 0);
  CHECK(r.after.writes() == 0);
  auto a = t.get("configmaps", "demo", "a");
  REQUIRE(a);
  CHECK(data_of(*a, "x") == "2");
  CHECK(a->string_at({"metadata", "labels", "tier"}) == "gold");
  const Value* entry = apply_entry(*a, k_field_manager);
  REQUIRE(entry != nullptr);
  CHECK(formats::to_json(*entry->at({"fieldsV1"})).find("f:tier") != std::string::npos);

  options.at_ns.reset();  // the end: x=3, no tier label
  auto back = restore_into(t, options);
  CHECK(back.report.totals.patched == 1);
  CHECK(back.after.writes() == 0);
  a = t.get("configmaps", "demo", "a");
  REQUIRE(a);
  CHECK(data_of(*a, "x") == "3");
  CHECK(a->at({"metadata", "labels", "tier"}) == nullptr);
  CHECK(a->string_at({"metadata", "labels", "app"}) == "a");
}

TEST_CASE("--update apply removes what ktape created or PUT before and the state lacks") {
  SimTarget t;
  Files files;
  t.create("namespaces", namespace_json("demo"));
  auto options = apply_options(files.write("rec.yaml", labelled_recording()));
  options.at_ns = 1500 * 1'000'000;
  SUBCASE("created by the restore") {}
  SUBCASE("created, then PUT by --update put") {
    options.at_ns = 500 * 1'000'000;  // x=1, no label: created
    options.update = UpdateMethod::put;
    REQUIRE(restore_into(t, options).after.writes() == 0);
    options.at_ns = 1500 * 1'000'000;  // x=2, labelled: PUT
  }
  REQUIRE(restore_into(t, options).after.writes() == 0);
  auto a = t.get("configmaps", "demo", "a");
  REQUIRE(a);
  REQUIRE(a->string_at({"metadata", "labels", "tier"}) == "gold");
  options.update = UpdateMethod::apply;
  options.at_ns.reset();
  auto r = restore_into(t, options);
  CHECK(r.report.totals.patched == 1);
  CHECK(r.after.writes() == 0);
  a = t.get("configmaps", "demo", "a");
  REQUIRE(a);
  CHECK(a->at({"metadata", "labels", "tier"}) == nullptr);
  CHECK(data_of(*a, "x") == "3");
  REQUIRE(apply_entry(*a, k_field_manager) != nullptr);
  for (const auto& e : a->at({"metadata", "managedFields"})->as_array())
    CHECK_FALSE(e.string_at({"operation"}) == "Update");  // ktape's Update entry was adopted
}

TEST_CASE("--update apply leaves a field only another manager owns; put overwrites it") {
  SimTarget t;
  Files files;
  t.create("namespaces", namespace_json("demo"));
  t.create("configmaps", configmap_json("demo", "a", "", R"({"x":"3"})", R"({"app":"a"})"));
  auto kubectl = t.client_as("kubectl-label/v1.32.0 (linux/amd64)");
  REQUIRE(kubectl->patch(t.resource("configmaps"), "demo", "a", formats::PatchType::merge,
                         parsed(R"({"metadata":{"labels":{"extra":"yes"}},"data":{"x":"7"}})")));
  auto options = apply_options(files.write("rec.yaml", labelled_recording()));
  auto r = restore_into(t, options);
  CHECK(r.report.totals.patched == 1);
  CHECK(r.report.totals.failed == 0);  // data.x, kubectl-label's too, is taken by force
  auto a = t.get("configmaps", "demo", "a");
  REQUIRE(a);
  CHECK(data_of(*a, "x") == "3");
  CHECK(a->string_at({"metadata", "labels", "extra"}) == "yes");  // kubectl-label's alone: it stays
  REQUIRE(r.after.writes() == 1);
  REQUIRE(r.after.count(Action::update) == 1);
  for (const auto& step : r.after.steps)
    if (step.action == Action::update) CHECK(step.fields == std::vector<std::string>{"metadata.labels"});

  options.update = UpdateMethod::put;
  auto put = restore_into(t, options);
  CHECK(put.after.writes() == 0);
  CHECK(t.get("configmaps", "demo", "a")->at({"metadata", "labels", "extra"}) == nullptr);
}

TEST_CASE("--update apply with --status keep writes the recorded status through /status") {
  SimTarget t;
  Files files;
  auto ns = t.create("namespaces", namespace_json("demo"));
  auto deployments = t.resource("deployments.apps");
  auto made = t.create(
      "deployments.apps",
      object_json(
          "apps/v1", "Deployment", "demo", "web", "", "",
          R"("spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx:1.25"}]}}})"));
  made.set("status", parsed(R"({"replicas":3,"readyReplicas":2})"));
  auto recorded = t.client->update(deployments, "demo", made, "status");  // as the server holds it
  REQUIRE(recorded);
  std::string file = snapshot_doc(formats::to_json(ns)) + snapshot_doc(formats::to_json(*recorded));

  // The target moves on: scaled down, another image, another status.
  Value live = *recorded;
  live["spec"].set("replicas", 1);
  REQUIRE(t.client->update(deployments, "demo", live));
  live = *t.get("deployments.apps", "demo", "web");
  live.set("status", parsed(R"({"replicas":1,"readyReplicas":1})"));
  REQUIRE(t.client->update(deployments, "demo", live, "status"));

  auto options = apply_options(files.write("rec.yaml", file));
  options.status = replayer::StatusMode::keep;
  auto r = restore_into(t, options);
  CHECK(r.plan.count(Action::update) == 1);
  CHECK(r.report.totals.patched == 1);
  CHECK(r.report.errors.empty());
  CHECK(r.after.writes() == 0);
  auto web = t.get("deployments.apps", "demo", "web");
  REQUIRE(web);
  CHECK(*web->at({"spec", "replicas"}) == Value(3));
  CHECK(*web->at({"status", "readyReplicas"}) == Value(2));
  CHECK(apply_entry(*web, k_field_manager) != nullptr);
  CHECK(apply_entry(*web, k_field_manager, "status") != nullptr);
}
