// kube::Client against a scripted HTTP server: headers, retries, error mapping, pagination and
// answers that are not Kubernetes.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "formats/json.hpp"
#include "kube/client.hpp"
#include "kube/rate_limiter.hpp"
#include "tests/kube/helpers.hpp"

using namespace ktape;
using namespace ktape::kube;
using namespace std::chrono_literals;
using test::FakeClock;
using test::ScriptedServer;

namespace {

const ApiResource k_configmaps{"", "v1", "configmaps", "ConfigMap", "configmap", true, {}, {}, {}, {}, true};

constexpr const char* k_not_found =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"configmaps"},"code":404})";
constexpr const char* k_exists =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"x\" already exists","reason":"AlreadyExists","details":{"name":"x","kind":"configmaps"},"code":409})";
constexpr const char* k_throttled =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","code":429})";

std::unique_ptr<Client> make_client(const std::string& server, std::shared_ptr<Clock> clock = nullptr,
                                    int max_retries = 5) {
  RestConfig config;
  config.server = server;
  ClientOptions options;
  options.clock = clock ? clock : std::make_shared<FakeClock>();
  options.max_retries = max_retries;
  options.connect_timeout = 2000ms;
  auto client = Client::create(config, options);
  REQUIRE(client);
  return std::move(*client);
}

}  // namespace

TEST_CASE("client sends identity, impersonation and its user agent") {
  ScriptedServer server;
  std::string authorization, user_agent, user;
  std::vector<std::string> groups;
  server.http().Get("/version", [&](const httplib::Request& req, httplib::Response& res) {
    authorization = req.get_header_value("Authorization");
    user_agent = req.get_header_value("User-Agent");
    user = req.get_header_value("Impersonate-User");
    for (std::size_t i = 0; i < req.get_header_value_count("Impersonate-Group"); ++i) {
      groups.push_back(req.get_header_value("Impersonate-Group", i));
    }
    res.set_content(R"({"major":"1","minor":"32","gitVersion":"v1.32.0"})", "application/json");
  });
  server.start();
  RestConfig config;
  config.server = "127.0.0.1:" + std::to_string(server.port()) + "/";  // no scheme, no TLS: http
  config.token = "s3cret-token";
  config.impersonate_user = "alice";
  config.impersonate_groups = {"dev", "ops"};
  auto client = Client::create(config);
  REQUIRE(client);
  auto version = (*client)->server_version();
  REQUIRE(version);
  CHECK(version->string_at({"gitVersion"}) == "v1.32.0");
  CHECK(authorization == "Bearer s3cret-token");
  CHECK(user_agent.starts_with("ktape/"));
  CHECK(user == "alice");
  CHECK(groups == std::vector<std::string>{"dev", "ops"});
}

TEST_CASE("429 is retried after the Retry-After the server asks for") {
  ScriptedServer server;
  int calls = 0;
  server.http().Post("/api/v1/namespaces/default/configmaps", [&](const httplib::Request&,
                                                                  httplib::Response& res) {
    if (++calls < 3) {
      res.status = 429;
      res.set_header("Retry-After", "3");
      res.set_content(k_throttled, "application/json");
      return;
    }
    res.status = 201;
    res.set_content(R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x"}})", "application/json");
  });
  server.start();
  auto clock = std::make_shared<FakeClock>();
  auto client = make_client(server.url(), clock);
  formats::Value object = formats::Value::object();
  object["metadata"].set("name", "x");
  auto created = client->create(k_configmaps, "default", object);
  REQUIRE(created);
  CHECK(calls == 3);
  CHECK(clock->sleeps() == std::vector<std::chrono::nanoseconds>{3s, 3s});
  CHECK(client->retries() == 2);

  SUBCASE("and reported as throttled when retries run out") {
    calls = -100;
    auto limited = make_client(server.url(), clock, 2);
    auto refused = limited->create(k_configmaps, "default", object);
    REQUIRE(!refused);
    CHECK(refused.error().kind == ErrorKind::throttled);
    CHECK(refused.error().http_status == 429);
    CHECK(refused.error().message.find("Too many requests") != std::string::npos);
  }
}

