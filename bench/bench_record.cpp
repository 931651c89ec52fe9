// Recorder benchmarks (issue 5). The recorder runs as the real `ktape record` / `ktape export`
// binary in a child process, and kubectl the same way, so both are measured alike: CPU and peak
// RSS from wait4(), wall time from this process. The simulated cluster runs in this process and
// is driven over HTTP by keep-alive clients.
//  - BM_record_backlog: ~3 KB pods, E events (creates, then status and metadata patches). The
//    recorder is watching (a first marker pod reached its file), then stopped with SIGSTOP while
//    every write is made, then continued: events/s = E / (SIGCONT -> the last marker pod in the
//    flushed file). That is the recorder draining as fast as it can, the server only serving its
//    watch history; it includes the recorder's flush interval (500 ms) and reorder lag (200 ms).
//    events_per_s_stamped uses the receipt stamps in the file instead (SIGCONT -> last stamp).
//    queue_max / writer_busy come from the recorder's pipeline (KTAPE_RECORD_STATS=1).
//  - BM_kubectl_watch_backlog: the same writes, watched by `kubectl get pods -A -w -o yaml`.
//    The ratio is printed by BM_record_vs_kubectl (ktape events/s over kubectl events/s).
//  - BM_export_snapshot: `ktape export` of N objects (pods and configmaps, half each) against
//    `kubectl get pods,configmaps -A -o yaml` of the same cluster; wall time, CPU, peak RSS, ratio.
//  - BM_record_steady_memory: a steady write rate for D seconds while `ktape record` records;
//    the recorder's RSS sampled every 2 s; first-window vs last-window peak RSS.
// KTAPE_BENCH_EVENTS (20000: kubectl takes ~45 s; the server closes a watch stopped for more
// than 15 s, which ktape survives by re-watching from its resourceVersion but kubectl does not, so
// the writes must fit in that time for the kubectl peer), KTAPE_BENCH_EXPORT_OBJECTS (30000; kubectl needs ~3
// min and 10 GB for 100000), KTAPE_BENCH_RECORD_SECONDS (60), KTAPE_BENCH_RATE (2000 writes/s), KTAPE_BIN
// (default: ../cli/ktape beside this program).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "formats/json.hpp"
#include "formats/time.hpp"
#include "sim/kubeconfig.hpp"
#include "sim/server.hpp"
#include "tests/support/files.hpp"
#include "workload/objects.hpp"

extern char** environ;

namespace {

using namespace ktape;
namespace net = boost::asio;
namespace http = boost::beast::http;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr const char* k_ns = "bench";
constexpr unsigned k_writers = 8;

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? static_cast<std::size_t>(std::atoll(v)) : fallback;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string ktape_binary() {
  if (const char* v = std::getenv("KTAPE_BIN"); v && *v) return v;
  return (fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "cli" / "ktape").string();
}

// One keep-alive HTTP/1.1 connection to the simulated cluster.
class Http {
 public:
  explicit Http(std::uint16_t port) : m_socket(m_ioc) {
    m_socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    m_socket.set_option(tcp::no_delay(true));
  }
  unsigned request(http::verb verb, const std::string& target, std::string body,
                   const char* content_type = "application/json") {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, content_type);
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(m_socket, req);
    http::response<http::string_body> res;
    http::read(m_socket, m_buffer, res);
    return res.result_int();
  }

 private:
  net::io_context m_ioc;
  tcp::socket m_socket;
  boost::beast::flat_buffer m_buffer;
};

struct Cluster {
  std::unique_ptr<sim::Server> server;
  std::string dir;
  std::string kubeconfig;
};

