#pragma once
// TLS material for a simulated cluster: a self-signed CA and a serving certificate signed by it,
// made with OpenSSL 3. Keys never leave the process except in the returned PEM strings; callers
// must not log them.
#include <string>
#include <vector>

#include "formats/error.hpp"

namespace ktape::sim {

struct TlsMaterial {
  std::string ca_cert_pem;      // the CA certificate clients trust (kubeconfig CA data)
  std::string server_cert_pem;  // the serving certificate, signed by the CA
  std::string server_key_pem;   // the serving certificate's private key (PKCS#8 PEM)
};

// Makes a fresh EC P-256 CA and a serving certificate valid for one year, with subject
// alternative names for every entry of `hosts` (IP addresses as IP SANs, anything else as DNS
// SANs) plus 127.0.0.1 and localhost. An Error (invalid) names a host that is neither a valid IP
// nor a DNS name; an OpenSSL failure is an Error (io) with OpenSSL's message.
Result<TlsMaterial> make_tls_material(const std::vector<std::string>& hosts);

}  // namespace ktape::sim
