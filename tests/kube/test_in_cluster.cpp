// In-cluster configuration (client-go's rest.InClusterConfig) and the rotation of a token file.
#include <doctest/doctest.h>

#include <cstdlib>

#include "kube/client.hpp"
#include "kube/in_cluster.hpp"
#include "tests/kube/helpers.hpp"

namespace ktape::kube {
namespace {

using test::source_path;
using test::TempDir;

// Sets environment variables for one test and restores them after.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const auto& [name, value] : vars) {
      const char* old = std::getenv(name);
      m_saved.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      if (value)
        ::setenv(name, value, 1);
      else
        ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, old] : m_saved) {
      if (old)
        ::setenv(name.c_str(), old->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> m_saved;
};

void write_service_account(const TempDir& dir, const std::string& token) {
  test::write_file(dir.path() / "token", token + "\n");
  test::write_file(dir.path() / "ca.crt",
                   "-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n");
  test::write_file(dir.path() / "namespace", "backups");
}

}  // namespace

TEST_CASE("load_in_cluster_config: server, token file, CA and namespace from the service account") {
  TempDir sa;
  write_service_account(sa, "t0k3n");
  ScopedEnv env{{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                {"KUBERNETES_SERVICE_PORT", "443"},
                {"KTAPE_SERVICE_ACCOUNT_DIR", sa.path().c_str()}};
  auto config = load_in_cluster_config();
  REQUIRE_MESSAGE(config, (config ? "" : config.error().message));
  CHECK(config->server == "https://10.96.0.1:443");
  CHECK(config->token_file == (sa.path() / "token").string());
  CHECK(config->token.empty());  // read through the file, so that rotation is seen
  CHECK(config->ca_pem.find("not checked here") != std::string::npos);
  CHECK(config->namespace_name == "backups");

  ScopedEnv v6{{"KUBERNETES_SERVICE_HOST", "fd00::1"}};
  CHECK(load_in_cluster_config()->server == "https://[fd00::1]:443");
}

TEST_CASE("load_in_cluster_config: errors outside a cluster and without a token, never with the token") {
  TempDir sa;
  {
    ScopedEnv env{{"KUBERNETES_SERVICE_HOST", nullptr}, {"KUBERNETES_SERVICE_PORT", "443"}};
    auto config = load_in_cluster_config();
    REQUIRE_FALSE(config);
    CHECK(config.error().kind == ErrorKind::not_found);
    CHECK(config.error().message.find("KUBERNETES_SERVICE_HOST") != std::string::npos);
  }
  ScopedEnv env{{"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
                {"KUBERNETES_SERVICE_PORT", "6443"},
                {"KTAPE_SERVICE_ACCOUNT_DIR", sa.path().c_str()}};
  auto config = load_in_cluster_config();
  REQUIRE_FALSE(config);
  CHECK(config.error().message.find((sa.path() / "token").string()) != std::string::npos);
  test::write_file(sa.path() / "token", "s3cr3t-token\n");
  config = load_in_cluster_config();
  REQUIRE_FALSE(config);  // no ca.crt
  CHECK(config.error().message.find("ca.crt") != std::string::npos);
  CHECK(config.error().message.find("s3cr3t") == std::string::npos);
}

TEST_CASE("load_client_config: a kubeconfig when one exists, else the in-cluster config") {
  TempDir sa;
  write_service_account(sa, "t0k3n");
  auto missing = (sa.path() / "no-kubeconfig").string();
  ScopedEnv env{{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                {"KUBERNETES_SERVICE_PORT", "443"},
                {"KTAPE_SERVICE_ACCOUNT_DIR", sa.path().c_str()},
                {"KUBECONFIG", missing.c_str()}};
  KubeconfigOptions options;
  options.as = "someone";
  auto config = load_client_config(options);
  REQUIRE_MESSAGE(config, (config ? "" : config.error().message));
  CHECK(config->server == "https://10.96.0.1:443");
  CHECK(config->context == "in-cluster");
  CHECK(config->impersonate_user == "someone");

  options.path = missing;  // --kubeconfig given: it is used, and its absence is the error
  auto explicit_path = load_client_config(options);
  REQUIRE_FALSE(explicit_path);
  CHECK(explicit_path.error().message.find("no-kubeconfig") != std::string::npos);

  options.path = source_path("testdata/kubeconfig/basic.yaml");
  auto from_file = load_client_config(options);
  REQUIRE(from_file);
  CHECK(from_file->server != "https://10.96.0.1:443");
}

TEST_CASE("a token file is re-read a minute after it was read, so a rotated token is used before a 401") {
  test::ScriptedServer server;
  std::vector<std::string> seen;
  std::mutex seen_mutex;
  server.http().Get("/version", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(seen_mutex);
    seen.push_back(req.get_header_value("Authorization"));
    res.set_content(R"({"gitVersion":"v1.32.0"})", "application/json");
  });
  server.start();
  TempDir dir;
  test::write_file(dir.path() / "token", "first\n");
  RestConfig config;
  config.server = server.url();
  config.token_file = (dir.path() / "token").string();
  auto clock = std::make_shared<test::FakeClock>();
  ClientOptions options;
  options.clock = clock;
  auto client = Client::create(config, options);
  REQUIRE(client);
  REQUIRE((*client)->server_version());
  test::write_file(dir.path() / "token", "second\n");  // the kubelet rotated it
  clock->advance(std::chrono::seconds(30));
  REQUIRE((*client)->server_version());
  clock->advance(std::chrono::seconds(31));
  REQUIRE((*client)->server_version());
  std::lock_guard lock(seen_mutex);
  CHECK(seen == std::vector<std::string>{"Bearer first", "Bearer first", "Bearer second"});
}

}  // namespace ktape::kube
