// WATCH and large bodies against a scripted server: events split across chunks, ERROR events,
// a connection reset, invalid JSON, a 50 MiB object, a server that stalls, and cancellation.
#include <doctest/doctest.h>

#include <atomic>
#include <stop_token>

#include "formats/json.hpp"
#include "kube/client.hpp"
#include "kube/watch.hpp"
#include "tests/kube/helpers.hpp"

using namespace ktape;
using namespace ktape::kube;
using namespace std::chrono_literals;
using test::ScriptedServer;

namespace {

const ApiResource k_configmaps{"", "v1", "configmaps", "ConfigMap", "configmap", true, {}, {}, {}, {}, true};

std::string event(const std::string& type, const std::string& name, int rv) {
  return R"({"type":")" + type + R"(","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":")" +
         name + R"(","resourceVersion":")" + std::to_string(rv) + R"("}}})" + "\n";
}

std::unique_ptr<Client> make_client(const std::string& server) {
  RestConfig config;
  config.server = server;
  auto client = Client::create(config);
  REQUIRE(client);
  return std::move(*client);
}

// Serves `body` on the watch path in pieces of `piece` bytes, then ends cleanly, or resets the
// connection when `reset` is set.
void serve_watch(ScriptedServer& server, std::string body, std::size_t piece, bool reset = false) {
  server.http().Get(
      "/api/v1/configmaps", [body, piece, reset](const httplib::Request& req, httplib::Response& res) {
        if (req.get_param_value("watch") != "1") {
          res.status = 400;
          return;
        }
        // Not "application/json": httplib would gzip it and hold the bytes back until the end.
        res.set_chunked_content_provider("application/json;stream=watch",
                                         [body, piece, reset](std::size_t, httplib::DataSink& sink) {
                                           for (std::size_t at = 0; at < body.size(); at += piece) {
                                             sink.write(body.data() + at, std::min(piece, body.size() - at));
                                           }
                                           if (reset) return false;
                                           sink.done();
                                           return true;
                                         });
      });
}

}  // namespace

TEST_CASE("watch events split over many chunks arrive whole, bookmarks included") {
  ScriptedServer server;
  std::string body =
      event("ADDED", "a", 10) + event("MODIFIED", "a", 11) + "\n" + event("DELETED", "a", 12) +
      R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"15"}}})";
  serve_watch(server, body, 1);
  std::string query;
  server.start();
  auto client = make_client(server.url());
  WatchOptions options;
  options.resource_version = "9";
  options.timeout = 30s;
  auto stream = client->watch(k_configmaps, options);
  REQUIRE(stream);
  std::vector<std::string> seen;
  while (true) {
    auto next = stream->next();
    REQUIRE(next);
    if (!*next) break;
    seen.push_back(std::string(to_string((*next)->type)) + " " + (*next)->resource_version);
  }
  CHECK(seen == std::vector<std::string>{"ADDED 10", "MODIFIED 11", "DELETED 12", "BOOKMARK 15"});
  CHECK(stream->resource_version() == "15");
  CHECK(stream->bytes_received() == body.size());
}

TEST_CASE("a watch ERROR event with code 410 is reported as expired") {
  ScriptedServer server;
  serve_watch(
      server,
      R"J({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (245)","reason":"Expired","code":410}})J"
      "\n",
      4096);
  server.start();
  auto client = make_client(server.url());
  WatchOptions options;
  options.resource_version = "1";
  auto stream = client->watch(k_configmaps, options);
  REQUIRE(stream);
  auto next = stream->next();
  REQUIRE(!next);
  CHECK(is_expired(next.error()));
  CHECK(next.error().http_status == 410);
  CHECK(next.error().reason == "Expired");
  CHECK(next.error().message ==
        "watch /api/v1/configmaps?watch=1&resourceVersion=1&allowWatchBookmarks=true: too old resource "
        "version: 1 "
        "(245) (Expired, 410)");
}

TEST_CASE("a connection reset in the middle of a watch is a transport error after the events before it") {
  ScriptedServer server;
  serve_watch(server, event("ADDED", "a", 10) + R"({"type":"MODIFIED","obj)", 7, true);
  server.start();
  auto client = make_client(server.url());
  auto stream = client->watch(k_configmaps, {});
  REQUIRE(stream);
  auto first = stream->next();
  REQUIRE(first);
  REQUIRE(*first);
  CHECK((*first)->resource_version == "10");
  auto broken = stream->next();
  REQUIRE(!broken);
  CHECK(broken.error().kind == ErrorKind::transport);
  CHECK(is_retriable(broken.error()));
  CHECK(stream->resource_version() == "10");
}

