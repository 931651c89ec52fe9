// sim/ benchmarks: the simulated cluster under the loads of issue 3, over real HTTP on loopback.
// The server runs in a child process, so that its CPU time and memory are measured apart from
// the clients' (server_cpu_ms, server_rss_mb; client_cpu_ms is this process).
//  - BM_sim_create_16_clients: 16 keep-alive clients create ~3 KB pods (each request a real POST
//    answered 201 with the created object); objects/s and server CPU per create. Then, on the
//    same server, the same pods through `kubectl create -f`: kubectl_objects_per_s and the ratio.
//  - BM_sim_list_pages_500: LIST every pod in pages of 500 (limit/continue); the server's resident
//    memory with the pods. Then the same LIST through `kubectl get pods -A -o json`: the ratio.
//  - BM_sim_watch_fanout: W watchers while writes arrive at 2,000/s; every watcher must get every
//    event; latency p50/p99 from write to delivery (ms); the write rate achieved (an error when
//    it is under 2,000/s, i.e. the writes were held up).
// KTAPE_BENCH_PODS (default 20000), KTAPE_BENCH_KUBECTL_PODS (default 2000),
// KTAPE_BENCH_WATCHERS (default 1000), KTAPE_BENCH_WATCH_WRITES (default 4000) and
// KTAPE_BENCH_WATCH_NOTE (bytes of padding in each watched pod, default 1200: ~3 KB pods).
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/asio.hpp>

#include "bench/server_process.hpp"
#include "sim/server.hpp"

namespace {

using namespace ktape;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

using bench::env_size;

// A pod of about 3 KB (with note_bytes 1200); `stamp` lands in an annotation (the watch benchmark
// puts the write time there).
std::string pod_json(const std::string& name, const std::string& stamp = "0", std::size_t note_bytes = 1200) {
  std::string env;
  for (int e = 0; e < 12; ++e)
    env += (e ? "," : "") + std::string(R"({"name":"SETTING_)") + std::to_string(e) + R"(","value":")" +
           std::string(40, 'v') + R"("})";
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
         R"(","labels":{"app":"web","pod-template-hash":"7d4b9c8f6d"},"annotations":{"t":")" + stamp +
         R"(","note":")" + std::string(note_bytes, 'n') +
         R"("}},"spec":{"containers":[{"name":"web","image":"registry.example.com/web:1.2.3","env":[)" + env +
         R"(],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}}}],"restartPolicy":"Always",)"
         R"("nodeName":"node-1","serviceAccountName":"default"}})";
}

// A whole HTTP/1.1 request, built before it is sent.
std::string http_request(std::string_view method, std::string_view target, std::string_view body = {}) {
  std::string r;
  r.reserve(body.size() + 160);
  r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  if (!body.empty() || method == "POST") {
    r.append("Content-Type: application/json\r\nContent-Length: ").append(std::to_string(body.size()));
    r.append("\r\n");
  }
  r.append("\r\n").append(body);
  return r;
}

// One keep-alive HTTP/1.1 connection with a minimal response reader (status and a
// Content-Length body: what the simulated cluster sends for everything but watches).
class Client {
 public:
  explicit Client(std::uint16_t port) : m_socket(m_ioc) {
    m_socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    m_socket.set_option(tcp::no_delay(true));
  }
  // Sends `request` (http_request) and reads the answer; returns the status, the body in `body`.
  int exchange(const std::string& request, std::string& body) {
    net::write(m_socket, net::buffer(request));
    std::size_t head_end;
    while ((head_end = m_in.find("\r\n\r\n")) == std::string::npos) fill();
    int status = std::atoi(m_in.c_str() + 9);
    std::size_t length = 0;
    if (auto at = find_header("content-length:", head_end); at != std::string::npos)
      length = static_cast<std::size_t>(std::atoll(m_in.c_str() + at));
    while (m_in.size() < head_end + 4 + length) fill();
    body.assign(m_in, head_end + 4, length);
    m_in.erase(0, head_end + 4 + length);
    return status;
  }
  tcp::socket& socket() { return m_socket; }

 private:
  void fill() {
    char buf[65536];
    std::size_t n = m_socket.read_some(net::buffer(buf));
    m_in.append(buf, n);
  }
  std::size_t find_header(std::string_view name, std::size_t head_end) const {
    for (std::size_t line = m_in.find("\r\n"); line < head_end; line = m_in.find("\r\n", line + 2)) {
      if (m_in.size() >= line + 2 + name.size() &&
          std::equal(name.begin(), name.end(), m_in.begin() + static_cast<std::ptrdiff_t>(line + 2),
                     [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); }))
        return line + 2 + name.size();
    }
    return std::string::npos;
  }
  net::io_context m_ioc;
  tcp::socket m_socket;
  std::string m_in;
};

sim::ServerOptions with_history(std::size_t history) {
  sim::ServerOptions options;
  options.watch_history = history;
  return options;
}

// The simulated cluster in a child process (forked before this process starts any thread of
// its own for the benchmark), with namespace "bench".
class ServerProcess : public bench::ServerProcess {
 public:
  explicit ServerProcess(std::size_t history = 100000) : bench::ServerProcess(with_history(history)) {
    std::string body;
    Client(port()).exchange(
        http_request("POST", "/api/v1/namespaces",
                     R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}})"),
        body);
  }
  std::size_t object_count() const {
    std::string body;
    Client(port()).exchange(http_request("GET", "/ktape/v1/stats"), body);
    auto at = body.find("\"objects\":");
    return at == std::string::npos ? 0 : static_cast<std::size_t>(std::atoll(body.c_str() + at + 10));
  }
};

