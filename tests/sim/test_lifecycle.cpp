// Finalizers, garbage collection (background, foreground, orphan), the status subresource,
// namespace deletion, CRDs, and state kept in a data directory.
#include <doctest/doctest.h>

#include "tests/sim/sim_client.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::sim::test;

namespace {
const std::string k_cms = "/api/v1/namespaces/default/configmaps";
const std::string k_deps = "/apis/apps/v1/namespaces/default/deployments";
const std::string k_rss = "/apis/apps/v1/namespaces/default/replicasets";

std::string uid_of(const Reply& r) { return std::string(r.json().string_at({"metadata", "uid"})); }

// A ConfigMap owned by the ConfigMap `owner_name` whose UID is `owner_uid`.
std::string owned(const std::string& name, const std::string& owner_uid, bool block,
                  const std::string& extra = "", const std::string& owner_name = "owner") {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name + R"(",)" + extra +
         R"("ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":")" + owner_name +
         R"(","uid":")" + owner_uid + R"(","blockOwnerDeletion":)" + (block ? "true" : "false") + "}]}}";
}

bool gone(const Cluster& c, const std::string& path) {
  return Cluster::eventually([&] { return c.get(path).status == 404; });
}
}  // namespace

TEST_CASE("finalizers hold a deleted object until they are removed") {
  Cluster c;
  c.post(k_cms, configmap("held", "{}", R"(,"finalizers":["example.com/hold"])"));
  Reply del = c.del(k_cms + "/held");
  CHECK(del.status == 200);
  CHECK(!del.json().string_at({"metadata", "deletionTimestamp"}).empty());
  Reply still = c.get(k_cms + "/held");
  REQUIRE(still.status == 200);
  CHECK(!still.json().string_at({"metadata", "deletionTimestamp"}).empty());
  CHECK(c.patch(k_cms + "/held", R"({"metadata":{"finalizers":null}})", "application/merge-patch+json")
            .status == 200);
  CHECK(c.get(k_cms + "/held").status == 404);
}

TEST_CASE("a plain delete answers a Success Status; a second one is NotFound") {
  Cluster c;
  std::string uid = uid_of(c.post(k_cms, configmap("demo")));
  Reply del = c.del(k_cms + "/demo");
  CHECK(del.status == 200);
  CHECK(del.json().string_at({"status"}) == "Success");
  CHECK(del.json().string_at({"details", "uid"}) == uid);
  CHECK(c.del(k_cms + "/demo").status == 404);
}

TEST_CASE("garbage collection: background deletes dependents once their owner is gone") {
  Cluster c;
  std::string uid = uid_of(c.post(k_cms, configmap("owner")));
  REQUIRE(c.post(k_cms, owned("child", uid, false)).status == 201);
  CHECK(c.del(k_cms + "/owner").status == 200);
  CHECK(gone(c, k_cms + "/child"));
}

