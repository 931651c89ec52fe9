#pragma once
// Runs /usr/bin/kubectl against a test cluster: a kubeconfig written for it, a private discovery
// cache, output and exit status captured.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace ktape::sim::test {

struct Run {
  int status = -1;
  std::string output;  // stdout and stderr
};

class Kubectl {
 public:
  explicit Kubectl(std::uint16_t port) {
    m_dir = std::filesystem::temp_directory_path() /
            ("ktape-kubectl-" + std::to_string(port) + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(m_dir);
    std::ofstream(m_dir / "kubeconfig")
        << "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n"
        << "    server: http://127.0.0.1:" << port
        << "\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n"
        << "    user: sim\ncurrent-context: sim\nusers:\n- name: sim\n  user: {}\n";
  }
  ~Kubectl() {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }
  Kubectl(const Kubectl&) = delete;
  Kubectl& operator=(const Kubectl&) = delete;

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
    return "/usr/bin/kubectl --kubeconfig '" + (m_dir / "kubeconfig").string() + "' --cache-dir '" +
           (m_dir / "cache").string() + "' " + args;
  }
  // Writes `text` to a file in the private directory and returns its path.
  std::string file(const std::string& name, const std::string& text) const {
    std::ofstream(m_dir / name) << text;
    return (m_dir / name).string();
  }

 private:
  std::filesystem::path m_dir;
};

}  // namespace ktape::sim::test