TEST_CASE("5xx is retried with growing backoff for GET but not for POST") {
  ScriptedServer server;
  int gets = 0, posts = 0;
  server.http().Get("/api/v1/namespaces/default/configmaps/x",
                    [&](const httplib::Request&, httplib::Response& res) {
                      if (++gets <= 3) {
                        res.status = gets == 1 ? 500 : (gets == 2 ? 503 : 504);
                        res.set_content("upstream hiccup", "text/plain");
                        return;
                      }
                      res.set_content(R"({"kind":"ConfigMap","metadata":{"name":"x"}})", "application/json");
                    });
  server.http().Post("/api/v1/namespaces/default/configmaps",
                     [&](const httplib::Request&, httplib::Response& res) {
                       ++posts;
                       res.status = 503;
                       res.set_content("busy", "text/plain");
                     });
  server.start();
  auto clock = std::make_shared<FakeClock>();
  auto client = make_client(server.url(), clock);
  auto got = client->get(k_configmaps, "default", "x");
  REQUIRE(got);
  CHECK(gets == 4);
  auto sleeps = clock->sleeps();
  REQUIRE(sleeps.size() == 3);
  // 200 ms doubling, each jittered within its upper half.
  CHECK(sleeps[0] >= 100ms);
  CHECK(sleeps[0] <= 200ms);
  CHECK(sleeps[2] >= 400ms);
  CHECK(sleeps[2] <= 800ms);

  auto posted = client->create(k_configmaps, "default", formats::Value::object());
  REQUIRE(!posted);
  CHECK(posts == 1);
  CHECK(posted.error().kind == ErrorKind::http_status);
  CHECK(posted.error().http_status == 503);
  CHECK(posted.error().message == "POST /api/v1/namespaces/default/configmaps: HTTP 503: busy");
}

TEST_CASE("a refused connection is retried, then reported as a transport error") {
  int port = 0;
  {
    ScriptedServer closed;
    closed.start();
    port = closed.port();
  }
  auto clock = std::make_shared<FakeClock>();
  auto client = make_client("http://127.0.0.1:" + std::to_string(port), clock, 3);
  auto created = client->create(k_configmaps, "default", formats::Value::object());
  REQUIRE(!created);
  CHECK(created.error().kind == ErrorKind::transport);
  CHECK(created.error().message.find("could not connect") != std::string::npos);
  CHECK(clock->sleeps().size() == 3);
  CHECK(is_retriable(created.error()));
}

TEST_CASE("metav1.Status answers map onto error kinds") {
  ScriptedServer server;
  server.http().Get("/api/v1/namespaces/default/configmaps/x",
                    [](const httplib::Request&, httplib::Response& res) {
                      res.status = 404;
                      res.set_content(k_not_found, "application/json");
                    });
  server.http().Post("/api/v1/namespaces/default/configmaps",
                     [](const httplib::Request&, httplib::Response& res) {
                       res.status = 409;
                       res.set_content(k_exists, "application/json");
                     });
  server.start();
  RestConfig config;
  config.server = server.url();
  config.token = "never-printed";
  auto client = Client::create(config);
  REQUIRE(client);
  auto missing = (*client)->get(k_configmaps, "default", "x");
  REQUIRE(!missing);
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().reason == "NotFound");
  CHECK(missing.error().message ==
        "GET /api/v1/namespaces/default/configmaps/x: configmaps \"x\" not found (NotFound, 404)");
  auto exists = (*client)->create(k_configmaps, "default", formats::Value::object());
  REQUIRE(!exists);
  CHECK(is_conflict(exists.error()));
  CHECK(exists.error().reason == "AlreadyExists");
  CHECK(exists.error().message.find("never-printed") == std::string::npos);
  auto no_namespace = (*client)->get(k_configmaps, "", "x");
  REQUIRE(!no_namespace);
  CHECK(no_namespace.error().kind == ErrorKind::invalid);
}

TEST_CASE("a server that is not Kubernetes is named as such") {
  ScriptedServer server;
  server.http().Get("/version", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><body>Welcome to nginx!</body></html>", "text/html");
  });
  server.http().Get("/api", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("https://login.example.com/sso");
  });
  server.http().Get("/api/v1/configmaps", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"kind":"ConfigMapList","items":[{"metadata":)", "application/json");
  });
  server.start();
  auto client = make_client(server.url());
  auto version = client->server_version();
  REQUIRE(!version);
  CHECK(version.error().message ==
        "GET /version: the answer is text/html, not JSON; the server URL does not look like a Kubernetes "
        "apiserver");
  auto discovery = client->discover();
  REQUIRE(!discovery);
  CHECK(discovery.error().message.find("redirected (HTTP 302) to https://login.example.com/sso") !=
        std::string::npos);
  auto list = client->list_all(k_configmaps, {});
  REQUIRE(!list);
  CHECK(list.error().kind == ErrorKind::parse);
  CHECK(list.error().message.starts_with("GET /api/v1/configmaps?limit=500: invalid JSON in the answer"));
}

