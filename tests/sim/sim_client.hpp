#pragma once
// Test helpers for tests/sim: a simulated cluster on a free port and a cpp-httplib client that
// talks real HTTP to it.
#include <httplib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "formats/json.hpp"
#include "sim/server.hpp"

namespace ktape::sim::test {

struct Reply {
  int status = 0;  // 0: no answer (connection failed)
  std::string body;
  std::string content_type;
  formats::Value json() const {
    auto v = formats::parse_json(body);
    return v ? *v : formats::Value{};
  }
};

class Cluster {
 public:
  explicit Cluster(ServerOptions options = {}) {
    auto started = Server::start(std::move(options));
    if (!started) throw std::runtime_error("cluster did not start: " + started.error().message);
    server = std::move(*started);
  }
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server->port());
    c->set_read_timeout(30, 0);
    return c;
  }
  Reply get(const std::string& path, const std::string& accept = "application/json") const {
    auto r = client()->Get(path.c_str(), httplib::Headers{{"Accept", accept}});
    return convert(r);
  }
  Reply post(const std::string& path, const std::string& body,
             const std::string& type = "application/json") const {
    return convert(client()->Post(path.c_str(), body, type.c_str()));
  }
  Reply put(const std::string& path, const std::string& body,
            const std::string& type = "application/json") const {
    return convert(client()->Put(path.c_str(), body, type.c_str()));
  }
  Reply patch(const std::string& path, const std::string& body, const std::string& type) const {
    return convert(client()->Patch(path.c_str(), body, type.c_str()));
  }
  Reply del(const std::string& path, const std::string& body = "") const {
    return convert(client()->Delete(path.c_str(), body, "application/json"));
  }
  // Polls `done` every 20 ms for up to `seconds`.
  static bool eventually(const std::function<bool()>& done, double seconds = 5) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }

  std::unique_ptr<Server> server;

 private:
  static Reply convert(const httplib::Result& r) {
    if (!r) return {};
    return Reply{r->status, r->body, r->get_header_value("Content-Type")};
  }
};

// A ConfigMap manifest.
inline std::string configmap(const std::string& name, const std::string& labels_json = "{}",
                             const std::string& extra_metadata = "") {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name + R"(","labels":)" +
         labels_json + extra_metadata + R"(},"data":{"a":"1"}})";
}

}  // namespace ktape::sim::test