Cluster start_cluster(std::size_t history, const std::string& dir) {
  sim::ServerOptions o;
  o.watch_history = history;
  o.garbage_collector = false;  // the pods name owners that do not exist
  auto server = sim::Server::start(o);
  if (!server) throw std::runtime_error(server.error().message);
  Cluster c{std::move(*server), dir, dir + "/kubeconfig"};
  fs::create_directories(dir);
  std::ofstream(c.kubeconfig) << sim::make_kubeconfig("bench", c.server->url(), std::nullopt);
  Http h(c.server->port());
  h.request(http::verb::post, "/api/v1/namespaces",
            R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" + std::string(k_ns) + R"("}})");
  return c;
}

std::string pod_body(const std::string& name, std::mt19937_64& rng) {
  workload::OwnerInfo owner{"apps/v1", "ReplicaSet", "web-7d4b9c8f6d",
                            "0b6f5d1e-5b8a-4c59-9a43-6f0e0e4bd1a1"};
  return formats::to_json(workload::make_pod(k_ns, name, "web", "7d4b9c8f6d",
                                             "registry.example.com/web:1.2.3", owner, 1200, rng));
}

std::string pods_path() { return std::string("/api/v1/namespaces/") + k_ns + "/pods"; }

// Update `round` (1..4) of a pod: status, status, metadata, status (a restart).
void update_pod(Http& h, const std::string& name, int round, int ip) {
  std::string now = formats::format_rfc3339(
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now()));
  std::string image = "registry.example.com/web:1.2.3";
  std::string target = pods_path() + "/" + name;
  formats::Value patch = formats::Value::object();
  switch (round % 4) {
    case 1:
      patch.set("status", workload::pod_status(false, 0, image, now, ip));
      break;
    case 2:
      patch.set("status", workload::pod_status(true, 0, image, now, ip));
      break;
    case 3:
      patch =
          formats::parse_json(R"({"metadata":{"labels":{"version":"v2"},"annotations":{"bench/revision":")" +
                              std::to_string(round) + R"("}}})")
              .value();
      break;
    default:
      patch.set("status", workload::pod_status(true, round / 4, image, now, ip));
      break;
  }
  h.request(http::verb::patch, round % 4 == 3 ? target : target + "/status", formats::to_json(patch),
            "application/merge-patch+json");
}

// Creates `pods` pods, then gives each `updates` updates, from k_writers keep-alive clients; each
// pod's writes stay in order. Returns the number of writes.
std::size_t drive_events(std::uint16_t port, std::size_t pods, int updates) {
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < k_writers; ++t)
    threads.emplace_back([=] {
      Http h(port);
      std::mt19937_64 rng(t + 1);
      for (std::size_t i = t; i < pods; i += k_writers)
        h.request(http::verb::post, pods_path(), pod_body("pod-" + std::to_string(i), rng));
      for (int r = 1; r <= updates; ++r)
        for (std::size_t i = t; i < pods; i += k_writers)
          update_pod(h, "pod-" + std::to_string(i), r, static_cast<int>(i));
    });
  for (auto& t : threads) t.join();
  return pods * static_cast<std::size_t>(1 + updates);
}

void create_marker(std::uint16_t port, const std::string& name) {
  Http h(port);
  h.request(http::verb::post, pods_path(),
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
                R"("},"spec":{"containers":[{"name":"c","image":"busybox"}]}})");
}

struct Child {
  pid_t pid = -1;
};

Child spawn(const std::vector<std::string>& args, const std::string& out, const std::string& err,
            bool record_stats = false) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  if (record_stats) env_strings.emplace_back("KTAPE_RECORD_STATS=1");
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  Child c;
  if (posix_spawnp(&c.pid, argv[0], &fa, nullptr, argv.data(), envp.data()) != 0)
    throw std::runtime_error("cannot start " + args[0]);
  posix_spawn_file_actions_destroy(&fa);
  return c;
}

struct Usage {
  double cpu_s = 0;
  double max_rss_mb = 0;
  int status = 0;
};

double status_field_mb(pid_t pid, const char* field);