TEST_CASE("LIST pages follow continue tokens and items get apiVersion and kind") {
  ScriptedServer server;
  std::vector<std::string> queries;
  server.http().Get(
      "/api/v1/namespaces/demo/configmaps", [&](const httplib::Request& req, httplib::Response& res) {
        std::string cont = req.get_param_value("continue");
        queries.push_back("limit=" + req.get_param_value("limit") + " continue=" + cont +
                          " rv=" + req.get_param_value("resourceVersion") +
                          " l=" + req.get_param_value("labelSelector"));
        std::string next = cont.empty() ? "page2" : (cont == "page2" ? "page3" : "");
        std::string name = cont.empty() ? "a" : cont;
        res.set_content(
            R"({"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"77","continue":")" +
                next + R"("},"items":[{"metadata":{"name":")" + name + R"("}}]})",
            "application/json");
      });
  server.start();
  auto client = make_client(server.url());
  ListOptions options;
  options.namespace_name = "demo";
  options.limit = 1;
  options.resource_version = "0";
  options.label_selector = "app in (web,db)";
  auto pager = client->list(k_configmaps, options);
  std::vector<std::string> names;
  while (true) {
    auto page = pager.next();
    REQUIRE(page);
    if (!*page) break;
    CHECK((*page)->resource_version == "77");
    for (const auto& item : (*page)->items) {
      names.emplace_back(item.string_at({"metadata", "name"}));
      CHECK(item.as_object().front().key == "apiVersion");
      CHECK(item.string_at({"kind"}) == "ConfigMap");
      CHECK(item.string_at({"apiVersion"}) == "v1");
    }
  }
  CHECK(names == std::vector<std::string>{"a", "page2", "page3"});
  REQUIRE(queries.size() == 3);
  CHECK(queries[0] == "limit=1 continue= rv=0 l=app in (web,db)");
  CHECK(queries[1] == "limit=1 continue=page2 rv= l=app in (web,db)");
}

TEST_CASE("the QPS limiter spaces requests beyond the burst") {
  auto clock = std::make_shared<FakeClock>();
  RateLimiter limiter(10, 2, clock);
  for (int i = 0; i < 5; ++i) limiter.acquire();
  std::chrono::nanoseconds total{0};
  for (auto s : clock->sleeps()) total += s;
  CHECK(clock->sleeps().size() == 3);
  CHECK(std::chrono::abs(total - 300ms) < 1ms);
  RateLimiter off(0, 1, clock);
  for (int i = 0; i < 100; ++i) off.acquire();
  CHECK(clock->sleeps().size() == 3);
}

TEST_CASE("a server URL with another scheme is refused") {
  RestConfig config;
  config.server = "ftp://127.0.0.1:21";
  auto client = Client::create(config);
  REQUIRE(!client);
  CHECK(client.error().message == "server \"ftp://127.0.0.1:21\" is not an http:// or https:// URL");
}

TEST_CASE("plain HTTP requests from many threads reuse keep-alive connections") {
  ScriptedServer server;
  std::mutex mutex;
  std::set<int> ports;
  int calls = 0;
  server.http().Get("/version", [&](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard lock(mutex);
      ports.insert(req.remote_port);
      ++calls;
    }
    res.set_content(R"({"major":"1","minor":"32","gitVersion":"v1.32.0"})", "application/json");
  });
  server.http().set_keep_alive_max_count(1000);  // cpp-httplib closes after 5 requests by default
  server.start();
  auto client = make_client(server.url());
  constexpr int k_threads = 4, k_each = 25;
  std::vector<std::thread> threads;
  std::atomic<int> answered{0};
  for (int t = 0; t < k_threads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < k_each; ++i)
        if (auto v = client->server_version(); v && v->string_at({"gitVersion"}) == "v1.32.0") ++answered;
    });
  for (auto& t : threads) t.join();
  CHECK(answered == k_threads * k_each);
  CHECK(calls == k_threads * k_each);
  // One connection per thread that had a request in flight at once, not one per request.
  CHECK(ports.size() <= static_cast<std::size_t>(k_threads));
}

TEST_CASE("a request whose answer stalls fails after the idle timeout") {
  ScriptedServer server;
  std::atomic<bool> release{false};
  server.http().Get(
      "/api/v1/namespaces/default/configmaps/slow", [&](const httplib::Request&, httplib::Response& res) {
        for (int i = 0; i < 500 && !release; ++i) std::this_thread::sleep_for(10ms);
        res.set_content(R"({"kind":"ConfigMap","metadata":{"name":"slow"}})", "application/json");
      });
  server.start();
  RestConfig config;
  config.server = server.url();
  ClientOptions options;
  options.clock = std::make_shared<FakeClock>();
  options.max_retries = 0;
  options.request_idle_timeout = 1s;
  auto client = Client::create(config, options);
  REQUIRE(client);
  auto started = std::chrono::steady_clock::now();
  auto got = (*client)->get(k_configmaps, "default", "slow");
  auto took = std::chrono::steady_clock::now() - started;
  release = true;
  REQUIRE(!got);
  CHECK(got.error().kind == ErrorKind::transport);
  CHECK(got.error().message ==
        "GET " + server.url() +
            "/api/v1/namespaces/default/configmaps/slow: timed out: no data for 1 s (idle timeout)");
  CHECK(took >= 900ms);
  CHECK(took < 3500ms);
}

