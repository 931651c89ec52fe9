// make_tls_material checked by OpenSSL itself (`openssl verify` and certificate parsing), and
// make_kubeconfig parsed back as YAML.
#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "formats/yaml.hpp"
#include "sim/kubeconfig.hpp"
#include "sim/tls.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using ktape::test_support::TempDir;
using ktape::test_support::write_file;

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct KeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

std::unique_ptr<X509, X509Free> parse_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

std::unique_ptr<EVP_PKEY, KeyFree> parse_key(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  std::unique_ptr<EVP_PKEY, KeyFree> key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return key;
}

int run(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("make_tls_material: the serving certificate verifies against the CA with openssl verify") {
  auto material = ktape::sim::make_tls_material({"example.test", "10.1.2.3"});
  REQUIRE(material.has_value());
  CHECK(material->ca_cert_pem.find("-----BEGIN CERTIFICATE-----") == 0);
  CHECK(material->server_key_pem.find("-----BEGIN PRIVATE KEY-----") == 0);
  TempDir dir("ktape-tls");
  auto ca = dir.path() / "ca.pem";
  auto cert = dir.path() / "server.pem";
  write_file(ca, material->ca_cert_pem);
  write_file(cert, material->server_cert_pem);
  if (run("command -v openssl >/dev/null") != 0) {
    MESSAGE("skipped openssl verify: no openssl command");
  } else {
    CHECK(run("openssl verify -purpose sslserver -CAfile " + ca.string() + " " + cert.string() +
              " >/dev/null") == 0);
    // The CA is not trusted by itself by accident: the serving cert alone must not verify.
    CHECK(run("openssl verify -CAfile " + cert.string() + " " + cert.string() + " >/dev/null 2>&1") != 0);
  }
}

TEST_CASE("make_tls_material: SANs cover the hosts and loopback, and the key matches") {
  auto material = ktape::sim::make_tls_material({"example.test", "10.1.2.3"});
  REQUIRE(material.has_value());
  auto cert = parse_cert(material->server_cert_pem);
  auto ca = parse_cert(material->ca_cert_pem);
  auto key = parse_key(material->server_key_pem);
  REQUIRE(cert);
  REQUIRE(ca);
  REQUIRE(key);
  CHECK(X509_check_host(cert.get(), "example.test", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(cert.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(cert.get(), "other.test", 0, 0, nullptr) == 0);
  CHECK(X509_check_ip_asc(cert.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(cert.get(), "10.1.2.3", 0) == 1);
  CHECK(X509_check_ip_asc(cert.get(), "10.1.2.4", 0) == 0);
  CHECK(X509_check_private_key(cert.get(), key.get()) == 1);
  CHECK(X509_check_ca(ca.get()) >= 1);
  CHECK(X509_check_ca(cert.get()) == 0);
  CHECK(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0) == 1);
  CHECK(EVP_PKEY_is_a(key.get(), "EC") == 1);
  // Valid now, for about a year.
  CHECK(X509_cmp_current_time(X509_get0_notBefore(cert.get())) < 0);
  CHECK(X509_cmp_current_time(X509_get0_notAfter(cert.get())) > 0);
}

TEST_CASE("make_tls_material: each call makes a new CA") {
  auto a = ktape::sim::make_tls_material({});
  auto b = ktape::sim::make_tls_material({});
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->ca_cert_pem != b->ca_cert_pem);
  CHECK(a->server_key_pem != b->server_key_pem);
}

TEST_CASE("make_tls_material: a host that is neither an IP nor a DNS name is an error naming it") {
  auto material = ktape::sim::make_tls_material({"bad host!"});
  REQUIRE_FALSE(material.has_value());
  CHECK(material.error().kind == ktape::ErrorKind::invalid);
  CHECK(material.error().message.find("bad host!") != std::string::npos);
}

TEST_CASE("make_kubeconfig: one cluster, user and context, trusting the CA when given") {
  std::string ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  auto parsed = ktape::formats::parse_yaml(ktape::sim::make_kubeconfig("demo", "https://127.0.0.1:6443", ca));
  REQUIRE(parsed.has_value());
  const auto& config = *parsed;
  CHECK(config.string_at({"current-context"}) == "demo");
  CHECK(config.string_at({"kind"}) == "Config");
  const auto& cluster = config.find("clusters")->as_array().at(0);
  CHECK(cluster.string_at({"name"}) == "demo");
  CHECK(cluster.string_at({"cluster", "server"}) == "https://127.0.0.1:6443");
  CHECK(cluster.string_at({"cluster", "certificate-authority-data"}) ==
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=");
  const auto& context = config.find("contexts")->as_array().at(0);
  CHECK(context.string_at({"context", "cluster"}) == "demo");
  CHECK(context.string_at({"context", "user"}) == "demo");
  CHECK(config.find("users")->as_array().at(0).string_at({"name"}) == "demo");
  // A user name, so that kubectl does not prompt for credentials over HTTPS; no secret anywhere.
  CHECK(config.find("users")->as_array().at(0).string_at({"user", "username"}) == "ktape");
  CHECK(config.find("users")->as_array().at(0).at({"user", "password"}) == nullptr);

  auto plain =
      ktape::formats::parse_yaml(ktape::sim::make_kubeconfig("x", "http://127.0.0.1:1", std::nullopt));
  REQUIRE(plain.has_value());
  CHECK(plain->find("clusters")->as_array().at(0).at({"cluster", "certificate-authority-data"}) == nullptr);
}
