// The kubeconfig of a simulated cluster. Written by hand: every value is either ktape's own
// (names, URLs) or base64, so YAML quoting is all it needs.
#include "sim/kubeconfig.hpp"

#include <openssl/evp.h>

namespace ktape::sim {
namespace {

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// A double-quoted YAML scalar (JSON string rules are a subset of YAML's).
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string make_kubeconfig(std::string_view name, std::string_view server_url,
                            std::optional<std::string_view> ca_pem, std::optional<std::string_view> token) {
  std::string q = quoted(name);
  std::string out = "apiVersion: v1\nkind: Config\nclusters:\n- name: " + q +
                    "\n  cluster:\n    server: " + quoted(server_url) + "\n";
  if (ca_pem) out += "    certificate-authority-data: " + base64(*ca_pem) + "\n";
  // A user name without a password: the simulated cluster does not authenticate, but kubectl
  // prompts for credentials on an HTTPS server when the user has none at all.
  out += "users:\n- name: " + q + "\n  user:\n";
  out += token ? "    token: " + quoted(*token) + "\n" : std::string("    username: \"ktape\"\n");
  out += "contexts:\n- name: " + q + "\n  context:\n    cluster: " + q + "\n    user: " + q + "\n";
  out += "current-context: " + q + "\npreferences: {}\n";
  return out;
}

}  // namespace ktape::sim
