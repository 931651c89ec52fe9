// Watch semantics: resourceVersion, synthetic ADDED, 410, bookmarks, initial events, selectors,
// and watchers that never read.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "tests/sim/watch_client.hpp"

using namespace ktape;
using namespace ktape::sim::test;

namespace {
const std::string k_cms = "/api/v1/namespaces/default/configmaps";

std::string rv_of(const Reply& r) { return std::string(r.json().string_at({"metadata", "resourceVersion"})); }

// A raw TCP connection to the cluster, for clients that misbehave.
int connect_raw(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const std::string& text) {
  for (std::size_t at = 0; at < text.size();) {
    ssize_t n = ::send(fd, text.data() + at, text.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return;
    at += static_cast<std::size_t>(n);
  }
}

// Reads from `fd` into `in` until it holds `marker` (true) or the connection ends (false).
bool read_until(int fd, std::string& in, std::string_view marker) {
  char buf[4096];
  while (in.find(marker) == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in.append(buf, static_cast<std::size_t>(n));
  }
  return true;
}
}  // namespace

TEST_CASE("a keep-alive connection serves requests after a watch that timed out") {
  Cluster c;
  std::string rv = rv_of(c.post(k_cms, configmap("before")));
  int fd = connect_raw(c.server->port());
  REQUIRE(fd >= 0);
  std::string in;
  for (const char* name : {"during-1", "during-2"}) {
    send_all(fd, "GET " + k_cms + "?watch=1&timeoutSeconds=1&resourceVersion=" + rv +
                     " HTTP/1.1\r\nHost: x\r\n\r\n");
    Reply created = c.post(k_cms, configmap(name));
    REQUIRE(created.status == 201);
    REQUIRE(read_until(fd, in, "\r\n0\r\n\r\n"));  // the stream's last chunk
    CHECK(in.starts_with("HTTP/1.1 200 OK"));
    CHECK(in.find(std::string("\"name\":\"") + name + "\"") != std::string::npos);
    rv = rv_of(created);
    in.clear();
  }
  send_all(fd, "GET " + k_cms + "/during-2 HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(read_until(fd, in, "\"name\":\"during-2\""));
  CHECK(in.starts_with("HTTP/1.1 200 OK"));
  ::close(fd);
}

TEST_CASE("a watch from a resourceVersion gets every event after it, in order") {
  Cluster c;
  std::string rv = rv_of(c.post(k_cms, configmap("w1")));
  auto obj = c.get(k_cms + "/w1").json();
  obj["data"].set("a", "2");
  REQUIRE(c.put(k_cms + "/w1", formats::to_json(obj)).status == 200);
  REQUIRE(c.del(k_cms + "/w1").status == 200);
  WatchResult w = read_watch(c, k_cms + "?watch=1&resourceVersion=" + rv + "&timeoutSeconds=1");
  CHECK(w.status == 200);
  REQUIRE(w.events.size() == 2);
  CHECK(w.type(0) == "MODIFIED");
  CHECK(w.type(1) == "DELETED");
  CHECK(std::stoull(w.rv(1)) > std::stoull(w.rv(0)));
  CHECK(std::stoull(w.rv(0)) > std::stoull(rv));
}

TEST_CASE("a watch without a resourceVersion starts with synthetic ADDED events, then live ones") {
  Cluster c;
  c.post(k_cms, configmap("old1"));
  c.post(k_cms, configmap("old2"));
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    c.post(k_cms, configmap("new1"));
  });
  WatchResult w = read_watch(c, k_cms + "?watch=true&timeoutSeconds=1");
  writer.join();
  REQUIRE(w.events.size() == 3);
  CHECK(w.events[0].string_at({"object", "metadata", "name"}) == "old1");
  CHECK(w.events[1].string_at({"object", "metadata", "name"}) == "old2");
  CHECK(w.events[2].string_at({"object", "metadata", "name"}) == "new1");
  for (std::size_t i = 0; i < 3; ++i) CHECK(w.type(i) == "ADDED");
  SUBCASE("resourceVersion=0 behaves the same") {
    WatchResult zero = read_watch(c, k_cms + "?watch=true&resourceVersion=0&timeoutSeconds=1");
    CHECK(zero.events.size() == 3);
  }
}

