// The whole recorder (discovery, loops, pipeline, writer) against the simulated cluster over real
// HTTP, through a small forwarding proxy that lets a test act at the exact moment a request
// passes: here, a CRD created between the recorder's first discovery and its list of CRDs.
#include <doctest/doctest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
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
  // When set and it returns true, it has answered the request itself (a fault the server cannot
  // be made to produce); set before the first request.
  std::function<bool(const httplib::Request&, httplib::Response&)> answer;

 private:
  void forward(const httplib::Request& req, httplib::Response& res) {
    m_before(req);
    if (answer && answer(req, res)) return;
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

TEST_CASE("export: a list whose continue token expires mid-way leaves no half list in the file") {
  auto started = sim::Server::start({});
  REQUIRE(started);
  auto& sim = **started;
  post(sim.url(), "/api/v1/namespaces",
       R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"big"}})");
  constexpr int k_count = 12;  // three pages of 5 (the last one short)
  for (int i = 0; i < k_count; ++i) {
    std::string body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-)" +
                       std::to_string(i) + R"(","namespace":"big"},"data":{"k":"v"}})";
    post(sim.url(), "/api/v1/namespaces/big/configmaps", body.c_str());
  }
  std::atomic<int> expired{0};
  Proxy proxy(sim.url(), [](const httplib::Request&) {});
  // The first continued page of configmaps: cm-0 (already sent in page one) is deleted and the
  // token is reported expired, as an apiserver does once its history is compacted.
  proxy.answer = [&](const httplib::Request& req, httplib::Response& res) {
    bool continued =
        req.path == "/api/v1/namespaces/big/configmaps" && !req.get_param_value("continue").empty();
    if (!continued || expired.exchange(1) != 0) return false;
    httplib::Client c(sim.url());
    auto deleted = c.Delete("/api/v1/namespaces/big/configmaps/cm-0");
    REQUIRE(deleted);
    res.status = 410;
    res.set_content(
        R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The provided continue parameter is too old to display a consistent list result.","reason":"Expired","code":410})",
        "application/json");
    return true;
  };

  test_support::TempDir dir;
  recorder::RecordOptions options;
  options.path = (dir.path() / "export.yaml").string();
  options.snapshot = true;
  options.page_size = 5;
  options.selection.resources = {"configmaps"};
  options.selection.namespaces = {"big"};
  kube::RestConfig config;
  config.server = proxy.url();
  auto client = kube::Client::create(config);
  REQUIRE(client);
  std::atomic<bool> stop{false};
  auto summary = recorder::record(**client, options, stop, {});
  REQUIRE_MESSAGE(summary, summary.error().message);
  CHECK(expired.load() == 1);
  auto text = test_support::read_file(options.path);
  std::size_t documents = 0;
  for (std::size_t at = 0; (at = text.find("name: cm-", at)) != std::string::npos; ++at) ++documents;
  CHECK(documents == k_count - 1);
  CHECK(text.find("name: cm-0\n") == std::string::npos);  // only in the abandoned first page
  for (int i = 1; i < k_count; ++i) {
    std::string name = "name: cm-" + std::to_string(i) + "\n";
    auto first = text.find(name);
    CHECK_MESSAGE(first != std::string::npos, name);
    CHECK_MESSAGE(text.find(name, first + 1) == std::string::npos, name);  // exactly once
  }
  std::size_t leftovers = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    leftovers += entry.path().filename().string().find(".ktape-list") != std::string::npos;
  CHECK(leftovers == 0);
}
