// sim/ benchmarks: the simulated cluster under the loads of issue 3, over real HTTP on loopback.
//  - BM_sim_create_16_clients: 16 keep-alive clients create ~3 KB pods; objects/s.
//  - BM_sim_list_pages_500: LIST every pod in pages of 500 (limit/continue); the server's resident
//    memory growth for the pods is reported as rss_mb.
//  - BM_sim_watch_fanout: W watchers while writes arrive at 2,000/s; every watcher must get every
//    event; latency p50/p99 from write to delivery (ms).
//  - BM_kubectl_create: the same pods through `kubectl create -f` (one multi-document file).
// KTAPE_BENCH_PODS (default 20000), KTAPE_BENCH_WATCHERS (default 200) scale them up.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "sim/server.hpp"

namespace {

using namespace ktape;
namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v ? static_cast<std::size_t>(std::atoll(v)) : fallback;
}

// A pod of about 3 KB; `data` lands in an annotation (the watch benchmark puts a timestamp there).
std::string pod_json(const std::string& name, const std::string& stamp = "0") {
  std::string env;
  for (int e = 0; e < 12; ++e)
    env += (e ? "," : "") + std::string(R"({"name":"SETTING_)") + std::to_string(e) + R"(","value":")" +
           std::string(40, 'v') + R"("})";
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
         R"(","labels":{"app":"web","pod-template-hash":"7d4b9c8f6d"},"annotations":{"t":")" + stamp +
         R"(","note":")" + std::string(1200, 'n') +
         R"("}},"spec":{"containers":[{"name":"web","image":"registry.example.com/web:1.2.3","env":[)" + env +
         R"(],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}}}],"restartPolicy":"Always",)"
         R"("nodeName":"node-1","serviceAccountName":"default"}})";
}

// One keep-alive HTTP/1.1 connection.
class Client {
 public:
  explicit Client(std::uint16_t port) : m_socket(m_ioc) {
    m_socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    m_socket.set_option(tcp::no_delay(true));
  }
  http::response<http::string_body> request(http::verb verb, const std::string& target,
                                            std::string body = {}) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(m_socket, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ULL << 32);
    http::read(m_socket, m_buffer, parser);
    return parser.release();
  }
  tcp::socket& socket() { return m_socket; }

 private:
  net::io_context m_ioc;
  tcp::socket m_socket;
  boost::beast::flat_buffer m_buffer;
};

std::unique_ptr<sim::Server> start_server(std::size_t history = 100000) {
  sim::ServerOptions options;
  options.watch_history = history;
  auto server = sim::Server::start(options);
  if (!server) std::abort();
  auto s = std::move(*server);
  Client(s->port()).request(http::verb::post, "/api/v1/namespaces",
                            R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}})");
  return s;
}

// CPU time of the whole process (server and client threads), in milliseconds.
double process_cpu_ms() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

std::size_t rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) return static_cast<std::size_t>(std::atoll(line.c_str() + 6));
  }
  return 0;
}

void create_pods(std::uint16_t port, std::size_t count, unsigned clients, const std::string& prefix) {
  std::vector<std::thread> threads;
  for (unsigned c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Client client(port);
      for (std::size_t i = c; i < count; i += clients)
        client.request(http::verb::post, "/api/v1/namespaces/bench/pods",
                       pod_json(prefix + std::to_string(i)));
    });
  }
  for (auto& t : threads) t.join();
}

void BM_sim_create_16_clients(benchmark::State& state) {
  std::size_t count = env_size("KTAPE_BENCH_PODS", 20000);
  for (auto _ : state) {
    auto server = start_server();
    auto start = Clock::now();
    double cpu_start = process_cpu_ms();
    create_pods(server->port(), count, 16, "p");
    state.counters["process_cpu_ms"] = process_cpu_ms() - cpu_start;
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    state.SetIterationTime(seconds);
    state.counters["objects_per_s"] = static_cast<double>(count) / seconds;
    if (server->object_count() < count) state.SkipWithError("not every pod was created");
  }
}
BENCHMARK(BM_sim_create_16_clients)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_sim_list_pages_500(benchmark::State& state) {
  std::size_t count = env_size("KTAPE_BENCH_PODS", 20000);
  std::size_t before = rss_kb();
  auto server = start_server();
  create_pods(server->port(), count, 16, "p");
  state.counters["rss_mb"] = static_cast<double>(rss_kb() - before) / 1024.0;
  double cpu = 0;
  for (auto _ : state) {
    double cpu_start = process_cpu_ms();
    Client client(server->port());
    std::string token;
    std::size_t bytes = 0;
    do {
      auto res = client.request(http::verb::get,
                                "/api/v1/pods?limit=500" + (token.empty() ? "" : "&continue=" + token));
      bytes += res.body().size();
      auto at = res.body().find("\"continue\":\"");
      token =
          at == std::string::npos ? "" : res.body().substr(at + 12, res.body().find('"', at + 12) - at - 12);
    } while (!token.empty());
    state.counters["MB"] = static_cast<double>(bytes) / 1e6;
    cpu += process_cpu_ms() - cpu_start;
  }
  state.counters["process_cpu_ms"] = cpu / static_cast<double>(state.iterations());
}
BENCHMARK(BM_sim_list_pages_500)->Iterations(3)->Unit(benchmark::kMillisecond);