// Waits for the child. CPU comes from wait4(); the peak RSS from /proc/PID/status's VmHWM, read
// until the process exits: ru_maxrss would also count this process's memory, which the child
// shared between posix_spawn's vfork and its exec.
Usage reap(Child c) {
  double peak = 0;
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(c.pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid == c.pid)
      break;
    peak = std::max(peak, status_field_mb(c.pid, "VmHWM:"));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  int status = 0;
  rusage ru{};
  ::wait4(c.pid, &status, 0, &ru);
  Usage u;
  u.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  u.max_rss_mb = peak;
  u.status = status;
  return u;
}

// CPU seconds a live process has used so far (/proc/PID/stat utime + stime).
double process_cpu(pid_t pid) {
  std::string stat = test_support::read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields;
  std::size_t pos = close + 2;
  while (pos < stat.size()) {
    auto sp = stat.find(' ', pos);
    fields.push_back(stat.substr(pos, sp - pos));
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  // Fields after the command start at the state (field 3): utime is field 14, stime 15.
  if (fields.size() < 13) return 0;
  return static_cast<double>(std::atoll(fields[11].c_str()) + std::atoll(fields[12].c_str())) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// CPU seconds this process has used so far: during a drain, mostly the simulated cluster serving
// the watch.
double self_cpu() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double status_field_mb(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  std::size_t n = std::strlen(field);
  while (std::getline(in, line))
    if (line.compare(0, n, field) == 0) return static_cast<double>(std::atoll(line.c_str() + n)) / 1024.0;
  return 0;
}

double process_rss_mb(pid_t pid) { return status_field_mb(pid, "VmRSS:"); }

// True once the last `tail` bytes of the file contain `needle`.
bool tail_contains(const std::string& path, const std::string& needle, std::size_t tail = 1 << 16) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  in.seekg(0, std::ios::end);
  auto size = static_cast<std::size_t>(in.tellg());
  auto from = size > tail ? size - tail : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string text(size - from, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text.find(needle) != std::string::npos;
}

bool wait_for(const std::string& path, const std::string& needle, double timeout_s, pid_t pid) {
  auto start = Clock::now();
  while (seconds_since(start) < timeout_s) {
    if (tail_contains(path, needle)) return true;
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid)
      return false;  // it died (left for reap())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

struct FileCount {
  std::size_t documents = 0;     // lines equal to `marker`
  std::int64_t last_stamp = -1;  // the last durationNanosecond
  std::string start_time;        // from the ktape header
};

FileCount count_documents(const std::string& path, const std::string& marker) {
  FileCount fc;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line == marker) ++fc.documents;
    if (line.rfind("durationNanosecond: ", 0) == 0) fc.last_stamp = std::atoll(line.c_str() + 20);
    if (fc.start_time.empty() && line.rfind("# ktape: ", 0) == 0)
      if (auto h = formats::parse_json(std::string_view(line).substr(9)))
        fc.start_time = std::string(h->string_at({"startTime"}));
  }
  return fc;
}

// "pipeline: queue_max=N writer_busy=F" from the recorder's stderr (KTAPE_RECORD_STATS=1).
void pipeline_counters(const std::string& err, benchmark::State& state) {
  std::ifstream in(err);
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long q = 0;
    double busy = 0;
    if (std::sscanf(line.c_str(), "pipeline: queue_max=%llu writer_busy=%lf", &q, &busy) == 2) {
      state.counters["queue_max"] = static_cast<double>(q);
      state.counters["writer_busy"] = busy;
    }
  }
}

void skip(benchmark::State& state, const std::string& why) { state.SkipWithError(why.c_str()); }

std::string work_dir(const std::string& name) {
  return (fs::temp_directory_path() / ("ktape-bench-record-" + std::to_string(::getpid())) / name).string();
}

struct BacklogResult {
  double events_per_s = 0;
  bool ok = false;
};
BacklogResult g_ktape_backlog, g_kubectl_backlog;