TEST_CASE("invalid JSON in a watch names the watch") {
  ScriptedServer server;
  serve_watch(server, event("ADDED", "a", 10) + "{this is not json}\n", 4096);
  server.start();
  auto client = make_client(server.url());
  auto stream = client->watch(k_configmaps, {});
  REQUIRE(stream);
  REQUIRE(stream->next());
  auto bad = stream->next();
  REQUIRE(!bad);
  CHECK(bad.error().kind == ErrorKind::parse);
  CHECK(bad.error().message.starts_with(
      "watch /api/v1/configmaps?watch=1&allowWatchBookmarks=true: invalid watch event"));
}

TEST_CASE("next_raw reads what next reads, the object left as text") {
  std::string body =
      event("ADDED", "a", 10) +
      R"({"object":{"metadata":{"annotations":{"x":"}\"{"},"namespace":"n\u0073","resourceVersion":"11","name":"b"},"kind":"ConfigMap"},"type":"MODIFIED"})"
      "\n" +
      event("DELETED", "a", 12) +
      R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"15"}}})";
  std::vector<std::vector<std::string>> runs;
  for (bool raw : {false, true}) {
    ScriptedServer server;
    serve_watch(server, body, 3);
    server.start();
    auto client = make_client(server.url());
    auto stream = client->watch(k_configmaps, {});
    REQUIRE(stream);
    std::vector<std::string> seen;
    for (;;) {
      if (!raw) {
        auto next = stream->next();
        REQUIRE(next);
        if (!*next) break;
        const auto& e = **next;
        seen.push_back(std::string(to_string(e.type)) + " " + e.resource_version + " " +
                       std::string(e.object.string_at({"metadata", "namespace"})) + "/" +
                       std::string(e.object.string_at({"metadata", "name"})) + " " +
                       formats::to_json(e.object));
        continue;
      }
      auto next = stream->next_raw();
      REQUIRE(next);
      if (!*next) break;
      const auto& e = **next;
      auto object = formats::parse_json(e.object_text());
      REQUIRE(object);
      seen.push_back(std::string(to_string(e.type)) + " " + e.resource_version + " " + e.namespace_name +
                     "/" + e.name + " " + formats::to_json(*object));
    }
    CHECK(stream->resource_version() == "15");
    runs.push_back(seen);
  }
  REQUIRE(runs[0].size() == 4);
  CHECK(runs[0][1].starts_with("MODIFIED 11 ns/b "));
  CHECK(runs[1] == runs[0]);
}

TEST_CASE("scan_watch_event reports what decode_watch_event reports") {
  auto expired = scan_watch_event(
      R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old","reason":"Expired","code":410}})",
      "w");
  REQUIRE(!expired);
  CHECK(is_expired(expired.error()));
  for (const char* bad : {"{this is not json}", R"({"type":"ADDED"})", R"({"type":"NEW","object":{}})",
                          R"({"type":"ADDED","object":[]})", R"({"type":"ADDED","object":{"a":1}} x)"}) {
    CAPTURE(bad);
    auto scanned = scan_watch_event(bad, "w");
    auto decoded = decode_watch_event(bad, "w");
    REQUIRE(!scanned);
    REQUIRE(!decoded);
    CHECK(scanned.error().message == decoded.error().message);
  }
  // Deeper than the walk goes, but JSON: read by the full decoder, the object's place unknown.
  std::string deep = R"({"type":"ADDED","object":{"metadata":{"name":"d"},"x":)" + std::string(1500, '[') +
                     std::string(1500, ']') + "}}";
  auto scanned = scan_watch_event(deep, "w");
  REQUIRE(scanned);
  CHECK(scanned->name == "d");
  CHECK(scanned->object_text().empty());
}

