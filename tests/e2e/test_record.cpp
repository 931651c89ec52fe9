// `ktape record` end to end: a simulated cluster, the workload running while ktape records, then
// the recording's final state (snapshot + events applied with formats/) compared object by object
// with what kubectl lists from the cluster.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <sstream>

#include "formats/json.hpp"
#include "formats/recording.hpp"
#include "formats/state.hpp"
#include "tests/e2e/harness.hpp"

using namespace ktape;
using namespace ktape::e2e;
using formats::Value;

namespace {

// (apiVersion, kind) -> plural, from `kubectl api-resources`: the real client's view.
std::map<std::string, std::string> plurals(Home& home, const std::string& cluster) {
  auto r = home.kubectl(cluster, "api-resources --no-headers -o wide");
  REQUIRE_MESSAGE(r.code == 0, r.err);
  std::map<std::string, std::string> out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    // NAME [SHORTNAMES] APIVERSION NAMESPACED KIND VERBS [CATEGORIES]
    for (std::size_t i = 1; i + 2 < w.size(); ++i)
      if (w[i + 1] == "true" || w[i + 1] == "false") {
        out[w[i] + "/" + w[i + 2]] = w[0];
        break;
      }
  }
  return out;
}

struct Replayed {
  std::optional<formats::Header> header;
  formats::RecordedState state;
  std::size_t entries = 0;
  std::optional<Error> error;  // the reader's error after the last entry, if any
};

Replayed rebuild(const std::string& path, const std::map<std::string, std::string>& kinds) {
  Replayed out{std::nullopt, formats::RecordedState([&](std::string_view av, std::string_view kind) {
                 auto it = kinds.find(std::string(av) + "/" + std::string(kind));
                 return it == kinds.end() ? formats::guess_plural(kind) : it->second;
               }),
               0, std::nullopt};
  auto reader = formats::RecordingReader::open(path);
  REQUIRE_MESSAGE(reader, (reader ? "" : reader.error().message));
  for (;;) {
    auto e = reader->next();
    if (!e) {
      out.error = e.error();
      break;
    }
    if (!*e) break;
    ++out.entries;
    auto applied = out.state.apply(**e);
    CHECK_MESSAGE(applied, (applied ? "" : applied.error().message));
  }
  out.header = reader->header();
  return out;
}

// Every object the cluster holds for the recorded resources, keyed like RecordedState.
// `resources` are the header's (chosen at the start) plus those of the recorded objects (resources
// of CRDs created while recording).
std::map<std::string, Value> cluster_state(Home& home, const std::string& cluster, const Value& resources,
                                           const std::map<std::string, Value>& recorded) {
  std::set<std::string> names;
  for (const auto& name : resources.as_array()) names.insert(name.as_string());
  for (const auto& [key, object] : recorded) {
    auto api_version = key.substr(0, key.find('|'));
    auto plural =
        key.substr(api_version.size() + 1, key.find('|', api_version.size() + 1) - api_version.size() - 1);
    auto slash = api_version.find('/');
    names.insert(slash == std::string::npos ? plural : plural + "." + api_version.substr(0, slash));
  }
  std::map<std::string, Value> out;
  for (const auto& name : names) {
    auto r = home.kubectl(cluster, "get " + name + " -A -o json");
    REQUIRE_MESSAGE(r.code == 0, r.err);
    auto list = formats::parse_json(r.out);
    REQUIRE(list);
    std::string plural = name.substr(0, name.find('.'));
    for (auto item : list->find("items")->as_array()) {
      formats::strip_for_snapshot(item, false);
      auto key = formats::RecordedState::key(item.string_at({"apiVersion"}), plural,
                                             item.string_at({"metadata", "namespace"}),
                                             item.string_at({"metadata", "name"}));
      out[key] = std::move(item);
    }
  }
  return out;
}

void compare(const std::map<std::string, Value>& recorded, const std::map<std::string, Value>& live) {
  std::set<std::string> keys;
  for (auto& [k, v] : recorded) keys.insert(k);
  for (auto& [k, v] : live) keys.insert(k);
  std::size_t equal = 0;
  for (const auto& k : keys) {
    auto a = recorded.find(k), b = live.find(k);
    CHECK_MESSAGE(a != recorded.end(), "missing from the recording: " << k);
    CHECK_MESSAGE(b != live.end(), "recorded but not in the cluster: " << k);
    if (a == recorded.end() || b == live.end()) continue;
    CHECK_MESSAGE(a->second == b->second, k << "\nrecorded: " << formats::to_json(a->second)
                                            << "\ncluster:  " << formats::to_json(b->second));
    equal += a->second == b->second;
  }
  CHECK(equal == keys.size());
  CHECK(equal > 50);
}