// CPU time of this process (the clients), in milliseconds.
double client_cpu_ms() { return bench::self_cpu_ms(); }

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// `clients` keep-alive connections create `count` pods; returns how many were answered 201 with
// the object.
std::size_t create_pods(std::uint16_t port, std::size_t count, unsigned clients, const std::string& prefix) {
  std::atomic<std::size_t> created{0};
  std::vector<std::thread> threads;
  for (unsigned c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Client client(port);
      std::string body;
      std::size_t ok = 0;
      for (std::size_t i = c; i < count; i += clients) {
        std::string name = prefix + std::to_string(i);
        int status =
            client.exchange(http_request("POST", "/api/v1/namespaces/bench/pods", pod_json(name)), body);
        ok += status == 201 && body.find("\"name\":\"" + name + "\"") != std::string::npos;
      }
      created += ok;
    });
  }
  for (auto& t : threads) t.join();
  return created;
}

// A kubeconfig for the server and the kubectl command line prefix that uses it.
class Kubectl {
 public:
  explicit Kubectl(const ServerProcess& server)
      : m_dir(fs::temp_directory_path() / ("ktape-bench-sim-" + std::to_string(::getpid()))) {
    fs::create_directories(m_dir);
    std::ofstream(m_dir / "kubeconfig")
        << "apiVersion: v1\nkind: Config\nclusters:\n- name: s\n  cluster:\n    server: " << server.url()
        << "\ncontexts:\n- name: s\n  context: {cluster: s, user: s}\n"
        << "current-context: s\nusers:\n- name: s\n  user: {}\n";
  }
  ~Kubectl() { fs::remove_all(m_dir); }
  Kubectl(const Kubectl&) = delete;
  Kubectl& operator=(const Kubectl&) = delete;
  fs::path dir() const { return m_dir; }
  // Runs `kubectl ARGS > /dev/null`; true on exit status 0.
  bool run(const std::string& args) const {
    std::string cmd = "/usr/bin/kubectl --kubeconfig " + (m_dir / "kubeconfig").string() + " --cache-dir " +
                      (m_dir / "cache").string() + " " + args + " > /dev/null";
    return std::system(cmd.c_str()) == 0;
  }

 private:
  fs::path m_dir;
};

