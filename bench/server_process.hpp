#pragma once
// Shared by the benchmark programs: the simulated cluster in a child process (so that its CPU and
// memory are measured apart from the benchmark's clients), this process's own CPU, and the
// KTAPE_BENCH_* size knobs.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/server.hpp"
#include "tests/support/files.hpp"

namespace ktape::bench {

// A KTAPE_BENCH_* size: the variable's value when set and not empty, else `fallback`.
inline std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != 0 ? static_cast<std::size_t>(std::atoll(v)) : fallback;
}

// User plus system CPU of this process so far, in milliseconds.
inline double self_cpu_ms() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

// A simulated cluster in a forked child, serving until this object is destroyed. Fork it before
// the benchmark starts threads of its own.
class ServerProcess {
 public:
  explicit ServerProcess(sim::ServerOptions options = {}) {
    int ready[2], stop[2];
    if (::pipe(ready) != 0 || ::pipe(stop) != 0) std::abort();
    m_pid = ::fork();
    if (m_pid == 0) {
      ::close(ready[0]);
      ::close(stop[1]);
      auto server = sim::Server::start(std::move(options));
      if (!server) ::_exit(1);
      std::uint16_t port = (*server)->port();
      if (::write(ready[1], &port, sizeof port) != sizeof port) ::_exit(1);
      char b;
      while (::read(stop[0], &b, 1) < 0 && errno == EINTR) {
      }
      (*server)->stop();
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(stop[0]);
    m_stop = stop[1];
    if (::read(ready[0], &m_port, sizeof m_port) != sizeof m_port) std::abort();
    ::close(ready[0]);
  }
  ~ServerProcess() {
    ::close(m_stop);
    ::waitpid(m_pid, nullptr, 0);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return m_port; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  // User plus system CPU of the server so far, in milliseconds (fields 14 and 15 of stat).
  double cpu_ms() const {
    std::string text = test_support::read_file("/proc/" + std::to_string(m_pid) + "/stat");
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string f;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i)
      if (i >= 14) ticks += std::atof(f.c_str());
    return ticks * 1e3 / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  // The server's resident memory now, in MB.
  double rss_mb() const {
    std::ifstream in("/proc/" + std::to_string(m_pid) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.starts_with("VmRSS:")) return std::atof(line.c_str() + 6) / 1024.0;
    return 0;
  }

 private:
  pid_t m_pid = -1;
  int m_stop = -1;
  std::uint16_t m_port = 0;
};

}  // namespace ktape::bench
