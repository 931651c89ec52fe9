// `ktape replay` end to end: the workload recorded on cluster A, replayed into a fresh cluster B
// (garbage collector on); B must hold A's objects with every ownerReference re-linked. Then the
// kwok files, a second replay that changes nothing, and bad input that is reported while the rest
// goes on.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>

#include "formats/json.hpp"
#include "tests/e2e/harness.hpp"

using namespace ktape;
using namespace ktape::e2e;
using formats::Value;

namespace {

// What must survive a replay; Secrets are compared without printing their data.
const char* const k_resources[] = {
    "namespaces", "deployments.apps", "replicasets.apps", "pods",
    "configmaps", "secrets",          "services",         "widgets.ktape.example.com"};

// The workload's objects (namespaces wl-*), keyed "apiVersion Kind namespace/name".
std::map<std::string, Value> objects_of(Home& home, const std::string& cluster) {
  std::map<std::string, Value> out;
  for (const char* resource : k_resources) {
    auto r = home.kubectl(cluster, std::string("get ") + resource + " -A -o json");
    REQUIRE_MESSAGE(r.code == 0, r.err);
    auto list = formats::parse_json(r.out);
    REQUIRE(list);
    for (const auto& item : list->find("items")->as_array()) {
      std::string ns(item.string_at({"metadata", "namespace"}));
      std::string name(item.string_at({"metadata", "name"}));
      if ((ns.empty() ? name : ns).rfind("wl-", 0) != 0) continue;
      out[std::string(item.string_at({"apiVersion"})) + " " + std::string(item.string_at({"kind"})) + " " +
          ns + "/" + name] = item;
    }
  }
  return out;
}

// The parts a replay promises to keep.
Value comparable(const Value& object) {
  Value out = Value::object();
  for (const char* field : {"spec", "data", "stringData", "status", "type"})
    if (const Value* v = object.find(field)) out.set(field, *v);
  for (const char* field : {"labels", "annotations"})
    if (const Value* v = object.at({"metadata", field})) out.set(field, *v);
  return out;
}

void check_same(const std::map<std::string, Value>& a, const std::map<std::string, Value>& b) {
  for (const auto& [key, object] : a) {
    auto it = b.find(key);
    CHECK_MESSAGE(it != b.end(), "missing from the target: " << key);
    if (it == b.end()) continue;
    bool secret = object.string_at({"kind"}) == "Secret";
    CHECK_MESSAGE(comparable(object) == comparable(it->second),
                  key << (secret ? ""
                                 : "\nsource: " + formats::to_json(comparable(object)) +
                                       "\ntarget: " + formats::to_json(comparable(it->second))));
  }
  for (const auto& [key, object] : b) CHECK_MESSAGE(a.count(key) == 1, "in the target only: " << key);
}

// Every ownerReference names an object that exists, by kind, name and UID.
std::size_t check_owners_resolve(const std::map<std::string, Value>& objects) {
  std::map<std::string, std::string> by_uid;
  for (const auto& [key, object] : objects)
    by_uid[std::string(object.string_at({"metadata", "uid"}))] =
        std::string(object.string_at({"kind"})) + "/" + std::string(object.string_at({"metadata", "name"}));
  std::size_t refs = 0;
  for (const auto& [key, object] : objects) {
    const Value* owners = object.at({"metadata", "ownerReferences"});
    if (owners == nullptr) continue;
    for (const auto& ref : owners->as_array()) {
      ++refs;
      auto it = by_uid.find(std::string(ref.string_at({"uid"})));
      CHECK_MESSAGE(it != by_uid.end(),
                    key << ": owner uid " << ref.string_at({"uid"}) << " resolves nowhere");
      if (it != by_uid.end())
        CHECK(it->second ==
              std::string(ref.string_at({"kind"})) + "/" + std::string(ref.string_at({"name"})));
    }
  }
  return refs;
}

std::string record_workload(Home& home, const std::string& cluster, const std::string& workload_flags) {
  auto path = (home.path / "rec.yaml").string();
  auto recorder = home.start({"record", "--cluster", cluster, "--path", path});
  REQUIRE(eventually([&] { return slurp(recorder.err).find("Press Ctrl+C") != std::string::npos; }));
  auto w = home.ktape("workload --cluster " + cluster + " " + workload_flags);
  REQUIRE_MESSAGE(w.code == 0, w.out << w.err);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the last watch events
  recorder.signal(SIGINT);
  REQUIRE(recorder.wait() == 0);
  return path;
}

Value summary_json(const Output& r) {
  auto v = formats::parse_json(r.out);
  REQUIRE_MESSAGE(v, r.out << r.err);
  return *v;
}

std::int64_t total(const Value& summary, const char* what) {
  return *summary.at({"totals", what})->as_int64();
}

void write(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

}  // namespace

TEST_CASE("replay: the workload recorded on A re-creates A's objects in B, owners re-linked") {
  Home home;
  home.create_cluster("a");
  home.create_cluster("b");
  auto path = record_workload(home, "a", "--seed 5 --namespaces 2 --operations 300 --rate 150");
  auto source = objects_of(home, "a");
  REQUIRE(source.size() > 30);

  auto r = home.ktape("replay --cluster b --path " + path + " --speed 10 --output json");
  INFO(r.err);
  INFO(r.out);
  CHECK(r.code == 0);
  auto summary = summary_json(r);
  CHECK(total(summary, "failed") == 0);
  CHECK(total(summary, "created") > 50);
  CHECK(*summary.at({"relinked"})->as_int64() > 10);
  auto target = objects_of(home, "b");
  check_same(source, target);  // nothing missing: nothing in B was garbage-collected
  CHECK(check_owners_resolve(target) > 10);

  // The same file again with --on-existing skip: B ends as it was. (Midway the file's deletes and
  // re-creates meet B's final objects, so some status patches may miss; the end state is the promise.)
  auto again =
      home.ktape("replay --cluster b --path " + path + " --speed 0 --on-existing skip --output json");
  INFO(again.err);
  CHECK(total(summary_json(again), "skipped") > 0);
  check_same(target, objects_of(home, "b"));
}

TEST_CASE("replay: kwok's files replay, plain and gzip, and --dry-run writes nothing") {
  Home home;
  home.create_cluster("k");
  std::string dir = std::string(KTAPE_SOURCE_DIR) + "/testdata/kwok/";
  auto dry = home.ktape("replay --cluster k --dry-run --path " + dir + "snapshot.yaml");
  CHECK(dry.code == 0);
  CHECK(dry.out.find("create apps/v1 Deployment shop/web") != std::string::npos);
  CHECK(home.kubectl("k", "get namespace shop").code != 0);

  auto snap = home.ktape("replay --cluster k --speed 0 --path " + dir + "snapshot.yaml");
  CHECK_MESSAGE(snap.code == 0, snap.err);
  auto rs = home.kubectl("k", "get replicasets -n shop -o json");
  auto deploy = home.kubectl("k", "get deployment web -n shop -o jsonpath={.metadata.uid}");
  REQUIRE(deploy.code == 0);
  CHECK(rs.out.find("\"uid\": \"" + deploy.out + "\"") != std::string::npos);  // re-linked to the new UID
  auto twice = home.ktape("replay --cluster k --speed 0 --path " + dir + "snapshot.yaml");
  CHECK(twice.code == 0);
  CHECK(twice.err.find("0 created, 0 patched, 0 deleted, 4 skipped, 0 failed") != std::string::npos);
  auto same_uid = home.kubectl("k", "get deployment web -n shop -o jsonpath={.metadata.uid}");
  CHECK(same_uid.out == deploy.out);  // skip leaves the object as it was
  for (const char* file : {"recording.yaml", "recording.yaml.gz"}) {
    auto rec = home.ktape(std::string("replay --cluster k --speed 0 --path ") + dir + file);
    CHECK_MESSAGE(rec.code == 0, file << ": " << rec.err);
    CHECK(rec.err.find("0 failed") != std::string::npos);
  }
}

TEST_CASE("replay: bad input is reported and the rest goes on") {
  Home home;
  home.create_cluster("bad");
  const std::string ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n  uid: u-ns\n";
  auto event = [](const std::string& group, const std::string& resource, const std::string& name,
                  const std::string& method, long ns_time, const std::string& body) {
    return "---\napiVersion: action.kwok.x-k8s.io/v1alpha1\nkind: ResourcePatch\nresource:\n  group: " +
           group + "\n  version: v1\n  resource: " + resource + "\ntarget:\n  name: " + name +
           "\n  namespace: demo\ndurationNanosecond: " + std::to_string(ns_time) + "\nmethod: " + method +
           "\n" + body;
  };
  const std::string cm_body =
      "template:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: kept\n    namespace: demo\n  "
      "data:\n    a: b\n";

  SUBCASE("a patch for an object never created") {
    auto path = home.path / "ghost.yaml";
    write(path, ns + event("\"\"", "configmaps", "ghost", "patch", 1000, "template:\n  data:\n    x: y\n") +
                    event("\"\"", "configmaps", "kept", "create", 2000, cm_body));
    auto r = home.ktape("replay --cluster bad --speed 0 --path " + path.string());
    CHECK(r.code == 1);
    CHECK(r.err.find("patch v1 ConfigMap demo/ghost") != std::string::npos);
    CHECK(r.err.find("not found") != std::string::npos);
    CHECK(home.kubectl("bad", "get configmap kept -n demo").code == 0);
  }
  SUBCASE("a resource the target does not serve") {
    auto path = home.path / "unserved.yaml";
    write(
        path,
        ns +
            event("nope.example.com", "gizmos", "g", "create", 1000,
                  "template:\n  apiVersion: nope.example.com/v1\n  kind: Gizmo\n  metadata:\n    name: g\n") +
            event("\"\"", "configmaps", "kept", "create", 2000, cm_body));
    auto refused = home.ktape("replay --cluster bad --speed 0 --path " + path.string());
    CHECK(refused.code == 1);
    CHECK(refused.err.find("does not serve nope.example.com/v1 Gizmo") != std::string::npos);
    CHECK(refused.err.find("--force") != std::string::npos);
    CHECK(home.kubectl("bad", "get namespace demo").code != 0);  // refused before writing anything
    auto forced = home.ktape("replay --cluster bad --speed 0 --force --path " + path.string());
    CHECK(forced.code == 1);
    CHECK(forced.err.find("does not serve gizmos.nope.example.com") != std::string::npos);
    CHECK(home.kubectl("bad", "get configmap kept -n demo").code == 0);
  }
  SUBCASE("a truncated file") {
    auto path = home.path / "truncated.yaml";
    write(path, ns + event("\"\"", "configmaps", "kept", "create", 1000, cm_body) +
                    "---\napiVersion: action.kwok.x-k8s.io/v1alpha1\nkind: ResourcePatch\nresource: {group: "
                    "\"\", ver");
    auto r = home.ktape("replay --cluster bad --speed 0 --path " + path.string());
    CHECK(r.code == 1);
    CHECK(r.err.find("truncated.yaml") != std::string::npos);
    CHECK(r.err.find("document 3") != std::string::npos);
    CHECK(home.kubectl("bad", "get configmap kept -n demo").code == 0);
  }
}
