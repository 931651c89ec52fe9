#pragma once
// Runs /usr/bin/kubectl against a test cluster: a kubeconfig written for it, a private discovery
// cache, output and exit status captured.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

namespace ktape::sim::test {

struct Run {
  int status = -1;
  std::string output;  // stdout and stderr
};

class Kubectl {
 public:
  explicit Kubectl(std::uint16_t port) {
    std::string server = "http://127.0.0.1:" + std::to_string(port);
    test_support::write_file(
        m_dir.path() / "kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: " + server +
            "\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n"
            "    user: sim\ncurrent-context: sim\nusers:\n- name: sim\n  user: {}\n");
  }

  // Runs `kubectl ARGS` (a shell fragment) and waits for it.
  Run operator()(const std::string& args, const std::string& stdin_file = "") const {
    std::string cmd = command(args);
    if (!stdin_file.empty()) cmd += " < '" + stdin_file + "'";
    cmd += " 2>&1";
    Run run;
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (!pipe) return run;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) run.output.append(buf.data(), n);
    int status = ::pclose(pipe);
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
  }
  std::string command(const std::string& args) const {
    return "/usr/bin/kubectl --kubeconfig '" + m_dir.file("kubeconfig") + "' --cache-dir '" +
           m_dir.file("cache") + "' " + args;
  }
  // Writes `text` to a file in the private directory and returns its path.
  std::string file(const std::string& name, const std::string& text) const {
    test_support::write_file(m_dir.path() / name, text);
    return m_dir.file(name);
  }

 private:
  test_support::TempDir m_dir{"ktape-kubectl"};
};

}  // namespace ktape::sim::test
