// store benchmarks (issue 13), each printing its figure as a counter:
//  - BM_ls: `ls` of KTAPE_BENCH_LS_FILES (1000) finished recordings (half zstd), through
//    store::list_recordings: headers, sidecars and metas only. Goal: < 1 s.
//  - BM_diff_snapshots: store::diff_sides of two KTAPE_BENCH_DIFF_OBJECTS (100000)-object
//    snapshots (~600-byte ConfigMaps; B changes 1%, drops 1%, adds 1%). Goal: < 3 s.
//  - BM_diff_live_vs_kubectl: a KTAPE_BENCH_DIFF_LIVE_OBJECTS (20000)-object snapshot replayed into
//    a simulated cluster, then `ktape diff FILE --kubeconfig K` of all of it against `kubectl diff
//    -f` of the first KTAPE_BENCH_KUBECTL_DIFF_OBJECTS (2000; kubectl dry-runs one request per
//    object) as a List; objects per second of each, and the ratio. Goal: >= 10x.
// KTAPE_BIN (default: ../cli/ktape beside this program).
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "bench/server_process.hpp"
#include "formats/json.hpp"
#include "formats/writer.hpp"
#include "formats/yaml.hpp"
#include "kube/client.hpp"
#include "replayer/replayer.hpp"
#include "store/catalog.hpp"
#include "store/diff.hpp"
#include "store/digest.hpp"
#include "store/meta.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using bench::env_size;
using bench::ServerProcess;
namespace fs = std::filesystem;

namespace {

formats::Value config_map(std::size_t i, std::size_t version) {
  auto v = formats::parse_json(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-)" +
                               std::to_string(i) + R"(","namespace":"ns-)" + std::to_string(i % 20) +
                               R"(","labels":{"app":"a)" + std::to_string(i % 50) +
                               R"(","tier":"web"}},"data":{"version":")" + std::to_string(version) +
                               R"(","payload":")" + std::string(400, 'x') + R"("}})");
  return *v;
}

formats::Header header() {
  formats::Header h;
  h.start_time = "2026-12-01T10:00:00.000000000Z";
  h.source = "bench";
  h.mode = "snapshot";
  h.selection = formats::Value::object();
  return h;
}

// A finished snapshot of objects [0, n) where `version(i)` gives each object's data (0 = absent).
// The snapshot starts with the 20 namespaces when `namespaces` (a replay needs them).
template <typename Version>
void write_snapshot(const std::string& path, std::size_t n, Version version, bool namespaces = false) {
  formats::WriterOptions wo;
  wo.path = path;
  auto w = formats::RecordingWriter::create(wo, header());
  for (int i = 0; namespaces && i < 20; ++i)
    (void)(*w)->write_object(*formats::parse_json(
        R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns-)" + std::to_string(i) + R"("}})"));
  for (std::size_t i = 0; i < n; ++i)
    if (auto v = version(i); v > 0) (void)(*w)->write_object(config_map(i, v));
  (void)(*w)->close();
  (void)store::write_meta(path, store::RecordingMeta{n, 0, 0, 0, {}});
  (void)store::write_sidecar(path);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void BM_ls(benchmark::State& state) {
  test_support::TempDir dir("ktape-bench-ls");
  auto files = env_size("KTAPE_BENCH_LS_FILES", 1000);
  for (std::size_t i = 0; i < files; ++i)
    write_snapshot((dir.path() / ("rec-" + std::to_string(i) + (i % 2 ? ".yaml.zst" : ".yaml"))).string(), 20,
                   [](std::size_t) { return 1; });
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    double cpu0 = bench::self_cpu_ms();
    auto list = store::list_recordings(dir.path().string());
    state.counters["ls_s"] = seconds_since(t0);
    state.counters["ls_cpu_s"] = (bench::self_cpu_ms() - cpu0) / 1e3;
    if (!list || list->size() != files) state.SkipWithError("list_recordings failed");
  }
  state.counters["files"] = static_cast<double>(files);
}
BENCHMARK(BM_ls)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_diff_snapshots(benchmark::State& state) {
  test_support::TempDir dir("ktape-bench-diff");
  auto n = env_size("KTAPE_BENCH_DIFF_OBJECTS", 100000);
  auto a = (dir.path() / "a.yaml").string(), b = (dir.path() / "b.yaml").string();
  write_snapshot(a, n, [n](std::size_t i) { return i < n - n / 100 ? 1 : 0; });
  write_snapshot(b, n, [n](std::size_t i) { return i % 100 == 7 ? 0 : i % 100 == 3 ? 2 : 1; });
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    double cpu0 = bench::self_cpu_ms();
    auto entries = store::diff_sides({a, std::nullopt, nullptr, a}, {b, std::nullopt, nullptr, b});
    state.counters["diff_s"] = seconds_since(t0);
    // Both threads' CPU: on a loaded machine the wall time says more about the neighbours.
    state.counters["diff_cpu_s"] = (bench::self_cpu_ms() - cpu0) / 1e3;
    if (!entries)
      state.SkipWithError(entries.error().message.c_str());
    else
      state.counters["differences"] = static_cast<double>(entries->size());
  }
  state.counters["objects"] = static_cast<double>(n);
}
BENCHMARK(BM_diff_snapshots)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

