// The HTTP side of the simulated cluster on Boost.Beast: one acceptor thread, one thread per
// connection (synchronous reads and writes; keep-alive), chunked watch streams written by the
// watch hubs (watch_hub.hpp: ServerOptions::threads of them, one thread each, asynchronous writes,
// each event formatted once per hub; the connection's thread sleeps meanwhile), and a monitor
// thread that reaps finished connections and closes those stuck writing to a client that does
// not read (the store never waits for them).
#include "sim/server.hpp"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <list>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "sim/api.hpp"
#include "sim/auth.hpp"
#include "sim/object_util.hpp"
#include "sim/server_http.hpp"
#include "sim/watch_hub.hpp"

namespace ktape::sim {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Bytes handed to one send call at most (Asio's default is 64 KB: a watch chunk of 256 KB took
// four calls).
constexpr std::size_t k_max_send_bytes = std::size_t{1024} * 1024;
constexpr char k_state_file[] = "state.jsonl";
// A connection reads up to this much per system call (most requests in one).
constexpr std::size_t k_read_buffer_bytes = std::size_t{16} * 1024;

std::int64_t now_ns() { return Clock::now().time_since_epoch().count(); }

}  // namespace

struct Connection {
  std::thread thread;
  int fd = -1;                               // under ServerImpl::m_conns_mu; -1 once closed
  std::atomic<std::int64_t> write_since{0};  // steady ns of the current write's last progress; 0 idle
  std::atomic<bool> done{false};
  std::size_t hub = 0;  // the watch hub whose io_context the socket uses
};

class ServerImpl {
 public:
  explicit ServerImpl(ServerOptions options)
      : m_options(std::move(options)),
        m_store(StoreOptions{m_options.watch_history, m_options.garbage_collector,
                             m_options.content_controllers}),
        m_api(m_store, ApiOptions{m_options.max_body_bytes, detail::now_rfc3339()}),
        m_acceptor(m_ioc) {
    // Several hubs (one thread each) share the watch streams, so that sending uses every core.
    for (unsigned i = 0; i < std::max(1u, m_options.threads); ++i) {
      m_watch_iocs.push_back(std::make_unique<net::io_context>());
      m_hubs.push_back(std::make_unique<WatchHub>(m_store, *m_watch_iocs.back(), m_options.watch_history));
    }
  }

  Result<void> start();
  void stop();
  void wait() {
    std::unique_lock lock(m_state_mu);
    m_state_cv.wait(lock, [&] { return m_stopped; });
  }
  std::uint16_t port() const { return m_port; }
  std::string url() const {
    return std::string(m_options.tls ? "https" : "http") + "://" + m_options.address + ":" +
           std::to_string(m_port);
  }
  std::size_t object_count() const { return m_store.object_count(); }

 private:
  Result<void> load_state();
  void save_state();
  void accept_loop();
  void monitor_loop();
  void run_connection(Connection& c, tcp::socket socket);
  template <class Stream>
  void serve(Stream& stream, Connection& c);
  template <class Stream>
  bool send(Stream& stream, Connection& c, const Response& response, bool keep_alive);
  template <class Stream>
  bool stream_watch(Stream& stream, Connection& c, const WatchPlan& plan);
  bool stream_watch(tcp::socket& socket, Connection& c, const WatchPlan& plan);
  template <class Stream>
  bool write_watch(Stream& stream, Connection& c, const WatchPlan& plan);
  void drain(Connection& c);

  ServerOptions m_options;
  Store m_store;
  Api m_api;
  net::io_context m_ioc;
  tcp::acceptor m_acceptor;
  std::vector<std::unique_ptr<net::io_context>> m_watch_iocs;  // a connection's socket uses one
  std::vector<std::unique_ptr<WatchHub>> m_hubs;               // one per m_watch_iocs entry
  std::size_t m_next_hub = 0;
  std::optional<net::ssl::context> m_ssl;
  std::uint16_t m_port = 0;
  std::thread m_accept_thread, m_monitor_thread;
  std::mutex m_conns_mu;
  std::list<std::shared_ptr<Connection>> m_conns;
  std::mutex m_state_mu;
  std::condition_variable m_state_cv;
  bool m_stopping = false, m_stopped = false;
  std::atomic<bool> m_closing{false};
};

// The completion condition of every write: transfers everything, and marks the connection's
// progress each time the client took some bytes, so that the write timeout counts from the last
// progress, not from the start of a large write to a client that reads slowly but steadily.
struct MarkProgress {
  Connection* c;
  std::size_t operator()(const boost::system::error_code& ec, std::size_t) const {
    c->write_since = now_ns();
    return ec ? 0 : k_max_send_bytes;
  }
};

// Marks a connection as writing for as long as it lives, for the monitor's write timeout.
class WriteGuard {
 public:
  explicit WriteGuard(Connection& c) : m_c(c) { m_c.write_since = now_ns(); }
  ~WriteGuard() { m_c.write_since = 0; }
  WriteGuard(const WriteGuard&) = delete;
  WriteGuard& operator=(const WriteGuard&) = delete;

