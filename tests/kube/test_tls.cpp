// TLS with certificates made by the openssl CLI inside the test: CA verification, client
// certificate authentication, tls-server-name, insecure-skip-tls-verify and a mismatched key.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <sstream>
#include <thread>

#include "kube/client.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/transport.hpp"
#include "tests/kube/helpers.hpp"

using namespace ktape;
using namespace ktape::kube;
using test::ScriptedServer;
using test::TempDir;

extern char** environ;

namespace {

// A CA, a server certificate for 127.0.0.1, one only for "kubernetes.test", a client
// certificate (CN=alice), and an unrelated CA and key.
struct Pki {
  TempDir dir;
  std::string path(const std::string& name) const { return (dir.path() / name).string(); }
  std::string pem(const std::string& name) const { return test::read_file(dir.path() / name); }

  Pki() {
    const std::string d = dir.path().string();
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    std::string script =
        "set -e; cd " + d + "; exec 2>openssl.log\n" + "openssl req -x509 " + ec +
        " -keyout ca.key -out ca.crt -subj /CN=test-ca -days 2\n" + "openssl req -x509 " + ec +
        " -keyout other-ca.key -out other-ca.crt -subj /CN=other -days 2\n" + "sign() { openssl req " + ec +
        " -keyout $1.key -out $1.csr -subj \"$2\"; " + "printf \"$3\" > $1.ext; " +
        "openssl x509 -req -in $1.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $1.crt -days 2 "
        "-extfile $1.ext; }\n" +
        "sign server /CN=server 'subjectAltName=IP:127.0.0.1,DNS:localhost'\n" +
        "sign named /CN=named 'subjectAltName=DNS:kubernetes.test'\n" +
        "sign client /CN=alice/O=dev 'extendedKeyUsage=clientAuth'\n" +
        "base64 -w0 client.crt > client.crt.b64; base64 -w0 client.key > client.key.b64\n";
    test::write_file(dir.path() / "make.sh", script);
    REQUIRE(std::system(("sh " + d + "/make.sh").c_str()) == 0);
  }
};

std::unique_ptr<httplib::SSLServer> tls_server(const Pki& pki, const std::string& cert, bool client_auth) {
  auto server = client_auth ? std::make_unique<httplib::SSLServer>(pki.path(cert + ".crt").c_str(),
                                                                   pki.path(cert + ".key").c_str(),
                                                                   pki.path("ca.crt").c_str())
                            : std::make_unique<httplib::SSLServer>(pki.path(cert + ".crt").c_str(),
                                                                   pki.path(cert + ".key").c_str());
  REQUIRE(server->is_valid());
  server->Get("/version", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"gitVersion":"v1.32.0"})", "application/json");
  });
  return server;
}

Result<formats::Value> version(const RestConfig& config) {
  auto client = Client::create(config);
  REQUIRE(client);
  return (*client)->server_version();
}

}  // namespace

TEST_CASE("TLS: the CA verifies the server, another CA does not, insecure skips the check") {
  Pki pki;
  ScriptedServer server(tls_server(pki, "server", false));
  server.start();
  RestConfig config;
  config.server = server.url("https");
  config.ca_pem = pki.pem("ca.crt");
  CHECK(version(config));
  config.ca_pem = pki.pem("other-ca.crt");
  auto wrong = version(config);
  REQUIRE(!wrong);
  CHECK(wrong.error().kind == ErrorKind::transport);
  CHECK(wrong.error().message.starts_with("GET " + server.url("https") +
                                          "/version: the server's certificate did not verify against the "
                                          "certificate-authority"));
  config.insecure_skip_tls_verify = true;
  CHECK(version(config));
}

TEST_CASE("TLS: tls-server-name picks the name the certificate is checked against") {
  Pki pki;
  ScriptedServer server(tls_server(pki, "named", false));
  server.start();
  RestConfig config;
  config.server = server.url("https");
  config.ca_pem = pki.pem("ca.crt");
  CHECK(!version(config));
  config.tls_server_name = "kubernetes.test";
  auto named = version(config);
  CHECK(named);
}

