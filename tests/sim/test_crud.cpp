// Create, get, list, update and the errors of the basic verbs, over real HTTP.
#include <doctest/doctest.h>

#include "tests/sim/sim_client.hpp"

using namespace ktape;
using namespace ktape::sim::test;

namespace {
const std::string k_cms = "/api/v1/namespaces/default/configmaps";
}

TEST_CASE("create sets server fields and get returns the object") {
  Cluster c;
  Reply created = c.post(k_cms, configmap("demo", R"({"app":"x"})"));
  REQUIRE(created.status == 201);
  CHECK(created.content_type == "application/json");
  auto obj = created.json();
  CHECK(obj.string_at({"metadata", "namespace"}) == "default");
  CHECK(obj.string_at({"metadata", "uid"}).size() == 36);
  CHECK(!obj.string_at({"metadata", "creationTimestamp"}).empty());
  CHECK(!obj.string_at({"metadata", "resourceVersion"}).empty());
  Reply got = c.get(k_cms + "/demo");
  REQUIRE(got.status == 200);
  CHECK(got.json() == obj);
}

TEST_CASE("the system namespaces exist at start") {
  Cluster c;
  for (const char* ns : {"default", "kube-system", "kube-public"}) {
    Reply r = c.get(std::string("/api/v1/namespaces/") + ns);
    CHECK(r.status == 200);
    CHECK(r.json().string_at({"status", "phase"}) == "Active");
  }
}

TEST_CASE("errors are Status objects with the real reasons and codes") {
  Cluster c;
  REQUIRE(c.post(k_cms, configmap("demo")).status == 201);
  SUBCASE("already exists") {
    Reply r = c.post(k_cms, configmap("demo"));
    CHECK(r.status == 409);
    CHECK(r.json().string_at({"reason"}) == "AlreadyExists");
    CHECK(r.json().string_at({"message"}) == "configmaps \"demo\" already exists");
  }
  SUBCASE("not found") {
    Reply r = c.get(k_cms + "/nope");
    CHECK(r.status == 404);
    CHECK(r.json().string_at({"message"}) == "configmaps \"nope\" not found");
    CHECK(r.json().string_at({"kind"}) == "Status");
  }
  SUBCASE("unknown resource") {
    Reply r = c.get("/api/v1/namespaces/default/widgets");
    CHECK(r.status == 404);
    CHECK(r.json().string_at({"message"}) == "the server could not find the requested resource");
  }
  SUBCASE("missing namespace") {
    Reply r = c.post("/api/v1/namespaces/nosuch/configmaps", configmap("x"));
    CHECK(r.status == 404);
    CHECK(r.json().string_at({"message"}) == "namespaces \"nosuch\" not found");
  }
  SUBCASE("method not allowed") {
    Reply r = c.post(k_cms + "/demo", configmap("demo"));
    CHECK(r.status == 405);
    CHECK(r.json().string_at({"reason"}) == "MethodNotAllowed");
  }
  SUBCASE("conflict on a stale resourceVersion") {
    std::string stale =
        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"demo","resourceVersion":"1"}})";
    Reply r = c.put(k_cms + "/demo", stale);
    CHECK(r.status == 409);
    CHECK(r.json().string_at({"reason"}) == "Conflict");
    CHECK(r.json().string_at({"message"}).find("the object has been modified") != std::string_view::npos);
  }
}

TEST_CASE("update with the current resourceVersion succeeds and bumps it") {
  Cluster c;
  auto obj = c.post(k_cms, configmap("demo")).json();
  obj["data"].set("a", "2");
  Reply r = c.put(k_cms + "/demo", formats::to_json(obj));
  REQUIRE(r.status == 200);
  CHECK(r.json().string_at({"data", "a"}) == "2");
  CHECK(r.json().string_at({"metadata", "resourceVersion"}) !=
        obj.string_at({"metadata", "resourceVersion"}));
  CHECK(r.json().string_at({"metadata", "uid"}) == obj.string_at({"metadata", "uid"}));
  SUBCASE("an update that changes nothing keeps the resourceVersion") {
    Reply again = c.put(k_cms + "/demo", r.body);
    CHECK(again.status == 200);
    CHECK(again.json().string_at({"metadata", "resourceVersion"}) ==
          r.json().string_at({"metadata", "resourceVersion"}));
  }
}

