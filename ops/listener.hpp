#pragma once
// The HTTP listener of a long-running ktape (`--listen 127.0.0.1:9464`, 9464 being the port
// Prometheus' registry of default ports gives OpenTelemetry-style exporters): GET /healthz answers
// 200 "ok" while ktape runs, GET /metrics the Prometheus text of a Metrics. One thread, owned and
// joined by the Listener.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "formats/error.hpp"
#include "ops/metrics.hpp"

namespace ktape::ops {

class Listener {
 public:
  virtual ~Listener() = default;  // stops serving and joins the thread
  // The port bound (useful when the address asked for port 0).
  virtual int port() const = 0;
};

// Binds `address` ("HOST:PORT", "[::1]:PORT", ":PORT" for every interface, PORT 0 for any free
// one) and serves from a thread until the Listener is destroyed. `metrics` must outlive it.
// Errors: an address that does not parse (invalid), one that cannot be bound (io), naming it.
Result<std::unique_ptr<Listener>> start_listener(std::string_view address, const Metrics& metrics);

}  // namespace ktape::ops
