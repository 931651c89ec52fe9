// `ktape record` end to end: a simulated cluster, the workload running while ktape records, then
// the recording's final state (snapshot + events applied with formats/) compared object by object
// with what kubectl lists from the cluster.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "formats/json.hpp"
#include "formats/recording.hpp"
#include "store/state.hpp"
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
  store::RecordedState state;
  std::size_t entries = 0;
  std::optional<Error> error;  // the reader's error after the last entry, if any
};

Replayed rebuild(const std::string& path, const std::map<std::string, std::string>& kinds) {
  Replayed out{std::nullopt, store::RecordedState([&](std::string_view av, std::string_view kind) {
                 auto it = kinds.find(std::string(av) + "/" + std::string(kind));
                 return it == kinds.end() ? store::guess_plural(kind) : it->second;
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
      auto key = store::RecordedState::key(item.string_at({"apiVersion"}), plural,
                                           item.string_at({"metadata", "namespace"}),
                                           item.string_at({"metadata", "name"}));
      out[key] = std::move(item);
    }
  }
  return out;
}

void compare(const std::map<std::string, Value>& recorded, const std::map<std::string, Value>& live,
             std::size_t at_least = 50) {
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
  CHECK(equal >= at_least);
}

// Returns the recorder's stderr (its summary).
std::string record_workload_and_compare(Home& home, const std::string& cluster,
                                        const std::string& extra_record_flags,
                                        const std::string& workload_flags = "--operations 400 --rate 0") {
  auto path = (home.path / "rec.yaml").string();
  std::vector<std::string> args{"record", "--cluster", cluster, "--path", path};
  if (!extra_record_flags.empty()) args.push_back(extra_record_flags);
  auto recorder = home.start(args);
  REQUIRE(eventually(
      [&] { return slurp(recorder.err).find("Press Ctrl+C to stop recording") != std::string::npos; }));
  auto w = home.ktape("workload --cluster " + cluster + " --seed 7 --namespaces 3 " + workload_flags);
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
  return err;
}

// The RELISTS column of the summary, summed.
std::uint64_t relists(const std::string& summary) {
  std::uint64_t total = 0;
  std::istringstream lines(summary);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    bool row = w.size() == 5 && std::all_of(w.begin() + 1, w.end(), [](const std::string& x) {
                 return x.find_first_not_of("0123456789") == std::string::npos;
               });
    if (row) total += std::stoull(w[3]);
  }
  return total;
}

}  // namespace

TEST_CASE("record: the recording's final state equals the cluster's, object by object") {
  Home home;
  home.create_cluster("rec");
  record_workload_and_compare(home, "rec", "");
}

TEST_CASE("record: watches closed every second, and an apiserver restart's 410s, lose nothing") {
  Home home;
  auto data = (home.path / "data").string();
  home.create_cluster("churn", "--data-dir " + data);
  auto path = (home.path / "rec.yaml").string();
  auto recorder = home.start({"record", "--cluster", "churn", "--path", path, "--watch-timeout=1s"});
  REQUIRE(eventually([&] { return slurp(recorder.err).find("Press Ctrl+C") != std::string::npos; }));
  auto w = home.ktape("workload --cluster churn --seed 11 --namespaces 2 --rate 250 --duration 3s");
  REQUIRE_MESSAGE(w.code == 0, w.err);

  // Restart the server on the same port from its saved state: the recorder's watches break, and
  // it comes back with resourceVersions older than the new server's history: 410, relist.
  auto dir = home.path / "clusters" / "churn";
  pid_t pid = std::stoi(slurp(dir / "pid"));
  std::string port = slurp(dir / "port");
  while (!port.empty() && (port.back() == '\n' || port.back() == ' ')) port.pop_back();
  ::kill(pid, SIGTERM);
  REQUIRE(eventually([&] { return ::kill(pid, 0) != 0; }));
  auto again = home.ktape("cluster create churn --data-dir " + data + " --port " + port);
  REQUIRE_MESSAGE(again.code == 0, again.err);
  // A change the recorder can only learn from its relist.
  auto gone = home.kubectl("churn", "delete configmap settings -n wl-0");
  CHECK_MESSAGE(gone.code == 0, gone.err);
  auto more =
      home.ktape("workload --cluster churn --seed 12 --prefix more --namespaces 1 --operations 100 --rate 0");
  REQUIRE_MESSAGE(more.code == 0, more.err);
  // Each resource's loop may still be in its backoff after the restart (800 ms doubling, up to
  // 30 s when the restart is slow on a loaded machine): stop once the flushed file holds the
  // cluster's state, or after a minute (then the comparison below says what is missing).
  auto kinds = plurals(home, "churn");
  eventually(
      [&] {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        auto now = rebuild(path, kinds);
        if (!now.header) return false;
        const auto& objects = now.state.objects();
        return objects == cluster_state(home, "churn", now.header->selection["resources"], objects);
      },
      std::chrono::seconds(60));
  recorder.signal(SIGINT);
  REQUIRE(recorder.wait() == 0);
  auto summary = slurp(recorder.err);
  INFO(summary);
  CHECK(relists(summary) > 0);

  auto replayed = rebuild(path, kinds);
  CHECK_FALSE(replayed.error);
  const auto& recorded = replayed.state.objects();
  CHECK(recorded.count(store::RecordedState::key("v1", "configmaps", "wl-0", "settings")) == 0);
  compare(recorded, cluster_state(home, "churn", replayed.header->selection["resources"], recorded));
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
  // An unfinished file gets no sidecar.
  CHECK_FALSE(fs::exists(path + ".sha256"));

  auto full = (home.path / "full.yaml").string();
  auto limited = home.start({"record", "--cluster", "crash", "--path", full}, 64 * 1024);
  int code = limited.wait();
  auto err = slurp(limited.err);
  CHECK(code == 1);
  CHECK(err.find(full) != std::string::npos);
  auto partial = rebuild(full, plurals(home, "crash"));
  CHECK(partial.entries > 5);
  CHECK_FALSE(fs::exists(full + ".sha256"));
}

