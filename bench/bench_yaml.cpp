// YAML emitter and recording reader throughput (README: Performance: formats).
//   build-release/bench/bench_yaml --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include "formats/compress.hpp"
#include "formats/json.hpp"
#include "formats/reader.hpp"
#include "formats/yaml.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape::formats;

namespace {

// A scheduled, running Pod as the apiserver returns it (about 3 KB of JSON).
constexpr const char* k_pod = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-7d4b9c8f6d-x2k9p",
"generateName":"web-7d4b9c8f6d-","namespace":"default","uid":"3f1c2a4e-9b7d-4e2a-8f1c-2a4e9b7d4e2a",
"creationTimestamp":"2024-05-01T12:00:00Z","labels":{"app":"web","pod-template-hash":"7d4b9c8f6d"},
"annotations":{"kubectl.kubernetes.io/restartedAt":"2024-05-01T11:59:00Z"},"ownerReferences":[{
"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d4b9c8f6d","uid":"9b7d4e2a-3f1c-2a4e-8f1c-4e2a9b7d3f1c",
"controller":true,"blockOwnerDeletion":true}]},"spec":{"containers":[{"name":"web","image":"nginx:1.25.3",
"args":["--port=8080","--verbose"],"ports":[{"containerPort":8080,"protocol":"TCP","name":"http"}],
"env":[{"name":"MODE","value":"production"},{"name":"REPLICAS","value":"3"}],"resources":{"requests":{
"cpu":"100m","memory":"128Mi"},"limits":{"cpu":"500m","memory":"512Mi"}},"volumeMounts":[{
"name":"kube-api-access-abcde","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","readOnly":true}],
"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],
"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst",
"serviceAccountName":"default","nodeName":"node-1","securityContext":{},"schedulerName":"default-scheduler",
"tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute",
"tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute",
"tolerationSeconds":300}],"volumes":[{"name":"kube-api-access-abcde","projected":{"defaultMode":420,"sources":[
{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt",
"items":[{"key":"ca.crt","path":"ca.crt"}]}}]}}]},"status":{"phase":"Running","conditions":[{"type":"Initialized",
"status":"True","lastTransitionTime":"2024-05-01T12:00:00Z"},{"type":"Ready","status":"True",
"lastTransitionTime":"2024-05-01T12:00:05Z"},{"type":"ContainersReady","status":"True",
"lastTransitionTime":"2024-05-01T12:00:05Z"},{"type":"PodScheduled","status":"True",
"lastTransitionTime":"2024-05-01T12:00:00Z"}],"hostIP":"10.0.0.1","podIP":"10.244.1.5","podIPs":[{
"ip":"10.244.1.5"}],"startTime":"2024-05-01T12:00:00Z","containerStatuses":[{"name":"web","state":{"running":{
"startedAt":"2024-05-01T12:00:04Z"}},"lastState":{},"ready":true,"restartCount":0,
"image":"docker.io/library/nginx:1.25.3","imageID":"docker.io/library/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
"containerID":"containerd://0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","started":true}],
"qosClass":"Burstable"}})";

// 64 Pods that differ in name and a few values, so nothing is cached between iterations.
std::vector<Value> pods() {
  auto base = parse_json(k_pod);
  std::vector<Value> out;
  for (int i = 0; i < 64; ++i) {
    Value v = *base;
    v["metadata"].set("name", "web-7d4b9c8f6d-" + std::to_string(10000 + i));
    v["spec"].set("nodeName", "node-" + std::to_string(i % 7));
    v["status"].set("podIP", "10.244." + std::to_string(i % 7) + "." + std::to_string(i));
    out.push_back(std::move(v));
  }
  return out;
}

// A recording: `count` Pod documents, as ktape writes them.
std::string recording(std::size_t count) {
  auto objects = pods();
  std::string text = "# ktape: {\"formatVersion\":1}\n";
  for (std::size_t i = 0; i < count; ++i) {
    Value& pod = objects[i % objects.size()];
    pod["metadata"].set("name", "web-7d4b9c8f6d-" + std::to_string(100000 + i));
    pod["metadata"].set("uid", "3f1c2a4e-9b7d-4e2a-8f1c-" + std::to_string(200000000000 + i * 7919));
    text += "---\n";
    append_yaml(text, pod);
  }
  return text;
}

// The recording compressed with ktape's own sink (through a temporary file).
std::string compressed(const std::string& text, Compression c) {
  ktape::test_support::TempDir dir("ktape-bench");
  auto path = dir.file("compressed");
  auto sink = open_sink(path, c, Overwrite::yes);
  if (!sink || !(*sink)->write(text) || !(*sink)->close()) std::abort();
  return ktape::test_support::read_file(path);
}

void BM_ToYaml(benchmark::State& state) {
  auto objects = pods();
  std::string out;
  std::size_t bytes = 0, i = 0;
  for (auto _ : state) {
    out.clear();
    append_yaml(out, objects[i++ % objects.size()]);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
  state.counters["yaml_bytes"] = static_cast<double>(to_yaml(objects[0]).size());
}
BENCHMARK(BM_ToYaml);

void BM_ParseYaml(benchmark::State& state) {
  std::string text = to_yaml(pods()[0]);
  for (auto _ : state) {
    auto v = parse_yaml(text);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(text.size() * state.iterations()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseYaml);

// The same document through yaml-cpp only: what the fast path saves.
void BM_ParseYamlFlowStyle(benchmark::State& state) {
  std::string text = to_json(pods()[0]);  // JSON is YAML that the fast path declines
  for (auto _ : state) {
    auto v = parse_yaml(text);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(text.size() * state.iterations()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseYamlFlowStyle);

void read_recording(benchmark::State& state, Compression c) {
  std::string text = recording(4000);  // about 11 MB of YAML
  std::string bytes = c == Compression::none ? text : compressed(text, c);
  std::size_t documents = 0;
  for (auto _ : state) {
    DocumentReader reader(memory_source(bytes), "bench.yaml");
    while (true) {
      auto d = reader.next();
      if (!d || !*d) break;
      ++documents;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(text.size() * state.iterations()));
  state.SetItemsProcessed(static_cast<std::int64_t>(documents));
  state.counters["compressed_bytes"] = static_cast<double>(bytes.size());
}

void BM_ReadRecording(benchmark::State& state) { read_recording(state, Compression::none); }
void BM_ReadRecordingGzip(benchmark::State& state) { read_recording(state, Compression::gzip); }
void BM_ReadRecordingZstd(benchmark::State& state) { read_recording(state, Compression::zstd); }
BENCHMARK(BM_ReadRecording)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadRecordingGzip)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadRecordingZstd)->Unit(benchmark::kMillisecond);

// Writing a recording through a compressing sink (to /dev/null: the compressor's cost only).
void write_recording(benchmark::State& state, Compression c) {
  std::string text = recording(1000);
  for (auto _ : state) {
    auto sink = open_sink("/dev/null", c, Overwrite::yes);
    if (!sink || !(*sink)->write(text) || !(*sink)->close()) state.SkipWithError("sink failed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(text.size() * state.iterations()));
}
void BM_WriteGzip(benchmark::State& state) { write_recording(state, Compression::gzip); }
void BM_WriteZstd(benchmark::State& state) { write_recording(state, Compression::zstd); }
BENCHMARK(BM_WriteGzip)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WriteZstd)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
