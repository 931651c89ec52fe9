// The simulated cluster's request handling, in-process (no socket): the input is an HTTP/1.1
// request (method, target with path and query, headers, body) read by Beast's parser with the
// server's own limits, turned into an Api Request by the server's to_request and answered by
// Api::handle against one Store. Invariants: never a crash; every answer is a status 100..599
// whose JSON body (when it is JSON) parses. The store is replaced every k_runs_per_store inputs so
// that memory stays bounded and findings stay reproducible from a short run.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <variant>

#include "formats/json.hpp"
#include "fuzz/checks.hpp"
#include "fuzz/support.hpp"
#include "sim/api.hpp"
#include "sim/server_http.hpp"

namespace ktape::fuzz {
namespace {

namespace http = boost::beast::http;

// Objects created by earlier inputs make later ones reach update, patch and delete paths; a fresh
// store now and then keeps the fuzzer's memory flat.
constexpr int k_runs_per_store = 2000;
// ServerOptions' defaults (sim/server.hpp): 3 MiB bodies, 1 MiB headers.
constexpr std::size_t k_max_body_bytes = std::size_t{3} * 1024 * 1024;

struct Cluster {
  ktape::sim::Store store{ktape::sim::StoreOptions{1000, false, false}};
  ktape::sim::Api api{store, ktape::sim::ApiOptions{k_max_body_bytes, "2026-01-01T00:00:00Z"}};
  Cluster() { store.ensure_system_namespaces(); }
};

ktape::sim::Api& api() {
  static std::unique_ptr<Cluster> cluster;
  static int runs = 0;
  if (!cluster || ++runs % k_runs_per_store == 0) {
    cluster.reset();
    cluster = std::make_unique<Cluster>();
  }
  return cluster->api;
}

}  // namespace

void check_sim_request(std::string_view input) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(1 << 20);
  parser.body_limit(k_max_body_bytes);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(input.data(), input.size()), ec);
  if (ec || !parser.is_header_done()) return;
  if (!parser.is_done()) {
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return;
  }
  auto request = ktape::sim::to_request(parser.get());
  auto outcome = api().handle(request);
  if (auto* response = std::get_if<ktape::sim::Response>(&outcome)) {
    check(response->status >= 100 && response->status < 600, "a status outside 100..599");
    if (response->content_type == "application/json" && !response->text().empty())
      check(ktape::formats::parse_json(response->text()).has_value(), "a JSON answer that does not parse");
  }
}

}  // namespace ktape::fuzz
