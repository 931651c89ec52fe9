#include <doctest/doctest.h>

#include <map>
#include <set>

#include "formats/json.hpp"
#include "formats/recording.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"
#include "workload/cluster.hpp"

using namespace ktape;

namespace {

std::vector<formats::RecordingEntry> read_all(const std::string& path) {
  auto reader = formats::RecordingReader::open(path, {});
  REQUIRE(reader);
  std::vector<formats::RecordingEntry> out;
  for (;;) {
    auto e = reader->next();
    REQUIRE(e);
    if (!*e) break;
    out.push_back(std::move(**e));
  }
  return out;
}

}  // namespace

TEST_CASE("write_cluster_snapshot: a chained, realistic cluster, the same bytes for the same seed") {
  test_support::TempDir dir;
  workload::ClusterOptions o;
  o.path = dir.file("a.yaml");
  o.objects = 300;
  o.apps_per_namespace = 10;
  auto stats = workload::write_cluster_snapshot(o);
  REQUIRE_MESSAGE(stats, stats.error().message);
  CHECK(stats->objects >= 300);
  CHECK(stats->objects < 300 + 13);  // whole applications: at most one more
  auto entries = read_all(o.path);
  CHECK(entries.size() == stats->objects);

  std::map<std::string, int> kinds;
  std::set<std::string> uids;
  std::size_t pod_bytes = 0;
  for (const auto& e : entries) {
    ++kinds[std::string(e.object.string_at({"kind"}))];
    CHECK(uids.insert(std::string(e.object.string_at({"metadata", "uid"}))).second);
    if (e.object.string_at({"kind"}) == "Pod") pod_bytes += formats::to_json(e.object).size();
  }
  CHECK(kinds["Pod"] == static_cast<int>(stats->pods));
  CHECK(kinds["Deployment"] == kinds["ReplicaSet"]);
  CHECK(kinds["Pod"] == 5 * kinds["Deployment"]);
  CHECK(kinds["EndpointSlice"] == kinds["Service"]);
  CHECK(kinds["Secret"] == kinds["Deployment"]);
  CHECK(kinds["Event"] == 2 * kinds["Deployment"]);
  CHECK(kinds["Namespace"] == static_cast<int>(stats->namespaces));
  auto average = pod_bytes / static_cast<std::size_t>(kinds["Pod"]);
  CHECK(average > 2500);
  CHECK(average < 4000);
  // Every owner reference and every endpoint's targetRef names an object in the file.
  for (const auto& e : entries) {
    if (const auto* refs = e.object.at({"metadata", "ownerReferences"}))
      for (const auto& ref : refs->as_array()) CHECK(uids.count(std::string(ref.string_at({"uid"}))) == 1);
    if (const auto* endpoints = e.object.at({"endpoints"}))
      for (const auto& ep : endpoints->as_array())
        CHECK(uids.count(std::string(ep.string_at({"targetRef", "uid"}))) == 1);
  }

  workload::ClusterOptions again = o;
  again.path = dir.file("b.yaml");
  REQUIRE(workload::write_cluster_snapshot(again));
  CHECK(test_support::read_file(o.path) == test_support::read_file(again.path));
  again.path = dir.file("c.yaml");
  again.seed = 2;
  REQUIRE(workload::write_cluster_snapshot(again));
  CHECK(test_support::read_file(o.path) != test_support::read_file(again.path));

  auto exists = workload::write_cluster_snapshot(o);  // no --force
  REQUIRE_FALSE(exists);
  CHECK(exists.error().message.find("a.yaml") != std::string::npos);
}
