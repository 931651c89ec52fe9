// replayer/ benchmarks: `ktape replay` through the replayer library (replayer::replay with a
// kube::Client, as the CLI calls it), into a fresh simulated cluster in a child process (forked
// before this process starts threads of its own), so that the server's CPU time is measured apart
// from the replayer's (server_cpu_ms; replay_cpu_ms is this process).
//  - BM_replay_snapshot: a snapshot of KTAPE_BENCH_REPLAY_OBJECTS objects (default 20,000:
//    namespaces, Deployments -> ReplicaSets -> Pods chained by ownerReferences, ConfigMaps;
//    generated here, written in shuffled order so that children come before their owners) replayed
//    with --speed 0 and the default --concurrency 8: objects/s, every ownerReference re-linked.
//    Then, into another fresh cluster, `kubectl create -f` of the first KTAPE_BENCH_KUBECTL_OBJECTS
//    (default: all of them, ~20 s) of the same objects in dependency order, ownerReferences
//    removed (kubectl does no re-linking): kubectl_objects_per_s and the ratio.
//  - BM_replay_timing/S: a KTAPE_BENCH_REPLAY_EVENTS-event recording (default 10,000 at 1,000
//    events/s: ConfigMap creates, patches and deletes, Deployment -> ReplicaSet -> Pod creates, Pod
//    status patches and deletes) replayed at speed S (1, 10, 100): lateness p50/p99/max (ms).
// KTAPE_BENCH_REPLAY_CONCURRENCY (default 8) sets --concurrency for both. About a minute in all.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "bench/server_process.hpp"
#include "formats/json.hpp"
#include "formats/recording.hpp"
#include "formats/yaml.hpp"
#include "kube/client.hpp"
#include "replayer/replayer.hpp"
#include "sim/server.hpp"

using namespace ktape;
namespace fs = std::filesystem;

namespace {

using bench::env_size;
using bench::self_cpu_ms;
using bench::ServerProcess;

fs::path bench_dir() {
  fs::path dir = fs::temp_directory_path() / ("ktape-bench-replay-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

formats::Value json(const std::string& text) { return *formats::parse_json(text); }

std::string owner(const char* api_version, const char* kind, const std::string& name,
                  const std::string& uid) {
  return R"([{"apiVersion":")" + std::string(api_version) + R"(","kind":")" + kind + R"(","name":")" + name +
         R"(","uid":")" + uid + R"(","controller":true,"blockOwnerDeletion":true}])";
}

const char* const k_pod_template =
    R"({"metadata":{"labels":{"app":"w"}},"spec":{"containers":[{"name":"app","image":"registry.example/app:1.2.3","ports":[{"containerPort":8080}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}}}]}})";

formats::Value deployment(const std::string& ns, const std::string& name, const std::string& uid) {
  return json(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")" + name + R"(","namespace":")" +
      ns + R"(","uid":")" + uid +
      R"(","labels":{"app":"w"}},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"w"}},"template":)" +
      k_pod_template + "}}");
}
formats::Value replica_set(const std::string& ns, const std::string& name, const std::string& uid,
                           const std::string& owner_name, const std::string& owner_uid) {
  return json(R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":")" + name +
              R"(","namespace":")" + ns + R"(","uid":")" + uid +
              R"(","labels":{"app":"w"},"ownerReferences":)" +
              owner("apps/v1", "Deployment", owner_name, owner_uid) +
              R"(},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"w"}},"template":)" +
              k_pod_template + R"(},"status":{"replicas":3,"readyReplicas":3}})");
}
formats::Value pod(const std::string& ns, const std::string& name, const std::string& uid,
                   const std::string& owner_name, const std::string& owner_uid) {
  return json(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name + R"(","namespace":")" + ns +
              R"(","uid":")" + uid + R"(","labels":{"app":"w"},"ownerReferences":)" +
              owner("apps/v1", "ReplicaSet", owner_name, owner_uid) + R"(},"spec":)" +
              formats::to_json(*json(k_pod_template).find("spec")) +
              R"(,"status":{"phase":"Running","podIP":"10.0.0.1"}})");
}
formats::Value config_map(const std::string& ns, const std::string& name, const std::string& uid) {
  return json(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name + R"(","namespace":")" +
              ns + R"(","uid":")" + uid + R"("},"data":{"config.yaml":"key: value\nother: 42\n"}})");
}

