// Patch throughput for the recorder's hot path: every update of an object becomes a two-way
// patch against the last recorded state, and replay applies it. The workload is a typical Pod
// status change (the kubelet marking a Pod ready: conditions and containerStatuses change).
//
// Run: build-NAME/bench/bench_patch --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "formats/json.hpp"
#include "formats/patch.hpp"

namespace {

using ktape::formats::Value;

// A Pod as the apiserver returns it (about 3 KB of JSON), Pending with its container starting.
constexpr const char* k_pending_pod =
    R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-7c9d8b6f5-x2x4q",
"generateName":"web-7c9d8b6f5-","namespace":"shop","uid":"1b6f1a2e-9c1d-4a51-8d59-0f0b2f5c7e11",
"resourceVersion":"48213","creationTimestamp":"2024-05-01T10:00:00Z","labels":{"app":"web","pod-template-hash":"7c9d8b6f5",
"tier":"frontend"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2024-05-01T09:59:00Z"},
"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7c9d8b6f5",
"uid":"6a0c3c1e-2b7f-4a8e-9f3d-1c2b3a4d5e6f","controller":true,"blockOwnerDeletion":true}]},
"spec":{"volumes":[{"name":"kube-api-access-abcde","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,
"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[
{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}},
{"name":"config","configMap":{"name":"web-config","defaultMode":420}}],
"containers":[{"name":"web","image":"registry.example.com/shop/web:1.42.0","ports":[{"name":"http","containerPort":8080,
"protocol":"TCP"},{"name":"metrics","containerPort":9090,"protocol":"TCP"}],"env":[{"name":"LOG_LEVEL","value":"info"},
{"name":"POD_NAME","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}},{"name":"CACHE_SIZE","value":"512"}],
"resources":{"limits":{"cpu":"1","memory":"512Mi"},"requests":{"cpu":"250m","memory":"256Mi"}},
"volumeMounts":[{"name":"config","mountPath":"/etc/web"},{"name":"kube-api-access-abcde","readOnly":true,
"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"readinessProbe":{"httpGet":{"path":"/healthz","port":8080,
"scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},
"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"},
{"name":"proxy","image":"registry.example.com/shop/proxy:2.1","ports":[{"containerPort":8443,"protocol":"TCP"}],
"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],
"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default",
"serviceAccount":"default","nodeName":"node-3","securityContext":{},"schedulerName":"default-scheduler",
"tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},
{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],
"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},
"status":{"phase":"Pending","conditions":[{"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,
"lastTransitionTime":"2024-05-01T10:00:02Z"},{"type":"Initialized","status":"True","lastProbeTime":null,
"lastTransitionTime":"2024-05-01T10:00:00Z"},{"type":"Ready","status":"False","lastProbeTime":null,
"lastTransitionTime":"2024-05-01T10:00:00Z","reason":"ContainersNotReady","message":"containers with unready status: [web proxy]"},
{"type":"ContainersReady","status":"False","lastProbeTime":null,"lastTransitionTime":"2024-05-01T10:00:00Z",
"reason":"ContainersNotReady","message":"containers with unready status: [web proxy]"},{"type":"PodScheduled","status":"True",
"lastProbeTime":null,"lastTransitionTime":"2024-05-01T10:00:00Z"}],"hostIP":"10.0.0.13","hostIPs":[{"ip":"10.0.0.13"}],
"podIP":"10.244.3.17","podIPs":[{"ip":"10.244.3.17"}],"startTime":"2024-05-01T10:00:00Z",
"containerStatuses":[{"name":"proxy","state":{"waiting":{"reason":"ContainerCreating"}},"lastState":{},"ready":false,
"restartCount":0,"image":"registry.example.com/shop/proxy:2.1","imageID":"","started":false},
{"name":"web","state":{"waiting":{"reason":"ContainerCreating"}},"lastState":{},"ready":false,"restartCount":0,
"image":"registry.example.com/shop/web:1.42.0","imageID":"","started":false}],"qosClass":"Burstable"}})";

Value parse(const char* text) {
  auto v = ktape::formats::parse_json(text);
  if (!v) std::abort();
  return *v;
}

// The same Pod once the kubelet saw both containers running and ready.
Value ready_pod(const Value& pending) {
  Value pod = pending;
  Value& status = pod["status"];
  status.set("phase", "Running");
  for (Value& c : status["conditions"].as_array()) {
    if (c.string_at({"type"}) != "Ready" && c.string_at({"type"}) != "ContainersReady") continue;
    c.set("status", "True");
    c.set("lastTransitionTime", "2024-05-01T10:00:07Z");
    c.erase("reason");
    c.erase("message");
  }
  for (Value& s : status["containerStatuses"].as_array()) {
    s.set("state", Value::object())["running"].set("startedAt", "2024-05-01T10:00:05Z");
    s.set("ready", true);
    s.set("started", true);
    s.set("imageID", "registry.example.com/shop@sha256:0123456789abcdef0123456789abcdef");
    s.set("containerID", "containerd://4f1e2d3c4b5a69788796a5b4c3d2e1f0");
  }
  return pod;
}

struct Workload {
  Value before = parse(k_pending_pod);
  Value after = ready_pod(before);
};

const Workload& workload() {
  static const Workload k_workload;
  return k_workload;
}

void bm_strategic_create(benchmark::State& state) {
  const Workload& w = workload();
  for (auto _ : state)
    benchmark::DoNotOptimize(ktape::formats::create_strategic_merge_patch(w.before, w.after));
}

void bm_strategic_apply(benchmark::State& state) {
  const Workload& w = workload();
  const Value patch = *ktape::formats::create_strategic_merge_patch(w.before, w.after);
  for (auto _ : state) benchmark::DoNotOptimize(ktape::formats::apply_strategic_merge_patch(w.before, patch));
}

void bm_strategic_create_apply(benchmark::State& state) {
  const Workload& w = workload();
  for (auto _ : state) {
    auto patch = ktape::formats::create_strategic_merge_patch(w.before, w.after);
    auto applied = ktape::formats::apply_strategic_merge_patch(w.before, *patch);
    if (!applied || *applied != w.after) state.SkipWithError("round trip failed");
    benchmark::DoNotOptimize(applied);
  }
}

void bm_merge_create_apply(benchmark::State& state) {
  const Workload& w = workload();
  for (auto _ : state) {
    Value patch = ktape::formats::create_merge_patch(w.before, w.after);
    Value applied = ktape::formats::apply_merge_patch(w.before, patch);
    benchmark::DoNotOptimize(applied);
  }
}

// The document copy that every apply makes, for scale.
void bm_copy_pod(benchmark::State& state) {
  const Workload& w = workload();
  for (auto _ : state) {
    Value copy = w.before;
    benchmark::DoNotOptimize(copy);
  }
}

}  // namespace

BENCHMARK(bm_strategic_create);
BENCHMARK(bm_strategic_apply);
BENCHMARK(bm_strategic_create_apply);
BENCHMARK(bm_merge_create_apply);
BENCHMARK(bm_copy_pod);

BENCHMARK_MAIN();
