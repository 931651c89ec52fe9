// restore/ benchmark (issue 14): `ktape restore` of a KTAPE_BENCH_RESTORE_OBJECTS-object snapshot
// (default 20,000 ConfigMaps in 20 namespaces, generated here) into a simulated cluster (in a child
// process) that holds all of them with KTAPE_BENCH_RESTORE_DIFFER_PERCENT (default 10) changed,
// against `ktape replay --snapshot --on-existing update` of the same file into the same drifted
// cluster, in one run. Both through their libraries, as the CLI calls them, with the default
// --concurrency 8. Counters: restore_s (plan, pre-flight, apply), replay_update_s, speedup
// (replay / restore; the issue asks >= 5), the CPU each took (client and server: cpu_ratio is the
// speedup on a machine not shared with other work), the writes each made, and the final verify's
// count of objects still differing.
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "bench/server_process.hpp"
#include "formats/json.hpp"
#include "formats/writer.hpp"
#include "kube/client.hpp"
#include "replayer/replayer.hpp"
#include "restore/restore.hpp"
#include "store/digest.hpp"

using namespace ktape;
namespace fs = std::filesystem;

namespace {

using bench::env_size;
using bench::ServerProcess;

constexpr int k_namespaces = 20;

std::string configmap_name(std::size_t i) { return "cm-" + std::to_string(i); }
std::string namespace_of(std::size_t i) { return "ns-" + std::to_string(i % k_namespaces); }

// The snapshot as `ktape export` writes it: ktape's header, block YAML documents (the reader's
// fast path), and the .sha256 sidecar the pre-flight checks.
void write_snapshot(const fs::path& path, std::size_t count) {
  formats::Header header;
  header.start_time = "2026-12-01T10:00:00.000000000Z";
  header.source = "bench";
  header.mode = "snapshot";
  // As `ktape export --resource namespaces,configmaps` names what it recorded.
  header.selection = formats::Value::object();
  formats::Value recorded = formats::Value::array();
  recorded.push_back("namespaces");
  recorded.push_back("configmaps");
  header.selection.set("resources", std::move(recorded));
  formats::WriterOptions wo;
  wo.path = path.string();
  auto w = formats::RecordingWriter::create(wo, header);
  if (!w) std::abort();
  for (int n = 0; n < k_namespaces; ++n) {
    auto name = "ns-" + std::to_string(n);
    (void)(*w)->write_object(
        *formats::parse_json(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" + name +
                             R"(","uid":"u-)" + name + R"(","labels":{"kubernetes.io/metadata.name":")" +
                             name + R"("}},"spec":{"finalizers":["kubernetes"]}})"));
  }
  for (std::size_t i = 0; i < count; ++i)
    (void)(*w)->write_object(*formats::parse_json(
        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + configmap_name(i) +
        R"(","namespace":")" + namespace_of(i) + R"(","uid":"u-cm-)" + std::to_string(i) +
        R"(","labels":{"app":"bench"}},"data":{"index":")" + std::to_string(i) +
        R"(","payload":"abcdefghijklmnopqrstuvwxyz0123456789"}})"));
  if (!(*w)->close() || !store::write_sidecar(path.string())) std::abort();
}

std::unique_ptr<kube::Client> client_for(const ServerProcess& server) {
  kube::RestConfig config;
  config.server = server.url();
  return std::move(*kube::Client::create(config));
}

