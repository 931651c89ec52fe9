// HTTP(S) GETs of the registry's readiness and stats probes, on Boost.Beast: sim/ wraps Beast and
// OpenSSL already, and kube/'s client is not for sim/ to use (DESIGN.md: sim uses only formats).
#include <utility>  // before Boost.Asio 1.74, whose awaitable.hpp uses std::exchange unincluded

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "sim/registry_detail.hpp"

namespace ktape::sim {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

// kubectl's own probes would wait longer; a local cluster that takes this long is not responding.
constexpr auto k_connect_timeout = 2s;
constexpr auto k_total_timeout = 5s;

struct Endpoint {
  bool tls = false;
  std::string host;  // brackets removed from an IPv6 literal
  std::string port;
};

std::optional<Endpoint> parse_url(std::string_view url) {
  Endpoint e;
  if (url.starts_with("https://")) {
    e.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  url = url.substr(0, url.find('/'));
  auto colon = url.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == url.size()) return std::nullopt;
  e.port = std::string(url.substr(colon + 1));
  std::string_view host = url.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  e.host = std::string(host);
  return e.host.empty() ? std::nullopt : std::optional<Endpoint>(e);
}

// One request and its answer; `done` once the answer is read or `error` is set.
struct Exchange {
  http::request<http::string_body> request;
  std::chrono::seconds total_timeout = k_total_timeout;
  http::response_parser<http::string_body> response;
  beast::flat_buffer buffer;
  beast::error_code error;
  bool connected = false;
  bool done = false;
};

template <typename Stream>
void send(Stream& stream, Exchange& x) {
  http::async_write(stream, x.request, [&stream, &x](beast::error_code ec, std::size_t) {
    if (ec) {
      x.error = ec;
      return;
    }
    http::async_read(stream, x.buffer, x.response, [&x](beast::error_code read_ec, std::size_t) {
      x.error = read_ec;
      x.done = !read_ec;
    });
  });
}

// Runs `io` until the exchange ends, connecting within k_connect_timeout and done within
// x.total_timeout; an Error says which step failed.
Result<ProbeAnswer> finish(net::io_context& io, Exchange& x, const std::string& what) {
  auto started = std::chrono::steady_clock::now();
  io.run_for(k_connect_timeout);
  if (!x.connected && !x.error) return fail(ErrorKind::transport, what + ": connect timed out");
  if (!x.done && !x.error) io.run_until(started + x.total_timeout);
  if (x.error) return fail(ErrorKind::transport, what + ": " + x.error.message());
  if (!x.done)
    return fail(ErrorKind::transport,
                what + ": no answer within " + std::to_string(x.total_timeout.count()) + " s");
  return ProbeAnswer{x.response.get().result_int(), std::move(x.response.get().body())};
}

Result<ProbeAnswer> get_plain(net::io_context& io, const tcp::resolver::results_type& endpoints, Exchange& x,
                              const std::string& what) {
  tcp::socket socket(io);
  net::async_connect(socket, endpoints, [&](beast::error_code ec, const tcp::endpoint&) {
    x.connected = !ec;
    if (ec)
      x.error = ec;
    else
      send(socket, x);
  });
  return finish(io, x, what);
}

Result<ProbeAnswer> get_tls(net::io_context& io, const tcp::resolver::results_type& endpoints, Exchange& x,
                            const Endpoint& e, const std::string& ca_pem, const std::string& what) {
  net::ssl::context context(net::ssl::context::tls_client);
  beast::error_code ec;
  context.add_certificate_authority(net::buffer(ca_pem), ec);
  if (ec) return fail(ErrorKind::transport, what + ": the cluster's CA: " + ec.message());
  context.set_verify_mode(net::ssl::verify_peer);
  net::ssl::stream<tcp::socket> stream(io, context);
  stream.set_verify_callback(net::ssl::host_name_verification(e.host));
  net::async_connect(
      stream.lowest_layer(), endpoints, [&](beast::error_code connect_ec, const tcp::endpoint&) {
        x.connected = !connect_ec;
        if (connect_ec) {
          x.error = connect_ec;
          return;
        }
        stream.async_handshake(net::ssl::stream_base::client, [&](beast::error_code handshake_ec) {
          if (handshake_ec)
            x.error = handshake_ec;
          else
            send(stream, x);
        });
      });
  return finish(io, x, what);
}

}  // namespace

Result<ProbeAnswer> probe_cluster(const ClusterState& state, std::string_view path) {
  return call_cluster(state, ClusterCall{"GET", std::string(path), {}, k_total_timeout});
}

Result<ProbeAnswer> call_cluster(const ClusterState& state, const ClusterCall& call) {
  std::string what = call.method;
  what.append(" ").append(state.url).append(call.path);
  auto endpoint = parse_url(state.url);
  if (!endpoint) return fail(ErrorKind::transport, what + ": not an http(s)://HOST:PORT URL");
  net::io_context io;
  tcp::resolver resolver(io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(endpoint->host, endpoint->port, ec);
  if (ec) return fail(ErrorKind::transport, what + ": " + ec.message());
  Exchange x;
  x.request = {http::string_to_verb(call.method), call.path, 11};
  x.request.set(http::field::host, endpoint->host + ":" + endpoint->port);
  x.request.set(http::field::user_agent, "ktape");
  x.total_timeout = call.timeout;
  if (!call.body.empty() || call.method != "GET") {
    x.request.set(http::field::content_type, "application/x-ndjson");
    x.request.body() = call.body;
    x.request.prepare_payload();
  }
  // Answers of any size (a snapshot); Beast's default stops at 8 MB.
  x.response.body_limit(boost::none);
  if (endpoint->tls) return get_tls(io, endpoints, x, *endpoint, state.ca_pem, what);
  return get_plain(io, endpoints, x, what);
}

}  // namespace ktape::sim
