// The processes behind the registry: spawning a detached `ktape cluster serve`, telling a live
// server from a dead, zombie or reused pid, and stopping it.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <thread>

#include "sim/registry_detail.hpp"

namespace ktape::sim {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto k_poll_interval = 50ms;
constexpr auto k_kill_wait = 5s;  // after SIGKILL, a process is gone once the kernel reaps it

bool wait_gone(pid_t pid, std::chrono::steady_clock::duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (is_serving(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    ::waitpid(pid, nullptr, WNOHANG);  // reaps it when it is our child (create's failure path)
    std::this_thread::sleep_for(k_poll_interval);
  }
  return true;
}

}  // namespace

bool is_serving(pid_t pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) return false;
  auto stat = read_text_file("/proc/" + std::to_string(pid) + "/stat");
  if (stat) {
    auto close_paren = stat->rfind(')');
    if (close_paren != std::string::npos && close_paren + 2 < stat->size() && (*stat)[close_paren + 2] == 'Z')
      return false;
  }
  auto cmdline = read_text_file("/proc/" + std::to_string(pid) + "/cmdline");
  return !cmdline ||
         (cmdline->find("cluster") != std::string::npos && cmdline->find("serve") != std::string::npos);
}

Result<pid_t> spawn_detached(const fs::path& binary, const std::vector<std::string>& args,
                             const fs::path& log) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::cout.flush();
  pid_t pid = ::fork();
  if (pid < 0) return fail(ErrorKind::io, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setsid();
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

void stop_process(pid_t pid, std::chrono::milliseconds grace) {
  if (!is_serving(pid)) return;
  ::kill(pid, SIGTERM);
  if (wait_gone(pid, grace)) return;
  ::kill(pid, SIGKILL);
  wait_gone(pid, k_kill_wait);
}

}  // namespace ktape::sim
