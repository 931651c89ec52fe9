// kube/ benchmarks.
//  - BM_watch_decode: WATCH events of ~3 KB pods decoded from one stream (kube::WatchStream over an
//    in-memory transfer that hands the body over in 64 KiB chunks, as curl does): events/s, MB/s.
//  - BM_list_pods_sim / BM_kubectl_get_pods: LIST every pod of a simulated cluster in pages of 500
//    with kube::Client, and `kubectl get pods -A -o json` on the same server in the same run.
//    KTAPE_BENCH_PODS sets the pod count (default 20000).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "formats/json.hpp"
#include "kube/client.hpp"
#include "kube/transport.hpp"
#include "sim/server.hpp"

namespace {

using namespace ktape;
using formats::Value;

// A pod of about 3 KB, shaped like what a Deployment's ReplicaSet makes.
Value make_pod(int i) {
  std::string name = "web-7d4b9c8f6d-" + std::to_string(100000 + i);
  std::string json =
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
      R"(","namespace":"bench","labels":{"app":"web","pod-template-hash":"7d4b9c8f6d","tier":"frontend"},)"
      R"("annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-21T19:00:00Z","note":")" +
      std::string(900, 'n') +
      R"("},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d4b9c8f6d",)"
      R"("uid":"0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0","controller":true,"blockOwnerDeletion":true}]},)"
      R"("spec":{"containers":[{"name":"web","image":"registry.example.com/web:1.2.3",)"
      R"("ports":[{"containerPort":8080,"protocol":"TCP"}],"env":[)";
  for (int e = 0; e < 12; ++e) {
    json += (e ? "," : "") + std::string(R"({"name":"SETTING_)") + std::to_string(e) + R"(","value":")" +
            std::string(40, 'v') + R"("})";
  }
  json +=
      R"(],"resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"cpu":"500m","memory":"256Mi"}},)"
      R"("volumeMounts":[{"name":"kube-api-access","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount",)"
      R"("readOnly":true}]}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,)"
      R"("dnsPolicy":"ClusterFirst","serviceAccountName":"default","nodeName":"node-1"},)"
      R"("status":{"phase":"Running","podIP":"10.0.0.1","hostIP":"192.168.0.1","startTime":"2026-11-21T19:00:01Z",)"
      R"("conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-11-21T19:00:05Z"}]}})";
  auto pod = formats::parse_json(json);
  return pod ? *pod : Value();
}

// Hands a prepared body over in chunks, as the curl transport does.
class MemoryTransfer final : public kube::Transfer {
 public:
  explicit MemoryTransfer(const std::string& body) : m_body(body) {}
  Result<kube::HttpResponse> wait_headers() override {
    kube::HttpResponse response;
    response.status = 200;
    return response;
  }
  Result<bool> read(std::string& out) override {
    if (m_at >= m_body.size()) return false;
    std::size_t n = std::min<std::size_t>(64 * 1024, m_body.size() - m_at);
    out.append(m_body, m_at, n);
    m_at += n;
    return true;
  }
  void cancel() override {}

 private:
  const std::string& m_body;
  std::size_t m_at = 0;
};

void BM_watch_decode(benchmark::State& state) {
  const int events = 20000;
  std::string body;
  for (int i = 0; i < events; ++i) {
    Value pod = make_pod(i);
    pod["metadata"].set("resourceVersion", std::to_string(1000 + i));
    body += R"({"type":"MODIFIED","object":)" + formats::to_json(pod) + "}\n";
  }
  std::int64_t decoded = 0;
  for (auto _ : state) {
    kube::WatchStream stream(std::make_shared<MemoryTransfer>(body), "watch bench", {});
    while (true) {
      auto next = stream.next();
      if (!next || !*next) break;
      benchmark::DoNotOptimize((*next)->object);
      ++decoded;
    }
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(decoded), benchmark::Counter::kIsRate);
  state.counters["bytes/event"] = static_cast<double>(body.size()) / events;
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_watch_decode)->Unit(benchmark::kMillisecond)->MinTime(2.0);

struct SimCluster {
  std::unique_ptr<sim::Server> server;
  std::unique_ptr<kube::Client> client;
  kube::ApiResource pods;
  std::string kubeconfig;
  int count = 0;
};

// One simulated cluster per process, filled once: creating the pods is not what is measured.
SimCluster& sim_cluster() {
  static SimCluster cluster = [] {
    SimCluster c;
    const char* env = std::getenv("KTAPE_BENCH_PODS");
    c.count = env ? std::atoi(env) : 20000;
    sim::ServerOptions options;
    options.garbage_collector = false;  // the pods name a ReplicaSet that does not exist
    c.server = std::move(*sim::Server::start(options));
    kube::RestConfig config;
    config.server = c.server->url();
    c.client = std::move(*kube::Client::create(config));
    auto discovery = c.client->discover();
    c.pods = *discovery->resolve("pods");
    auto ns = formats::parse_json(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}})");
    (void)c.client->create(*discovery->resolve("namespaces"), "", *ns);
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&c, w] {
        for (int i = w; i < c.count; i += 4) {
          auto created = c.client->create(c.pods, "bench", make_pod(i));
          if (!created && i < 4) std::fprintf(stderr, "create failed: %s\n", created.error().message.c_str());
        }
      });
    }
    for (auto& t : writers) t.join();
    c.kubeconfig = (std::filesystem::temp_directory_path() / "ktape-bench-kube.kubeconfig").string();
    std::ofstream(c.kubeconfig)
        << "apiVersion: v1\nkind: Config\ncurrent-context: sim\nclusters:\n- name: sim\n"
           "  cluster:\n    server: "
        << c.server->url()
        << "\nusers:\n- name: sim\n  user: {}\ncontexts:\n- name: sim\n"
           "  context: {cluster: sim, user: sim}\n";
    return c;
  }();
  return cluster;
}

void BM_list_pods_sim(benchmark::State& state) {
  SimCluster& c = sim_cluster();
  std::int64_t objects = 0;
  for (auto _ : state) {
    kube::ListOptions options;
    options.limit = 500;
    auto pager = c.client->list(c.pods, options);
    while (true) {
      auto page = pager.next();
      if (!page) {
        state.SkipWithError(page.error().message.c_str());
        return;
      }
      if (!*page) break;
      objects += static_cast<std::int64_t>((*page)->items.size());
    }
  }
  state.counters["objects/s"] = benchmark::Counter(static_cast<double>(objects), benchmark::Counter::kIsRate);
  state.counters["pods"] = c.count;
}
BENCHMARK(BM_list_pods_sim)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_kubectl_get_pods(benchmark::State& state) {
  SimCluster& c = sim_cluster();
  const std::string command = "kubectl --kubeconfig " + c.kubeconfig + " get pods -A -o json > /dev/null";
  std::int64_t objects = 0;
  for (auto _ : state) {
    if (std::system(command.c_str()) != 0) {
      state.SkipWithError("kubectl failed");
      return;
    }
    objects += c.count;
  }
  state.counters["objects/s"] = benchmark::Counter(static_cast<double>(objects), benchmark::Counter::kIsRate);
  state.counters["pods"] = c.count;
}
BENCHMARK(BM_kubectl_get_pods)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