TEST_CASE("TLS: client certificate authentication, from kubeconfig files and -data") {
  Pki pki;
  ScriptedServer server(tls_server(pki, "server", true));
  server.start();
  RestConfig anonymous;
  anonymous.server = server.url("https");
  anonymous.ca_pem = pki.pem("ca.crt");
  CHECK(!version(anonymous));

  // A kubeconfig beside the certificates, naming them by relative path.
  std::string kubeconfig =
      "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
      "clusters:\n- name: c\n  cluster:\n    server: " +
      server.url("https") +
      "\n    certificate-authority: ca.crt\n"
      "users:\n- name: alice\n  user:\n    client-certificate: client.crt\n"
      "    client-key: client.key\n"
      "- name: mismatched\n  user:\n    client-certificate: client.crt\n"
      "    client-key: other-ca.key\n"
      "- name: alice-data\n  user:\n    client-certificate-data: " +
      pki.pem("client.crt.b64") + "\n    client-key-data: " + pki.pem("client.key.b64") +
      "\ncontexts:\n- name: c\n  context: {cluster: c, user: alice}\n"
      "- name: data\n  context: {cluster: c, user: alice-data}\n"
      "- name: bad\n  context: {cluster: c, user: mismatched}\n";
  test::write_file(pki.dir.path() / "config", kubeconfig);
  KubeconfigOptions options;
  options.path = pki.path("config");
  auto config = load_kubeconfig(options);
  REQUIRE(config);
  CHECK(version(*config));

  options.context = "bad";
  auto mismatched = load_kubeconfig(options);
  REQUIRE(!mismatched);
  CHECK(mismatched.error().message ==
        "kubeconfig " + pki.path("config") +
            ": context \"bad\": user \"mismatched\": client-certificate and client-key "
            "do not belong together");
  CHECK(mismatched.error().message.find("PRIVATE KEY") == std::string::npos);

  options.context = "data";
  auto from_data = load_kubeconfig(options);
  REQUIRE(from_data);
  CHECK(from_data->client_key_pem == pki.pem("client.key"));
  CHECK(version(*from_data));
}

namespace {

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

bool accepts_connections(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

}  // namespace

// nghttpd (Debian's nghttp2-server) is the HTTP/2 server at hand; without it the case is skipped.
TEST_CASE("HTTP/2 over TLS: concurrent transfers share one multiplexed connection") {
  if (std::system("command -v nghttpd > /dev/null 2>&1") != 0) return;
  Pki pki;
  std::filesystem::create_directories(pki.dir.path() / "www");
  test::write_file(pki.dir.path() / "www" / "big", std::string(4u << 20, 'h'));
  const int port = free_port();
  std::string command = "exec nghttpd -v -d " + pki.path("www") + " " + std::to_string(port) + " " +
                        pki.path("server.key") + " " + pki.path("server.crt") + " > " +
                        pki.path("nghttpd.log") + " 2>&1";
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  REQUIRE(posix_spawnp(&pid, "sh", nullptr, nullptr, const_cast<char**>(argv), environ) == 0);
  for (int i = 0; i < 300 && !accepts_connections(port); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));

  TransportOptions options;
  options.ca_pem = pki.pem("ca.crt");
  auto transport = Transport::create(options);
  REQUIRE(transport);
  constexpr int k_transfers = 8;
  std::vector<Result<HttpResponse>> results(k_transfers, fail(ErrorKind::io, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < k_transfers; ++i) {
    threads.emplace_back([&, i] {
      HttpRequest request;
      request.url = "https://127.0.0.1:" + std::to_string(port) + "/big";
      results[i] = (*transport)->perform(request);
    });
  }
  for (auto& t : threads) t.join();
  transport->reset();
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  for (const auto& r : results) {
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->http_version == 2);
    CHECK(r->body.size() == (4u << 20));
  }
  // nghttpd -v tags every frame with its session (connection); the sessions that received
  // requests (the readiness probe above opened one that did not) must be one.
  std::istringstream log(test::read_file(pki.dir.path() / "nghttpd.log"));
  std::set<std::string> sessions;
  int requests = 0;
  for (std::string line; std::getline(log, line);) {
    if (!line.starts_with("[id=") || line.find("recv HEADERS frame") == std::string::npos) continue;
    sessions.insert(line.substr(0, line.find(']')));
    ++requests;
  }
  CHECK(requests == k_transfers);
  CHECK(sessions.size() == 1);
}
