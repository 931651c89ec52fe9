// Credentials at request time: exec plugins (caching until expirationTimestamp, re-run after a
// 401, failures), a token file re-read after a 401, and basic auth.
#include <doctest/doctest.h>

#include "formats/time.hpp"
#include "kube/client.hpp"
#include "kube/credentials.hpp"
#include "kube/kubeconfig.hpp"
#include "tests/kube/helpers.hpp"

using namespace ktape;
using namespace ktape::kube;
using namespace std::chrono_literals;
using test::FakeClock;
using test::ScriptedServer;
using test::source_path;
using test::TempDir;

namespace {

// A server whose /version accepts only the bearer tokens `accepted` says yes to.
template <typename Accept>
void serve_version(ScriptedServer& server, Accept accepted, std::vector<std::string>& seen) {
  server.http().Get("/version", [accepted, &seen](const httplib::Request& req, httplib::Response& res) {
    std::string auth = req.get_header_value("Authorization");
    seen.push_back(auth);
    if (!accepted(auth)) {
      res.status = 401;
      res.set_content(
          R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})",
          "application/json");
      return;
    }
    res.set_content(R"({"gitVersion":"v1.32.0"})", "application/json");
  });
}

RestConfig exec_config(const std::string& server, const TempDir& dir, const std::string& mode = "ok",
                       const std::string& expiry = {}) {
  KubeconfigOptions options;
  options.path = source_path("testdata/kubeconfig/exec-v1.yaml");
  auto config = load_kubeconfig(options);
  REQUIRE(config);
  config->server = server;
  config->exec->env = {{"KTAPE_PLUGIN_MODE", mode},
                       {"KTAPE_PLUGIN_COUNTER", (dir.path() / "runs").string()},
                       {"KTAPE_PLUGIN_EXPIRY", expiry}};
  return *config;
}

}  // namespace

TEST_CASE("an exec token is cached, and the plugin re-runs after a 401") {
  ScriptedServer server;
  std::vector<std::string> seen;
  // The first token the plugin hands out is refused, as if revoked.
  serve_version(
      server, [](const std::string& auth) { return auth != "Bearer plugin-token-1"; }, seen);
  server.start();
  TempDir dir;
  auto client = Client::create(exec_config(server.url(), dir));
  REQUIRE(client);
  REQUIRE((*client)->server_version());
  CHECK((*client)->exec_runs() == 2);
  REQUIRE((*client)->server_version());
  REQUIRE((*client)->server_version());
  CHECK((*client)->exec_runs() == 2);
  CHECK(seen == std::vector<std::string>{"Bearer plugin-token-1", "Bearer plugin-token-2",
                                         "Bearer plugin-token-2", "Bearer plugin-token-2"});
}

TEST_CASE("an exec token is used until its expirationTimestamp, then the plugin runs again") {
  ScriptedServer server;
  std::vector<std::string> seen;
  serve_version(
      server, [](const std::string&) { return true; }, seen);
  server.start();
  TempDir dir;
  auto clock = std::make_shared<FakeClock>();
  auto expiry = std::chrono::time_point_cast<std::chrono::nanoseconds>(clock->wall_now() + 1h);
  ClientOptions options;
  options.clock = clock;
  auto client =
      Client::create(exec_config(server.url(), dir, "ok", formats::format_rfc3339(expiry)), options);
  REQUIRE(client);
  REQUIRE((*client)->server_version());
  clock->advance(30min);
  REQUIRE((*client)->server_version());
  CHECK((*client)->exec_runs() == 1);
  clock->advance(31min);
  REQUIRE((*client)->server_version());
  CHECK((*client)->exec_runs() == 2);
  CHECK(seen.back() == "Bearer plugin-token-2");
}

TEST_CASE("exec plugin failures are one clear line without the plugin's output") {
  TempDir dir;
  SUBCASE("exit code and stderr") {
    auto result = run_exec_plugin(*exec_config("http://x", dir, "fail").exec, "http://x");
    REQUIRE(!result);
    CHECK(result.error().message ==
          "exec plugin \"" + source_path("testdata/exec-plugin.sh") +
              "\" failed with exit code 3: error: the identity provider is unreachable");
  }
  SUBCASE("garbage on stdout") {
    auto result = run_exec_plugin(*exec_config("http://x", dir, "garbage").exec, "http://x");
    REQUIRE(!result);
    CHECK(result.error().kind == ErrorKind::parse);
    CHECK(result.error().message.find("not an ExecCredential") != std::string::npos);
    CHECK(result.error().message.find("secret-in-garbage") == std::string::npos);
  }
  SUBCASE("another apiVersion") {
    auto result = run_exec_plugin(*exec_config("http://x", dir, "wrong-version").exec, "http://x");
    REQUIRE(!result);
    CHECK(result.error().message.find("expected an ExecCredential of client.authentication.k8s.io/v1") !=
          std::string::npos);
  }
  SUBCASE("a command that does not exist shows the installHint") {
    ExecConfig config = *exec_config("http://x", dir).exec;
    config.command = (dir.path() / "no-such-plugin").string();
    auto result = run_exec_plugin(config, "http://x");
    REQUIRE(!result);
    CHECK(result.error().message.find("could not be run") != std::string::npos);
    CHECK(result.error().message.ends_with("install the test plugin from testdata/"));
  }
  SUBCASE("a request fails with the plugin's error") {
    auto client = Client::create(exec_config("http://127.0.0.1:1", dir, "fail"));
    REQUIRE(client);
    auto version = (*client)->server_version();
    REQUIRE(!version);
    CHECK(version.error().message.find("failed with exit code 3") != std::string::npos);
  }
}

TEST_CASE("a token file is re-read after a 401") {
  ScriptedServer server;
  std::vector<std::string> seen;
  TempDir dir;
  auto token_file = dir.path() / "token";
  test::write_file(token_file, "old-token\n");
  server.http().Get("/version", [&](const httplib::Request& req, httplib::Response& res) {
    seen.push_back(req.get_header_value("Authorization"));
    if (seen.back() != "Bearer new-token") {
      test::write_file(token_file, "new-token\n");  // rotated while the client held the old one
      res.status = 401;
      return;
    }
    res.set_content(R"({"gitVersion":"v1.32.0"})", "application/json");
  });
  server.start();
  RestConfig config;
  config.server = server.url();
  config.token_file = token_file.string();
  auto client = Client::create(config);
  REQUIRE(client);
  REQUIRE((*client)->server_version());
  CHECK(seen == std::vector<std::string>{"Bearer old-token", "Bearer new-token"});
}

TEST_CASE("basic auth is sent as an Authorization: Basic header") {
  ScriptedServer server;
  std::string auth;
  server.http().Get("/version", [&](const httplib::Request& req, httplib::Response& res) {
    auth = req.get_header_value("Authorization");
    res.set_content(R"({"gitVersion":"v1.32.0"})", "application/json");
  });
  server.start();
  KubeconfigOptions options;
  options.path = source_path("testdata/kubeconfig/basic.yaml");
  auto config = load_kubeconfig(options);
  REQUIRE(config);
  config->server = server.url();
  config->ca_pem.clear();
  auto client = Client::create(*config);
  REQUIRE(client);
  REQUIRE((*client)->server_version());
  CHECK(auth == "Basic YWRtaW46aHVudGVyMi1wYXNzd29yZA==");
}
