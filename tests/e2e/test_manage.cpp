// ls, diff, cut and prune end to end, on recordings `ktape record` made of a simulated cluster
// running the workload, with kubectl changing the cluster between them.
#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "formats/recording.hpp"
#include "tests/e2e/harness.hpp"

using namespace ktape;
using namespace ktape::e2e;
using formats::Value;

namespace {

// Snapshot objects and events, counted by reading the whole file.
std::pair<std::uint64_t, std::uint64_t> count_entries(const std::string& path) {
  auto reader = formats::RecordingReader::open(path);
  REQUIRE(reader);
  std::uint64_t objects = 0, events = 0;
  for (;;) {
    auto e = reader->next();
    REQUIRE_MESSAGE(e, (e ? "" : e.error().message));
    if (!*e) break;
    ((*e)->kind == formats::RecordingEntry::Kind::object ? objects : events)++;
  }
  return {objects, events};
}

Value json_of(const Output& out) {
  auto v = formats::parse_json(out.out);
  REQUIRE_MESSAGE(v, out.out << out.err);
  return *v;
}

void record_workload(Home& home, const std::string& cluster, const std::string& path) {
  auto recorder = home.start({"record", "--cluster", cluster, "--path", path});
  REQUIRE(eventually(
      [&] { return slurp(recorder.err).find("Press Ctrl+C to stop recording") != std::string::npos; }));
  auto w =
      home.ktape("workload --cluster " + cluster + " --seed 11 --namespaces 2 --operations 200 --rate 0");
  REQUIRE_MESSAGE(w.code == 0, w.out << w.err);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the last watch events
  recorder.signal(SIGINT);
  REQUIRE_MESSAGE(recorder.wait() == 0, slurp(recorder.err));
}

}  // namespace

TEST_CASE("ls, diff and cut on a recording of the workload, and diff against the live cluster") {
  Home home;
  home.create_cluster("m");
  auto dir = home.path / "recs";
  fs::create_directories(dir);
  auto rec = (dir / "rec.yaml.zst").string();
  record_workload(home, "m", rec);

  // ls: the counts come from the meta, and are the file's.
  auto [objects, events] = count_entries(rec);
  CHECK(events > 0);
  auto ls = home.ktape("ls " + dir.string() + " -o json");
  REQUIRE_MESSAGE(ls.code == 0, ls.err);
  auto listed = json_of(ls);
  REQUIRE(listed.size() == 1);
  const Value& entry = listed.as_array()[0];
  CHECK(entry.find("objects")->as_int64() == static_cast<std::int64_t>(objects));
  CHECK(entry.find("events")->as_int64() == static_cast<std::int64_t>(events));
  CHECK(entry.string_at({"status"}) == "unverified");
  CHECK(entry.string_at({"source"}) == "cluster m");
  CHECK(json_of(home.ktape("ls --verify -o json " + dir.string())).as_array()[0].string_at({"status"}) ==
        "ok");

  // The recording's final state is the cluster's: nothing to show, exit 0.
  auto same = home.ktape("diff " + rec + " --cluster m");
  CHECK_MESSAGE(same.code == 0, same.out << same.err);

  // kubectl changes three things; diff names exactly those.
  REQUIRE(home.kubectl("m", "create configmap added-later -n default --from-literal=k=v").code == 0);
  REQUIRE(home.kubectl("m", "label namespace default touched=yes").code == 0);
  auto changed = home.ktape("diff " + rec + " --cluster m --raw");
  CHECK(changed.code == 1);
  CHECK(changed.out.find("configmaps   default     added-later   added") != std::string::npos);
  CHECK(changed.out.find("namespaces   -           default       modified   changed: metadata.labels") !=
        std::string::npos);
  CHECK(changed.out.find("+    touched: \"yes\"") != std::string::npos);
  // Sveltos's name for the flag prints the same.
  CHECK(home.ktape("diff " + rec + " --cluster m --raw-diff").out == changed.out);
  auto only_ns = home.ktape("diff " + rec + " --cluster m --resource namespaces -o json");
  CHECK(only_ns.code == 1);
  CHECK(json_of(only_ns).size() == 1);

  // cut at the middle: its start is the original at that time, its end the original's end.
  auto middle =
      std::to_string(json_of(ls).as_array()[0].find("durationNanosecond")->as_int64().value() / 2 / 1000000) +
      "ms";
  auto cut_path = (dir / "cut.yaml.gz").string();
  auto cut = home.ktape("cut " + rec + " " + cut_path + " --from " + middle);
  REQUIRE_MESSAGE(cut.code == 0, cut.err);
  CHECK(home.ktape("diff " + rec + "@" + middle + " " + cut_path + "@0").code == 0);
  CHECK(home.ktape("diff " + rec + " " + cut_path).code == 0);
  CHECK(home.ktape("diff " + rec + "@0 " + cut_path + "@0").code == 1);
  CHECK(home.run("cd " + dir.string() + " && sha256sum -c cut.yaml.gz.sha256").code == 0);
  CHECK(home.ktape("diff " + rec + " " + (dir / "absent.yaml").string()).code == 2);
}

TEST_CASE("prune: a policy is required, the plan comes first, --yes without a terminal") {
  Home home;
  home.create_cluster("p");
  auto dir = home.path / "recs";
  fs::create_directories(dir);
  for (auto name : {"1.yaml", "2.yaml", "3.yaml.zst", "4.yaml"}) {
    auto r = home.ktape("record --cluster p --snapshot --path " + (dir / name).string());
    REQUIRE_MESSAGE(r.code == 0, r.err);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // distinct start seconds
  }
  CHECK(home.ktape("prune " + dir.string()).code == 2);
  auto refused = home.ktape("prune --keep-last 2 " + dir.string());
  CHECK(refused.code == 2);
  CHECK(refused.err.find("--yes") != std::string::npos);
  CHECK(refused.out.find("DELETE   1.yaml") != std::string::npos);
  CHECK(fs::exists(dir / "1.yaml"));
  CHECK(home.ktape("prune --keep-last 2 --dry-run " + dir.string()).code == 0);
  CHECK(fs::exists(dir / "1.yaml"));
  auto done = home.ktape("prune --keep-last 2 --yes " + dir.string());
  CHECK(done.code == 0);
  CHECK(done.out.find("KEEP     3.yaml.zst") != std::string::npos);
  for (auto gone : {"1.yaml", "1.yaml.sha256", "1.yaml.meta", "2.yaml", "2.yaml.sha256", "2.yaml.meta"})
    CHECK_FALSE(fs::exists(dir / gone));
  for (auto kept : {"3.yaml.zst", "3.yaml.zst.sha256", "4.yaml.meta"}) CHECK(fs::exists(dir / kept));
  CHECK(json_of(home.ktape("ls -o json " + dir.string())).size() == 2);
}
