// metadata.managedFields and server-side apply conflicts, end to end: kubectl and HTTP against a
// simulated cluster.
#include <doctest/doctest.h>

#include "tests/sim/kubectl_runner.hpp"
#include "tests/sim/sim_client.hpp"

using namespace ktape;
using namespace ktape::sim::test;
using formats::Value;

namespace {

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string::npos; }

// The managedFields entry of `manager` (with `operation`), null when there is none.
Value entry_of(const Value& object, const std::string& manager, const std::string& operation) {
  if (const Value* managed = object.at({"metadata", "managedFields"}); managed && managed->is_array())
    for (const Value& e : managed->as_array())
      if (e.string_at({"manager"}) == manager && e.string_at({"operation"}) == operation) return e;
  return Value();
}

std::size_t entry_count(const Value& object) {
  const Value* managed = object.at({"metadata", "managedFields"});
  return managed && managed->is_array() ? managed->size() : 0;
}

const char* k_alice =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n  namespace: default\n"
    "data:\n  owner: alice\n  color: red\n";
const char* k_bob =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n  namespace: default\n"
    "data:\n  color: blue\n";
const std::string k_shared = "/api/v1/namespaces/default/configmaps/shared";

}  // namespace

TEST_CASE("managedFields: kubectl create owns what it set, list items by merge key") {
  Cluster c;
  Kubectl kubectl(c.server->port());
  Run created = kubectl("create deployment web -n default --image=nginx --port=80");
  INFO(created.output);
  REQUIRE(created.status == 0);
  Value dep = c.get("/apis/apps/v1/namespaces/default/deployments/web").json();
  Value entry = entry_of(dep, "kubectl-create", "Update");
  REQUIRE(entry.is_object());
  CHECK(entry.string_at({"apiVersion"}) == "apps/v1");
  CHECK(entry.string_at({"fieldsType"}) == "FieldsV1");
  CHECK_FALSE(entry.string_at({"time"}).empty());
  const Value* fields = entry.find("fieldsV1");
  REQUIRE(fields);
  const Value* item = fields->at({"f:spec", "f:template", "f:spec", "f:containers", R"(k:{"name":"nginx"})"});
  REQUIRE(item);
  CHECK(item->contains("."));
  CHECK(item->contains("f:imagePullPolicy"));  // defaults are set by the create, so owned by it
  CHECK(item->at({"f:ports", R"(k:{"containerPort":80,"protocol":"TCP"})"}));
  CHECK_FALSE(fields->at({"f:spec", "f:template", "f:spec", "f:containers", "."}));
  CHECK_FALSE(fields->at({"f:spec", "f:strategy", "."}));
  CHECK(fields->at({"f:spec", "f:strategy", "f:rollingUpdate", "."}));
  CHECK_FALSE(fields->at({"f:metadata", "f:name"}));  // server-owned metadata is nobody's
  CHECK_FALSE(fields->find("f:status"));
}