std::string ktape_binary() {
  if (const char* v = std::getenv("KTAPE_BIN"); v && *v) return v;
  return (fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "cli" / "ktape").string();
}

void BM_diff_live_vs_kubectl(benchmark::State& state) {
  test_support::TempDir dir("ktape-bench-diff-live");
  auto n = env_size("KTAPE_BENCH_DIFF_LIVE_OBJECTS", 20000);
  auto k = std::min(n, env_size("KTAPE_BENCH_KUBECTL_DIFF_OBJECTS", 2000));
  auto snapshot = (dir.path() / "snapshot.yaml").string();
  write_snapshot(
      snapshot, n, [](std::size_t) { return 1; }, true);
  formats::Value list = *formats::parse_json(R"({"apiVersion":"v1","kind":"List","items":[]})");
  for (std::size_t i = 0; i < k; ++i) (*list.find("items")).push_back(config_map(i, 1));
  std::ofstream(dir.path() / "kubectl.yaml") << formats::to_yaml(list);
  ServerProcess server;
  kube::RestConfig config;
  config.server = server.url();
  auto client = std::move(*kube::Client::create(config));
  replayer::ReplayOptions options;
  options.path = snapshot;
  options.speed = 0;
  replayer::Controls controls;
  if (!replayer::replay(*client, options, controls)) return state.SkipWithError("replay failed");
  auto kubeconfig = dir.path() / "kubeconfig";
  std::ofstream(kubeconfig)
      << "apiVersion: v1\nkind: Config\nclusters:\n- name: s\n  cluster:\n    server: " << server.url()
      << "\ncontexts:\n- name: s\n  context: {cluster: s, user: s}\ncurrent-context: s\n"
         "users:\n- name: s\n  user: {}\n";
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    int rc = std::system((ktape_binary() + " diff " + snapshot + " --kubeconfig " + kubeconfig.string() +
                          " --resource configmaps -n 'ns-*' >/dev/null")
                             .c_str());
    double ktape_s = seconds_since(t0);
    if (WEXITSTATUS(rc) != 0) return state.SkipWithError("ktape diff found differences or failed");
    t0 = std::chrono::steady_clock::now();
    rc = std::system(("/usr/bin/kubectl --kubeconfig " + kubeconfig.string() + " --cache-dir " +
                      (dir.path() / "cache").string() + " diff -f " + (dir.path() / "kubectl.yaml").string() +
                      " >/dev/null 2>&1")
                         .c_str());
    double kubectl_s = seconds_since(t0);
    if (WEXITSTATUS(rc) > 1) return state.SkipWithError("kubectl diff failed");
    double rate = static_cast<double>(n) / ktape_s, kubectl_rate = static_cast<double>(k) / kubectl_s;
    state.counters["ktape_s"] = ktape_s;
    state.counters["ktape_objects_per_s"] = rate;
    state.counters["kubectl_s"] = kubectl_s;
    state.counters["kubectl_objects_per_s"] = kubectl_rate;
    state.counters["ratio_vs_kubectl"] = rate / kubectl_rate;
  }
}
BENCHMARK(BM_diff_live_vs_kubectl)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