void BM_sim_create_16_clients(benchmark::State& state) {
  std::size_t count = env_size("KTAPE_BENCH_PODS", 20000);
  std::size_t kubectl_count = env_size("KTAPE_BENCH_KUBECTL_PODS", 2000);
  for (auto _ : state) {
    ServerProcess server;
    double server_cpu = server.cpu_ms(), client_cpu = client_cpu_ms();
    auto start = Clock::now();
    std::size_t created = create_pods(server.port(), count, 16, "p");
    double seconds = seconds_since(start);
    server_cpu = server.cpu_ms() - server_cpu;
    client_cpu = client_cpu_ms() - client_cpu;
    state.SetIterationTime(seconds);
    double rate = static_cast<double>(count) / seconds;
    state.counters["objects_per_s"] = rate;
    state.counters["server_cpu_us_per_create"] = server_cpu * 1e3 / static_cast<double>(count);
    state.counters["client_cpu_us_per_create"] = client_cpu * 1e3 / static_cast<double>(count);
    if (created != count || server.object_count() < count + 4) {
      state.SkipWithError("not every pod was created");
      break;
    }
    // The peer: the same pods through kubectl, one multi-document file, on the same server.
    Kubectl kubectl(server);
    {
      std::ofstream out(kubectl.dir() / "pods.json");
      for (std::size_t i = 0; i < kubectl_count; ++i) out << pod_json("k" + std::to_string(i)) << "\n";
    }
    start = Clock::now();
    bool ok = kubectl.run("create -n bench -f " + (kubectl.dir() / "pods.json").string());
    double kubectl_rate = static_cast<double>(kubectl_count) / seconds_since(start);
    state.counters["kubectl_objects_per_s"] = kubectl_rate;
    state.counters["direct_over_kubectl"] = rate / kubectl_rate;
    if (!ok) state.SkipWithError("kubectl create failed");
  }
}
BENCHMARK(BM_sim_create_16_clients)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

// Lists every pod in pages of 500 over one connection; returns the bytes received.
std::size_t list_all(std::uint16_t port, std::size_t& items) {
  Client client(port);
  std::string token, body;
  std::size_t bytes = 0;
  items = 0;
  do {
    client.exchange(
        http_request("GET", "/api/v1/pods?limit=500" + (token.empty() ? "" : "&continue=" + token)), body);
    bytes += body.size();
    // one uid per pod (the bench's pods have no ownerReferences); list items carry no kind
    for (std::size_t at = 0; (at = body.find("\"uid\":\"", at)) != std::string::npos; ++at) ++items;
    auto at = body.find("\"continue\":\"");
    token = at == std::string::npos ? "" : body.substr(at + 12, body.find('"', at + 12) - at - 12);
  } while (!token.empty());
  return bytes;
}

void BM_sim_list_pages_500(benchmark::State& state) {
  std::size_t count = env_size("KTAPE_BENCH_PODS", 20000);
  ServerProcess server;
  double rss_before = server.rss_mb();
  if (create_pods(server.port(), count, 16, "p") != count) state.SkipWithError("not every pod was created");
  state.counters["server_rss_mb"] = server.rss_mb() - rss_before;
  double server_cpu = 0, client_cpu = 0, direct = 0;
  for (auto _ : state) {
    double s0 = server.cpu_ms(), c0 = client_cpu_ms();
    auto start = Clock::now();
    std::size_t items = 0;
    state.counters["MB"] = static_cast<double>(list_all(server.port(), items)) / 1e6;
    direct += seconds_since(start);
    server_cpu += server.cpu_ms() - s0;
    client_cpu += client_cpu_ms() - c0;
    if (items < count) state.SkipWithError("the LIST missed pods");
  }
  double n = static_cast<double>(state.iterations());
  state.counters["server_cpu_ms"] = server_cpu / n;
  state.counters["client_cpu_ms"] = client_cpu / n;
  // The peer: the same LIST through kubectl (it pages by 500 too), against the same server.
  Kubectl kubectl(server);
  auto start = Clock::now();
  bool ok = kubectl.run("get pods -A -o json");
  double kubectl_s = seconds_since(start);
  state.counters["kubectl_list_ms"] = kubectl_s * 1e3;
  state.counters["kubectl_over_direct"] = kubectl_s / (direct / n);
  if (!ok) state.SkipWithError("kubectl get failed");
}
BENCHMARK(BM_sim_list_pages_500)->Iterations(3)->Unit(benchmark::kMillisecond);