TEST_CASE("garbage collection cascades: root -> child -> grandchild, the grandchild through the child") {
  Cluster c;
  std::string root_uid = uid_of(c.post(k_cms, configmap("owner")));
  // The child's finalizer holds it after the root is gone, so the test sees each step apart.
  Reply child = c.post(k_cms, owned("child", root_uid, false, R"("finalizers":["example.com/hold"],)"));
  REQUIRE(child.status == 201);
  std::string child_uid = uid_of(child);
  REQUIRE(!child_uid.empty());
  REQUIRE(child_uid != root_uid);
  Reply grandchild = c.post(k_cms, owned("grandchild", child_uid, false, "", "child"));
  REQUIRE(grandchild.status == 201);
  formats::Value stored = grandchild.json();
  const formats::Value* ref = stored.at({"metadata", "ownerReferences"});
  REQUIRE(ref != nullptr);
  CHECK(ref->as_array()[0].string_at({"uid"}) == child_uid);
  CHECK(ref->as_array()[0].string_at({"name"}) == "child");

  CHECK(c.del(k_cms + "/owner").status == 200);
  CHECK(gone(c, k_cms + "/owner"));
  // The collector deletes the child, but its finalizer holds it: its dependent stays while it exists.
  CHECK(Cluster::eventually([&] {
    return !c.get(k_cms + "/child").json().string_at({"metadata", "deletionTimestamp"}).empty();
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(c.get(k_cms + "/child").status == 200);
  CHECK(c.get(k_cms + "/grandchild").status == 200);
  // Once the child is gone, the grandchild follows.
  CHECK(c.patch(k_cms + "/child", R"({"metadata":{"finalizers":null}})", "application/merge-patch+json")
            .status == 200);
  CHECK(gone(c, k_cms + "/child"));
  CHECK(gone(c, k_cms + "/grandchild"));
}

TEST_CASE("garbage collection: a dependent whose owner never existed is deleted, unless GC is off") {
  SUBCASE("on") {
    Cluster c;
    REQUIRE(c.post(k_cms, owned("orphaned", "00000000-0000-4000-8000-000000000000", false)).status == 201);
    CHECK(gone(c, k_cms + "/orphaned"));
  }
  SUBCASE("off") {
    sim::ServerOptions options;
    options.garbage_collector = false;
    Cluster c(options);
    REQUIRE(c.post(k_cms, owned("orphaned", "00000000-0000-4000-8000-000000000000", false)).status == 201);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(c.get(k_cms + "/orphaned").status == 200);
  }
}

TEST_CASE("garbage collection: foreground waits for blocking dependents") {
  Cluster c;
  std::string uid = uid_of(c.post(k_cms, configmap("owner")));
  REQUIRE(c.post(k_cms, owned("blocker", uid, true, R"("finalizers":["example.com/hold"],)")).status == 201);
  Reply del = c.del(k_cms + "/owner", R"({"propagationPolicy":"Foreground"})");
  CHECK(del.status == 200);
  CHECK(del.json().find("metadata")->find("finalizers")->as_array()[0].as_string() == "foregroundDeletion");
  // The dependent is being deleted but its own finalizer holds it, so the owner waits.
  CHECK(Cluster::eventually([&] {
    return !c.get(k_cms + "/blocker").json().string_at({"metadata", "deletionTimestamp"}).empty();
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(c.get(k_cms + "/owner").status == 200);
  c.patch(k_cms + "/blocker", R"({"metadata":{"finalizers":null}})", "application/merge-patch+json");
  CHECK(gone(c, k_cms + "/blocker"));
  CHECK(gone(c, k_cms + "/owner"));
}

TEST_CASE("garbage collection: orphan keeps dependents and drops their ownerReferences") {
  Cluster c;
  std::string uid = uid_of(c.post(k_cms, configmap("owner")));
  REQUIRE(c.post(k_cms, owned("kept", uid, true)).status == 201);
  CHECK(c.del(k_cms + "/owner?propagationPolicy=Orphan").status == 200);
  CHECK(gone(c, k_cms + "/owner"));
  Reply kept = c.get(k_cms + "/kept");
  REQUIRE(kept.status == 200);
  CHECK(kept.json().at({"metadata", "ownerReferences"}) == nullptr);
}

TEST_CASE("the status subresource: /status writes only status, the main endpoint leaves it alone") {
  Cluster c;
  std::string dep =
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":1,)"
      R"("selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},)"
      R"("spec":{"containers":[{"name":"c","image":"busybox"}]}}},"status":{"replicas":9}})";
  Reply create = c.post(k_deps, dep);
  REQUIRE(create.status == 201);
  auto created = create.json();
  // The posted status is dropped on create, as the real strategy does: the answer has an empty one.
  REQUIRE(created.find("status") != nullptr);
  CHECK(created.find("status")->find("replicas") == nullptr);
  Reply st = c.patch(k_deps + "/web/status", R"({"status":{"replicas":1},"spec":{"replicas":5}})",
                     "application/merge-patch+json");
  REQUIRE(st.status == 200);
  CHECK(st.json().at({"status", "replicas"})->as_int64() == 1);
  CHECK(st.json().at({"spec", "replicas"})->as_int64() == 1);
  auto obj = st.json();
  obj["spec"].set("replicas", 2);
  obj["status"].set("replicas", 7);
  Reply main = c.put(k_deps + "/web", formats::to_json(obj));
  REQUIRE(main.status == 200);
  CHECK(main.json().at({"spec", "replicas"})->as_int64() == 2);
  CHECK(main.json().at({"status", "replicas"})->as_int64() == 1);
  CHECK(c.get(k_deps + "/web/status").status == 200);
}

TEST_CASE("deleting a namespace: Terminating, no new content, then its content and itself go") {
  Cluster c;
  c.post("/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"wdemo"}})");
  c.post("/api/v1/namespaces/wdemo/configmaps",
         configmap("held", "{}", R"(,"finalizers":["example.com/hold"])"));
  c.post("/api/v1/namespaces/wdemo/configmaps", configmap("plain"));
  Reply del = c.del("/api/v1/namespaces/wdemo");
  CHECK(del.status == 200);
  CHECK(del.json().string_at({"status", "phase"}) == "Terminating");
  Reply late = c.post("/api/v1/namespaces/wdemo/configmaps", configmap("late"));
  CHECK(late.status == 403);
  CHECK(
      late.json().string_at({"message"}) ==
      "configmaps \"late\" is forbidden: unable to create new content in namespace wdemo because it is being "
      "terminated");
  CHECK(gone(c, "/api/v1/namespaces/wdemo/configmaps/plain"));
  CHECK(c.get("/api/v1/namespaces/wdemo").status == 200);  // held by the finalizer of its content
  c.patch("/api/v1/namespaces/wdemo/configmaps/held", R"({"metadata":{"finalizers":null}})",
          "application/merge-patch+json");
  CHECK(gone(c, "/api/v1/namespaces/wdemo"));
}

TEST_CASE("CRDs: served at once and Established; strategic merge patch is 415; deletion removes objects") {
  Cluster c;
  std::string crd =
      R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.demo.example.com"},"spec":{"group":"demo.example.com","scope":"Namespaced","names":{"kind":"Widget","plural":"widgets","singular":"widget"},"versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}}}]}})";
  Reply created = c.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
  REQUIRE(created.status == 201);
  INFO(created.body);
  bool established = false;
  auto crd_object = created.json();
  for (const auto& cond : crd_object.at({"status", "conditions"})->as_array())
    established |= cond.string_at({"type"}) == "Established" && cond.string_at({"status"}) == "True";
  CHECK(established);
  CHECK(c.get("/apis/demo.example.com/v1").status == 200);
  const std::string widgets = "/apis/demo.example.com/v1/namespaces/default/widgets";
  Reply w = c.post(
      widgets,
      R"({"apiVersion":"demo.example.com/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":1}})");
  REQUIRE(w.status == 201);
  CHECK(w.json().at({"metadata", "generation"})->as_int64() == 1);
  Reply smp = c.patch(widgets + "/w1", R"({"spec":{"size":2}})", "application/strategic-merge-patch+json");
  CHECK(smp.status == 415);
  CHECK(smp.json().string_at({"message"}) ==
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
  CHECK(c.patch(widgets + "/w1", R"({"spec":{"size":2}})", "application/merge-patch+json").status == 200);
  CHECK(c.del("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.demo.example.com").status ==
        200);
  CHECK(c.get(widgets + "/w1").status == 404);
  CHECK(c.get("/apis/demo.example.com/v1").status == 404);
}

