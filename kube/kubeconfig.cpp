#include "kube/kubeconfig.hpp"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "formats/yaml.hpp"

namespace ktape::kube {
namespace {

using formats::Value;

// A named cluster, user or context: its body and the file that defined it.
struct Entry {
  const Value* body = nullptr;
  std::string file;
};

struct Merged {
  std::deque<Value> documents;  // deque: entries point into it
  std::map<std::string, Entry> clusters, users, contexts;
  std::vector<std::string> context_order;
  std::string current_context;
  std::vector<std::string> files;  // the files that existed and were read
  std::string where() const {
    std::string out;
    for (const auto& f : files) out += (out.empty() ? "" : ", ") + f;
    return "kubeconfig " + out;
  }
};

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorKind::io, path + " cannot be read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string field(const Value* body, std::string_view key) {
  if (!body) return {};
  const Value* v = body->find(key);
  if (!v) return {};
  if (v->is_string()) return v->as_string();
  if (v->is_number()) return v->number_text();
  return {};
}

bool flag(const Value* body, std::string_view key) {
  const Value* v = body ? body->find(key) : nullptr;
  return v && v->is_bool() && v->as_bool();
}

void add_named(std::map<std::string, Entry>& map, const Value& doc, std::string_view list_key,
               std::string_view body_key, const std::string& file, std::vector<std::string>* order) {
  const Value* list = doc.find(list_key);
  if (!list || !list->is_array()) return;
  for (const auto& item : list->as_array()) {
    std::string name(item.string_at({"name"}));
    if (name.empty() || map.count(name)) continue;  // the first file that names it wins
    map[name] = Entry{item.find(body_key), file};
    if (order) order->push_back(name);
  }
}

Result<Merged> merge_files(const KubeconfigOptions& options) {
  Merged merged;
  auto paths = kubeconfig_paths(options);
  for (const auto& path : paths) {
    if (!std::filesystem::exists(path) && options.path.empty() && paths.size() > 1) continue;
    auto text = read_text(path);
    if (!text) return fail(ErrorKind::io, "kubeconfig " + text.error().message);
    auto doc = formats::parse_yaml(*text);
    if (!doc) return fail(with_context(doc.error(), "kubeconfig " + path));
    if (!doc->is_null() && !doc->is_object())
      return fail(ErrorKind::parse, "kubeconfig " + path + ": not a mapping");
    merged.files.push_back(path);
    const Value& stored = merged.documents.emplace_back(std::move(*doc));
    add_named(merged.clusters, stored, "clusters", "cluster", path, nullptr);
    add_named(merged.users, stored, "users", "user", path, nullptr);
    add_named(merged.contexts, stored, "contexts", "context", path, &merged.context_order);
    if (merged.current_context.empty())
      merged.current_context = std::string(stored.string_at({"current-context"}));
  }
  if (merged.files.empty()) {
    std::string list;
    for (const auto& p : paths) list += (list.empty() ? "" : ":") + p;
    return fail(ErrorKind::io, "kubeconfig: none of " + list + " exists");
  }
  return merged;
}

std::string resolve_path(const std::string& file, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(file).parent_path() / path).lexically_normal().string();
}

// PEM from `<key>-data` (base64) or from the file `<key>`; "" when neither is set.
Result<std::string> pem_field(const Entry& entry, const std::string& what, const std::string& key) {
  std::string data = field(entry.body, key + "-data");
  if (!data.empty()) {
    auto decoded = decode_base64(data);
    if (!decoded) return fail(ErrorKind::parse, what + ": " + key + "-data is not valid base64");
    return *decoded;
  }
  std::string file = resolve_path(entry.file, field(entry.body, key));
  if (file.empty()) return std::string();
  auto text = read_text(file);
  if (!text) return fail(ErrorKind::io, what + ": " + key + " " + text.error().message);
  return *text;
}