TEST_CASE("server-side apply: a conflict names the manager and field; --force-conflicts moves it") {
  Cluster c;
  Kubectl kubectl(c.server->port());
  Run alice = kubectl("apply --server-side --field-manager=alice -f " + kubectl.file("a.yaml", k_alice));
  INFO(alice.output);
  REQUIRE(alice.status == 0);
  CHECK(contains(alice.output, "configmap/shared serverside-applied"));
  Run bob = kubectl("apply --server-side --field-manager=bob -f " + kubectl.file("b.yaml", k_bob));
  INFO(bob.output);
  CHECK(bob.status == 1);
  CHECK(contains(bob.output, "error: Apply failed with 1 conflict: conflict with \"alice\": .data.color"));
  Reply refused = c.patch(k_shared + "?fieldManager=bob", R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"shared"},"data":{"color":"blue","owner":"bob"}})",
                          "application/apply-patch+yaml");
  CHECK(refused.status == 409);
  Value status = refused.json();
  CHECK(status.string_at({"reason"}) == "Conflict");
  CHECK(status.string_at({"message"}) ==
        "Apply failed with 2 conflicts: conflicts with \"alice\":\n- .data.color\n- .data.owner");
  const Value* causes = status.at({"details", "causes"});
  REQUIRE(causes);
  REQUIRE(causes->size() == 2);
  CHECK(causes->as_array()[0].string_at({"reason"}) == "FieldManagerConflict");
  CHECK(causes->as_array()[0].string_at({"message"}) == "conflict with \"alice\"");
  CHECK(causes->as_array()[1].string_at({"field"}) == ".data.owner");
  CHECK(c.get(k_shared).json().string_at({"data", "color"}) == "red");

  Run forced = kubectl("apply --server-side --force-conflicts --field-manager=bob -f " +
                       kubectl.file("b.yaml", k_bob));
  INFO(forced.output);
  CHECK(forced.status == 0);
  Value cm = c.get(k_shared).json();
  CHECK(cm.string_at({"data", "color"}) == "blue");
  CHECK(entry_of(cm, "bob", "Apply").at({"fieldsV1", "f:data", "f:color"}));
  Value alice_entry = entry_of(cm, "alice", "Apply");
  CHECK_FALSE(alice_entry.at({"fieldsV1", "f:data", "f:color"}));
  CHECK(alice_entry.at({"fieldsV1", "f:data", "f:owner"}));
}

TEST_CASE("server-side apply: fields left out are pruned unless co-owned; a no-op apply stores nothing") {
  Cluster c;
  auto apply = [&](const std::string& manager, const std::string& data) {
    return c.patch(
        k_shared + "?fieldManager=" + manager,
        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"shared"},"data":)" + data + "}",
        "application/apply-patch+yaml");
  };
  REQUIRE(apply("alice", R"({"one":"1","two":"2","three":"3"})").status == 201);
  REQUIRE(apply("bob", R"({"three":"3"})").status == 200);  // same value: co-owned, no conflict
  Reply pruned = apply("alice", R"({"one":"1"})");
  REQUIRE(pruned.status == 200);
  Value cm = pruned.json();
  CHECK(cm.at({"data", "one"}));
  CHECK_FALSE(cm.at({"data", "two"}));  // alice's alone: removed
  CHECK(cm.at({"data", "three"}));      // bob's too: kept
  std::string rv(cm.string_at({"metadata", "resourceVersion"}));
  Reply again = apply("alice", R"({"one":"1"})");
  REQUIRE(again.status == 200);
  CHECK(again.json().string_at({"metadata", "resourceVersion"}) == rv);
  Reply missing = c.patch(k_shared, R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"shared"}})",
                          "application/apply-patch+yaml");
  CHECK(missing.status == 422);
  const Value missing_status = missing.json();
  CHECK(contains(missing_status.string_at({"message"}),
                 "fieldManager: Required value: is required for apply patch"));
}

TEST_CASE(
    "server-side apply: a map given up while its applied fields stay is kept (as kube-apiserver 1.32)") {
  // What client-go's csaupgrade leaves: an Update entry's fields, "." of data included, moved
  // into an Apply entry. The next apply sets data.x only: the real server keeps data with x (its
  // addBackOwnedItems), and removes data.y, which nobody owns now.
  Cluster c;
  REQUIRE(
      c.post(
           "/api/v1/namespaces/default/configmaps",
           R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"shared"},"data":{"x":"1","y":"2"}})")
          .status == 201);
  std::string rv(c.get(k_shared).json().string_at({"metadata", "resourceVersion"}));
  Reply adopted = c.patch(
      k_shared,
      R"([{"op":"test","path":"/metadata/resourceVersion","value":")" + rv +
          R"("},{"op":"replace","path":"/metadata/managedFields","value":[{"manager":"ktape","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:data":{".":{},"f:x":{},"f:y":{}}}}]}])",
      "application/json-patch+json");
  REQUIRE(adopted.status == 200);
  Reply applied =
      c.patch(k_shared + "?fieldManager=ktape&force=true",
              R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"shared"},"data":{"x":"3"}})",
              "application/apply-patch+yaml");
  REQUIRE(applied.status == 200);
  Value cm = applied.json();
  CHECK(cm.string_at({"data", "x"}) == "3");
  CHECK_FALSE(cm.at({"data", "y"}));
  Value entry = entry_of(cm, "ktape", "Apply");
  REQUIRE(entry.is_object());
  CHECK(*entry.find("fieldsV1") == formats::parse_json(R"({"f:data":{"f:x":{}}})").value());
}

