#pragma once
// The simulated cluster: an in-memory Kubernetes API server on Boost.Beast that kubectl and
// ktape's own client talk to over HTTP/1.1 (keep-alive; watches are chunked responses), or HTTPS
// when TLS material is given (ALPN "http/1.1"). Objects are schema-less JSON held in memory; the
// API semantics (resourceVersions, watches and 410, selectors, paging, conflicts, patches,
// finalizers, namespaces, CRDs, the status subresource and owner-reference garbage collection)
// follow a real kube-apiserver 1.32 as captured in shared/k8s-reference/.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "formats/error.hpp"
#include "sim/tls.hpp"

namespace ktape::sim {

struct ServerOptions {
  std::string address = "127.0.0.1";  // the address to listen on
  std::uint16_t port = 0;             // 0 picks a free port (read it back with Server::port())
  std::optional<TlsMaterial> tls;     // serve HTTPS with this certificate when set
  std::string data_dir;               // when set: state loaded at start, written at stop
  std::string restore_from;           // when set: state loaded at start from this snapshot file
                                      // (Store::dump()'s text) instead of data_dir
  bool garbage_collector = true;      // owner-reference GC, as kube-controller-manager runs it
  // The controllers that add objects of their own, as kube-controller-manager's do: a namespace's
  // `default` ServiceAccount and kube-root-ca.crt ConfigMap, a Service's Endpoints and
  // EndpointSlice. Off, a namespace holds only what clients put there (what most unit tests want);
  // `ktape cluster` turns them on.
  bool content_controllers = false;
  std::size_t watch_history = 100000;  // events kept; a watch from an older RV -> 410 Expired
  std::size_t max_body_bytes = std::size_t{3} * 1024 * 1024;  // bodies above -> 413 RequestEntityTooLarge
  unsigned threads = 2;  // watch-writing threads (hubs); every connection also has its own thread
  // A client that takes not a single byte of an answer or a watch stream for this long is
  // disconnected (a watcher that never reads), so that its thread and queued events are freed.
  // A real apiserver drops a watcher it cannot feed sooner; this one is lenient with clients that
  // share a loaded machine with it (1,000 watchers of 3 KB pods at 2,000 writes/s on 2 cores).
  std::chrono::seconds write_timeout{15};
  // When not empty, every request must carry "Authorization: Bearer <token>" (compared in constant
  // time); any other gets 401 Unauthorized as kube-apiserver answers it, and nothing else.
  std::string token;
};

class ServerImpl;

// One running cluster. Every method is thread-safe.
class Server {
 public:
  // Binds, loads options.data_dir (if set and present) and starts serving; it is listening when
  // this returns. An Error (io) names the address that could not be bound or the state file that
  // could not be read; an Error (invalid) names bad TLS material.
  static Result<std::unique_ptr<Server>> start(ServerOptions options);
  ~Server();  // stops (as stop())
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:PORT", or "https://..." with TLS
  std::size_t object_count() const;

  // Closes the listener and every connection (watches end), joins every thread and writes the
  // state to data_dir when set. Idempotent; safe from any thread except a request handler.
  void stop();
  // Blocks until stop() has completed (called from another thread or a signal handler thread).
  void wait();

 private:
  explicit Server(std::unique_ptr<ServerImpl> impl);
  std::unique_ptr<ServerImpl> m_impl;
};

}  // namespace ktape::sim