// The backlog measurement for one watcher command (ktape record or kubectl).
void backlog(benchmark::State& state, bool ktape) {
  std::size_t events = env_size("KTAPE_BENCH_EVENTS", 20000);
  const int updates = 4;
  std::size_t pods = std::max<std::size_t>(events / (1 + updates), 1);
  events = pods * (1 + updates);
  std::string dir = work_dir(ktape ? "ktape-backlog" : "kubectl-backlog");
  for (auto _ : state) {
    auto cluster = start_cluster(events + 10000, dir);
    std::string out = dir + "/out.yaml", err = dir + "/stderr", file = ktape ? dir + "/rec.yaml" : out;
    std::vector<std::string> args =
        ktape ? std::vector<std::string>{ktape_binary(),     "record",     "--kubeconfig",
                                         cluster.kubeconfig, "--path",     file,
                                         "--force",          "--resource", "pods"}
              : std::vector<std::string>{
                    "kubectl", "get", "pods", "-A", "-w", "-o", "yaml", "--kubeconfig", cluster.kubeconfig};
    auto child = spawn(args, out, err, ktape);
    create_marker(cluster.server->port(), "marker-start");
    if (!wait_for(file, "marker-start", 30, child.pid)) {
      ::kill(child.pid, SIGKILL);
      reap(child);
      skip(state, "the watcher never showed the first marker (see " + err + ")");
      return;
    }
    ::kill(child.pid, SIGSTOP);
    auto write_start = Clock::now();
    drive_events(cluster.server->port(), pods, updates);
    create_marker(cluster.server->port(), "marker-end");
    double write_s = seconds_since(write_start);
    double cpu_before = process_cpu(child.pid);
    double self_before = self_cpu();
    auto cont_wall = std::chrono::system_clock::now();
    auto cont = Clock::now();
    ::kill(child.pid, SIGCONT);
    bool done = wait_for(file, "marker-end", 600, child.pid);
    double drain_s = seconds_since(cont);
    double drain_cpu = process_cpu(child.pid) - cpu_before;
    double server_cpu = self_cpu() - self_before;        // this process is the server (and the file poll)
    double peak = status_field_mb(child.pid, "VmHWM:");  // kubectl exits at once on SIGINT
    ::kill(child.pid, SIGINT);
    auto usage = reap(child);
    usage.max_rss_mb = std::max(usage.max_rss_mb, peak);
    if (!done) {
      skip(state, "the watcher never showed the last marker (see " + err + ")");
      return;
    }
    state.SetIterationTime(drain_s);
    auto fc = count_documents(file, ktape ? "kind: ResourcePatch" : "kind: Pod");
    // Every write and the last marker (the first one may have come with the initial list).
    if (fc.documents < events + 1) {
      skip(state, "the watcher wrote " + std::to_string(fc.documents) + " documents for " +
                      std::to_string(events + 1) + " events");
      return;
    }
    double rate = static_cast<double>(events + 1) / drain_s;
    state.counters["events"] = static_cast<double>(events);
    state.counters["events_per_s"] = rate;
    state.counters["drain_cpu_s"] = drain_cpu;
    state.counters["cpu_us_per_event"] = drain_cpu / static_cast<double>(events + 1) * 1e6;
    state.counters["server_cpu_us_per_event"] = server_cpu / static_cast<double>(events + 1) * 1e6;
    state.counters["cpu_s"] = usage.cpu_s;
    state.counters["max_rss_mb"] = usage.max_rss_mb;
    state.counters["write_s"] = write_s;
    state.counters["file_mb"] = static_cast<double>(fs::file_size(file)) / 1e6;
    if (ktape) {
      if (auto start = formats::parse_rfc3339(fc.start_time)) {
        auto last = *start + std::chrono::nanoseconds(fc.last_stamp);
        double stamped = std::chrono::duration<double>(
                             last - std::chrono::time_point_cast<std::chrono::nanoseconds>(cont_wall))
                             .count();
        if (stamped > 0) state.counters["events_per_s_stamped"] = static_cast<double>(events + 1) / stamped;
      }
      pipeline_counters(err, state);
    }
    (ktape ? g_ktape_backlog : g_kubectl_backlog) = BacklogResult{rate, true};
    cluster.server->stop();
  }
  fs::remove_all(dir);
}