TEST_CASE("managedFields: an Update takes changed fields; status writes; the User-Agent names the manager") {
  Cluster c;
  REQUIRE(
      c.patch(
           k_shared + "?fieldManager=alice",
           R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"shared"},"data":{"a":"1","b":"2"}})",
           "application/apply-patch+yaml")
          .status == 201);
  auto http = c.client();
  auto put = http->Put(
      k_shared.c_str(), httplib::Headers{{"User-Agent", "editor/2.0 (linux)"}},
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"shared"},"data":{"a":"9","b":"2"}})",
      "application/json");
  REQUIRE(put);
  REQUIRE(put->status == 200);
  Value cm = *formats::parse_json(put->body);
  Value editor = entry_of(cm, "editor", "Update");
  CHECK(editor.at({"fieldsV1", "f:data", "f:a"}));
  CHECK_FALSE(editor.at({"fieldsV1", "f:data", "f:b"}));
  CHECK_FALSE(entry_of(cm, "alice", "Apply").at({"fieldsV1", "f:data", "f:a"}));
  CHECK(entry_of(cm, "alice", "Apply").at({"fieldsV1", "f:data", "f:b"}));
  // an Apply changing a field an Update owns conflicts with it, named with its apiVersion
  Reply conflict = c.patch(
      k_shared + "?fieldManager=alice",
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"shared"},"data":{"a":"1","b":"2"}})",
      "application/apply-patch+yaml");
  CHECK(conflict.status == 409);
  CHECK(conflict.json().string_at({"message"}) ==
        "Apply failed with 1 conflict: conflict with \"editor\" using v1: .data.a");

  Kubectl kubectl(c.server->port());
  REQUIRE(kubectl("create service clusterip s1 -n default --tcp=80:8080").status == 0);
  Run status = kubectl(
      R"(patch service s1 -n default --subresource=status --type=merge -p '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Up","message":"up","lastTransitionTime":"2024-01-01T00:00:00Z"}]}}')");
  INFO(status.output);
  REQUIRE(status.status == 0);
  Value svc = c.get("/api/v1/namespaces/default/services/s1").json();
  CHECK(entry_count(svc) == 2);
  Value patcher = entry_of(svc, "kubectl-patch", "Update");
  CHECK(patcher.string_at({"subresource"}) == "status");
  CHECK(patcher.at({"fieldsV1", "f:status", "f:conditions", R"(k:{"type":"Ready"})", "f:reason"}));
  CHECK_FALSE(entry_of(svc, "kubectl-create", "Update").at({"fieldsV1", "f:status"}));
}

TEST_CASE("LIST: a built-in resource's items carry no kind or apiVersion, a custom resource's do") {
  Cluster c;
  REQUIRE(c.post("/api/v1/namespaces/default/configmaps", configmap("one")).status == 201);
  Value list = c.get("/api/v1/namespaces/default/configmaps").json();
  const Value* items = list.find("items");
  REQUIRE(items);
  REQUIRE(items->size() >= 1);
  for (const Value& item : items->as_array()) {
    CHECK_FALSE(item.contains("kind"));
    CHECK_FALSE(item.contains("apiVersion"));
    CHECK(item.at({"metadata", "name"}));
  }
  CHECK(list.string_at({"kind"}) == "ConfigMapList");
  Value one = c.get("/api/v1/namespaces/default/configmaps/one").json();
  CHECK(one.string_at({"kind"}) == "ConfigMap");  // a GET keeps them
  CHECK(entry_count(one) == 1);
  CHECK(one.at({"metadata", "managedFields"})->as_array()[0].string_at({"manager"}) != "");
}
