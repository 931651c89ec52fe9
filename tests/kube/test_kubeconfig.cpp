// Kubeconfig loading from testdata/kubeconfig: every auth mode, merging of $KUBECONFIG lists,
// relative paths, impersonation, and one clear line for each kind of bad input.
#include <doctest/doctest.h>

#include <cstdlib>

#include "kube/kubeconfig.hpp"
#include "tests/kube/helpers.hpp"

using namespace ktape;
using namespace ktape::kube;
using test::source_path;

namespace {

std::string testdata(const std::string& name) { return source_path("testdata/kubeconfig/" + name); }

Result<RestConfig> load(const std::string& file, const std::string& context = {}) {
  KubeconfigOptions options;
  options.path = testdata(file);
  options.context = context;
  return load_kubeconfig(options);
}

// Sets an environment variable for the scope, restoring the old value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (m_old) {
      setenv(m_name, m_old->c_str(), 1);
    } else {
      unsetenv(m_name);
    }
  }

 private:
  const char* m_name;
  std::optional<std::string> m_old;
};

}  // namespace

TEST_CASE("a token user with namespace, TLS options and impersonation") {
  auto config = load("token.yaml");
  REQUIRE(config);
  CHECK(config->server == "https://127.0.0.1:6443");
  CHECK(config->token == "token-from-kubeconfig");
  CHECK(config->namespace_name == "team-a");
  CHECK(config->insecure_skip_tls_verify);
  CHECK(config->tls_server_name == "kubernetes.test");
  CHECK(config->proxy_url == "http://proxy.test:3128");
  CHECK(config->impersonate_user == "admin-bot");
  CHECK(config->impersonate_groups == std::vector<std::string>{"system:masters", "ops"});
  CHECK(config->context == "dev");

  SUBCASE("--as, --as-group and --namespace override the file") {
    KubeconfigOptions options;
    options.path = testdata("token.yaml");
    options.as = "carol";
    options.as_groups = {"viewers"};
    options.namespace_name = "elsewhere";
    auto overridden = load_kubeconfig(options);
    REQUIRE(overridden);
    CHECK(overridden->impersonate_user == "carol");
    CHECK(overridden->impersonate_groups == std::vector<std::string>{"viewers"});
    CHECK(overridden->namespace_name == "elsewhere");
  }
}

TEST_CASE("tokenFile and certificate-authority resolve against the kubeconfig's folder") {
  auto config = load("token-file.yaml");
  REQUIRE(config);
  CHECK(config->token_file == testdata("token.txt"));
  CHECK(config->ca_pem.find("not a real certificate") != std::string::npos);
  CHECK(config->namespace_name == "default");
}

TEST_CASE("basic auth and certificate-authority-data") {
  auto config = load("basic.yaml");
  REQUIRE(config);
  CHECK(config->username == "admin");
  CHECK(config->password == "hunter2-password");
  CHECK(config->ca_pem == "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n");
}

TEST_CASE("exec plugins of both API versions") {
  for (std::string version : {"v1", "v1beta1"}) {
    CAPTURE(version);
    auto config = load("exec-" + version + ".yaml");
    REQUIRE(config);
    REQUIRE(config->exec);
    CHECK(config->exec->api_version == "client.authentication.k8s.io/" + version);
    CHECK(config->exec->command == source_path("testdata/exec-plugin.sh"));
    CHECK(config->exec->args == std::vector<std::string>{"client.authentication.k8s.io/" + version});
    CHECK(config->exec->env.size() == 1);
    CHECK(config->exec->provide_cluster_info);
    CHECK(config->exec->install_hint == "install the test plugin from testdata/");
  }
}

