#include "tests/real/real_cluster.hpp"

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>

#include "tests/support/files.hpp"

namespace ktape::real {

namespace fs = std::filesystem;

namespace {

// Runs `command`; its stdout's last line, or nullopt when it fails (stderr is kept in `log`).
std::optional<std::string> last_line_of(const std::string& command, const fs::path& dir) {
  fs::path out = dir / "realk8s.out", log = dir / "realk8s.log";
  int status = std::system((command + " >" + out.string() + " 2>" + log.string()).c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    MESSAGE("`" << command << "` failed:\n" << test_support::read_file(log));
    return std::nullopt;
  }
  std::string text = test_support::read_file(out);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  auto at = text.rfind('\n');
  return at == std::string::npos ? text : text.substr(at + 1);
}

}  // namespace

std::optional<std::string> find_realk8s() {
  const char* shared = std::getenv("KTAPE_SHARED");
  fs::path base =
      shared != nullptr && *shared != '\0' ? fs::path(shared) : fs::path(KTAPE_SOURCE_DIR) / ".." / "shared";
  fs::path script = base / "realk8s" / "realk8s";
  std::error_code ec;
  if (!fs::exists(script, ec)) return std::nullopt;
  return script.string();
}

bool realk8s_required() {
  const char* required = std::getenv("KTAPE_REQUIRE_REALK8S");
  return required != nullptr && std::string(required) == "1";
}

RealCluster::RealCluster(std::string realk8s) : m_realk8s(std::move(realk8s)) {
  auto kubeconfig = last_line_of(m_realk8s + " up " + m_dir.file("state"), m_dir.path());
  REQUIRE_MESSAGE(kubeconfig, "realk8s up failed");
  m_kubeconfig = *kubeconfig;
}

RealCluster::~RealCluster() {
  fs::path log = m_dir.path() / "down.log";
  std::system((m_realk8s + " down " + m_dir.file("state") + " >" + log.string() + " 2>&1").c_str());
}

void RealCluster::fresh() {
  auto kubeconfig = last_line_of(m_realk8s + " fresh " + m_dir.file("state"), m_dir.path());
  REQUIRE_MESSAGE(kubeconfig, "realk8s fresh failed");
  m_kubeconfig = *kubeconfig;
}

}  // namespace ktape::real