void BM_record_backlog(benchmark::State& state) { backlog(state, true); }
void BM_kubectl_watch_backlog(benchmark::State& state) { backlog(state, false); }

void BM_record_vs_kubectl(benchmark::State& state) {
  for (auto _ : state) {
    if (!g_ktape_backlog.ok || !g_kubectl_backlog.ok) {
      state.SkipWithError("needs BM_record_backlog and BM_kubectl_watch_backlog in the same run");
      return;
    }
    state.SetIterationTime(1);
    state.counters["ktape_events_per_s"] = g_ktape_backlog.events_per_s;
    state.counters["kubectl_events_per_s"] = g_kubectl_backlog.events_per_s;
    state.counters["ratio"] = g_ktape_backlog.events_per_s / g_kubectl_backlog.events_per_s;
  }
}

void BM_export_snapshot(benchmark::State& state) {
  std::size_t objects = env_size("KTAPE_BENCH_EXPORT_OBJECTS", 30000);
  std::string dir = work_dir("export");
  for (auto _ : state) {
    auto cluster = start_cluster(1000, dir);
    {
      std::vector<std::thread> threads;
      std::uint16_t port = cluster.server->port();
      for (unsigned t = 0; t < k_writers; ++t)
        threads.emplace_back([=] {
          Http h(port);
          std::mt19937_64 rng(t + 1);
          for (std::size_t i = t; i < objects; i += k_writers) {
            if (i % 2 == 0) {
              h.request(http::verb::post, pods_path(), pod_body("pod-" + std::to_string(i), rng));
            } else {
              h.request(http::verb::post, std::string("/api/v1/namespaces/") + k_ns + "/configmaps",
                        formats::to_json(workload::make_configmap(k_ns, "cm-" + std::to_string(i), rng)));
            }
          }
        });
      for (auto& t : threads) t.join();
    }
    std::string file = dir + "/export.yaml";
    auto start = Clock::now();
    auto child = spawn({ktape_binary(), "export", "--kubeconfig", cluster.kubeconfig, "--path", file,
                        "--force", "--resource", "pods,configmaps"},
                       dir + "/ktape.out", dir + "/ktape.err");
    auto ktape = reap(child);
    double ktape_s = seconds_since(start);
    start = Clock::now();
    child =
        spawn({"kubectl", "get", "pods,configmaps", "-A", "-o", "yaml", "--kubeconfig", cluster.kubeconfig},
              dir + "/kubectl.yaml", dir + "/kubectl.err");
    auto kubectl = reap(child);
    double kubectl_s = seconds_since(start);
    if (ktape.status != 0 || kubectl.status != 0) {
      skip(state, "an export failed (see " + dir + ")");
      return;
    }
    // Namespace objects are not selected: every document is a pod or a configmap. The system
    // namespaces hold no configmaps in the simulated cluster, so both count `objects`.
    auto fc = count_documents(file, "---");
    std::size_t ktape_docs = fc.documents + 1;
    if (ktape_docs < objects) {
      skip(state, "ktape exported " + std::to_string(ktape_docs) + " of " + std::to_string(objects));
      return;
    }
    state.SetIterationTime(ktape_s);
    state.counters["objects"] = static_cast<double>(objects);
    state.counters["ktape_s"] = ktape_s;
    state.counters["ktape_cpu_s"] = ktape.cpu_s;
    state.counters["ktape_rss_mb"] = ktape.max_rss_mb;
    state.counters["kubectl_s"] = kubectl_s;
    state.counters["kubectl_cpu_s"] = kubectl.cpu_s;
    state.counters["kubectl_rss_mb"] = kubectl.max_rss_mb;
    state.counters["ratio"] = kubectl_s / ktape_s;
    state.counters["ktape_docs"] = static_cast<double>(ktape_docs);
    state.counters["kubectl_pods"] =
        static_cast<double>(count_documents(dir + "/kubectl.yaml", "  kind: Pod").documents);
    cluster.server->stop();
  }
  fs::remove_all(dir);
}