// Reads one watch stream, recording for each event the delay since the stamp in its annotation.
void watch_reader(std::uint16_t port, std::size_t expected, std::vector<double>& latencies_ms,
                  std::atomic<std::size_t>& ready) {
  Client client(port);
  // From an early resourceVersion: no synthetic ADDED events, only the pods written from now on.
  std::string req =
      "GET /api/v1/namespaces/bench/pods?watch=1&resourceVersion=2&timeoutSeconds=60 HTTP/1.1\r\nHost: "
      "x\r\n\r\n";
  net::write(client.socket(), net::buffer(req));
  ready++;
  std::string pending;
  char buf[65536];
  std::size_t seen = 0;
  boost::system::error_code ec;
  while (seen < expected) {
    std::size_t n = client.socket().read_some(net::buffer(buf), ec);
    if (ec) break;
    auto now = Clock::now().time_since_epoch().count();
    pending.append(buf, n);
    std::size_t at = 0, consumed = 0;
    while ((at = pending.find("\"t\":\"", at)) != std::string::npos) {
      std::size_t end = pending.find('"', at + 5);
      if (end == std::string::npos) break;
      long long stamp = std::atoll(pending.c_str() + at + 5);
      if (stamp > 0) {
        latencies_ms.push_back(static_cast<double>(now - stamp) / 1e6);
        ++seen;
      }
      at = consumed = end;
    }
    pending.erase(0, consumed);
  }
}

void BM_sim_watch_fanout(benchmark::State& state) {
  std::size_t watchers = env_size("KTAPE_BENCH_WATCHERS", 200);
  const std::size_t writes = 4000;  // two seconds at 2,000 writes/s
  for (auto _ : state) {
    auto server = start_server();
    std::vector<std::vector<double>> latencies(watchers);
    std::atomic<std::size_t> ready{0};
    std::vector<std::thread> readers;
    for (std::size_t w = 0; w < watchers; ++w)
      readers.emplace_back([&, w] { watch_reader(server->port(), writes, latencies[w], ready); });
    while (ready < watchers) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::vector<std::thread> writers;
    for (int c = 0; c < 4; ++c) {
      writers.emplace_back([&, c] {
        Client client(server->port());
        auto start = Clock::now();
        for (std::size_t i = c; i < writes; i += 4) {
          std::this_thread::sleep_until(start + std::chrono::microseconds(500 * (i - c)));
          client.request(
              http::verb::post, "/api/v1/namespaces/bench/pods",
              pod_json("w" + std::to_string(i), std::to_string(Clock::now().time_since_epoch().count())));
        }
      });
    }
    for (auto& t : writers) t.join();
    for (auto& t : readers) t.join();
    std::vector<double> all;
    std::size_t complete = 0;
    for (auto& l : latencies) {
      complete += l.size() == writes;
      all.insert(all.end(), l.begin(), l.end());
    }
    std::sort(all.begin(), all.end());
    state.counters["watchers_complete"] = static_cast<double>(complete);
    state.counters["p50_ms"] = all.empty() ? 0 : all[all.size() / 2];
    state.counters["p99_ms"] = all.empty() ? 0 : all[all.size() * 99 / 100];
    if (complete != watchers) state.SkipWithError("a watcher missed events");
  }
}
BENCHMARK(BM_sim_watch_fanout)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_kubectl_create(benchmark::State& state) {
  std::size_t count = std::min<std::size_t>(env_size("KTAPE_BENCH_PODS", 20000), 5000);
  auto dir = std::filesystem::temp_directory_path() / ("ktape-bench-sim-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (auto _ : state) {
    auto server = start_server();
    std::ofstream(dir / "kubeconfig")
        << "apiVersion: v1\nkind: Config\nclusters:\n- name: s\n  cluster:\n    server: " << server->url()
        << "\ncontexts:\n- name: s\n  context: {cluster: s, user: s}\n"
        << "current-context: s\nusers:\n- name: s\n  user: {}\n";
    {
      std::ofstream out(dir / "pods.json");
      for (std::size_t i = 0; i < count; ++i) out << pod_json("k" + std::to_string(i)) << "\n";
    }
    std::string cmd = "/usr/bin/kubectl --kubeconfig " + (dir / "kubeconfig").string() + " --cache-dir " +
                      (dir / "cache").string() + " create -n bench -f " + (dir / "pods.json").string() +
                      " > /dev/null";
    auto start = Clock::now();
    int rc = std::system(cmd.c_str());
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    state.SetIterationTime(seconds);
    state.counters["objects_per_s"] = static_cast<double>(count) / seconds;
    if (rc != 0) state.SkipWithError("kubectl create failed");
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_kubectl_create)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
