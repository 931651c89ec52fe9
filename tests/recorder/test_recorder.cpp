// The whole recorder (discovery, loops, pipeline, writer) against the simulated cluster over real
// HTTP, through a small forwarding proxy that lets a test act at the exact moment a request
// passes: here, a CRD created between the recorder's first discovery and its list of CRDs.
#include <doctest/doctest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "recorder/recorder.hpp"
#include "sim/server.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace std::chrono_literals;

namespace {

const char* const k_crd =
    R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"gadgets.demo.example.com"},)"
    R"("spec":{"group":"demo.example.com","scope":"Namespaced","names":{"kind":"Gadget","plural":"gadgets","singular":"gadget"},)"
    R"("versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})";
const char* const k_gadget =
    R"({"apiVersion":"demo.example.com/v1","kind":"Gadget","metadata":{"name":"g1","namespace":"default"},"spec":{"size":3}})";

// Forwards every request to the simulated cluster, whole (a watch is answered when it ends, so
// the recorder's watch timeout is kept short), and calls `before` first.
class Proxy {
 public:
  Proxy(std::string upstream, std::function<void(const httplib::Request&)> before)
      : m_upstream(std::move(upstream)), m_before(std::move(before)) {
    auto forward = [this](const httplib::Request& req, httplib::Response& res) { this->forward(req, res); };
    m_server.Get(".*", forward);
    m_server.Post(".*", forward);
    m_server.Put(".*", forward);
    m_server.Patch(".*", forward);
    m_server.Delete(".*", forward);
    // A worker per open watch (one per resource), so that a list is never queued behind them.
    m_server.new_task_queue = [] { return new httplib::ThreadPool(128); };
    m_port = m_server.bind_to_any_port("127.0.0.1");
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
  }
  ~Proxy() {
    m_server.stop();
    m_thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

 private:
  void forward(const httplib::Request& req, httplib::Response& res) {
    m_before(req);
    httplib::Client upstream(m_upstream);
    upstream.set_read_timeout(30);
    httplib::Headers headers;
    for (const char* h : {"Accept", "Content-Type"})
      if (req.has_header(h)) headers.emplace(h, req.get_header_value(h));
    auto content_type = req.get_header_value("Content-Type");
    httplib::Result r = req.method == "GET" ? upstream.Get(req.target, headers)
                        : req.method == "DELETE"
                            ? upstream.Delete(req.target, headers, req.body, content_type)
                        : req.method == "POST" ? upstream.Post(req.target, headers, req.body, content_type)
                        : req.method == "PUT"  ? upstream.Put(req.target, headers, req.body, content_type)
                                               : upstream.Patch(req.target, headers, req.body, content_type);
    if (!r) {
      res.status = 502;
      return;
    }
    res.status = r->status;
    res.set_content(r->body, r->get_header_value("Content-Type"));
  }

  std::string m_upstream;
  std::function<void(const httplib::Request&)> m_before;
  httplib::Server m_server;
  int m_port = 0;
  std::thread m_thread;
};

void post(const std::string& url, const std::string& path, const char* body) {
  httplib::Client c(url);
  auto r = c.Post(path, body, "application/json");
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 201, r->body);
}

}  // namespace

TEST_CASE("record: a CRD created between discovery and the CRDs' list still gets its objects recorded") {
  auto started = sim::Server::start({});
  REQUIRE(started);
  auto& sim = **started;
  std::atomic<bool> created{false};
  // The first list of CRDs (after the recorder's discovery, which did not serve gadgets yet) finds
  // the CRD already there, in the snapshot section: no watch event ever announces it.
  Proxy proxy(sim.url(), [&](const httplib::Request& req) {
    bool crd_list = req.path == "/apis/apiextensions.k8s.io/v1/customresourcedefinitions" &&
                    req.get_param_value("watch").empty();
    if (crd_list && !created.exchange(true)) {
      post(sim.url(), "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", k_crd);
      post(sim.url(), "/apis/demo.example.com/v1/namespaces/default/gadgets", k_gadget);
    }
  });

  test_support::TempDir dir;
  recorder::RecordOptions options;
  options.path = (dir.path() / "rec.yaml").string();
  options.watch_timeout = 1s;
  kube::RestConfig config;
  config.server = proxy.url();
  auto client = kube::Client::create(config);
  REQUIRE(client);
  std::atomic<bool> stop{false};
  std::vector<std::string> log;
  std::mutex log_mutex;
  recorder::RecordHooks hooks;
  hooks.log = [&](const std::string& line) {
    std::lock_guard lock(log_mutex);
    log.push_back(line);
  };
  std::optional<Result<recorder::RecordSummary>> summary;
  std::thread recording([&] { summary = recorder::record(**client, options, stop, hooks); });
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline &&
         test_support::read_file(options.path).find("name: g1") == std::string::npos)
    std::this_thread::sleep_for(100ms);
  stop = true;
  recording.join();

  REQUIRE(created.load());
  REQUIRE(summary);
  REQUIRE_MESSAGE(*summary, summary->error().message);
  auto text = test_support::read_file(options.path);
  CHECK(text.find("apiVersion: demo.example.com/v1") != std::string::npos);
  CHECK(text.find("name: g1") != std::string::npos);
  std::lock_guard lock(log_mutex);
  CHECK(std::find(log.begin(), log.end(), "recording gadgets.demo.example.com (new resource)") != log.end());
}