TEST_CASE("a watch older than the history window ends with 410 Expired") {
  sim::ServerOptions options;
  options.watch_history = 5;
  Cluster c(options);
  for (int i = 0; i < 20; ++i) c.post(k_cms, configmap("cm" + std::to_string(i)));
  WatchResult w = read_watch(c, k_cms + "?watch=1&resourceVersion=1&timeoutSeconds=5");
  CHECK(w.status == 200);
  REQUIRE(w.events.size() == 1);
  CHECK(w.type(0) == "ERROR");
  CHECK(w.events[0].at({"object", "code"})->as_int64() == 410);
  CHECK(w.events[0].string_at({"object", "reason"}) == "Expired");
  CHECK(w.events[0].string_at({"object", "message"}).starts_with("too old resource version: 1 ("));
  SUBCASE("a recent resourceVersion inside the window still works") {
    std::string rv = rv_of(c.post(k_cms, configmap("fresh")));
    c.del(k_cms + "/fresh");
    WatchResult ok = read_watch(c, k_cms + "?watch=1&resourceVersion=" + rv + "&timeoutSeconds=1");
    REQUIRE(ok.events.size() == 1);
    CHECK(ok.type(0) == "DELETED");
  }
}

TEST_CASE("bookmarks carry the current resourceVersion when allowed, and only then") {
  Cluster c;
  std::string rv = rv_of(c.post(k_cms, configmap("b1")));
  WatchResult w =
      read_watch(c, k_cms + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + rv + "&timeoutSeconds=1");
  REQUIRE(!w.events.empty());
  CHECK(w.type(w.events.size() - 1) == "BOOKMARK");
  CHECK(w.events.back().string_at({"object", "kind"}) == "ConfigMap");
  CHECK(std::stoull(w.rv(w.events.size() - 1)) >= std::stoull(rv));
  WatchResult none = read_watch(c, k_cms + "?watch=1&resourceVersion=" + rv + "&timeoutSeconds=1");
  CHECK(none.events.empty());
}

TEST_CASE("sendInitialEvents ends the initial events with the initial-events-end bookmark") {
  Cluster c;
  c.post(k_cms, configmap("i1"));
  WatchResult w = read_watch(c, k_cms +
                                    "?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&"
                                    "allowWatchBookmarks=true&timeoutSeconds=1");
  REQUIRE(w.events.size() >= 2);
  CHECK(w.type(0) == "ADDED");
  CHECK(w.type(1) == "BOOKMARK");
  CHECK(w.events[1].string_at({"object", "metadata", "annotations", "k8s.io/initial-events-end"}) == "true");
}

TEST_CASE("a label-selected watch sees objects enter and leave the selection") {
  Cluster c;
  std::string rv = rv_of(c.post(k_cms, configmap("s1", R"({"team":"a"})")));
  c.patch(k_cms + "/s1", R"({"metadata":{"labels":{"team":"b"}}})", "application/merge-patch+json");
  c.patch(k_cms + "/s1", R"({"metadata":{"labels":{"team":"a"}}})", "application/merge-patch+json");
  c.post(k_cms, configmap("other", R"({"team":"b"})"));
  WatchResult w =
      read_watch(c, k_cms + "?watch=1&labelSelector=team%3Da&resourceVersion=" + rv + "&timeoutSeconds=1");
  REQUIRE(w.events.size() == 2);
  CHECK(w.type(0) == "DELETED");
  CHECK(w.type(1) == "ADDED");
}

TEST_CASE("a watcher that never reads does not hold up writers and is disconnected") {
  sim::ServerOptions options;
  options.write_timeout = std::chrono::seconds(3);
  Cluster c(options);
  int fd = connect_raw(c.server->port());
  REQUIRE(fd >= 0);
  std::string request = "GET " + k_cms + "?watch=1&resourceVersion=1 HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string big(200 * 1024, 'x');
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 80; ++i) {
    std::string body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big)" +
                       std::to_string(i) + R"("},"data":{"a":")" + big + "\"}}";
    REQUIRE(c.post(k_cms, body).status == 201);
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
  CHECK(c.get("/readyz").status == 200);
  // The server gives up on the stuck write and closes; draining the socket then reaches the end.
  std::this_thread::sleep_for(options.write_timeout + std::chrono::seconds(2));
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[65536];
  ssize_t n = 0;
  bool closed = false;
  for (int i = 0; i < 100000; ++i) {
    n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      closed = n == 0 || errno == ECONNRESET;
      break;
    }
  }
  CHECK(closed);
  ::close(fd);
  CHECK(c.get(k_cms + "/big79").status == 200);
}