void BM_record_steady_memory(benchmark::State& state) {
  double duration = static_cast<double>(env_size("KTAPE_BENCH_RECORD_SECONDS", 60));
  double rate = static_cast<double>(env_size("KTAPE_BENCH_RATE", 2000));
  const std::size_t pods = 2000;
  std::string dir = work_dir("steady");
  for (auto _ : state) {
    auto cluster = start_cluster(100000, dir);
    std::string file = dir + "/rec.yaml";
    auto child = spawn({ktape_binary(), "record", "--kubeconfig", cluster.kubeconfig, "--path", file,
                        "--force", "--resource", "pods"},
                       dir + "/out", dir + "/err", true);
    std::uint16_t port = cluster.server->port();
    drive_events(port, pods, 0);  // the steady set; recorded as creates
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> writes{0};
    // Writers at a fixed total rate: status and metadata updates, and every 10th write deletes a
    // pod and creates it again, so the recorder's per-object state sees churn but no growth.
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        Http h(port);
        std::mt19937_64 rng(t + 100);
        auto period = std::chrono::duration<double>(4.0 / rate);
        auto next = Clock::now();
        for (std::uint64_t n = 0; !stop.load(); ++n) {
          std::size_t i = t + 4 * ((n * 7919) % (pods / 4));
          std::string name = "pod-" + std::to_string(i);
          if (n % 10 == 9) {
            h.request(http::verb::delete_, pods_path() + "/" + name, "");
            h.request(http::verb::post, pods_path(), pod_body(name, rng));
            writes += 2;
          } else {
            update_pod(h, name, static_cast<int>(n % 8) + 1, static_cast<int>(i));
            writes += 1;
          }
          next += std::chrono::duration_cast<Clock::duration>(period);
          std::this_thread::sleep_until(next);
        }
      });
    auto start = Clock::now();
    std::vector<std::pair<double, double>> samples;  // (seconds, RSS MB)
    while (seconds_since(start) < duration) {
      std::this_thread::sleep_for(std::chrono::seconds(2));
      samples.emplace_back(seconds_since(start), process_rss_mb(child.pid));
    }
    stop = true;
    for (auto& t : threads) t.join();
    double elapsed = seconds_since(start);
    double cpu = process_cpu(child.pid);
    ::kill(child.pid, SIGINT);
    auto usage = reap(child);
    double window = std::min(60.0, duration / 3);
    double first = 0, last = 0;
    for (auto [t, rss] : samples) {
      if (t <= window) first = std::max(first, rss);
      if (t >= elapsed - window) last = std::max(last, rss);
    }
    state.SetIterationTime(elapsed);
    state.counters["writes_per_s"] = static_cast<double>(writes.load()) / elapsed;
    state.counters["rss_first_mb"] = first;
    state.counters["rss_last_mb"] = last;
    state.counters["rss_growth_mb"] = last - first;
    state.counters["max_rss_mb"] = usage.max_rss_mb;
    state.counters["cpu_s"] = cpu;
    state.counters["cpu_fraction"] = cpu / elapsed;
    pipeline_counters(dir + "/err", state);
    cluster.server->stop();
  }
  fs::remove_all(dir);
}

BENCHMARK(BM_record_backlog)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_kubectl_watch_backlog)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_record_vs_kubectl)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_export_snapshot)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_record_steady_memory)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