 private:
  Connection& m_c;
};

Result<void> ServerImpl::start() {
  boost::system::error_code ec;
  if (m_options.tls) {
    m_ssl.emplace(net::ssl::context::tls_server);
    m_ssl->use_certificate_chain(net::buffer(m_options.tls->server_cert_pem), ec);
    if (!ec) m_ssl->use_private_key(net::buffer(m_options.tls->server_key_pem), net::ssl::context::pem, ec);
    if (ec) return fail(ErrorKind::invalid, "TLS serving certificate or key rejected: " + ec.message());
    enable_alpn_http11(m_ssl->native_handle());
  }
  auto address = net::ip::make_address(m_options.address, ec);
  if (ec) return fail(ErrorKind::invalid, "listen address " + m_options.address + ": " + ec.message());
  tcp::endpoint endpoint(address, m_options.port);
  m_acceptor.open(endpoint.protocol(), ec);
  if (!ec) m_acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) m_acceptor.bind(endpoint, ec);
  if (!ec) m_acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return fail(ErrorKind::io, "cannot listen on " + m_options.address + ":" +
                                   std::to_string(m_options.port) + ": " + ec.message());
  m_port = m_acceptor.local_endpoint().port();
  if (auto loaded = load_state(); !loaded) return fail(loaded.error());
  m_store.ensure_system_namespaces();
  m_store.start_controllers();
  for (auto& hub : m_hubs) hub->start();
  m_accept_thread = std::thread([this] { accept_loop(); });
  m_monitor_thread = std::thread([this] { monitor_loop(); });
  return {};
}