TEST_CASE("with a data directory the state survives a restart") {
  test_support::TempDir dir("ktape-sim-data");
  sim::ServerOptions options;
  options.data_dir = dir.path().string();
  std::string uid, rv;
  {
    Cluster c(options);
    auto obj = c.post(k_cms, configmap("kept")).json();
    uid = obj.string_at({"metadata", "uid"});
    rv = obj.string_at({"metadata", "resourceVersion"});
    CHECK(c.get("/ktape/v1/stats").json().at({"objects"})->as_int64() >= 4);
  }
  Cluster again(options);
  auto obj = again.get(k_cms + "/kept").json();
  CHECK(obj.string_at({"metadata", "uid"}) == uid);
  CHECK(obj.string_at({"metadata", "resourceVersion"}) == rv);
  auto next = again.post(k_cms, configmap("after")).json();
  CHECK(std::stoull(std::string(next.string_at({"metadata", "resourceVersion"}))) > std::stoull(rv));
}

TEST_CASE("the resourceVersion never goes back across a restart, even when the last writes were deletes") {
  test_support::TempDir dir("ktape-sim-rv");
  sim::ServerOptions options;
  options.data_dir = dir.path().string();
  std::uint64_t last = 0;
  {
    Cluster c(options);
    REQUIRE(c.post(k_cms, configmap("a")).status == 201);
    REQUIRE(c.post(k_cms, configmap("b")).status == 201);
    REQUIRE(c.del(k_cms + "/b").status == 200);
    REQUIRE(c.del(k_cms + "/a").status == 200);
    last = std::stoull(std::string(c.get(k_cms).json().string_at({"metadata", "resourceVersion"})));
  }
  Cluster again(options);
  auto list = again.get(k_cms).json();
  CHECK(std::stoull(std::string(list.string_at({"metadata", "resourceVersion"}))) == last);
  // A watch from the last version seen before the restart sees the next write.
  auto created = again.post(k_cms, configmap("c")).json();
  CHECK(std::stoull(std::string(created.string_at({"metadata", "resourceVersion"}))) == last + 1);
  auto watch = again.get(k_cms + "?watch=1&timeoutSeconds=1&resourceVersion=" + std::to_string(last));
  CHECK(watch.status == 200);
  CHECK(watch.body.find("\"name\":\"c\"") != std::string::npos);
}