// A certificate and key that do not belong together fail at the first request with an opaque TLS
// error; checking here names the fields instead.
Result<void> check_key_pair(const std::string& cert_pem, const std::string& key_pem,
                            const std::string& what) {
  BIO* cert_bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO* key_bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  Result<void> result;
  if (!cert) {
    result = fail(ErrorKind::parse, what + ": client-certificate is not a PEM certificate");
  } else if (!key) {
    result = fail(ErrorKind::parse, what + ": client-key is not a PEM private key");
  } else if (X509_check_private_key(cert, key) != 1) {
    result = fail(ErrorKind::invalid, what + ": client-certificate and client-key do not belong together");
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  BIO_free(cert_bio);
  BIO_free(key_bio);
  return result;
}

Result<void> apply_cluster(RestConfig& config, const Entry& cluster, const std::string& what) {
  config.server = field(cluster.body, "server");
  if (config.server.empty()) return fail(ErrorKind::invalid, what + ": server is not set");
  auto ca = pem_field(cluster, what, "certificate-authority");
  if (!ca) return fail(ca.error());
  config.ca_pem = std::move(*ca);
  config.insecure_skip_tls_verify = flag(cluster.body, "insecure-skip-tls-verify");
  config.tls_server_name = field(cluster.body, "tls-server-name");
  config.proxy_url = field(cluster.body, "proxy-url");
  return {};
}

Result<ExecConfig> read_exec(const Entry& user, const Value& exec, const std::string& what) {
  ExecConfig out;
  out.api_version = std::string(exec.string_at({"apiVersion"}));
  if (out.api_version != "client.authentication.k8s.io/v1" &&
      out.api_version != "client.authentication.k8s.io/v1beta1") {
    return fail(ErrorKind::unsupported, what + ": exec.apiVersion \"" + out.api_version +
                                            "\" is not client.authentication.k8s.io/v1 or v1beta1");
  }
  out.command = std::string(exec.string_at({"command"}));
  if (out.command.empty()) return fail(ErrorKind::invalid, what + ": exec.command is not set");
  if (out.command.find('/') != std::string::npos) out.command = resolve_path(user.file, out.command);
  if (const Value* args = exec.find("args"); args && args->is_array()) {
    for (const auto& a : args->as_array()) out.args.push_back(a.is_string() ? a.as_string() : "");
  }
  if (const Value* env = exec.find("env"); env && env->is_array()) {
    for (const auto& e : env->as_array()) out.env.emplace_back(e.string_at({"name"}), e.string_at({"value"}));
  }
  out.install_hint = std::string(exec.string_at({"installHint"}));
  out.provide_cluster_info = flag(&exec, "provideClusterInfo");
  return out;
}

Result<void> apply_user(RestConfig& config, const Entry& user, const std::string& what) {
  if (user.body && user.body->contains("auth-provider")) {
    return fail(ErrorKind::unsupported,
                what + ": auth-provider is not supported (removed from kubectl in 1.26); use exec");
  }
  auto cert = pem_field(user, what, "client-certificate");
  if (!cert) return fail(cert.error());
  auto key = pem_field(user, what, "client-key");
  if (!key) return fail(key.error());
  if (cert->empty() != key->empty()) {
    return fail(ErrorKind::invalid, what + ": client-certificate and client-key must be given together");
  }
  if (!cert->empty()) {
    if (auto ok = check_key_pair(*cert, *key, what); !ok) return fail(ok.error());
  }
  config.client_cert_pem = std::move(*cert);
  config.client_key_pem = std::move(*key);
  config.token = field(user.body, "token");
  config.token_file = resolve_path(user.file, field(user.body, "tokenFile"));
  config.username = field(user.body, "username");
  config.password = field(user.body, "password");
  if (const Value* exec = user.body ? user.body->find("exec") : nullptr; exec && exec->is_object()) {
    auto parsed = read_exec(user, *exec, what);
    if (!parsed) return fail(parsed.error());
    config.exec = std::move(*parsed);
  }
  config.impersonate_user = field(user.body, "as");
  if (const Value* groups = user.body ? user.body->find("as-groups") : nullptr;
      groups && groups->is_array()) {
    for (const auto& g : groups->as_array()) {
      if (g.is_string()) config.impersonate_groups.push_back(g.as_string());
    }
  }
  return {};
}

std::string known_contexts(const Merged& merged) {
  std::string out;
  for (const auto& name : merged.context_order) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<std::string> kubeconfig_paths(const KubeconfigOptions& options) {
  if (!options.path.empty()) return {options.path};
  std::vector<std::string> paths;
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::string_view list(env);
    while (!list.empty()) {
      auto colon = list.find(':');
      auto part = list.substr(0, colon);
      if (!part.empty()) paths.emplace_back(part);
      if (colon == std::string_view::npos) break;
      list.remove_prefix(colon + 1);
    }
    if (!paths.empty()) return paths;
  }
  const char* home = std::getenv("HOME");
  return {std::string(home ? home : "") + "/.kube/config"};
}

Result<RestConfig> load_kubeconfig(const KubeconfigOptions& options) {
  auto merged = merge_files(options);
  if (!merged) return fail(merged.error());
  std::string context_name = options.context.empty() ? merged->current_context : options.context;
  if (context_name.empty()) {
    return fail(ErrorKind::invalid, merged->where() +
                                        ": no current-context is set; pass --context (contexts: " +
                                        known_contexts(*merged) + ")");
  }
  auto context = merged->contexts.find(context_name);
  if (context == merged->contexts.end()) {
    return fail(ErrorKind::not_found, merged->where() + ": context \"" + context_name +
                                          "\" not found (contexts: " + known_contexts(*merged) + ")");
  }
  const std::string where = "kubeconfig " + context->second.file + ": context \"" + context_name + "\"";
  std::string cluster_name = field(context->second.body, "cluster");
  auto cluster = merged->clusters.find(cluster_name);
  if (cluster == merged->clusters.end()) {
    return fail(ErrorKind::not_found, where + ": cluster \"" + cluster_name + "\" not found");
  }
  RestConfig config;
  config.context = context_name;
  config.source = merged->where().substr(11);
  if (auto ok = apply_cluster(config, cluster->second, where + ": cluster \"" + cluster_name + "\""); !ok) {
    return fail(ok.error());
  }
  std::string user_name = field(context->second.body, "user");
  if (!user_name.empty()) {
    auto user = merged->users.find(user_name);
    if (user == merged->users.end())
      return fail(ErrorKind::not_found, where + ": user \"" + user_name + "\" not found");
    if (auto ok = apply_user(config, user->second, where + ": user \"" + user_name + "\""); !ok)
      return fail(ok.error());
  }
  std::string ns = field(context->second.body, "namespace");
  config.namespace_name =
      !options.namespace_name.empty() ? options.namespace_name : (ns.empty() ? "default" : ns);
  if (!options.as.empty()) config.impersonate_user = options.as;
  if (!options.as_groups.empty()) config.impersonate_groups = options.as_groups;
  return config;
}

Result<KubeconfigContexts> list_kubeconfig_contexts(const KubeconfigOptions& options) {
  auto merged = merge_files(options);
  if (!merged) return fail(merged.error());
  return KubeconfigContexts{merged->context_order, merged->current_context};
}

std::optional<std::string> decode_base64(std::string_view text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z')
      value = c - 'A';
    else if (c >= 'a' && c <= 'z')
      value = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      value = c - '0' + 52;
    else if (c == '+')
      value = 62;
    else if (c == '/')
      value = 63;
    else if (c == '=') {
      padding = true;
      continue;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
      continue;
    else
      return std::nullopt;
    if (padding) return std::nullopt;  // data after '='
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone sextet cannot encode a byte
  return out;
}

}  // namespace ktape::kube
