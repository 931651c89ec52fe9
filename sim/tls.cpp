// A throwaway CA and serving certificate for one simulated cluster, with OpenSSL 3's EVP APIs.
#include "sim/tls.hpp"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>

namespace ktape::sim {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

constexpr long k_valid_seconds = 365L * 24 * 3600;  // one year: clusters are throwaway
constexpr long k_backdate_seconds = 3600;           // tolerate clients whose clock runs behind

// OpenSSL's queued errors as one line, clearing the queue.
tl::unexpected<Error> openssl_error(const std::string& what) {
  std::string message = "TLS material: " + what;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    message += std::string(": ") + buffer;
  }
  return fail(ErrorKind::io, message);
}

bool is_ip(const std::string& host) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

bool is_dns_name(const std::string& host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.') return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '*';
  });
}

// "DNS:localhost,IP:127.0.0.1,..." for `hosts` plus the loopback names, without duplicates.
Result<std::string> subject_alt_names(const std::vector<std::string>& hosts) {
  std::vector<std::string> all{"localhost", "127.0.0.1"};
  for (const auto& h : hosts)
    if (std::find(all.begin(), all.end(), h) == all.end()) all.push_back(h);
  std::string out;
  for (const auto& h : all) {
    if (!is_ip(h) && !is_dns_name(h))
      return fail(ErrorKind::invalid,
                  "TLS material: host \"" + h + "\" is neither an IP address nor a DNS name");
    if (!out.empty()) out += ',';
    out.append(is_ip(h) ? "IP:" : "DNS:").append(h);
  }
  return out;
}

bool add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// A certificate for `key` named `common_name`, with a random serial and the validity window;
// unsigned and without extensions. `issuer` null: self-issued.
CertPtr new_certificate(EVP_PKEY* key, const char* common_name, X509* issuer) {
  CertPtr cert(X509_new());
  BnPtr serial(BN_new());
  if (!cert || !serial || X509_set_version(cert.get(), 2) != 1 || BN_rand(serial.get(), 127, 0, 0) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -k_backdate_seconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), k_valid_seconds) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1)
    return nullptr;
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto text = [](const char* s) { return reinterpret_cast<const unsigned char*>(s); };
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, text("ktape"), -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, text(common_name), -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name) != 1)
    return nullptr;
  return cert;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

Result<std::string> cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return openssl_error("writing a certificate");
  return bio_text(bio.get());
}

Result<std::string> key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return openssl_error("writing a private key");
  return bio_text(bio.get());
}

Result<CertPtr> make_ca(EVP_PKEY* key) {
  CertPtr ca = new_certificate(key, "ktape-simulated-cluster-ca", nullptr);
  if (!ca) return openssl_error("building the CA certificate");
  if (!add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature") ||
      !add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash"))
    return openssl_error("adding the CA's extensions");
  if (X509_sign(ca.get(), key, EVP_sha256()) == 0) return openssl_error("signing the CA certificate");
  return ca;
}

Result<CertPtr> make_serving(EVP_PKEY* key, X509* ca, EVP_PKEY* ca_key, const std::string& sans) {
  CertPtr cert = new_certificate(key, "ktape-simulated-cluster", ca);
  if (!cert) return openssl_error("building the serving certificate");
  if (!add_extension(cert.get(), ca, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert.get(), ca, NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
      !add_extension(cert.get(), ca, NID_ext_key_usage, "serverAuth") ||
      !add_extension(cert.get(), ca, NID_subject_key_identifier, "hash") ||
      !add_extension(cert.get(), ca, NID_authority_key_identifier, "keyid:always") ||
      !add_extension(cert.get(), ca, NID_subject_alt_name, sans))
    return openssl_error("adding the serving certificate's extensions");
  if (X509_sign(cert.get(), ca_key, EVP_sha256()) == 0)
    return openssl_error("signing the serving certificate");
  return cert;
}

}  // namespace

Result<TlsMaterial> make_tls_material(const std::vector<std::string>& hosts) {
  auto sans = subject_alt_names(hosts);
  if (!sans) return fail(sans.error());
  KeyPtr ca_key(EVP_EC_gen("P-256"));
  KeyPtr server_key(EVP_EC_gen("P-256"));
  if (!ca_key || !server_key) return openssl_error("generating EC P-256 keys");
  auto ca = make_ca(ca_key.get());
  if (!ca) return fail(ca.error());
  auto serving = make_serving(server_key.get(), ca->get(), ca_key.get(), *sans);
  if (!serving) return fail(serving.error());
  TlsMaterial out;
  auto ca_text = cert_pem(ca->get());
  auto cert_text = cert_pem(serving->get());
  auto key_text = key_pem(server_key.get());
  if (!ca_text) return fail(ca_text.error());
  if (!cert_text) return fail(cert_text.error());
  if (!key_text) return fail(key_text.error());
  out.ca_cert_pem = std::move(*ca_text);
  out.server_cert_pem = std::move(*cert_text);
  out.server_key_pem = std::move(*key_text);
  return out;
}

}  // namespace ktape::sim
