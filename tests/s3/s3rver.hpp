#pragma once
// Shared by the s3 tests: a real S3-compatible server (s3rver, from npm, installed by
// scripts/install-deps.sh) started on a free loopback port, and a TCP proxy that drops a
// connection after a number of bytes, for the failure a real server cannot be made to produce.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "s3/config.hpp"
#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace ktape::s3::test {

// s3rver's fixed credentials: any other key is refused with 403 InvalidAccessKeyId.
inline constexpr const char* k_access_key = "S3RVER";
inline constexpr const char* k_secret_key = "S3RVER";
inline constexpr const char* k_bucket = "bkt";

// The s3rver entry point: $KTAPE_S3RVER, else <repo>/.deps/s3rver/node_modules/s3rver/bin/s3rver.js;
// nullopt when absent (the tests then skip with a message).
inline std::optional<std::string> find_s3rver() {
  const char* env = std::getenv("KTAPE_S3RVER");
  std::string path = env != nullptr
                         ? env
                         : std::string(KTAPE_SOURCE_DIR) + "/.deps/s3rver/node_modules/s3rver/bin/s3rver.js";
  if (!std::filesystem::exists(path) || !std::filesystem::exists("/usr/bin/node")) return std::nullopt;
  return path;
}

// One s3rver process with bucket k_bucket, stopped (SIGTERM, then waited for) on destruction.
class S3rver {
 public:
  explicit S3rver(const std::string& script) : m_data("ktape-s3rver") {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::string dir = m_data.path().string();
    // --openssl-legacy-provider: s3rver's continuation tokens use DES, which Node 20's OpenSSL 3
    // only offers from its legacy provider.
    std::vector<std::string> args{
        "node", "--openssl-legacy-provider", script,   "-d",      dir, "-a", "127.0.0.1", "-p",
        "0",    "--configure-bucket",        k_bucket, "--silent"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&m_pid, "/usr/bin/node", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0) {
      ::close(out[0]);
      throw std::runtime_error("cannot start s3rver");
    }
    m_port = read_port(out[0]);
    m_output = out[0];  // kept open: s3rver dies of EPIPE when its standard output closes
    if (m_port == 0) {
      stop();
      throw std::runtime_error("s3rver did not say where it listens");
    }
  }
  ~S3rver() { stop(); }
  S3rver(const S3rver&) = delete;
  S3rver& operator=(const S3rver&) = delete;

  int port() const { return m_port; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(m_port); }

  // A configuration for this server with the right credentials, path style, and small parts so
  // that multipart is exercised with little data. s3rver does not enforce S3's 5 MiB minimum.
  Config config(std::size_t part_bytes = std::size_t{1} << 20) const {
    Config c;
    c.endpoint = endpoint();
    c.style = AddressingStyle::path;
    c.credentials = {k_access_key, k_secret_key, ""};
    c.part_bytes = part_bytes;
    return c;
  }

 private:
  // s3rver prints "S3rver listening on 127.0.0.1:PORT" once it accepts connections.
  static int read_port(int fd) {
    std::string text;
    char buf[512];
    constexpr std::string_view k_marker = "listening on 127.0.0.1:";
    while (text.find('\n', text.find(k_marker) == std::string::npos ? text.size() : text.find(k_marker)) ==
           std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20000) <= 0) return 0;
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) return 0;
      text.append(buf, static_cast<std::size_t>(n));
    }
    auto at = text.find(k_marker);
    return at == std::string::npos ? 0 : std::atoi(text.c_str() + at + k_marker.size());
  }

  void stop() {
    if (m_pid <= 0) return;
    ::kill(m_pid, SIGTERM);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
    m_pid = -1;
    if (m_output >= 0) ::close(m_output);
    m_output = -1;
  }

  test_support::TempDir m_data;
  pid_t m_pid = -1;
  int m_port = 0;
  int m_output = -1;
};

// One server for the whole test binary (starting node costs a second or two per start): started at
// first use, stopped at exit; each test keeps to key prefixes of its own. nullptr when s3rver is
// not installed.
inline S3rver* shared_s3rver() {
  static const std::optional<std::string> script = find_s3rver();
  if (!script) return nullptr;
  static S3rver server(*script);
  return &server;
}

// A loopback TCP proxy to `upstream_port` that cuts the connection on which the client-to-server
// bytes of all connections together pass `drop_after` (both sides closed at once, as a dropped
// link). Drop::once: later connections pass (a transient fault); Drop::forever: every later
// connection is cut at once (the link is down); Drop::never: a plain proxy. It counts the
// requests whose line carries "partNumber=" (multipart parts sent, retries included).
// Every thread is joined on destruction.
class DroppingProxy {
 public:
  enum class Drop { never, once, forever };
  DroppingProxy(int upstream_port, std::size_t drop_after, Drop drop)
      : m_upstream(upstream_port), m_drop_after(drop_after), m_drop(drop) {
    m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(m_listen, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(m_listen, 16) != 0 ||
        ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("proxy: cannot listen");
    m_port = ntohs(addr.sin_port);
    m_acceptor = std::thread([this] { accept_loop(); });
  }
  ~DroppingProxy() {
    m_stop = true;
    ::shutdown(m_listen, SHUT_RDWR);
    m_acceptor.join();
    for (auto& t : m_pumps) t.join();
    ::close(m_listen);
  }
  DroppingProxy(const DroppingProxy&) = delete;
  DroppingProxy& operator=(const DroppingProxy&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  bool dropped() const { return m_dropped; }
  int parts_seen() const { return m_parts; }

 private:
  void accept_loop() {
    while (!m_stop) {
      int client = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) return;
      int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<std::uint16_t>(m_upstream));
      if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      m_pumps.emplace_back([this, client, server] { pump(client, server); });
    }
  }

  void pump(int client, int server) {
    char buf[16384];
    std::string seen;  // the end of the request bytes so far, to find a marker split across reads
    bool open = !(m_drop == Drop::forever && m_dropped);
    while (open && !m_stop) {
      pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(p, 2, 200) < 0) break;
      for (int i = 0; i < 2 && open; ++i) {
        if ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        if (n <= 0) {
          open = false;
          break;
        }
        if (i == 0) count_parts(seen, std::string_view(buf, static_cast<std::size_t>(n)));
        bool over =
            i == 0 && m_drop != Drop::never && (m_upward += static_cast<std::size_t>(n)) > m_drop_after;
        if (over && !m_dropped.exchange(true)) {
          open = false;
          break;
        }
        if (::send(p[1 - i].fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) open = false;
      }
    }
    ::close(client);
    ::close(server);
  }

  void count_parts(std::string& seen, std::string_view bytes) {
    constexpr std::string_view k_marker = "?partNumber=";
    std::size_t from = seen.size() >= k_marker.size() ? seen.size() - k_marker.size() + 1 : 0;
    seen.append(bytes);
    for (std::size_t at = seen.find(k_marker, from); at != std::string::npos;
         at = seen.find(k_marker, at + 1))
      ++m_parts;
    if (seen.size() > 64) seen.erase(0, seen.size() - 64);
  }

  int m_upstream;
  std::size_t m_drop_after;
  Drop m_drop;
  int m_listen = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::atomic<std::size_t> m_upward{0};
  std::atomic<int> m_parts{0};
  std::atomic<bool> m_dropped{false};
  std::thread m_acceptor;
  std::vector<std::thread> m_pumps;  // touched by the acceptor only, joined after it
};

}  // namespace ktape::s3::test