TEST_CASE("record: SIGINT while listing leaves a complete file; snapshots compress and redact") {
  Home home;
  home.create_cluster("quick");
  auto w = home.ktape("workload --cluster quick --seed 5 --operations 20 --rate 0");
  REQUIRE(w.code == 0);
  auto path = (home.path / "early.yaml").string();
  auto recorder = home.start({"record", "--cluster", "quick", "--path", path});
  REQUIRE(eventually([&] { return slurp(recorder.err).find("Press Ctrl+C") != std::string::npos; }));
  recorder.signal(SIGINT);  // discovery and the lists are still under way
  CHECK(recorder.wait() == 0);
  auto early = rebuild(path, plurals(home, "quick"));
  CHECK_FALSE(early.error);
  REQUIRE(early.header);
  auto verify = home.run("cd " + home.path.string() + " && sha256sum -c early.yaml.sha256");
  CHECK(verify.code == 0);

  for (auto ext : {".yaml.gz", ".yaml.zst"}) {
    auto zpath = (home.path / (std::string("snap") + ext)).string();
    auto snap = home.ktape("record --snapshot --redact-secrets --cluster quick --path " + zpath);
    REQUIRE_MESSAGE(snap.code == 0, snap.err);
    auto raw = slurp(zpath);
    CHECK(raw.find("apiVersion") == std::string::npos);  // compressed on disk
    auto replayed = rebuild(zpath, plurals(home, "quick"));
    CHECK_FALSE(replayed.error);
    CHECK(replayed.header->mode == "snapshot");
    std::size_t secrets = 0;
    for (const auto& [key, object] : replayed.state.objects()) {
      if (object.string_at({"kind"}) != "Secret") continue;
      ++secrets;
      // The workload's secret values never reach the file.
      CHECK(formats::to_json(object).find("YWJjZGVm") == std::string::npos);
    }
    CHECK(secrets == 2);  // the workload's two namespaces have one Secret each
  }
}

TEST_CASE("export: a snapshot through a kubeconfig by default, and --record keeps watching") {
  Home home;
  home.create_cluster("ext");
  auto w = home.ktape("workload --cluster ext --seed 9 --operations 30 --rate 0");
  REQUIRE_MESSAGE(w.code == 0, w.err);
  auto snap = (home.path / "ext.yaml").string();
  auto r = home.ktape("export --kubeconfig " + home.kubeconfig("ext") + " --context ext --path " + snap);
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.err.find("context ext") != std::string::npos);
  auto kinds = plurals(home, "ext");
  auto snapshot = rebuild(snap, kinds);
  CHECK_FALSE(snapshot.error);
  REQUIRE(snapshot.header);
  CHECK(snapshot.header->mode == "snapshot");
  CHECK(snapshot.header->server_version.rfind("v1.32", 0) == 0);
  const auto& objects = snapshot.state.objects();
  compare(objects, cluster_state(home, "ext", snapshot.header->selection["resources"], objects), 20);

  auto rec = (home.path / "ext-rec.yaml").string();
  ::setenv("KUBECONFIG", home.kubeconfig("ext").c_str(), 1);
  auto recorder = home.start({"export", "--record", "--duration", "3s", "--path", rec, "-n", "wl-*"});
  REQUIRE(eventually([&] { return slurp(recorder.err).find("Press Ctrl+C") != std::string::npos; }));
  auto more =
      home.ktape("workload --cluster ext --seed 10 --prefix wl-more --namespaces 1 --operations 30 --rate 0");
  ::unsetenv("KUBECONFIG");
  REQUIRE(more.code == 0);
  CHECK(recorder.wait() == 0);
  auto recorded = rebuild(rec, kinds);
  CHECK_FALSE(recorded.error);
  REQUIRE(recorded.header);
  CHECK(recorded.header->mode == "record");
  std::size_t events_in_more = 0;
  for (const auto& [key, object] : recorded.state.objects()) {
    auto ns = std::string(object.string_at({"metadata", "namespace"}));
    auto name = std::string(object.string_at({"metadata", "name"}));
    bool selected =
        ns.rfind("wl-", 0) == 0 || (object.string_at({"kind"}) == "Namespace" && name.rfind("wl-", 0) == 0);
    bool cluster_scoped = ns.empty() && object.string_at({"kind"}) != "Namespace";
    CHECK_MESSAGE((selected || cluster_scoped), "outside -n wl-*: " << key);
    events_in_more += ns.rfind("wl-more", 0) == 0;
  }
  CHECK(events_in_more > 5);
}
