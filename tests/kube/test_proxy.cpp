// proxy-url: a kubeconfig cluster's proxy carries every request, plain HTTP (absolute-form request
// lines) and HTTPS (a CONNECT tunnel, the server's certificate still verified end to end), watches
// included; an unreachable proxy is named as such. The proxy is a small forwarding proxy written
// here on raw sockets, so that the test sees each request line it was asked to carry.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "formats/json.hpp"
#include "kube/client.hpp"
#include "kube/kubeconfig.hpp"
#include "sim/server.hpp"
#include "sim/tls.hpp"
#include "tests/kube/helpers.hpp"

using namespace ktape;
using namespace ktape::kube;
using namespace std::chrono_literals;

namespace {

int listen_loopback(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 64) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// An HTTP forward proxy for 127.0.0.1 upstreams: CONNECT opens a tunnel; any other method comes
// with an absolute-form target ("GET http://127.0.0.1:PORT/api HTTP/1.1"), which is rewritten to
// origin-form on its way up. Request bodies are taken by Content-Length; responses are spliced
// through unchanged, so chunked watch streams pass as they come.
class ForwardProxy {
 public:
  ForwardProxy() {
    m_listen = listen_loopback(m_port);
    m_accept = std::thread([this] { accept_loop(); });
  }
  ~ForwardProxy() {
    m_closing = true;
    ::shutdown(m_listen, SHUT_RDWR);
    m_accept.join();
    {
      std::lock_guard lock(m_mu);
      for (int fd : m_fds) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : m_threads) t.join();
    std::lock_guard lock(m_mu);
    for (int fd : m_fds) ::close(fd);
    ::close(m_listen);
  }
  ForwardProxy(const ForwardProxy&) = delete;
  ForwardProxy& operator=(const ForwardProxy&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  std::vector<std::string> request_lines() const {
    std::lock_guard lock(m_mu);
    return m_lines;
  }

 private:
  void accept_loop() {
    for (;;) {
      int fd = ::accept(m_listen, nullptr, nullptr);
      if (fd < 0 || m_closing) {
        if (fd >= 0) ::close(fd);
        return;
      }
      std::lock_guard lock(m_mu);
      m_fds.push_back(fd);
      m_threads.emplace_back([this, fd] { serve(fd); });
    }
  }

  int track(int fd) {
    std::lock_guard lock(m_mu);
    m_fds.push_back(fd);
    return fd;
  }

  void note(const std::string& line) {
    std::lock_guard lock(m_mu);
    m_lines.push_back(line);
  }

  static void splice(int from, int to) {
    char buf[16384];
    for (;;) {
      ssize_t n = ::recv(from, buf, sizeof buf, 0);
      if (n <= 0 || !send_all(to, buf, static_cast<std::size_t>(n))) break;
    }
    ::shutdown(to, SHUT_WR);
  }

  // Reads one request head from `fd` into `head` (bytes past it stay in `pending`).
  static bool read_head(int fd, std::string& pending, std::string& head) {
    char buf[16384];
    for (;;) {
      auto end = pending.find("\r\n\r\n");
      if (end != std::string::npos) {
        head = pending.substr(0, end + 4);
        pending.erase(0, end + 4);
        return true;
      }
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      pending.append(buf, static_cast<std::size_t>(n));
    }
  }

  static int upstream_port(const std::string& authority) {
    auto colon = authority.rfind(':');
    return colon == std::string::npos ? 80 : std::stoi(authority.substr(colon + 1));
  }

  void serve(int client) {
    std::string pending, head;
    if (!read_head(client, pending, head)) return;
    std::string line = head.substr(0, head.find("\r\n"));
    note(line);
    if (line.starts_with("CONNECT ")) {
      std::string authority = line.substr(8, line.find(' ', 8) - 8);
      int up = connect_loopback(upstream_port(authority));
      if (up < 0) return;
      track(up);
      const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
      if (!send_all(client, ok.data(), ok.size()) || !send_all(up, pending.data(), pending.size())) return;
      std::thread down([client, up] { splice(up, client); });
      splice(client, up);
      down.join();
      return;
    }
    // Absolute form: METHOD http://authority/path HTTP/1.1
    auto scheme = line.find("http://");
    if (scheme == std::string::npos) return;
    auto authority_end = line.find('/', scheme + 7);
    int up = connect_loopback(upstream_port(line.substr(scheme + 7, authority_end - scheme - 7)));
    if (up < 0) return;
    track(up);
    std::thread down([client, up] { splice(up, client); });
    for (;;) {
      std::string first = head.substr(0, head.find("\r\n"));
      auto at = first.find("http://");
      if (at != std::string::npos) head.erase(at, first.find('/', at + 7) - at);  // to origin form
      std::size_t length = 0;
      std::string lower = head;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (auto cl = lower.find("\r\ncontent-length:"); cl != std::string::npos)
        length = std::stoul(lower.substr(cl + 17));
      if (!send_all(up, head.data(), head.size())) break;
      char buf[16384];
      while (pending.size() < length) {
        ssize_t n = ::recv(client, buf, sizeof buf, 0);
        if (n <= 0) break;
        pending.append(buf, static_cast<std::size_t>(n));
      }
      std::size_t body = std::min(length, pending.size());
      if (!send_all(up, pending.data(), body)) break;
      pending.erase(0, body);
      if (!read_head(client, pending, head)) break;
      note(head.substr(0, head.find("\r\n")));
    }
    ::shutdown(up, SHUT_WR);
    down.join();
  }

  int m_listen = -1;
  int m_port = 0;
  std::atomic<bool> m_closing{false};
  std::thread m_accept;
  mutable std::mutex m_mu;
  std::vector<int> m_fds;
  std::vector<std::thread> m_threads;
  std::vector<std::string> m_lines;
};

// A kubeconfig for `server_url` through `proxy_url`, loaded the way ktape loads any kubeconfig.
RestConfig config_through(const test::TempDir& dir, const std::string& server_url,
                          const std::string& proxy_url, const std::string& ca_pem = "") {
  std::string ca;
  if (!ca_pem.empty()) {
    test::write_file(dir.path() / "ca.crt", ca_pem);
    ca = "    certificate-authority: ca.crt\n";
  }
  test::write_file(dir.path() / "config",
                   "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                   "    server: " +
                       server_url + "\n    proxy-url: " + proxy_url + "\n" + ca +
                       "contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n"
                       "current-context: c\nusers:\n- name: u\n  user:\n    token: t0k3n\n");
  KubeconfigOptions options;
  options.path = (dir.path() / "config").string();
  auto config = load_kubeconfig(options);
  REQUIRE(config);
  CHECK(config->proxy_url == proxy_url);
  return *config;
}

std::size_t count_prefixed(const std::vector<std::string>& lines, const std::string& prefix) {
  return static_cast<std::size_t>(
      std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.starts_with(prefix); }));
}