void record_workload_and_compare(Home& home, const std::string& cluster,
                                 const std::string& extra_record_flags) {
  auto path = (home.path / "rec.yaml").string();
  auto recorder = home.start({"record", "--cluster", cluster, "--path", path});
  (void)extra_record_flags;
  REQUIRE(eventually(
      [&] { return slurp(recorder.err).find("Press Ctrl+C to stop recording") != std::string::npos; }));
  auto w = home.ktape("workload --cluster " + cluster + " --seed 7 --operations 400 --rate 0 --namespaces 3");
  REQUIRE_MESSAGE(w.code == 0, w.out << w.err);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // let the last watch events arrive
  recorder.signal(SIGINT);
  int code = recorder.wait();
  INFO(slurp(recorder.err));
  REQUIRE(code == 0);
  auto err = slurp(recorder.err);
  CHECK(err.find("recorded ") != std::string::npos);
  CHECK(err.find("sha256 ") != std::string::npos);
  CHECK(fs::exists(path + ".sha256"));
  auto check = home.run("cd " + home.path.string() + " && sha256sum -c rec.yaml.sha256");
  CHECK(check.code == 0);

  auto kinds = plurals(home, cluster);
  auto replayed = rebuild(path, kinds);
  CHECK_FALSE(replayed.error);
  REQUIRE(replayed.header);
  CHECK(replayed.header->mode == "record");
  const auto& recorded = replayed.state.objects();
  compare(recorded, cluster_state(home, cluster, replayed.header->selection["resources"], recorded));
}

}  // namespace

TEST_CASE("record: the recording's final state equals the cluster's, object by object") {
  Home home;
  home.create_cluster("rec");
  record_workload_and_compare(home, "rec", "");
}

TEST_CASE("record: a file that exists is refused without --force, and bad flags say why") {
  Home home;
  home.create_cluster("refuse");
  auto path = (home.path / "exists.yaml").string();
  std::ofstream(path) << "keep me\n";
  auto r = home.ktape("record --snapshot --cluster refuse --path " + path);
  CHECK(r.code == 1);
  CHECK(r.err.find(path) != std::string::npos);
  CHECK(slurp(path) == "keep me\n");
  auto forced = home.ktape("record --snapshot --force --cluster refuse --path " + path);
  CHECK_MESSAGE(forced.code == 0, forced.err);
  auto bad = home.ktape("record --cluster refuse --path x.yaml --duration soon");
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--duration") != std::string::npos);
  auto unknown = home.ktape("record --snapshot --cluster refuse --path " + (home.path / "u.yaml").string() +
                            " --resource gizmos");
  CHECK(unknown.code == 1);
  CHECK(unknown.err.find("gizmos") != std::string::npos);
}

TEST_CASE("record: SIGKILL and a full disk leave a file that reads up to its last complete document") {
  Home home;
  home.create_cluster("crash");
  auto w = home.ktape("workload --cluster crash --seed 3 --operations 50 --rate 0");
  REQUIRE(w.code == 0);
  auto path = (home.path / "killed.yaml").string();
  auto recorder = home.start({"record", "--cluster", "crash", "--path", path});
  REQUIRE(eventually([&] { return slurp(recorder.err).find("Press Ctrl+C") != std::string::npos; }));
  auto more = home.ktape("workload --cluster crash --seed 4 --prefix more --operations 200 --rate 0");
  REQUIRE(more.code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // more than one flush interval
  recorder.signal(SIGKILL);
  CHECK(recorder.wait() == 128 + SIGKILL);
  auto killed = rebuild(path, plurals(home, "crash"));
  CHECK(killed.entries > 100);  // the snapshot and the events flushed before the kill

  auto full = (home.path / "full.yaml").string();
  auto limited = home.start({"record", "--cluster", "crash", "--path", full}, 64 * 1024);
  int code = limited.wait();
  auto err = slurp(limited.err);
  CHECK(code == 1);
  CHECK(err.find(full) != std::string::npos);
  auto partial = rebuild(full, plurals(home, "crash"));
  CHECK(partial.entries > 5);
}