// Reads every watch stream on one thread, recording for each event the delay since the stamp in
// its annotation.
class WatchReaders {
 public:
  WatchReaders(std::uint16_t port, std::size_t watchers, std::size_t expected)
      : m_expected(expected), m_timer(m_ioc) {
    std::string request =
        http_request("GET", "/api/v1/namespaces/bench/pods?watch=1&resourceVersion=2&timeoutSeconds=110");
    for (std::size_t w = 0; w < watchers; ++w) {
      auto r = std::make_unique<Reader>(m_ioc);
      r->socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
      net::write(r->socket, net::buffer(request));
      m_readers.push_back(std::move(r));
    }
  }
  // Reads until every watcher has every event, or `limit` has passed.
  void run(Clock::duration limit) {
    for (auto& r : m_readers) read(*r);
    m_timer.expires_after(limit);
    m_timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      for (auto& r : m_readers) r->socket.close(ec);
    });
    m_ioc.run();
  }
  std::size_t complete() const {
    std::size_t n = 0;
    for (const auto& r : m_readers) n += r->latencies_ms.size() == m_expected;
    return n;
  }
  std::vector<double> latencies() const {
    std::vector<double> all;
    for (const auto& r : m_readers) all.insert(all.end(), r->latencies_ms.begin(), r->latencies_ms.end());
    std::sort(all.begin(), all.end());
    return all;
  }

 private:
  struct Reader {
    explicit Reader(net::io_context& ioc) : socket(ioc) {}
    tcp::socket socket;
    std::array<char, 65536> buf{};
    std::string head;       // the current event's text up to its stamp, while looking for it
    bool skipping = false;  // the stamp is read: the rest of the event line is skipped
    std::vector<double> latencies_ms;
  };
  // The stamp sits in the first few hundred bytes of an event line ("t" is an early annotation):
  // only those are searched; the rest of the line (most of its ~3 KB) is skipped with memchr.
  // Lines are whole within a chunk, so chunk-size lines only ever come between two events.
  static constexpr std::string_view k_needle = "\"t\":\"";
  static constexpr std::size_t k_head_block = 512;
  void scan(Reader& r, const char* data, std::size_t n, std::int64_t now) {
    const char* end = data + n;
    while (data < end) {
      if (r.skipping) {
        const char* nl =
            static_cast<const char*>(std::memchr(data, '\n', static_cast<std::size_t>(end - data)));
        if (nl == nullptr) return;
        r.skipping = false;
        data = nl + 1;
        continue;
      }
      std::size_t take = std::min<std::size_t>(k_head_block, static_cast<std::size_t>(end - data));
      std::size_t before = r.head.size();
      r.head.append(data, take);
      std::size_t at = r.head.find(k_needle);
      std::size_t close = at == std::string::npos ? at : r.head.find('"', at + k_needle.size());
      if (close == std::string::npos) {
        // Keep what may begin the needle or the stamp for the next block.
        if (r.head.size() > 64) r.head.erase(0, r.head.size() - 64);
        data += take;
        continue;
      }
      long long stamp = std::atoll(r.head.c_str() + at + k_needle.size());
      if (stamp > 0) r.latencies_ms.push_back(static_cast<double>(now - stamp) / 1e6);
      data += close + 1 - before;  // just past the stamp's closing quote
      r.head.clear();
      r.skipping = true;
    }
  }
  void read(Reader& r) {
    r.socket.async_read_some(net::buffer(r.buf), [this, &r](boost::system::error_code ec, std::size_t n) {
      if (ec) return;
      scan(r, r.buf.data(), n, Clock::now().time_since_epoch().count());
      if (r.latencies_ms.size() < m_expected) return read(r);
      if (++m_done == m_readers.size()) m_timer.cancel();
    });
  }
  net::io_context m_ioc;
  std::size_t m_expected;
  net::steady_timer m_timer;
  std::size_t m_done = 0;
  std::vector<std::unique_ptr<Reader>> m_readers;
};