// Discovery, a create, a LIST and a watch that sees the create: the whole read/write path.
void exercise(Client& client) {
  auto discovery = client.discover();
  REQUIRE(discovery);
  auto cms = discovery->resolve("configmaps");
  REQUIRE(cms);
  auto cm = formats::parse_json(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"through"},"data":{"k":"v"}})");
  REQUIRE(cm);
  auto created = client.create(*cms, "default", *cm);
  REQUIRE(created);
  ListOptions list;
  list.namespace_name = "default";
  auto listed = client.list_all(*cms, list);
  REQUIRE(listed);
  std::size_t found = 0;
  for (const auto& item : listed->items) found += item.string_at({"metadata", "name"}) == "through";
  CHECK(found == 1);
  WatchOptions watch;
  watch.namespace_name = "default";
  watch.resource_version = "0";
  watch.timeout = 5s;
  auto stream = client.watch(*cms, watch);
  REQUIRE(stream);
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    auto event = stream->next();
    REQUIRE(event);
    if (!*event) break;
    seen = (*event)->object.string_at({"metadata", "name"}) == "through";
  }
  CHECK(seen);
}

}  // namespace

TEST_CASE("proxy-url carries plain HTTP requests, watches included, in absolute form") {
  auto server = sim::Server::start(sim::ServerOptions{});
  REQUIRE(server);
  ForwardProxy proxy;
  test::TempDir dir;
  auto config = config_through(dir, (*server)->url(), proxy.url());
  auto client = Client::create(config);
  REQUIRE(client);
  exercise(**client);
  auto lines = proxy.request_lines();
  const std::string base = (*server)->url();
  CHECK(count_prefixed(lines, "GET " + base + "/api") >= 1);
  CHECK(count_prefixed(lines, "POST " + base + "/api/v1/namespaces/default/configmaps") == 1);
  CHECK(std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find("/configmaps?") != std::string::npos && l.find("watch=") != std::string::npos;
  }));
  for (const auto& l : lines) CHECK_MESSAGE(l.find(base) != std::string::npos, l);  // nothing went around it
}

TEST_CASE("proxy-url tunnels HTTPS with CONNECT and the server's certificate is still verified") {
  auto tls = sim::make_tls_material({"127.0.0.1"});
  REQUIRE(tls);
  sim::ServerOptions options;
  options.tls = *tls;
  auto server = sim::Server::start(options);
  REQUIRE(server);
  ForwardProxy proxy;
  const std::string authority = (*server)->url().substr(std::string("https://").size());
  SUBCASE("trusted CA: everything goes through one or more tunnels") {
    test::TempDir dir;
    auto client = Client::create(config_through(dir, (*server)->url(), proxy.url(), tls->ca_cert_pem));
    REQUIRE(client);
    exercise(**client);
    auto lines = proxy.request_lines();
    REQUIRE(!lines.empty());
    CHECK(count_prefixed(lines, "CONNECT " + authority + " ") == lines.size());
  }
  SUBCASE("another CA: the tunnel opens, the TLS handshake through it fails") {
    auto other = sim::make_tls_material({"127.0.0.1"});
    REQUIRE(other);
    test::TempDir dir;
    auto client = Client::create(config_through(dir, (*server)->url(), proxy.url(), other->ca_cert_pem));
    REQUIRE(client);
    auto version = (*client)->server_version();
    REQUIRE(!version);
    CHECK(version.error().message.find("did not verify against the certificate-authority") !=
          std::string::npos);
    CHECK(count_prefixed(proxy.request_lines(), "CONNECT ") >= 1);
  }
}

TEST_CASE("an unreachable proxy is reported as a transport error, without credentials") {
  auto server = sim::Server::start(sim::ServerOptions{});
  REQUIRE(server);
  int port = 0;
  int fd = listen_loopback(port);
  ::close(fd);  // nothing listens there now
  test::TempDir dir;
  auto config = config_through(dir, (*server)->url(), "http://127.0.0.1:" + std::to_string(port));
  ClientOptions options;
  options.max_retries = 0;
  auto client = Client::create(config, options);
  REQUIRE(client);
  auto version = (*client)->server_version();
  REQUIRE(!version);
  CHECK(version.error().kind == ErrorKind::transport);
  CHECK(version.error().message.find("proxy") != std::string::npos);
  CHECK(version.error().message.find("t0k3n") == std::string::npos);
}
