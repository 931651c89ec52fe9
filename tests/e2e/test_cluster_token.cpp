// `ktape cluster serve --token FILE`: kubectl with the kubeconfig serve writes (which carries the
// token) works; without the token, or with another one, every request is 401 Unauthorized. Serving
// on a non-loopback address without TLS and a token prints a warning.
#include <sys/stat.h>

#include <random>

#include "tests/e2e/harness.hpp"

namespace ktape::e2e {
namespace {

// The URL `ktape cluster serve` printed on standard output, once it listens ("" after 15 s).
std::string served_url(const Background& server) {
  std::string printed;
  eventually([&] { return (printed = slurp(server.out)).find("kubeconfig: ") != std::string::npos; },
             std::chrono::seconds(15));
  auto at = printed.find("serving on ");
  if (at == std::string::npos) return "";
  return printed.substr(at + 11, printed.find('\n', at) - at - 11);
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("ktape cluster serve --token: the kubeconfig carries the token, other clients get 401") {
  Home home;
  // A random token each run: the test cannot pass by a token built into the server.
  std::string token = "t" + std::to_string(::getpid()) + "x" + std::to_string(std::random_device{}());
  fs::path token_file = home.path / "token";
  std::ofstream(token_file) << token << "\n";
  fs::path kubeconfig = home.path / "serve.kubeconfig";
  // kubectl sends a bearer token over HTTPS only (over plain HTTP it leaves it out), so --tls.
  auto server = home.start({"cluster", "serve", "--port", "0", "--tls", "--token", token_file.string(),
                            "--kubeconfig-out", kubeconfig.string()});
  std::string url = served_url(server);
  REQUIRE_MESSAGE(!url.empty(), (slurp(server.out) + slurp(server.err)));
  std::string config = slurp(kubeconfig);
  CHECK(config.find("token: \"" + token + "\"") != std::string::npos);
  struct stat info {};
  REQUIRE(::stat(kubeconfig.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK(slurp(server.err).find("warning") == std::string::npos);  // loopback: no warning

  auto ok = home.kubectl_with(kubeconfig.string(), "create configmap guarded --from-literal=k=v");
  CHECK_MESSAGE(ok.code == 0, ok.err);
  CHECK(home.kubectl_with(kubeconfig.string(), "get cm guarded -o name").out == "configmap/guarded\n");

  SUBCASE("a wrong token is refused") {
    fs::path wrong = home.path / "wrong.kubeconfig";
    std::ofstream(wrong) << replaced(config, token, token + "0");
    auto refused = home.kubectl_with(wrong.string(), "get cm guarded -o name");
    CHECK(refused.code != 0);
    CHECK(refused.err.find("Unauthorized") != std::string::npos);
    CHECK(refused.out.empty());
  }
  SUBCASE("no credentials at all are refused, with kube-apiserver's 401 Status") {
    auto raw =
        home.run("curl -sk -w ' %{http_code}' " + url + "/api/v1/namespaces/default/configmaps/guarded");
    CHECK(raw.out.find("\"reason\":\"Unauthorized\"") != std::string::npos);
    CHECK(raw.out.find(" 401") != std::string::npos);
    CHECK(raw.out.find("guarded") == std::string::npos);
  }
  server.signal(SIGTERM);
  CHECK(server.wait() == 0);
}

TEST_CASE("ktape cluster serve: a non-loopback address without TLS and a token gets a warning") {
  Home home;
  fs::path token_file = home.path / "token";
  std::ofstream(token_file) << "abc123\n";
  struct Case {
    std::vector<std::string> flags;
    bool warned;
  };
  std::vector<Case> cases = {
      {{"--address", "0.0.0.0"}, true},
      {{"--address", "0.0.0.0", "--token", token_file.string()}, true},
      {{"--address", "0.0.0.0", "--tls"}, true},
      {{"--address", "0.0.0.0", "--tls", "--token", token_file.string()}, false},
      {{"--address", "127.0.0.1"}, false},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {
        "cluster", "serve", "--port", "0", "--kubeconfig-out", (home.path / "k").string()};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    auto server = home.start(args);
    REQUIRE_FALSE(served_url(server).empty());
    std::string err = slurp(server.err);
    INFO(err);
    CHECK((err.find("warning: serving on 0.0.0.0") != std::string::npos) == c.warned);
    server.signal(SIGTERM);
    CHECK(server.wait() == 0);
  }
  auto empty = (home.path / "empty").string();
  std::ofstream(empty) << "\n";
  auto refused = home.ktape("cluster serve --port 0 --token " + empty);
  CHECK(refused.code == 2);
  CHECK(refused.err.find("is empty") != std::string::npos);
}

}  // namespace ktape::e2e
