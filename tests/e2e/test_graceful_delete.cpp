// A graceful delete end to end on ktape's simulated clusters, as a user makes one: an object held
// by a finalizer is deleted with kubectl, then released. The recording marks the start of the
// delete ("# graceful-delete" before a patch that sets deletionTimestamp), and its replay into a
// second cluster sends a DELETE, not that patch, and ends with the object gone, nothing failed.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>

#include "formats/json.hpp"
#include "tests/e2e/harness.hpp"

using namespace ktape;
using namespace ktape::e2e;

TEST_CASE("graceful delete: recorded with its mark, replayed as a DELETE into another cluster") {
  Home home;
  home.create_cluster("a");
  home.create_cluster("b");
  REQUIRE(home.kubectl("a", "create namespace demo").code == 0);
  fs::path manifest = home.path / "held.json";
  std::ofstream(manifest)
      << R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"held","namespace":"demo",)"
         R"("finalizers":["example.com/hold"]},"data":{"x":"1"}})";
  REQUIRE(home.kubectl("a", "apply -f " + manifest.string()).code == 0);

  auto path = (home.path / "rec.yaml").string();
  auto recorder =
      home.start({"record", "--cluster", "a", "-n", "demo", "--resource", "configmaps", "--path", path});
  REQUIRE(eventually([&] { return slurp(recorder.err).find("Press Ctrl+C") != std::string::npos; }));
  auto deleted = home.kubectl("a", "-n demo delete configmap held --wait=false");
  REQUIRE_MESSAGE(deleted.code == 0, deleted.err);
  auto terminating =
      home.kubectl("a", "-n demo get configmap held -o jsonpath={.metadata.deletionTimestamp}");
  REQUIRE_MESSAGE(!terminating.out.empty(), "the simulated cluster did not keep the object terminating");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto released =
      home.kubectl("a", R"(-n demo patch configmap held --type=merge -p '{"metadata":{"finalizers":null}}')");
  REQUIRE_MESSAGE(released.code == 0, released.err);
  REQUIRE(eventually([&] { return home.kubectl("a", "-n demo get configmap held").code != 0; }));
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the last watch events
  recorder.signal(SIGINT);
  REQUIRE(recorder.wait() == 0);

  std::string text = slurp(path);
  INFO(text);
  auto mark = text.find("# graceful-delete\n");
  REQUIRE(mark != std::string::npos);
  std::string marked = text.substr(mark, text.find("---", mark) - mark);
  CHECK(marked.find("name: held") != std::string::npos);
  CHECK(marked.find("method: patch") != std::string::npos);
  CHECK(marked.find("deletionTimestamp") != std::string::npos);
  CHECK(text.find("# graceful-delete", mark + 1) == std::string::npos);  // the start only

  REQUIRE(home.kubectl("b", "create namespace demo").code == 0);  // the recording has configmaps only
  auto replay = home.ktape("replay --cluster b --speed 0 --output json --path " + path);
  INFO(replay.err);
  INFO(replay.out);
  CHECK(replay.code == 0);
  auto summary = formats::parse_json(replay.out);
  REQUIRE(summary);
  CHECK(*summary->at({"totals", "failed"})->as_int64() == 0);
  CHECK(*summary->at({"resources", "configmaps", "deleted"})->as_int64() >= 1);
  CHECK(home.kubectl("b", "-n demo get configmap held").code != 0);
}
