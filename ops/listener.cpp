#include "ops/listener.hpp"

#include <httplib.h>

#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <thread>

namespace ktape::ops {
namespace {

struct HostPort {
  std::string host;
  int port = 0;
};

Result<HostPort> parse_address(std::string_view address) {
  auto colon = address.rfind(':');
  auto bad = [&] {
    std::string message = "--listen \"";
    message.append(address).append("\": expected HOST:PORT (127.0.0.1:9464, :9464)");
    return fail(ErrorKind::invalid, std::move(message));
  };
  if (colon == std::string_view::npos) return bad();
  HostPort hp;
  hp.host = std::string(address.substr(0, colon));
  if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']')
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  if (hp.host.empty()) hp.host = "0.0.0.0";
  auto port_text = address.substr(colon + 1);
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), hp.port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || hp.port < 0 || hp.port > 65535)
    return bad();
  return hp;
}

class HttpListener final : public Listener {
 public:
  explicit HttpListener(const Metrics& metrics) : m_metrics(metrics) {
    // SO_REUSEADDR (a restart binds at once) but not httplib's default SO_REUSEPORT, with which a
    // second ktape would share the port silently instead of failing to start.
    m_server.set_socket_options([](int sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    m_server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain; charset=utf-8");
    });
    m_server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(m_metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
    });
  }
  ~HttpListener() override {
    m_server.stop();
    if (m_thread.joinable()) m_thread.join();
  }
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  Result<void> bind(const HostPort& hp, std::string_view address) {
    m_port = hp.port == 0 ? m_server.bind_to_any_port(hp.host)
                          : (m_server.bind_to_port(hp.host, hp.port) ? hp.port : -1);
    if (m_port <= 0) {
      std::string message = "--listen ";
      message.append(address).append(
          ": cannot listen there (address in use, or not an address of this host)");
      return fail(ErrorKind::io, std::move(message));
    }
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    // stop() is a no-op until the server runs: wait for it, so that the destructor always stops it.
    while (!m_server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return {};
  }
  int port() const override { return m_port; }

 private:
  const Metrics& m_metrics;
  httplib::Server m_server;
  std::thread m_thread;
  int m_port = 0;
};

}  // namespace

Result<std::unique_ptr<Listener>> start_listener(std::string_view address, const Metrics& metrics) {
  auto hp = parse_address(address);
  if (!hp) return fail(hp.error());
  auto listener = std::make_unique<HttpListener>(metrics);
  auto bound = listener->bind(*hp, address);
  if (!bound) return fail(bound.error());
  return std::unique_ptr<Listener>(std::move(listener));
}

}  // namespace ktape::ops
