#pragma once
// Where a request's identity comes from: a static token, a token file, basic auth, client
// certificates, or an exec credential plugin whose answer is cached until its
// expirationTimestamp. Thread-safe; one per Client.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "formats/error.hpp"
#include "kube/clock.hpp"
#include "kube/rest_config.hpp"

namespace ktape::kube {

struct Credential {
  std::string bearer_token;     // "" when none
  std::string basic_auth;       // "user:password", "" when none
  std::string client_cert_pem;  // from an exec plugin; "" means the transport's own
  std::string client_key_pem;
};

// What an exec plugin returned (ExecCredential status).
struct ExecCredential {
  std::string token;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expiry;  // nullopt: valid until a 401
};

// Runs the plugin once (inheriting the environment plus config.env and KUBERNETES_EXEC_INFO) and
// decodes what it printed. Errors name the plugin and say why (not found, with the installHint;
// exit code and the plugin's last stderr line; output that is not an ExecCredential of the
// expected apiVersion). Never includes what the plugin printed on stdout.
Result<ExecCredential> run_exec_plugin(const ExecConfig& config, const std::string& server);

class CredentialSource {
 public:
  CredentialSource(const RestConfig& config, std::shared_ptr<Clock> clock);

  // The credential for the next request. Runs the exec plugin when nothing cached is valid
  // (no credential yet, or its expiry has passed); reads the token file on first use and again
  // when the last read is a minute old (a rotated token is used from then on).
  Result<Credential> current();
  // Called after a 401: drops the cached exec credential and token-file token. Returns true when
  // the next current() may produce a different credential (exec plugin or token file).
  bool invalidate();
  // How many times the exec plugin ran (for tests and diagnostics).
  int exec_runs() const;

 private:
  RestConfig m_config;
  std::shared_ptr<Clock> m_clock;
  mutable std::mutex m_mutex;
  std::optional<ExecCredential> m_exec_cached;
  std::optional<std::string> m_file_token;
  std::chrono::steady_clock::time_point m_file_token_read;  // when m_file_token was read
  int m_exec_runs = 0;
};

}  // namespace ktape::kube
