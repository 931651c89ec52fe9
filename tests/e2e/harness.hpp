#pragma once
// End-to-end harness: runs the built ktape (KTAPE_BINARY) and /usr/bin/kubectl as a user would,
// with KTAPE_HOME in a temporary directory whose simulated clusters are deleted at the end.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

namespace ktape::e2e {

namespace fs = std::filesystem;

struct Output {
  int code = -1;
  std::string out;
  std::string err;
};

// The file's bytes; "" until it exists, which the polls on a background process's output rely on.
inline std::string slurp(const fs::path& path) { return test_support::read_file(path); }

// A ktape process started in the background, with its output in files.
struct Background {
  pid_t pid = -1;
  fs::path out, err;

  void signal(int sig) const { ::kill(pid, sig); }
  // Waits for the exit; returns the exit code (128+signal when killed), -1 on timeout.
  int wait(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    auto until = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < until) {
      pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  ~Background() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

struct Home {
  test_support::TempDir dir{"ktape-e2e"};  // removed after the destructor deleted the clusters
  fs::path path = dir.path();
  std::vector<std::string> clusters;  // made through create_cluster

  Home() { ::setenv("KTAPE_HOME", path.c_str(), 1); }
  // Deletes every cluster left under this home (those made through create_cluster and any other).
  ~Home() {
    std::error_code ec;
    std::vector<std::string> left;
    if (fs::exists(path / "clusters"))
      for (const auto& entry : fs::directory_iterator(path / "clusters", ec))
        left.push_back(entry.path().filename().string());
    for (const auto& name : left) run(std::string(KTAPE_BINARY) + " cluster delete " + name);
  }
  Home(const Home&) = delete;
  Home& operator=(const Home&) = delete;

  Output run(const std::string& command) const {
    static int counter = 0;
    auto n = std::to_string(++counter);
    fs::path out = path / ("out-" + n), err = path / ("err-" + n);
    int status = std::system((command + " >" + out.string() + " 2>" + err.string() + " </dev/null").c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  }
  Output ktape(const std::string& args) const { return run(std::string(KTAPE_BINARY) + " " + args); }
  Output kubectl(const std::string& cluster, const std::string& args) const {
    return kubectl_with(kubeconfig(cluster), args);
  }
  // kubectl with any kubeconfig file (one `cluster serve` wrote, say).
  Output kubectl_with(const std::string& kubeconfig_path, const std::string& args) const {
    return run("/usr/bin/kubectl --request-timeout=30s --kubeconfig " + kubeconfig_path + " " + args);
  }
  std::string kubeconfig(const std::string& cluster) const {
    return (path / "clusters" / cluster / "kubeconfig").string();
  }

  // `ktape cluster create NAME EXTRA`; REQUIREs success.
  void create_cluster(const std::string& name, const std::string& extra = "") {
    auto r = ktape("cluster create " + name + " " + extra);
    REQUIRE_MESSAGE(r.code == 0, r.err);
    clusters.push_back(name);
  }

  // Starts `ktape ARGS` in the background. `file_size_limit` > 0 makes writes past that many bytes
  // fail as on a full disk (RLIMIT_FSIZE, with SIGXFSZ ignored so write() returns EFBIG).
  Background start(const std::vector<std::string>& args, rlim_t file_size_limit = 0) const {
    static int counter = 0;
    auto n = std::to_string(++counter);
    Background bg;
    bg.out = path / ("bg-out-" + n);
    bg.err = path / ("bg-err-" + n);
    bg.pid = ::fork();
    REQUIRE(bg.pid >= 0);
    if (bg.pid == 0) {
      std::freopen(bg.out.c_str(), "w", stdout);
      std::freopen(bg.err.c_str(), "w", stderr);
      if (file_size_limit > 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        rlimit lim{file_size_limit, file_size_limit};
        ::setrlimit(RLIMIT_FSIZE, &lim);
      }
      std::vector<char*> argv;
      std::string bin = KTAPE_BINARY;
      argv.push_back(bin.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    return bg;
  }
};

// Polls `predicate` every 50 ms for up to `timeout`.
template <typename P>
bool eventually(P predicate, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return predicate();
}

}  // namespace ktape::e2e
