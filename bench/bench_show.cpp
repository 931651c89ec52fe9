// `ktape show` and `ktape verify` against the document reader's own speed, in one run
// (README: Performance: show and verify). The target: both read at >= 80% of the reader's MB/s.
//   build/bench/bench_show
// KTAPE_BENCH_SHOW_OBJECTS (4000) snapshot Pods and KTAPE_BENCH_SHOW_EVENTS (40000) events; smaller
// sizes make a profile (valgrind --tool=callgrind) quick, and KTAPE_BENCH_SHOW_ONLY=reader|show|verify
// runs only that read (a profile of one; the other figures are then 0). Beside the MB/s (wall time), each
// read's CPU seconds over all its threads: on a loaded machine they say more than the wall time.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>

#include "bench/server_process.hpp"
#include "formats/json.hpp"
#include "formats/reader.hpp"
#include "formats/writer.hpp"
#include "store/digest.hpp"
#include "store/show.hpp"
#include "store/verify.hpp"
#include "tests/support/recording_text.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using formats::Value;

namespace {

Value json(const std::string& text) {
  auto v = formats::parse_json(text);
  if (!v) std::abort();
  return *v;
}

// A Pod of about 1.5 KB of YAML, owned by its ReplicaSet.
Value pod(int i) {
  std::string name = "web-" + std::to_string(i);
  auto owner = test_support::owner_json("apps/v1", "ReplicaSet", "web", "uid-rs");
  return json(test_support::object_json(
      "v1", "Pod", "shop", name, "uid-" + name, owner,
      R"("spec":{"nodeName":"node-1","containers":[{"name":"web","image":"nginx:1.25.3","args":["--port=8080"],)"
      R"("ports":[{"containerPort":8080,"protocol":"TCP"}],"env":[{"name":"MODE","value":"production"}],)"
      R"("resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"cpu":"500m","memory":"512Mi"}}}],)"
      R"("tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute"}]},)"
      R"("status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True"}],"podIP":"10.0.0.)" +
          std::to_string(i % 250) + R"("})",
      R"({"app":"web","pod-template-hash":"7d4b9c8f6d"})"));
}

// A recording as ktape writes it: `objects` Pods in the snapshot, then for each of `events` / 4
// Pods a create and three status patches (phase, a condition, the IP), with a sidecar. About
// 40 MB of YAML at the defaults.
std::string write_recording(const test_support::TempDir& dir, int objects, int events) {
  auto path = dir.file("bench.yaml");
  formats::Header h;
  h.start_time = "2026-11-21T19:00:00.000000000Z";
  h.source = "bench";
  h.mode = "record";
  formats::WriterOptions wo;
  wo.path = path;
  auto w = formats::RecordingWriter::create(wo, h);
  if (!w) std::abort();
  if (!(*w)->write_object(json(test_support::object_json("apps/v1", "ReplicaSet", "shop", "web", "uid-rs"))))
    std::abort();
  for (int i = 0; i < objects; ++i)
    if (!(*w)->write_object(pod(i))) std::abort();
  for (int i = 0; i < events / 4; ++i) {
    std::int64_t t = std::int64_t{i} * 10'000'000;
    std::string name = "web-" + std::to_string(objects + i);
    auto event = [&](formats::Method m, std::int64_t at, Value v) {
      (*w)->add_event(formats::ResourcePatch{{"", "v1", "pods"}, name, "shop", at, m, std::move(v), false});
    };
    event(formats::Method::create, t, pod(objects + i));
    event(formats::Method::patch, t + 1, json(R"({"status":{"phase":"Running"}})"));
    event(formats::Method::patch, t + 2,
          json(R"({"status":{"$setElementOrder/conditions":[{"type":"PodScheduled"},{"type":"Ready"}],)"
               R"("conditions":[{"type":"Ready","status":"True"}]}})"));
    event(formats::Method::patch, t + 3, json(R"({"status":{"podIP":"10.1.0.9"}})"));
  }
  if (!(*w)->close() || !store::write_sidecar(path)) std::abort();
  return path;
}

// Wall seconds of `run`; its CPU seconds (every thread of the process) are added to `cpu_s`.
double seconds_of(double& cpu_s, const std::function<void()>& run) {
  auto start = std::chrono::steady_clock::now();
  double cpu0 = bench::self_cpu_ms();
  run();
  cpu_s += (bench::self_cpu_ms() - cpu0) / 1e3;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Each iteration reads the same file three ways, one after the other, so the three MB/s figures
// (and their ratios) come from the same run under the same machine load.
void BM_ShowVerifyVsReader(benchmark::State& state) {
  test_support::TempDir dir("ktape-bench");
  auto path = write_recording(dir, static_cast<int>(bench::env_size("KTAPE_BENCH_SHOW_OBJECTS", 4000)),
                              static_cast<int>(bench::env_size("KTAPE_BENCH_SHOW_EVENTS", 40000)));
  double bytes = 0, reader_s = 0, show_s = 0, verify_s = 0;
  double reader_cpu = 0, show_cpu = 0, verify_cpu = 0;
  std::size_t documents = 0;
  const char* only_env = std::getenv("KTAPE_BENCH_SHOW_ONLY");
  std::string only = only_env != nullptr ? only_env : "";
  auto timed = [&](const char* name, double& cpu_s, const std::function<void()>& run) {
    return only.empty() || only == name ? seconds_of(cpu_s, run) : 0.0;
  };
  for (auto _ : state) {
    reader_s += timed("reader", reader_cpu, [&] {
      auto reader = formats::DocumentReader::open(path);
      if (!reader) std::abort();
      while (true) {
        auto d = reader->next();
        if (!d || !*d) break;
        ++documents;
      }
      bytes = static_cast<double>(reader->raw_bytes_read());
    });
    show_s += timed("show", show_cpu, [&] {
      auto s = store::summarize_recording(path);
      if (!s || s->error) std::abort();
      benchmark::DoNotOptimize(s->events);
    });
    verify_s += timed("verify", verify_cpu, [&] {
      auto r = store::verify_recording(path);
      if (!r.ok() || !r.findings.empty()) state.SkipWithError("verify found problems");
    });
  }
  auto n = static_cast<double>(state.iterations());
  state.counters["MB"] = bytes / 1e6;
  state.counters["reader_MBps"] = bytes * n / reader_s / 1e6;
  state.counters["show_MBps"] = bytes * n / show_s / 1e6;
  state.counters["verify_MBps"] = bytes * n / verify_s / 1e6;
  state.counters["show_ratio"] = reader_s / show_s;
  state.counters["verify_ratio"] = reader_s / verify_s;
  state.counters["reader_cpu_s"] = reader_cpu / n;
  state.counters["show_cpu_s"] = show_cpu / n;
  state.counters["verify_cpu_s"] = verify_cpu / n;
}
BENCHMARK(BM_ShowVerifyVsReader)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