TEST_CASE("$KUBECONFIG lists merge by kubectl's rules") {
  ScopedEnv env("KUBECONFIG",
                testdata("merge-a.yaml") + ":" + testdata("missing.yaml") + ":" + testdata("merge-b.yaml"));
  auto config = load_kubeconfig({});
  REQUIRE(config);
  // merge-a.yaml's current-context and its "from-a" context, cluster and user win.
  CHECK(config->context == "from-a");
  CHECK(config->server == "https://a.example:6443");
  CHECK(config->token == "token-a");
  CHECK(config->namespace_name == "ns-a");
  // A context only merge-b.yaml defines, with a cluster only merge-b.yaml defines.
  KubeconfigOptions from_b;
  from_b.context = "from-b";
  auto b = load_kubeconfig(from_b);
  REQUIRE(b);
  CHECK(b->server == "https://only-b.example:6443");
  CHECK(b->token == "token-a");
  auto contexts = list_kubeconfig_contexts({});
  REQUIRE(contexts);
  CHECK(contexts->names == std::vector<std::string>{"from-a", "from-b"});
  CHECK(contexts->current == "from-a");
}

TEST_CASE("bad kubeconfigs fail with one line naming the file, the context and the field") {
  struct Case {
    std::string context;
    std::string message;
  };
  const std::string file = testdata("broken.yaml");
  std::vector<Case> cases{
      {"no-server",
       "kubeconfig " + file + ": context \"no-server\": cluster \"no-server\": server is not set"},
      {"unknown-cluster",
       "kubeconfig " + file + ": context \"unknown-cluster\": cluster \"nowhere\" not found"},
      {"unknown-user", "kubeconfig " + file + ": context \"unknown-user\": user \"nobody\" not found"},
      {"bad-ca",
       "kubeconfig " + file +
           ": context \"bad-ca\": cluster \"bad-ca\": certificate-authority-data is not valid base64"},
      {"missing-ca", "kubeconfig " + file +
                         ": context \"missing-ca\": cluster \"missing-ca\": certificate-authority " +
                         testdata("does-not-exist.crt") + " cannot be read: No such file or directory"},
      {"auth-provider",
       "kubeconfig " + file +
           ": context \"auth-provider\": user \"legacy\": auth-provider is not supported (removed "
           "from kubectl in 1.26); use exec"},
      {"nope",
       "kubeconfig " + file +
           ": context \"nope\" not found (contexts: no-server, unknown-cluster, unknown-user, bad-ca, "
           "missing-ca, auth-provider)"},
      {"",
       "kubeconfig " + file +
           ": no current-context is set; pass --context (contexts: no-server, unknown-cluster, unknown-user, "
           "bad-ca, missing-ca, auth-provider)"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.context);
    auto config = load("broken.yaml", c.context);
    REQUIRE(!config);
    CHECK(config.error().message == c.message);
    CHECK(config.error().message.find("super-secret-token") == std::string::npos);
    CHECK(config.error().message.find('\n') == std::string::npos);
  }
}

TEST_CASE("missing, unreadable and invalid kubeconfig files") {
  auto missing = load("no-such-file.yaml");
  REQUIRE(!missing);
  CHECK(missing.error().kind == ErrorKind::io);
  CHECK(missing.error().message ==
        "kubeconfig " + testdata("no-such-file.yaml") + " cannot be read: No such file or directory");
  auto invalid = load("invalid-yaml.yaml");
  REQUIRE(!invalid);
  CHECK(invalid.error().kind == ErrorKind::parse);
  CHECK(invalid.error().message.starts_with("kubeconfig " + testdata("invalid-yaml.yaml") + ": line "));
  ScopedEnv env("KUBECONFIG", testdata("gone-1.yaml") + ":" + testdata("gone-2.yaml"));
  auto none = load_kubeconfig({});
  REQUIRE(!none);
  CHECK(none.error().message.starts_with("kubeconfig: none of "));
}

TEST_CASE("decode_base64") {
  CHECK(decode_base64("aGVsbG8=") == "hello");
  CHECK(decode_base64("aGVsbG8") == "hello");
  CHECK(decode_base64("aGVs\nbG8=") == "hello");
  CHECK(!decode_base64("aGVsbG8=x"));
  CHECK(!decode_base64("a*b"));
  CHECK(decode_base64("") == "");
}