TEST_CASE("a write's answer is read whole, as metadata or identity only, or not at all") {
  // Fields around metadata, nesting, escapes and spaces: what metadata-only reading must get right.
  const std::string answer =
      R"( { "spec" : {"metadata":{"name":"not-this"},"list":[{"a":[1,2,{"b":{}}]}]}, "apiVersion":"v1",)"
      R"( "kind":"ConfigMap", "metadata" : { "name" : "x", "uid" : "u-1", "labels":{"a\"b":"c}d"},)"
      R"( "resourceVersion":"42", "ownerReferences":[{"uid":"o"}] } , "data" : {"k":"v \\ }"},)"
      R"( "status":{"n":1.5e3} } )";
  ScriptedServer server;
  server.http().Post("/api/v1/namespaces/default/configmaps",
                     [&](const httplib::Request&, httplib::Response& res) {
                       res.status = 201;
                       res.set_content(answer, "application/json");
                     });
  server.http().Put("/api/v1/namespaces/default/configmaps/x",
                    [&](const httplib::Request&, httplib::Response& res) {
                      res.set_content(R"({"kind":"ConfigMap","apiVersion":"v1"})", "application/json");
                    });
  server.http().Patch("/api/v1/namespaces/default/configmaps/x/status",
                      [&](const httplib::Request&, httplib::Response& res) {
                        res.status = 409;
                        res.set_content(k_exists, "application/json");
                      });
  server.start();
  auto client = make_client(server.url());
  formats::Value object = formats::Value::object();
  object["metadata"].set("name", "x");
  auto whole = client->create(k_configmaps, "default", object);
  REQUIRE(whole);
  auto meta = client->create(k_configmaps, "default", object, Answer::metadata);
  REQUIRE(meta);
  formats::Value expected = formats::Value::object();
  expected.set("apiVersion", "v1");
  expected.set("kind", "ConfigMap");
  expected.set("metadata", *whole->find("metadata"));
  CHECK(formats::to_json(*meta) == formats::to_json(expected));
  CHECK(meta->string_at({"metadata", "labels", "a\"b"}) == "c}d");
  // Identity: the strings that name the object and its version, none of the rest.
  auto identity = client->create(k_configmaps, "default", object, Answer::identity);
  REQUIRE(identity);
  CHECK(
      formats::to_json(*identity) ==
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","uid":"u-1","resourceVersion":"42"}})");
  auto none = client->create(k_configmaps, "default", object, Answer::none);
  REQUIRE(none);
  CHECK(none->is_null());
  // No metadata in the answer: metadata-only reading falls back to the whole answer.
  auto fallback = client->update(k_configmaps, "default", object, {}, Answer::metadata);
  REQUIRE(fallback);
  CHECK(fallback->string_at({"kind"}) == "ConfigMap");
  // An error is read whole whatever the caller asked for.
  auto refused =
      client->patch(k_configmaps, "default", "x", formats::PatchType::merge, object, "status", Answer::none);
  REQUIRE(!refused);
  CHECK(refused.error().reason == "AlreadyExists");
}

TEST_CASE("a kept-alive connection the server closed is replaced, and the POST is sent once") {
  ScriptedServer server;
  int posts = 0;
  std::set<int> ports;
  server.http().set_keep_alive_timeout(1);  // the server closes idle connections after 1 s
  server.http().Post(
      "/api/v1/namespaces/default/configmaps", [&](const httplib::Request& req, httplib::Response& res) {
        ++posts;
        ports.insert(req.remote_port);
        res.status = 201;
        res.set_chunked_content_provider("application/json", [](std::size_t, httplib::DataSink& sink) {
          std::string part1 = R"({"kind":"ConfigMap","apiVersion":"v1",)";
          std::string part2 = R"("metadata":{"name":"x","uid":"u-1"}})";
          sink.write(part1.data(), part1.size());
          sink.write(part2.data(), part2.size());
          sink.done();
          return true;
        });
      });
  server.start();
  auto client = make_client(server.url(), nullptr, 0);  // no retries by the client layer
  formats::Value object = formats::Value::object();
  object["metadata"].set("name", "x");
  auto first = client->create(k_configmaps, "default", object);
  REQUIRE(first);
  CHECK(first->string_at({"metadata", "uid"}) == "u-1");
  std::this_thread::sleep_for(1500ms);
  auto second = client->create(k_configmaps, "default", object, Answer::metadata);
  REQUIRE(second);
  CHECK(second->string_at({"metadata", "uid"}) == "u-1");
  CHECK(posts == 2);
  CHECK(ports.size() == 2);
}