// Changes every `step`-th ConfigMap's data (a PUT each); returns how many.
std::size_t drift(kube::Client& client, std::size_t count, std::size_t step) {
  auto r = client.discover()->resolve("configmaps");
  std::size_t changed = 0;
  for (std::size_t i = 0; i < count; i += step) {
    auto object = client.get(*r, namespace_of(i), configmap_name(i));
    if (!object) continue;
    (*object)["data"].set("index", "drifted");
    if (client.update(*r, namespace_of(i), *object)) ++changed;
  }
  return changed;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void BM_restore_vs_replay_update(benchmark::State& state) {
  std::size_t count = env_size("KTAPE_BENCH_RESTORE_OBJECTS", 20000);
  std::size_t percent = std::max<std::size_t>(1, env_size("KTAPE_BENCH_RESTORE_DIFFER_PERCENT", 10));
  fs::path dir = fs::temp_directory_path() / ("ktape-bench-restore-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto path = (dir / "snapshot.yaml").string();
  write_snapshot(path, count);
  for (auto _ : state) {
    ServerProcess server;
    auto client = client_for(server);
    replayer::ReplayOptions load;
    load.path = path;
    load.snapshot_only = true;
    load.speed = 0;
    replayer::Controls controls;
    if (auto loaded = replayer::replay(*client, load, controls); !loaded || loaded->totals.failed != 0) {
      state.SkipWithError("loading the snapshot failed");
      break;
    }
    std::size_t drifted = drift(*client, count, 100 / percent);

    restore::RestoreOptions options;
    options.path = path;
    double cpu0 = bench::self_cpu_ms(), server0 = server.cpu_ms();
    auto t0 = std::chrono::steady_clock::now();
    auto plan = restore::make_plan(*client, options);
    if (!plan) {
      state.SkipWithError(plan.error().message.c_str());
      break;
    }
    double plan_s = seconds_since(t0);
    auto t1 = std::chrono::steady_clock::now();
    auto preflight = restore::check(*client, options, *plan);
    double preflight_s = seconds_since(t1);
    auto restored = restore::apply(*client, options, *plan);
    double restore_s = seconds_since(t0);
    double restore_cpu_ms = bench::self_cpu_ms() - cpu0, restore_server_ms = server.cpu_ms() - server0;
    auto after = restore::make_plan(*client, options);

    drift(*client, count, 100 / percent);
    replayer::ReplayOptions update = load;
    update.on_existing = replayer::OnExisting::update;
    cpu0 = bench::self_cpu_ms(), server0 = server.cpu_ms();
    t0 = std::chrono::steady_clock::now();
    auto replayed = replayer::replay(*client, update, controls);
    double replay_s = seconds_since(t0);
    double replay_cpu_ms = bench::self_cpu_ms() - cpu0, replay_server_ms = server.cpu_ms() - server0;
    if (!replayed) {
      state.SkipWithError(replayed.error().message.c_str());
      break;
    }
    state.counters["objects"] = static_cast<double>(count);
    state.counters["drifted"] = static_cast<double>(drifted);
    state.counters["restore_s"] = restore_s;
    state.counters["plan_s"] = plan_s;
    state.counters["plan_discover_s"] = plan->timings.discover.count();
    state.counters["plan_read_s"] = plan->timings.read.count();
    state.counters["plan_compare_s"] = plan->timings.compare.count();
    state.counters["preflight_s"] = preflight_s;
    state.counters["restore_writes"] = static_cast<double>(restored.totals.total() - restored.totals.skipped);
    state.counters["restore_failed"] = static_cast<double>(restored.totals.failed);
    state.counters["preflight_problems"] = static_cast<double>(preflight.problems.size());
    state.counters["left_after_restore"] = after ? static_cast<double>(after->writes()) : -1;
    state.counters["replay_update_s"] = replay_s;
    state.counters["replay_writes"] =
        static_cast<double>(replayed->totals.patched + replayed->totals.created);
    state.counters["speedup"] = replay_s / restore_s;
    // CPU (client + simulated server): what the wall-clock ratio becomes on a machine not shared.
    state.counters["restore_cpu_ms"] = restore_cpu_ms + restore_server_ms;
    state.counters["replay_cpu_ms"] = replay_cpu_ms + replay_server_ms;
    state.counters["cpu_ratio"] = (replay_cpu_ms + replay_server_ms) / (restore_cpu_ms + restore_server_ms);
  }
  fs::remove_all(dir);
}

}  // namespace

BENCHMARK(BM_restore_vs_replay_update)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

BENCHMARK_MAIN();
