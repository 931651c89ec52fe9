// `ktape show` and `ktape verify` on a recording `ktape record` made of the simulated cluster while
// the workload ran, checked against kubectl's view of the same cluster; then the file mutated.
#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "tests/e2e/harness.hpp"

using namespace ktape;
using namespace ktape::e2e;
using formats::Value;

namespace {

Value parse(const std::string& text) {
  auto v = formats::parse_json(text);
  REQUIRE_MESSAGE(v, (v ? "" : v.error().message) << "\n" << text);
  return *v;
}

// Records `cluster` while the workload runs; returns the recording's path.
std::string record(Home& home, const std::string& cluster) {
  auto path = (home.path / "rec.yaml.gz").string();
  auto recorder = home.start({"record", "--cluster", cluster, "--path", path});
  REQUIRE(eventually(
      [&] { return slurp(recorder.err).find("Press Ctrl+C to stop recording") != std::string::npos; }));
  auto w = home.ktape("workload --cluster " + cluster + " --seed 3 --namespaces 2 --operations 200 --rate 0");
  REQUIRE_MESSAGE(w.code == 0, w.out << w.err);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // let the last watch events arrive
  recorder.signal(SIGINT);
  REQUIRE(recorder.wait() == 0);
  return path;
}

}  // namespace

TEST_CASE("show and verify: a real recording is ok, its counts agree, its objects are the cluster's") {
  Home home;
  home.create_cluster("sv");
  auto path = record(home, "sv");

  auto verify = home.ktape("verify -o json " + path);
  INFO(verify.out << verify.err);
  REQUIRE(verify.code == 0);
  auto report = parse(verify.out).as_array().at(0);
  CHECK(report.string_at({"status"}) == "ok");
  CHECK(*report.at({"errors"})->as_int64() == 0);
  // The recorder stamps each resource's watch on its own, so a child can be recorded a moment
  // before its owner: verify reports that as a warning (the replay waits for such owners); any
  // other finding in a file ktape wrote is a bug.
  for (const auto& finding : report.find("findings")->as_array()) {
    CHECK(finding.string_at({"severity"}) == "warning");
    CHECK(finding.string_at({"check"}) == "owner");
  }

  auto show = home.ktape("show -o json " + path);
  REQUIRE_MESSAGE(show.code == 0, show.err);
  auto summary = parse(show.out);
  CHECK(summary.at({"header", "source"})->as_string().find("sv") != std::string::npos);
  CHECK(*summary.find("events")->as_int64() == *report.find("events")->as_int64());
  CHECK(*summary.find("objects")->as_int64() == *report.find("objects")->as_int64());
  CHECK(*summary.find("events")->as_int64() > 100);
  std::int64_t per_resource = 0;
  for (const auto& r : summary.find("resources")->as_array())
    per_resource +=
        *r.find("creates")->as_int64() + *r.find("patches")->as_int64() + *r.find("deletes")->as_int64();
  CHECK(per_resource == *summary.find("events")->as_int64());
  std::int64_t bucketed = 0;
  for (const auto& b : summary.find("buckets")->as_array()) bucketed += *b.as_int64();
  CHECK(bucketed == *summary.find("events")->as_int64());

  // Every deployment kubectl lists is, at the end of the recording, what the cluster holds.
  auto deployments = home.kubectl("sv", "get deployments -A -o json");
  REQUIRE(deployments.code == 0);
  auto items = parse(deployments.out).find("items")->as_array();
  REQUIRE_FALSE(items.empty());
  auto end = std::to_string(*summary.find("durationNanosecond")->as_int64() / 1'000'000 + 1000) + "ms";
  for (const auto& d : items) {
    auto ref = "deployments.apps/" + std::string(d.string_at({"metadata", "namespace"})) + "/" +
               std::string(d.string_at({"metadata", "name"}));
    auto at = home.ktape("show " + path + " --object " + ref + " --at " + end + " -o json");
    REQUIRE_MESSAGE(at.code == 0, ref << ": " << at.err);
    auto object = parse(at.out);
    CHECK_MESSAGE(*object.find("spec") == *d.find("spec"), ref);
  }
  auto state = home.ktape("show " + path + " --at " + end + " -o json");
  REQUIRE(state.code == 0);
  CHECK(parse(state.out).find("items")->as_array().size() >= items.size());

  auto text = home.ktape("show " + path);
  CHECK(text.code == 0);
  CHECK(text.out.find("deployments.apps") != std::string::npos);
  CHECK(text.out.find("EVENTS OVER TIME") != std::string::npos);
  auto first = items.front();
  auto life = home.ktape("show " + path + " --object deployments.apps/" +
                         std::string(first.string_at({"metadata", "namespace"})) + "/" +
                         std::string(first.string_at({"metadata", "name"})));
  CHECK(life.code == 0);
  CHECK((life.out.find("create") != std::string::npos || life.out.find("snapshot") != std::string::npos));

  SUBCASE("a truncated copy and a flipped byte: exit 1, both named, in one run") {
    auto bytes = slurp(path);
    auto cut = (home.path / "cut.yaml.gz").string();
    test_support::write_file(cut, bytes.substr(0, bytes.size() / 2));
    auto flipped = (home.path / "flip.yaml.gz").string();
    bytes[bytes.size() / 3] = static_cast<char>(bytes[bytes.size() / 3] ^ 1);
    test_support::write_file(flipped, bytes);
    test_support::write_file(flipped + ".sha256", slurp(path + ".sha256"));
    auto r = home.ktape("verify " + path + " " + cut + " " + flipped);
    CHECK(r.code == 1);
    CHECK(r.out.find(path + ": ok") != std::string::npos);
    CHECK(r.out.find("cut.yaml.gz: document ") != std::string::npos);
    CHECK(r.out.find("truncated gzip stream") != std::string::npos);
    CHECK(r.out.find("flip.yaml.gz: corrupt") != std::string::npos);
    auto s = home.ktape("show " + cut);
    CHECK(s.code == 1);
    CHECK(s.out.find("The read stopped: ") != std::string::npos);
    CHECK(s.out.find("TOTAL") != std::string::npos);
  }
}
