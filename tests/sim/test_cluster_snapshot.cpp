// Exact cluster snapshots: /ktape/v1/snapshot (GET the state, PUT one in its place) on an
// in-process server over real HTTP, ServerOptions::restore_from, and `ktape cluster snapshot`'s
// save/restore through a Registry of clusters spawned from the built ktape binary.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <string>

#include "sim/cluster_snapshot.hpp"
#include "tests/sim/sim_client.hpp"
#include "tests/sim/watch_client.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace ktape::sim;
using namespace ktape::sim::test;
namespace fs = std::filesystem;

namespace {

constexpr char k_configmaps[] = "/api/v1/namespaces/default/configmaps";

// name -> "uid rv" of every ConfigMap in default, as a list answers.
std::map<std::string, std::string> configmap_identities(const Cluster& cluster) {
  std::map<std::string, std::string> out;
  Reply list = cluster.get(k_configmaps);
  REQUIRE(list.status == 200);
  formats::Value doc = list.json();  // kept: the loop below reads into it
  for (const auto& item : doc["items"].as_array()) {
    out[std::string(item.string_at({"metadata", "name"}))] =
        std::string(item.string_at({"metadata", "uid"})) + " " +
        std::string(item.string_at({"metadata", "resourceVersion"}));
  }
  return out;
}

std::uint64_t stats_rv(const Cluster& cluster) {
  return std::stoull(std::string(cluster.get("/ktape/v1/stats").json().string_at({"resourceVersion"})));
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("snapshot GET, then a server started from it: the same uids, resourceVersions and counter") {
  test_support::TempDir dir("ktape-snapshot");
  Cluster a;
  for (int i = 0; i < 5; ++i)
    REQUIRE(a.post(k_configmaps, configmap("cm-" + std::to_string(i))).status == 201);
  REQUIRE(a.del(std::string(k_configmaps) + "/cm-4").status == 200);  // the counter passes every object's RV
  Reply snapshot = a.get("/ktape/v1/snapshot");
  REQUIRE(snapshot.status == 200);
  auto info = read_cluster_snapshot(snapshot.body, "GET");
  REQUIRE(info);
  CHECK(info->revision == stats_rv(a));
  test_support::write_file(dir.file("snap.jsonl"), snapshot.body);

  ServerOptions options;
  options.restore_from = dir.file("snap.jsonl");
  Cluster b(options);
  CHECK(configmap_identities(b) == configmap_identities(a));
  CHECK(configmap_identities(b).size() == 4);
  CHECK(stats_rv(b) == stats_rv(a));
  // The next write continues the counter, as etcd's revision does after a restore.
  Reply created = b.post(k_configmaps, configmap("after"));
  REQUIRE(created.status == 201);
  CHECK(std::stoull(std::string(created.json().string_at({"metadata", "resourceVersion"}))) ==
        stats_rv(a) + 1);
}

TEST_CASE("snapshot PUT into a running server: objects replaced, watches end, older RVs get 410") {
  Cluster cluster;
  REQUIRE(cluster.post(k_configmaps, configmap("kept")).status == 201);
  Reply snapshot = cluster.get("/ktape/v1/snapshot");
  REQUIRE(snapshot.status == 200);
  auto before = configmap_identities(cluster);
  REQUIRE(cluster.post(k_configmaps, configmap("later")).status == 201);
  std::uint64_t rv = stats_rv(cluster);

  auto watch = std::async(std::launch::async, [&] {
    return read_watch(cluster, std::string(k_configmaps) +
                                   "?watch=1&timeoutSeconds=30&resourceVersion=" + std::to_string(rv));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the watch is open
  auto start = std::chrono::steady_clock::now();
  Reply put = cluster.put("/ktape/v1/snapshot", snapshot.body, "application/x-ndjson");
  REQUIRE(put.status == 200);
  CHECK(put.json()["objects"].number_text() ==
        std::to_string(read_cluster_snapshot(snapshot.body, "GET")->objects));
  REQUIRE(watch.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));  // ended, not timed out
  CHECK(configmap_identities(cluster) == before);  // "later" is gone, "kept" has its old uid and RV
  CHECK(stats_rv(cluster) > rv);                   // the counter never goes back

  WatchResult again = read_watch(
      cluster, std::string(k_configmaps) + "?watch=1&timeoutSeconds=2&resourceVersion=" + std::to_string(rv));
  REQUIRE(again.events.size() == 1);
  CHECK(again.type(0) == "ERROR");
  CHECK(again.events[0]["object"]["code"].number_text() == "410");
}

TEST_CASE("snapshot PUT of a bad snapshot: 400 naming the line, nothing changed") {
  Cluster cluster;
  REQUIRE(cluster.post(k_configmaps, configmap("one")).status == 201);
  auto before = configmap_identities(cluster);
  std::uint64_t rv = stats_rv(cluster);
  Reply put =
      cluster.put("/ktape/v1/snapshot", "{\"resourceVersion\":\"9\"}\nnot json\n", "application/x-ndjson");
  CHECK(put.status == 400);
  CHECK(put.body.find("line 2") != std::string::npos);
  CHECK(configmap_identities(cluster) == before);
  CHECK(stats_rv(cluster) == rv);
}

TEST_CASE("read_cluster_snapshot: located errors") {
  CHECK(read_cluster_snapshot("", "f").error().message.find("f: line 1") != std::string::npos);
  CHECK(read_cluster_snapshot("{\"group\":\"\"}\n", "f").error().message.find("no resourceVersion counter") !=
        std::string::npos);
  auto bad = read_cluster_snapshot("{\"resourceVersion\":\"3\"}\n{\"resource\":\"configmaps\"}\n", "f");
  REQUIRE(!bad);
  CHECK(bad.error().kind == ErrorKind::parse);
  CHECK(bad.error().message == "f: line 2: not a stored object (no \"resource\" and \"object\")");
  auto good = read_cluster_snapshot(
      "{\"resourceVersion\":\"7\"}\n{\"group\":\"\",\"resource\":\"configmaps\",\"object\":{}}\n", "f");
  REQUIRE(good);
  CHECK(good->objects == 1);
  CHECK(good->revision == 7);
}

TEST_CASE("cluster snapshot save/restore through a Registry of spawned clusters") {
  test_support::TempDir dir("ktape-snapshot-registry");
  RegistryOptions registry_options;
  registry_options.root = dir.path() / "clusters";
  registry_options.ktape_binary = KTAPE_BINARY;
  registry_options.stop_timeout = std::chrono::milliseconds(5000);
  Registry registry(registry_options);
  struct Cleanup {
    Registry& r;
    ~Cleanup() {
      for (const auto& e : r.list()) (void)r.remove(e.name);
    }
  } cleanup{registry};

  auto source = registry.create("source", {});
  REQUIRE(source);
  httplib::Client client("127.0.0.1", source->port);
  REQUIRE(client.Post(k_configmaps, configmap("web"), "application/json")->status == 201);
  auto source_list = client.Get(k_configmaps);
  REQUIRE(source_list);

  fs::path file = dir.path() / "source.snapshot";
  auto saved = save_cluster_snapshot(registry, "source", file);
  REQUIRE(saved);
  CHECK(saved->objects > 1);
  CHECK(mode_of(file) == 0600);
  CHECK(!fs::exists(file.string() + ".tmp"));
  auto again = save_cluster_snapshot(registry, "source", file);
  REQUIRE(!again);
  CHECK(again.error().kind == ErrorKind::conflict);

  // Into a running cluster: refused unless told to replace.
  auto refused = restore_cluster_snapshot(registry, "source", file, {});
  REQUIRE(!refused);
  CHECK(refused.error().kind == ErrorKind::conflict);
  CHECK(refused.error().message.find("--force") != std::string::npos);

  // Into a cluster that does not exist: started from it, every uid and resourceVersion kept.
  auto restored = restore_cluster_snapshot(registry, "copy", file, {});
  REQUIRE(restored);
  CHECK(restored->objects == saved->objects);
  auto copy = registry.state("copy");
  REQUIRE(copy);
  httplib::Client copy_client("127.0.0.1", copy->port);
  auto copy_list = copy_client.Get(k_configmaps);
  REQUIRE(copy_list);
  auto items = [](const std::string& body) {
    return formats::to_json(*formats::parse_json(body)->at({"items"}));
  };
  CHECK(items(copy_list->body) == items(source_list->body));
  CHECK(items(copy_list->body).find("\"web\"") != std::string::npos);

  auto forced = restore_cluster_snapshot(registry, "copy", file, {RestoreRunning::replace, {}});
  REQUIRE(forced);
  CHECK(forced->revision > saved->revision);
}