// `count` objects: 10 namespaces, each with ConfigMaps (a quarter) and Deployment -> ReplicaSet
// -> 3 Pods chains; in dependency order.
std::vector<formats::Value> snapshot_objects(std::size_t count) {
  std::vector<formats::Value> out;
  constexpr int k_namespaces = 10;
  std::size_t per_ns = count / k_namespaces;
  for (int n = 0; n < k_namespaces; ++n) {
    std::string ns = "bench-" + std::to_string(n);
    out.push_back(json(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" + ns +
                       R"(","uid":"ns-)" + std::to_string(n) + "\"}}"));
    std::size_t made = 1;
    for (std::size_t c = 0; made < per_ns / 4; ++c, ++made)
      out.push_back(config_map(ns, "cm-" + std::to_string(c), ns + "-cm-" + std::to_string(c)));
    for (std::size_t d = 0; made + 5 <= per_ns; ++d, made += 5) {
      std::string name = "web-" + std::to_string(d), uid = ns + "-d-" + std::to_string(d);
      out.push_back(deployment(ns, name, uid));
      out.push_back(replica_set(ns, name + "-5d9f", uid + "-rs", name, uid));
      for (int p = 0; p < 3; ++p)
        out.push_back(pod(ns, name + "-5d9f-" + std::to_string(p), uid + "-p" + std::to_string(p),
                          name + "-5d9f", uid + "-rs"));
    }
  }
  return out;
}

void write_docs(const fs::path& path, const std::vector<formats::Value>& docs) {
  std::ofstream out(path);
  for (const auto& doc : docs) out << "---\n" << formats::to_yaml(doc);
}

std::unique_ptr<kube::Client> client_for(const ServerProcess& server) {
  kube::RestConfig config;
  config.server = server.url();
  return std::move(*kube::Client::create(config));
}

