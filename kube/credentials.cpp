#include "kube/credentials.hpp"

#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "formats/json.hpp"
#include "formats/time.hpp"

extern char** environ;

namespace ktape::kube {
namespace {

struct PluginOutput {
  int exit_code = 0;
  std::string out;
  std::string err;
};

std::string exec_info(const ExecConfig& config, const std::string& server) {
  formats::Value info = formats::Value::object();
  info.set("apiVersion", config.api_version);
  info.set("kind", "ExecCredential");
  formats::Value spec = formats::Value::object();
  spec.set("interactive", false);
  if (config.provide_cluster_info) {
    formats::Value cluster = formats::Value::object();
    cluster.set("server", server);
    spec.set("cluster", std::move(cluster));
  }
  info.set("spec", std::move(spec));
  return formats::to_json(info);
}

// Reads both pipes until the child closes them (poll, so a chatty stderr cannot block stdout).
void drain(int out_fd, int err_fd, PluginOutput& output) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open = 2;
  char buffer[4096];
  while (open > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? output.out : output.err).append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
}

Result<PluginOutput> spawn_plugin(const ExecConfig& config, const std::string& server) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (const auto& [name, value] : config.env)
    env_strings.push_back(std::string(name).append("=").append(value));
  env_strings.push_back("KUBERNETES_EXEC_INFO=" + exec_info(config, server));
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_strings{config.command};
  arg_strings.insert(arg_strings.end(), config.args.begin(), config.args.end());
  std::vector<char*> argv;
  argv.reserve(arg_strings.size() + 1);
  for (auto& s : arg_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) return fail(ErrorKind::io, "could not create pipes");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, config.command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  PluginOutput output;
  if (rc == 0) drain(out_pipe[0], err_pipe[0], output);
  close(out_pipe[0]);
  close(err_pipe[0]);
  if (rc != 0) {
    std::string message = "exec plugin \"" + config.command + "\" could not be run: " + std::strerror(rc);
    if (!config.install_hint.empty()) message += ". " + config.install_hint;
    return fail(ErrorKind::io, message);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  output.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return output;
}

std::string last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (auto nl = text.rfind('\n'); nl != std::string_view::npos) text = text.substr(nl + 1);
  return std::string(text.substr(0, 300));
}

Result<ExecCredential> decode_credential(const ExecConfig& config, const std::string& stdout_text) {
  const std::string who = "exec plugin \"" + config.command + "\"";
  auto doc = formats::parse_json(stdout_text);
  if (!doc || !doc->is_object()) {
    return fail(ErrorKind::parse,
                who + " printed something that is not an ExecCredential (not a JSON object)");
  }
  if (doc->string_at({"kind"}) != "ExecCredential" || doc->string_at({"apiVersion"}) != config.api_version) {
    return fail(ErrorKind::parse, who + " returned kind \"" + std::string(doc->string_at({"kind"})) +
                                      "\" apiVersion \"" + std::string(doc->string_at({"apiVersion"})) +
                                      "\"; expected an ExecCredential of " + config.api_version);
  }
  ExecCredential credential;
  credential.token = std::string(doc->string_at({"status", "token"}));
  credential.client_cert_pem = std::string(doc->string_at({"status", "clientCertificateData"}));
  credential.client_key_pem = std::string(doc->string_at({"status", "clientKeyData"}));
  if (credential.token.empty() && credential.client_cert_pem.empty()) {
    return fail(ErrorKind::invalid, who + " returned neither status.token nor status.clientCertificateData");
  }
  if (credential.client_cert_pem.empty() != credential.client_key_pem.empty()) {
    return fail(ErrorKind::invalid,
                who + " returned clientCertificateData without clientKeyData or the reverse");
  }
  std::string_view expiry = doc->string_at({"status", "expirationTimestamp"});
  if (!expiry.empty()) {
    auto t = formats::parse_rfc3339(expiry);
    if (!t) return fail(ErrorKind::parse, who + " returned an expirationTimestamp that is not RFC3339");
    credential.expiry = std::chrono::time_point_cast<std::chrono::system_clock::duration>(*t);
  }
  return credential;
}

}  // namespace

Result<ExecCredential> run_exec_plugin(const ExecConfig& config, const std::string& server) {
  auto output = spawn_plugin(config, server);
  if (!output) return fail(output.error());
  if (output->exit_code != 0) {
    std::string message =
        "exec plugin \"" + config.command + "\" failed with exit code " + std::to_string(output->exit_code);
    if (auto line = last_line(output->err); !line.empty()) message += ": " + line;
    if (output->exit_code == 127 && !config.install_hint.empty()) message += ". " + config.install_hint;
    return fail(ErrorKind::io, message);
  }
  return decode_credential(config, output->out);
}

CredentialSource::CredentialSource(const RestConfig& config, std::shared_ptr<Clock> clock)
    : m_config(config), m_clock(std::move(clock)) {}

Result<Credential> CredentialSource::current() {
  std::lock_guard lock(m_mutex);
  Credential credential;
  if (!m_config.username.empty() || !m_config.password.empty()) {
    credential.basic_auth = m_config.username + ":" + m_config.password;
  }
  credential.bearer_token = m_config.token;
  if (!m_config.token_file.empty() && m_config.token.empty()) {
    // client-go's cached file token source re-reads the file every minute, so that a token the
    // kubelet rotates (projected service-account tokens live about an hour) is picked up before the
    // old one expires, not only after a 401.
    bool stale = m_file_token && m_clock->now() - m_file_token_read >= std::chrono::minutes(1);
    if (!m_file_token || stale) {
      std::ifstream in(m_config.token_file, std::ios::binary);
      if (!in) return fail(ErrorKind::io, "tokenFile " + m_config.token_file + ": cannot be read");
      std::ostringstream text;
      text << in.rdbuf();
      std::string token = text.str();
      while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
        token.pop_back();
      }
      m_file_token = std::move(token);
      m_file_token_read = m_clock->now();
    }
    credential.bearer_token = *m_file_token;
  }
  if (m_config.exec) {
    bool expired = m_exec_cached && m_exec_cached->expiry && m_clock->wall_now() >= *m_exec_cached->expiry;
    if (!m_exec_cached || expired) {
      ++m_exec_runs;
      auto fresh = run_exec_plugin(*m_config.exec, m_config.server);
      if (!fresh) return fail(fresh.error());
      m_exec_cached = std::move(*fresh);
    }
    if (!m_exec_cached->token.empty()) credential.bearer_token = m_exec_cached->token;
    credential.client_cert_pem = m_exec_cached->client_cert_pem;
    credential.client_key_pem = m_exec_cached->client_key_pem;
  }
  return credential;
}

bool CredentialSource::invalidate() {
  std::lock_guard lock(m_mutex);
  m_exec_cached.reset();
  m_file_token.reset();
  return m_config.exec.has_value() || (!m_config.token_file.empty() && m_config.token.empty());
}

int CredentialSource::exec_runs() const {
  std::lock_guard lock(m_mutex);
  return m_exec_runs;
}

}  // namespace ktape::kube
