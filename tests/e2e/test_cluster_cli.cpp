// `ktape cluster ...` as a user runs it: the built binary (KTAPE_BINARY) with KTAPE_HOME in a
// temporary directory, and /usr/bin/kubectl against the clusters it starts.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/e2e/harness.hpp"

namespace {

namespace fs = std::filesystem;
using ktape::e2e::Home;
using ktape::e2e::Output;
using ktape::e2e::slurp;

// Gone, or a zombie waiting for whoever adopted it to reap it.
bool process_gone(int pid) {
  if (::kill(pid, 0) != 0) return true;
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

bool has_kubectl() {
  if (fs::exists("/usr/bin/kubectl")) return true;
  MESSAGE("skipped kubectl checks: /usr/bin/kubectl is absent");
  return false;
}

// Creates NAME and returns its kubeconfig path (create's only line of output).
std::string create(const Home& home, const std::string& name, const std::string& flags = "") {
  Output created = home.ktape("cluster create " + name + " " + flags);
  REQUIRE_MESSAGE(created.code == 0, created.err);
  std::string path = created.out.substr(0, created.out.find('\n'));
  CHECK(path == (home.path / "clusters" / name / "kubeconfig").string());
  CHECK(fs::exists(path));
  return path;
}

// Creates a ConfigMap NAME with data k=VALUE through `kubectl create -f` (a manifest, as users
// and the recorder's tests do; test_kubectl_generators.cpp covers `kubectl create configmap`).
Output create_configmap(const Home& home, const std::string& kubeconfig, const std::string& name,
                        const std::string& value) {
  fs::path manifest = home.path / (name + ".yaml");
  std::ofstream(manifest) << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " << name
                          << "\ndata:\n  k: \"" << value << "\"\n";
  return home.kubectl_with(kubeconfig, "create -f " + manifest.string());
}

std::string list_line(const Home& home, const std::string& name) {
  Output listed = home.ktape("cluster list");
  REQUIRE(listed.code == 0);
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(name + " ", 0) == 0) return line;
  return "";
}

}  // namespace

TEST_CASE("ktape cluster: two clusters side by side, listed, reachable by kubectl, deleted") {
  Home home;
  std::string a = create(home, "alpha");
  std::string b = create(home, "beta");
  for (const char* file : {"pid", "port", "log", "kubeconfig"})
    CHECK_MESSAGE(fs::exists(home.path / "clusters" / "alpha" / file), file);

  SUBCASE("list shows both, running, on different addresses with their objects") {
    Output listed = home.ktape("cluster list");
    REQUIRE(listed.code == 0);
    CHECK(listed.out.rfind("NAME", 0) == 0);
    CHECK(listed.out.find("ADDRESS") != std::string::npos);
    CHECK(listed.out.find("OBJECTS") != std::string::npos);
    std::string alpha = list_line(home, "alpha"), beta = list_line(home, "beta");
    CHECK(alpha.find("http://127.0.0.1:") != std::string::npos);
    CHECK(alpha.find("running") != std::string::npos);
    CHECK(beta.find("running") != std::string::npos);
    std::string port_a = slurp(home.path / "clusters" / "alpha" / "port");
    std::string port_b = slurp(home.path / "clusters" / "beta" / "port");
    CHECK(port_a != port_b);
    CHECK(alpha.find(":" + port_a.substr(0, port_a.find('\n'))) != std::string::npos);
  }
  SUBCASE("kubeconfig prints the file create wrote") {
    Output printed = home.ktape("cluster kubeconfig alpha");
    CHECK(printed.code == 0);
    CHECK(printed.out == slurp(a));
    CHECK(printed.out.find("current-context: \"alpha\"") != std::string::npos);
  }
  SUBCASE("kubectl works against each cluster") {
    if (!has_kubectl()) return;
    for (const auto& kubeconfig : {a, b}) {
      Output ns = home.kubectl_with(kubeconfig, "get ns -o name");
      REQUIRE_MESSAGE(ns.code == 0, ns.err);
      for (const char* name : {"namespace/default", "namespace/kube-system", "namespace/kube-public"})
        CHECK_MESSAGE(ns.out.find(name) != std::string::npos, ns.out);
      Output table = home.kubectl_with(kubeconfig, "get ns");
      CHECK(table.out.find("NAME") != std::string::npos);
      CHECK(table.out.find("STATUS") != std::string::npos);
      CHECK(table.out.find("Active") != std::string::npos);
    }
    Output resources = home.kubectl_with(a, "api-resources");
    REQUIRE_MESSAGE(resources.code == 0, resources.err);
    CHECK(resources.out.find("pods ") != std::string::npos);
    CHECK(resources.out.find("deployments ") != std::string::npos);
    CHECK(resources.out.find("apps/v1") != std::string::npos);
    // The clusters are separate: an object in one is absent from the other.
    Output created = create_configmap(home, a, "only-in-alpha", "1");
    REQUIRE_MESSAGE(created.code == 0, created.err);
    CHECK(home.kubectl_with(a, "get configmap only-in-alpha").code == 0);
    CHECK(home.kubectl_with(b, "get configmap only-in-alpha").code != 0);
  }
  SUBCASE("create refuses a name that is running") {
    Output again = home.ktape("cluster create alpha");
    CHECK(again.code == 1);
    CHECK(again.err.find("already exists") != std::string::npos);
    CHECK(list_line(home, "alpha").find("running") != std::string::npos);
  }
  SUBCASE("delete stops the server and removes its state") {
    std::string pid = slurp(home.path / "clusters" / "alpha" / "pid");
    Output deleted = home.ktape("cluster delete alpha");
    CHECK(deleted.code == 0);
    CHECK_FALSE(fs::exists(home.path / "clusters" / "alpha"));
    CHECK(process_gone(std::atoi(pid.c_str())));
    CHECK(list_line(home, "alpha").empty());
    CHECK(list_line(home, "beta").find("running") != std::string::npos);
    Output missing = home.ktape("cluster kubeconfig alpha");
    CHECK(missing.code == 1);
    CHECK(missing.err.find("no cluster named \"alpha\"") != std::string::npos);
  }
}