void BM_sim_watch_fanout(benchmark::State& state) {
  std::size_t watchers = env_size("KTAPE_BENCH_WATCHERS", 1000);
  std::size_t writes = env_size("KTAPE_BENCH_WATCH_WRITES", 4000);  // two seconds at 2,000 writes/s
  std::size_t note = env_size("KTAPE_BENCH_WATCH_NOTE", 1200);
  constexpr int k_writers = 4;
  for (auto _ : state) {
    ServerProcess server;
    // The streams are read on two threads (two cores), half of them each.
    std::vector<std::unique_ptr<WatchReaders>> readers;
    std::vector<std::thread> reader_threads;
    for (std::size_t k = 0; k < 2; ++k) {
      readers.push_back(
          std::make_unique<WatchReaders>(server.port(), watchers / 2 + (k < watchers % 2), writes));
      reader_threads.emplace_back([&r = *readers.back(), writes] {
        r.run(std::chrono::milliseconds(writes / 2) + std::chrono::seconds(60));
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the watches are registered
    double s0 = server.cpu_ms(), c0 = client_cpu_ms();
    std::vector<std::thread> writers;
    std::vector<Clock::time_point> sent(writes);
    std::atomic<std::size_t> failed{0};
    auto start = Clock::now() + std::chrono::milliseconds(10);
    for (int c = 0; c < k_writers; ++c) {
      writers.emplace_back([&, c] {
        Client client(server.port());
        std::string body;
        for (std::size_t i = static_cast<std::size_t>(c); i < writes; i += k_writers) {
          std::this_thread::sleep_until(start + std::chrono::microseconds(500 * i));
          sent[i] = Clock::now();
          std::string stamp = std::to_string(sent[i].time_since_epoch().count());
          if (client.exchange(http_request("POST", "/api/v1/namespaces/bench/pods",
                                           pod_json("w" + std::to_string(i), stamp, note)),
                              body) != 201)
            ++failed;
        }
      });
    }
    for (auto& t : writers) t.join();
    double write_s = std::chrono::duration<double>(sent.back() - sent.front()).count();
    for (auto& t : reader_threads) t.join();
    state.SetIterationTime(seconds_since(start));
    double rate = static_cast<double>(writes - 1) / write_s;
    std::vector<double> all;
    std::size_t complete = 0;
    for (const auto& r : readers) {
      complete += r->complete();
      std::vector<double> l = r->latencies();
      all.insert(all.end(), l.begin(), l.end());
    }
    std::sort(all.begin(), all.end());
    state.counters["write_rate_per_s"] = rate;
    state.counters["watchers_complete"] = static_cast<double>(complete);
    state.counters["p50_ms"] = all.empty() ? 0 : all[all.size() / 2];
    state.counters["p99_ms"] = all.empty() ? 0 : all[all.size() * 99 / 100];
    state.counters["server_cpu_ms"] = server.cpu_ms() - s0;
    state.counters["client_cpu_ms"] = client_cpu_ms() - c0;
    if (failed > 0) state.SkipWithError("a write failed");
    if (complete != watchers) {
      std::string error = std::to_string(complete) + " of " + std::to_string(watchers) +
                          " watchers got every event (p50 " + std::to_string(state.counters["p50_ms"]) +
                          " ms)";
      state.SkipWithError(error.c_str());
    }
    if (rate < 1980) state.SkipWithError("the writes arrived under 2,000/s (held up by the server)");
  }
}
BENCHMARK(BM_sim_watch_fanout)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