TEST_CASE("generateName makes a unique name") {
  Cluster c;
  std::string body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"gen-"}})";
  auto a = c.post(k_cms, body).json();
  auto b = c.post(k_cms, body).json();
  CHECK(a.string_at({"metadata", "name"}).starts_with("gen-"));
  CHECK(a.string_at({"metadata", "name"}).size() == 9);
  CHECK(a.string_at({"metadata", "name"}) != b.string_at({"metadata", "name"}));
}

TEST_CASE("a created object is stored as compact JSON with its own resourceVersion") {
  Cluster c;
  // resourceVersion also as a data key and an annotation key, escapes and numbers: only
  // metadata.resourceVersion is the server's, and the text is what formats::to_json writes.
  std::string body =
      R"({"apiVersion":"v1","kind":"ConfigMap","data":{"resourceVersion":"mine","q":"a\"b\\c\u0001\n"},)"
      R"( "metadata":{"name":"exact","resourceVersion":"77","annotations":{"resourceVersion":"x"},)"
      R"("labels":{"n":"1"}},"extra":[1,2.50,-3e2,{"metadata":{"resourceVersion":""}}]})";
  Reply created = c.post(k_cms, body);
  REQUIRE(created.status == 201);
  auto obj = created.json();
  CHECK(created.body == formats::to_json(obj));
  std::string rv(obj.string_at({"metadata", "resourceVersion"}));
  CHECK(rv != "77");
  CHECK(std::stoull(rv) > 0);
  CHECK(obj.string_at({"data", "resourceVersion"}) == "mine");
  CHECK(obj.string_at({"data", "q"}) == "a\"b\\c\x01\n");
  CHECK(obj.string_at({"metadata", "annotations", "resourceVersion"}) == "x");
  // A member no ConfigMap field has is dropped, as the real server's decoder drops it.
  CHECK(obj.find("extra") == nullptr);
  Reply got = c.get(k_cms + "/exact");
  CHECK(got.body == created.body);
}

TEST_CASE("list has the List kind, a resourceVersion and every item") {
  Cluster c;
  for (int i = 0; i < 3; ++i) c.post(k_cms, configmap("cm" + std::to_string(i)));
  auto list = c.get(k_cms).json();
  CHECK(list.string_at({"kind"}) == "ConfigMapList");
  CHECK(list.string_at({"apiVersion"}) == "v1");
  CHECK(!list.string_at({"metadata", "resourceVersion"}).empty());
  CHECK(list["items"].size() == 3);
  auto all = c.get("/api/v1/configmaps").json();
  CHECK(all["items"].size() == 3);
}

TEST_CASE("cluster-scoped and other groups are served") {
  Cluster c;
  std::string dep =
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":1,)"
      R"("selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},)"
      R"("spec":{"containers":[{"name":"web","image":"nginx"}]}}}})";
  Reply r = c.post("/apis/apps/v1/namespaces/default/deployments", dep);
  REQUIRE(r.status == 201);
  CHECK(r.json().at({"metadata", "generation"})->as_int64() == 1);
  auto obj = r.json();
  obj["spec"].set("replicas", 3);
  Reply u = c.put("/apis/apps/v1/namespaces/default/deployments/web", formats::to_json(obj));
  CHECK(u.json().at({"metadata", "generation"})->as_int64() == 2);
  Reply ns =
      c.post("/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team"}})");
  CHECK(ns.status == 201);
  CHECK(ns.json().string_at({"metadata", "labels", "kubernetes.io/metadata.name"}) == "team");
  CHECK(c.get("/version").json().string_at({"major"}) == "1");
  CHECK(c.get("/readyz").body == "ok");
}