TEST_CASE("a 50 MiB object arrives whole by GET and by WATCH") {
  const std::string big(50u << 20, 'x');
  const std::string object =
      R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"big","resourceVersion":"5"},"data":{"blob":")" +
      big + R"("}})";
  ScriptedServer server;
  server.http().Get(
      "/api/v1/namespaces/default/configmaps/big",
      [&](const httplib::Request&, httplib::Response& res) { res.set_content(object, "application/json"); });
  serve_watch(server, R"({"type":"ADDED","object":)" + object + "}\n", 64 * 1024);
  server.start();
  auto client = make_client(server.url());
  auto got = client->get(k_configmaps, "default", "big");
  REQUIRE(got);
  CHECK(got->string_at({"data", "blob"}).size() == big.size());
  auto stream = client->watch(k_configmaps, {});
  REQUIRE(stream);
  auto next = stream->next();
  REQUIRE(next);
  REQUIRE(*next);
  CHECK((*next)->object.string_at({"data", "blob"}).size() == big.size());
  CHECK((*next)->resource_version == "5");
}

TEST_CASE("a stalled watch fails after its idle timeout; a watch can be stopped from another thread") {
  ScriptedServer server;
  std::atomic<bool> release{false};
  server.http().Get("/api/v1/configmaps", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/json;stream=watch",
                                     [&](std::size_t, httplib::DataSink& sink) {
                                       std::string first = event("ADDED", "a", 10);
                                       sink.write(first.data(), first.size());
                                       for (int i = 0; i < 400 && !release; ++i)
                                         std::this_thread::sleep_for(10ms);
                                       return false;
                                     });
  });
  server.start();
  auto client = make_client(server.url());

  SUBCASE("idle timeout") {
    WatchOptions options;
    options.idle_timeout = 1s;
    auto stream = client->watch(k_configmaps, options);
    REQUIRE(stream);
    REQUIRE(stream->next());
    auto started = std::chrono::steady_clock::now();
    auto stalled = stream->next();
    REQUIRE(!stalled);
    CHECK(stalled.error().kind == ErrorKind::transport);
    CHECK(stalled.error().message.find("timed out") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - started < 3500ms);
  }
  SUBCASE("stop token") {
    std::stop_source stop;
    WatchOptions options;
    options.stop = stop.get_token();
    auto stream = client->watch(k_configmaps, options);
    REQUIRE(stream);
    REQUIRE(stream->next());
    std::thread stopper([&] {
      std::this_thread::sleep_for(200ms);
      stop.request_stop();
    });
    auto stopped = stream->next();
    stopper.join();
    REQUIRE(!stopped);
    CHECK(is_cancelled(stopped.error()));
  }
  release = true;
}

TEST_CASE("a watch the server refuses is an error at start") {
  ScriptedServer server;
  server.http().Get("/api/v1/configmaps", [](const httplib::Request&, httplib::Response& res) {
    res.status = 403;
    res.set_content(
        R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps is forbidden: User \"bob\" cannot watch resource \"configmaps\"","reason":"Forbidden","code":403})",
        "application/json");
  });
  server.start();
  auto client = make_client(server.url());
  auto stream = client->watch(k_configmaps, {});
  REQUIRE(!stream);
  CHECK(stream.error().http_status == 403);
  CHECK(stream.error().reason == "Forbidden");
  CHECK(stream.error().message.find("cannot watch resource") != std::string::npos);
}

TEST_CASE("a reader that falls behind pauses the stream and loses nothing") {
  ScriptedServer server;
  const std::string padding(2000, 'p');
  std::string body;
  constexpr int k_events = 12000;  // ~24 MiB: three times the pause threshold
  for (int i = 0; i < k_events; ++i) {
    body += R"({"type":"ADDED","object":{"metadata":{"name":"n)" + std::to_string(i) +
            R"(","resourceVersion":")" + std::to_string(i + 1) + R"("},"data":{"p":")" + padding + "\"}}}\n";
  }
  serve_watch(server, body, 64 * 1024);
  server.start();
  auto client = make_client(server.url());
  auto stream = client->watch(k_configmaps, {});
  REQUIRE(stream);
  std::this_thread::sleep_for(500ms);  // let the transport fill up and pause
  int count = 0;
  bool in_order = true;
  while (true) {
    auto next = stream->next();
    REQUIRE(next);
    if (!*next) break;
    ++count;
    in_order = in_order && (*next)->resource_version == std::to_string(count);
  }
  CHECK(count == k_events);
  CHECK(in_order);
}
