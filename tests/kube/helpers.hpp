#pragma once
// Shared by the kube tests: a scripted cpp-httplib server for failures a real apiserver cannot be
// made to produce and a fake clock.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kube/clock.hpp"
#include "kube/rest_config.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

namespace ktape::kube::test {

// A server on a free loopback port, running until destroyed.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::unique_ptr<httplib::Server> server = std::make_unique<httplib::Server>())
      : m_server(std::move(server)) {}
  ~ScriptedServer() { stop(); }
  httplib::Server& http() { return *m_server; }
  void start() {
    m_port = m_server->bind_to_any_port("127.0.0.1");
    m_thread = std::thread([this] { m_server->listen_after_bind(); });
    // stop() is a no-op until the accept loop runs, so wait for it.
    while (!m_server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void stop() {
    if (m_thread.joinable()) {
      m_server->stop();
      m_thread.join();
    }
  }
  int port() const { return m_port; }
  std::string url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(m_port);
  }

 private:
  std::unique_ptr<httplib::Server> m_server;
  std::thread m_thread;
  int m_port = 0;
};

// Time that moves only when slept through; records every sleep.
class FakeClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() const override {
    std::lock_guard lock(m_mutex);
    return std::chrono::steady_clock::time_point{} + m_elapsed;
  }
  std::chrono::system_clock::time_point wall_now() const override {
    std::lock_guard lock(m_mutex);
    return m_wall_start + std::chrono::duration_cast<std::chrono::system_clock::duration>(m_elapsed);
  }
  void sleep_for(std::chrono::nanoseconds d) override {
    std::lock_guard lock(m_mutex);
    m_elapsed += d;
    m_sleeps.push_back(d);
  }
  void advance(std::chrono::nanoseconds d) {
    std::lock_guard lock(m_mutex);
    m_elapsed += d;
  }
  std::vector<std::chrono::nanoseconds> sleeps() const {
    std::lock_guard lock(m_mutex);
    return m_sleeps;
  }

 private:
  mutable std::mutex m_mutex;
  std::chrono::nanoseconds m_elapsed{0};
  std::chrono::system_clock::time_point m_wall_start = std::chrono::system_clock::now();
  std::vector<std::chrono::nanoseconds> m_sleeps;
};

// The shared scratch directory and whole-file helpers (tests/support), under the names the kube
// tests use.
using test_support::read_file;
using test_support::TempDir;
using test_support::write_file;

inline std::string source_path(const std::string& relative) {
  return std::string(KTAPE_SOURCE_DIR) + "/" + relative;
}

}  // namespace ktape::kube::test