Result<void> ServerImpl::load_state() {
  std::filesystem::path file = m_options.restore_from;
  if (file.empty()) {
    if (m_options.data_dir.empty()) return {};
    file = std::filesystem::path(m_options.data_dir) / k_state_file;
    if (!std::filesystem::exists(file)) return {};
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return fail(ErrorKind::io, "cannot read " + file.string());
  auto restored = m_store.restore(text.str());
  if (!restored) return fail(ErrorKind::parse, file.string() + ": " + restored.error().message);
  return {};
}

void ServerImpl::save_state() {
  if (m_options.data_dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(m_options.data_dir, ec);
  std::filesystem::path file = std::filesystem::path(m_options.data_dir) / k_state_file;
  std::filesystem::path tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << m_store.dump();
    if (!out) return;
  }
  std::filesystem::rename(tmp, file, ec);
}

void ServerImpl::stop() {
  {
    std::unique_lock lock(m_state_mu);
    if (m_stopping) {
      m_state_cv.wait(lock, [&] { return m_stopped; });
      return;
    }
    m_stopping = true;
  }
  m_closing = true;
  ::shutdown(m_acceptor.native_handle(), SHUT_RDWR);
  if (m_accept_thread.joinable()) m_accept_thread.join();
  boost::system::error_code ec;
  m_acceptor.close(ec);
  m_store.stop();
  if (m_monitor_thread.joinable()) m_monitor_thread.join();
  std::list<std::shared_ptr<Connection>> conns;
  {
    std::lock_guard lock(m_conns_mu);
    for (auto& c : m_conns) {
      if (c->fd >= 0) ::shutdown(c->fd, SHUT_RDWR);
    }
    conns.swap(m_conns);
  }
  for (auto& c : conns) {
    if (c->thread.joinable()) c->thread.join();
  }
  for (auto& hub : m_hubs) hub->stop();
  save_state();
  {
    std::lock_guard lock(m_state_mu);
    m_stopped = true;
  }
  m_state_cv.notify_all();
}

void ServerImpl::accept_loop() {
  for (;;) {
    std::size_t hub = m_next_hub++ % m_hubs.size();
    // A plain socket stays off the hubs' reactors until it carries a watch (stream_watch): a
    // registered socket would wake its hub's thread on every request that arrives and every
    // answer sent. A TLS stream cannot move, so it is the hub's from the start.
    tcp::socket socket(m_ssl ? *m_watch_iocs[hub] : m_ioc);
    boost::system::error_code ec;
    m_acceptor.accept(socket, ec);
    if (m_closing) return;
    if (ec) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // out of descriptors: let some close
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto c = std::make_shared<Connection>();
    c->hub = hub;
    std::lock_guard lock(m_conns_mu);
    c->fd = socket.native_handle();
    c->thread = std::thread([this, c, s = std::move(socket)]() mutable {
      run_connection(*c, std::move(s));
      c->done = true;
    });
    m_conns.push_back(std::move(c));
  }
}

void ServerImpl::monitor_loop() {
  while (!m_closing) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::list<std::shared_ptr<Connection>> finished;
    {
      std::lock_guard lock(m_conns_mu);
      for (auto it = m_conns.begin(); it != m_conns.end();) {
        Connection& c = **it;
        std::int64_t since = c.write_since;
        if (since != 0 && c.fd >= 0 &&
            now_ns() - since >
                std::chrono::duration_cast<std::chrono::nanoseconds>(m_options.write_timeout).count())
          ::shutdown(c.fd, SHUT_RDWR);
        if (c.done) {
          finished.push_back(*it);
          it = m_conns.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& c : finished) c->thread.join();
  }
}

void ServerImpl::run_connection(Connection& c, tcp::socket socket) {
  if (m_ssl) {
    net::ssl::stream<tcp::socket> stream(std::move(socket), *m_ssl);
    boost::system::error_code ec;
    stream.handshake(net::ssl::stream_base::server, ec);
    if (!ec) serve(stream, c);
    std::lock_guard lock(m_conns_mu);
    c.fd = -1;
    stream.next_layer().close(ec);
    return;
  }
  serve(socket, c);
  std::lock_guard lock(m_conns_mu);
  c.fd = -1;
  boost::system::error_code ec;
  socket.close(ec);
}

template <class Stream>
void ServerImpl::serve(Stream& stream, Connection& c) {
  // Beast reads as much as the buffer's free capacity (at least 512 bytes) at a time, and a
  // request's body moves out of it: without room reserved, a 3 KB create took seven reads.
  boost::beast::flat_buffer buffer;
  buffer.reserve(k_read_buffer_bytes);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(1 << 20);
    parser.body_limit(m_options.max_body_bytes);
    boost::beast::error_code ec;
    http::read_header(stream, buffer, parser, ec);
    // A snapshot restore carries the whole cluster: any size (the path is ktape's, not the API's).
    if (!ec) {
      auto target = parser.get().target();
      if (std::string_view(target.data(), target.size()) == k_snapshot_path) parser.body_limit(boost::none);
    }
    if (!ec) http::read(stream, buffer, parser, ec);
    if (ec == http::error::body_limit) {
      send(stream, c, error_response(err_too_large(m_options.max_body_bytes)), false);
      if constexpr (std::is_same_v<Stream, tcp::socket>) drain(c);
      return;
    }
    if (ec) return;
    auto& req = parser.get();
    bool keep_alive = req.keep_alive();
    if (!m_options.token.empty() && !bearer_token_matches(req, m_options.token)) {
      if (!send(stream, c, error_response(err_unauthorized()), keep_alive) || !keep_alive) return;
      continue;
    }
    auto outcome = m_api.handle(to_request(req));
    if (auto* response = std::get_if<Response>(&outcome)) {
      if (!send(stream, c, *response, keep_alive) || !keep_alive) return;
      continue;
    }
    if (!stream_watch(stream, c, std::get<WatchPlan>(outcome)) || !keep_alive) return;
  }
}

// The head is written by hand and gathered with the body (one write, no copy of the body).
template <class Stream>
bool ServerImpl::send(Stream& stream, Connection& c, const Response& response, bool keep_alive) {
  const std::string& body = response.text();
  auto status = static_cast<http::status>(response.status);
  std::string head;
  head.reserve(160);
  head += "HTTP/1.1 ";
  head += std::to_string(response.status);
  head += ' ';
  head += std::string_view(http::obsolete_reason(status).data(), http::obsolete_reason(status).size());
  head += "\r\nContent-Type: ";
  head += response.content_type;
  for (const std::string& warning : response.warnings) {
    head += "\r\nWarning: 299 - \"";
    head += warning;
    head += '"';
  }
  head += "\r\nCache-Control: no-cache, private\r\nContent-Length: ";
  head += std::to_string(body.size());
  head += keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
  std::array<net::const_buffer, 2> buffers{net::buffer(head), net::buffer(body)};
  boost::beast::error_code ec;
  WriteGuard guard(c);
  net::write(stream, buffers, MarkProgress{&c}, ec);
  return !ec;
}

// A watch's connection as the hub writes to it: asynchronous writes on the connection's stream
// (whose executor the hub runs), timed by the monitor's write timeout.
template <class Stream>
class StreamSink final : public WatchSink {
 public:
  StreamSink(Stream& stream, Connection& c)
      : m_stream(stream), m_c(c), m_fd(boost::beast::get_lowest_layer(stream).native_handle()) {}
  void write(std::vector<net::const_buffer> buffers, std::function<void(bool)> done) override {
    m_c.write_since = now_ns();
    net::async_write(m_stream, std::move(buffers), MarkProgress{&m_c},
                     [this, done = std::move(done)](boost::system::error_code ec, std::size_t) {
                       m_c.write_since = 0;
                       done(!ec);
                     });
  }
  int fd() const override { return m_fd; }

 private:
  Stream& m_stream;
  Connection& m_c;
  int m_fd;
};

// A TLS stream's socket already uses its hub's io_context.
template <class Stream>
bool ServerImpl::stream_watch(Stream& stream, Connection& c, const WatchPlan& plan) {
  return write_watch(stream, c, plan);
}

// A plain socket moves to its hub's io_context for the watch, and back for the next request.
bool ServerImpl::stream_watch(tcp::socket& socket, Connection& c, const WatchPlan& plan) {
  boost::system::error_code ec;
  auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return false;
  int fd = socket.release(ec);
  if (ec) return false;
  tcp::socket watch(*m_watch_iocs[c.hub]);
  watch.assign(protocol, fd, ec);
  bool ok = !ec && write_watch(watch, c, plan);
  if (watch.is_open()) fd = watch.release(ec);
  socket.assign(protocol, fd, ec);  // the connection's thread closes it, as any other
  return ok && !ec;
}

template <class Stream>
bool ServerImpl::write_watch(Stream& stream, Connection& c, const WatchPlan& plan) {
  http::response<http::empty_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-cache, private");
  res.chunked(true);
  http::response_serializer<http::empty_body> serializer{res};
  boost::beast::error_code ec;
  {
    WriteGuard guard(c);
    http::write_header(stream, serializer, ec);
    if (ec) return false;
  }
  StreamSink<Stream> sink(stream, c);
  return m_hubs[c.hub]->run(sink, plan);
}

// After a 413 the client may still be sending its body; read and drop it (bounded in time by
// the receive timeout) so that closing does not reset the connection before the answer is read.
void ServerImpl::drain(Connection& c) {
  timeval tv{1, 0};
  ::setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::shutdown(c.fd, SHUT_WR);
  char sink[64 * 1024];
  for (int i = 0; i < 4096; ++i) {
    if (::recv(c.fd, sink, sizeof sink, 0) <= 0) break;
  }
}

Result<std::unique_ptr<Server>> Server::start(ServerOptions options) {
  auto impl = std::make_unique<ServerImpl>(std::move(options));
  if (auto ok = impl->start(); !ok) return fail(ok.error());
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<ServerImpl> impl) : m_impl(std::move(impl)) {}
Server::~Server() { stop(); }
std::uint16_t Server::port() const { return m_impl->port(); }
std::string Server::url() const { return m_impl->url(); }
std::size_t Server::object_count() const { return m_impl->object_count(); }
void Server::stop() { m_impl->stop(); }
void Server::wait() { m_impl->wait(); }

}  // namespace ktape::sim