TEST_CASE("ktape cluster list marks a cluster whose server died, and create replaces it") {
  Home home;
  create(home, "fragile");
  int pid = std::atoi(slurp(home.path / "clusters" / "fragile" / "pid").c_str());
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  for (int i = 0; i < 100 && !process_gone(pid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::string line = list_line(home, "fragile");
  CHECK(line.find("dead") != std::string::npos);
  CHECK(line.find("running") == std::string::npos);
  create(home, "fragile");
  CHECK(list_line(home, "fragile").find("running") != std::string::npos);
  CHECK(std::atoi(slurp(home.path / "clusters" / "fragile" / "pid").c_str()) != pid);
}

TEST_CASE("ktape cluster create --tls: kubectl trusts the cluster through its kubeconfig alone") {
  Home home;
  std::string kubeconfig = create(home, "secure", "--tls");
  std::string text = slurp(kubeconfig);
  CHECK(text.find("server: \"https://127.0.0.1:") != std::string::npos);
  CHECK(text.find("certificate-authority-data: ") != std::string::npos);
  CHECK(text.find("insecure") == std::string::npos);
  CHECK(list_line(home, "secure").find("running") != std::string::npos);
  if (!has_kubectl()) return;
  Output ns = home.kubectl_with(kubeconfig, "get ns -o name");
  CHECK_MESSAGE(ns.code == 0, ns.err);
  CHECK(ns.out.find("namespace/kube-system") != std::string::npos);
}

TEST_CASE("ktape cluster create --data-dir keeps objects across a delete and a new create") {
  if (!has_kubectl()) return;
  Home home;
  fs::path data = home.path / "data";
  std::string kubeconfig = create(home, "keep", "--data-dir " + data.string());
  Output created = create_configmap(home, kubeconfig, "survivor", "v");
  REQUIRE_MESSAGE(created.code == 0, created.err);
  REQUIRE(home.ktape("cluster delete keep").code == 0);
  CHECK(fs::exists(data));
  kubeconfig = create(home, "keep", "--data-dir " + data.string());
  Output got = home.kubectl_with(kubeconfig, "get configmap survivor -o jsonpath={.data.k}");
  CHECK_MESSAGE(got.code == 0, got.err);
  CHECK(got.out == "v");
}

TEST_CASE("ktape cluster: usage errors exit 2, failures exit 1 with a message naming the cluster") {
  Home home;
  SUBCASE("bad name") {
    Output bad = home.ktape("cluster create Not_A_Name");
    CHECK(bad.code == 2);
    CHECK(bad.err.find("invalid name \"Not_A_Name\"") != std::string::npos);
  }
  SUBCASE("missing name and unknown subcommand") {
    CHECK(home.ktape("cluster create").code == 2);
    CHECK(home.ktape("cluster frobnicate").code == 2);
  }
  SUBCASE("unknown cluster") {
    Output missing = home.ktape("cluster delete nosuch");
    CHECK(missing.code == 1);
    CHECK(missing.err.find("no cluster named \"nosuch\"") != std::string::npos);
  }
  SUBCASE("port in use") {
    create(home, "first");
    std::string port = slurp(home.path / "clusters" / "first" / "port");
    port = port.substr(0, port.find('\n'));
    Output clash = home.ktape("cluster create second --port " + port);
    CHECK(clash.code == 1);
    CHECK(clash.err.find("cluster \"second\" did not start") != std::string::npos);
    CHECK(clash.err.find(port) != std::string::npos);
    CHECK_FALSE(fs::exists(home.path / "clusters" / "second"));
  }
  SUBCASE("list with no clusters") {
    Output empty = home.ktape("cluster list");
    CHECK(empty.code == 0);
    CHECK(empty.err.find("No clusters") != std::string::npos);
  }
}

TEST_CASE("ktape cluster serve: prints its URL, writes the kubeconfig, stops cleanly on SIGTERM") {
  Home home;
  fs::path kubeconfig = home.path / "serve.kubeconfig";
  fs::path log = home.path / "serve.log";
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execl(KTAPE_BINARY, "ktape", "cluster", "serve", "--port", "0", "--kubeconfig-out", kubeconfig.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::string printed;
  for (int i = 0; i < 300 && printed.find("serving on ") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    printed = slurp(log);
  }
  auto at = printed.find("serving on http://127.0.0.1:");
  CHECK_MESSAGE(at != std::string::npos, printed);
  std::string url = printed.substr(at + 11, printed.find('\n', at) - at - 11);
  CHECK(url.find(":0") == std::string::npos);  // the chosen port, not 0
  CHECK(slurp(kubeconfig).find(url) != std::string::npos);
  if (has_kubectl())
    CHECK(home.kubectl_with(kubeconfig.string(), "get ns default -o name").out == "namespace/default\n");
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