void BM_replay_snapshot(benchmark::State& state) {
  std::size_t count = env_size("KTAPE_BENCH_REPLAY_OBJECTS", 20000);
  std::size_t kubectl_count = env_size("KTAPE_BENCH_KUBECTL_OBJECTS", count);
  fs::path dir = bench_dir();
  auto objects = snapshot_objects(count);
  {
    auto shuffled = objects;  // namespaces stay first; children may precede their owners
    std::mt19937 rng(42);
    std::shuffle(shuffled.begin() + 1, shuffled.end(), rng);
    write_docs(dir / "snapshot.yaml", shuffled);
  }
  {
    std::vector<formats::Value> plain(objects.begin(),
                                      objects.begin() + std::min(kubectl_count, objects.size()));
    for (auto& o : plain) {
      o["metadata"].erase("uid");
      o["metadata"].erase("ownerReferences");
    }
    write_docs(dir / "kubectl.yaml", plain);
  }
  for (auto _ : state) {
    double replay_s = 0, kubectl_s = 0, server_ms = 0, self_ms = 0;
    replayer::SummaryReport report;
    {
      ServerProcess server;
      auto client = client_for(server);
      replayer::ReplayOptions options;
      options.path = (dir / "snapshot.yaml").string();
      options.speed = 0;
      options.concurrency = static_cast<int>(env_size("KTAPE_BENCH_REPLAY_CONCURRENCY", 8));
      replayer::Controls controls;
      double cpu0 = self_cpu_ms(), server0 = server.cpu_ms();
      auto t0 = std::chrono::steady_clock::now();
      auto result = replayer::replay(*client, options, controls);
      replay_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      self_ms = self_cpu_ms() - cpu0;
      server_ms = server.cpu_ms() - server0;
      if (!result) {
        state.SkipWithError(result.error().message.c_str());
        return;
      }
      report = *result;
    }
    if (report.totals.created != objects.size() || report.totals.failed != 0) {
      state.SkipWithError(("created " + std::to_string(report.totals.created) + " of " +
                           std::to_string(objects.size()) + ", failed " +
                           std::to_string(report.totals.failed))
                              .c_str());
      return;
    }
    {
      ServerProcess server;
      std::ofstream(dir / "kubeconfig")
          << "apiVersion: v1\nkind: Config\nclusters:\n- name: s\n  cluster:\n"
          << "    server: " << server.url() << "\ncontexts:\n- name: s\n  context: {cluster: s, user: s}\n"
          << "current-context: s\nusers:\n- name: s\n  user: {}\n";
      auto t0 = std::chrono::steady_clock::now();
      std::string cmd = "/usr/bin/kubectl --kubeconfig " + (dir / "kubeconfig").string() + " --cache-dir " +
                        (dir / "cache").string() + " create -f " + (dir / "kubectl.yaml").string() +
                        " >/dev/null";
      if (std::system(cmd.c_str()) != 0) {
        state.SkipWithError("kubectl create -f failed");
        return;
      }
      kubectl_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    double rate = static_cast<double>(objects.size()) / replay_s;
    double kubectl_rate = static_cast<double>(std::min(kubectl_count, objects.size())) / kubectl_s;
    state.counters["objects"] = static_cast<double>(objects.size());
    state.counters["objects_per_s"] = rate;
    state.counters["relinked"] = static_cast<double>(report.relinked);
    state.counters["replay_wall_s"] = replay_s;
    state.counters["replay_cpu_ms"] = self_ms;
    state.counters["server_cpu_ms"] = server_ms;
    state.counters["kubectl_objects_per_s"] = kubectl_rate;
    state.counters["ratio_vs_kubectl"] = rate / kubectl_rate;
  }
  fs::remove_all(dir);
}
BENCHMARK(BM_replay_snapshot)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// A seeded event section: `events` events at `rate` per second in namespace "perf".
std::vector<formats::ResourcePatch> timed_events(std::size_t events, double rate, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<formats::ResourcePatch> out;
  std::vector<std::string> config_maps;
  struct Chain {
    std::string name, uid;
    int stage = 0;  // 0: Deployment created, 1: ReplicaSet created, 2+: Pods created
    std::vector<std::string> pods;
  };
  std::vector<Chain> chains;
  std::size_t serial = 0;
  auto add = [&](const char* group, const char* resource, const std::string& name, formats::Method method,
                 formats::Value body) {
    formats::ResourcePatch e;
    e.resource = {group, "v1", resource};
    e.namespace_name = "perf";
    e.name = name;
    e.method = method;
    e.duration_ns = static_cast<std::int64_t>(static_cast<double>(out.size()) * 1e9 / rate);
    e.template_value = std::move(body);
    out.push_back(std::move(e));
  };
  while (out.size() < events) {
    int roll = static_cast<int>(rng() % 100);
    std::string n = std::to_string(serial++);
    if (roll < 10 || chains.empty()) {
      chains.push_back({"d" + n, "u-d" + n, 0, {}});
      add("apps", "deployments", "d" + n, formats::Method::create, deployment("perf", "d" + n, "u-d" + n));
    } else if (roll < 55) {
      Chain& c = chains[rng() % chains.size()];
      if (c.stage == 0) {
        add("apps", "replicasets", c.name + "-rs", formats::Method::create,
            replica_set("perf", c.name + "-rs", c.uid + "-rs", c.name, c.uid));
        c.stage = 1;
      } else if (c.pods.size() < 3) {
        std::string p = c.name + "-rs-" + n;
        add("", "pods", p, formats::Method::create, pod("perf", p, "u-" + p, c.name + "-rs", c.uid + "-rs"));
        c.pods.push_back(p);
      } else if (roll < 50) {
        add("", "pods", c.pods[rng() % 3], formats::Method::patch,
            json(R"({"status":{"phase":"Running","podIP":"10.0.)" + std::to_string(rng() % 250) + ".1\"}}"));
      } else {
        std::size_t i = rng() % 3;
        add("", "pods", c.pods[i], formats::Method::remove, nullptr);
        c.pods.erase(c.pods.begin() + static_cast<std::ptrdiff_t>(i));
      }
    } else if (roll < 75 || config_maps.empty()) {
      config_maps.push_back("cm" + n);
      add("", "configmaps", "cm" + n, formats::Method::create, config_map("perf", "cm" + n, "u-cm" + n));
    } else if (roll < 92) {
      add("", "configmaps", config_maps[rng() % config_maps.size()], formats::Method::patch,
          json(R"({"data":{"n":")" + n + "\"}}"));
    } else {
      std::size_t i = rng() % config_maps.size();
      add("", "configmaps", config_maps[i], formats::Method::remove, nullptr);
      config_maps.erase(config_maps.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  return out;
}

void BM_replay_timing(benchmark::State& state) {
  double speed = static_cast<double>(state.range(0));
  std::size_t events = env_size("KTAPE_BENCH_REPLAY_EVENTS", 10000);
  fs::path dir = bench_dir();
  {
    std::ofstream out(dir / "events.yaml");
    out << "---\n"
        << formats::to_yaml(
               json(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"perf","uid":"u-perf"}})"));
    for (const auto& e : timed_events(events, 1000, 7))
      out << "---\n" << formats::to_yaml(formats::to_value(e));
  }
  for (auto _ : state) {
    ServerProcess server;
    auto client = client_for(server);
    replayer::ReplayOptions options;
    options.path = (dir / "events.yaml").string();
    options.speed = speed;
    options.concurrency = static_cast<int>(env_size("KTAPE_BENCH_REPLAY_CONCURRENCY", 8));
    replayer::Controls controls;
    double cpu0 = self_cpu_ms(), server0 = server.cpu_ms();
    auto result = replayer::replay(*client, options, controls);
    if (!result) {
      state.SkipWithError(result.error().message.c_str());
      return;
    }
    auto ms = [](std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e6; };
    state.counters["events"] = static_cast<double>(result->lateness.samples);
    state.counters["failed"] = static_cast<double>(result->totals.failed);
    state.counters["late_p50_ms"] = ms(result->lateness.p50);
    state.counters["late_p99_ms"] = ms(result->lateness.p99);
    state.counters["late_max_ms"] = ms(result->lateness.max);
    state.counters["replay_cpu_ms"] = self_cpu_ms() - cpu0;
    state.counters["server_cpu_ms"] = server.cpu_ms() - server0;
  }
  fs::remove_all(dir);
}
BENCHMARK(BM_replay_timing)
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
