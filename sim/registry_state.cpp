// cluster.json and the kubeconfig a server announces itself with, the atomic writes of the
// registry's files, and cluster names.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "formats/json.hpp"
#include "formats/time.hpp"
#include "sim/kubeconfig.hpp"
#include "sim/registry.hpp"
#include "sim/registry_detail.hpp"
#include "sim/server.hpp"

namespace ktape::sim {

namespace fs = std::filesystem;
using formats::Value;

std::optional<std::string> read_text_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<void> write_file_atomically(const fs::path& path, std::string_view text) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorKind::io, tmp.string() + ": cannot write: " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::close(fd) == 0 && ok;
  std::error_code ec;
  if (ok) fs::rename(tmp, path, ec);
  if (!ok || ec) return fail(ErrorKind::io, path.string() + ": cannot write");
  return {};
}

std::string format_cluster_state(const ClusterState& state) {
  Value v = Value::object();
  v.set("name", state.name);
  v.set("url", state.url);
  v.set("port", static_cast<unsigned>(state.port));
  v.set("pid", state.pid);
  v.set("startTime", state.start_time);
  if (!state.ca_pem.empty()) v.set("caPem", state.ca_pem);
  if (!state.data_dir.empty()) v.set("dataDir", state.data_dir);
  return formats::to_json_pretty(v) + "\n";
}

Result<ClusterState> parse_cluster_state(std::string_view text) {
  auto value = formats::parse_json(text);
  if (!value || !value->is_object() || value->string_at({"url"}).empty())
    return fail(ErrorKind::parse, "not a cluster state file (no \"url\")");
  ClusterState state;
  state.name = std::string(value->string_at({"name"}));
  state.url = std::string(value->string_at({"url"}));
  const Value* port = value->find("port");
  state.port = static_cast<std::uint16_t>(port ? port->as_int64().value_or(0) : 0);
  const Value* pid = value->find("pid");
  state.pid = pid ? pid->as_int64().value_or(0) : 0;
  state.start_time = std::string(value->string_at({"startTime"}));
  state.ca_pem = std::string(value->string_at({"caPem"}));
  state.data_dir = std::string(value->string_at({"dataDir"}));
  return state;
}

ClusterState describe_server(const Server& server, std::string name, std::string ca_pem,
                             std::string data_dir) {
  ClusterState state;
  state.name = std::move(name);
  state.url = server.url();
  state.port = server.port();
  state.pid = static_cast<std::int64_t>(::getpid());
  state.start_time = formats::format_rfc3339(
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now()));
  state.ca_pem = std::move(ca_pem);  // the CA certificate is public; its key is not kept
  state.data_dir = std::move(data_dir);
  return state;
}

Result<void> announce_cluster(const ClusterState& state, const fs::path& kubeconfig_path,
                              const fs::path& state_path) {
  if (!kubeconfig_path.empty()) {
    std::optional<std::string_view> ca;
    if (!state.ca_pem.empty()) ca = state.ca_pem;
    std::optional<std::string_view> token;
    if (!state.token.empty()) token = state.token;
    auto written = write_file_atomically(kubeconfig_path, make_kubeconfig(state.name, state.url, ca, token));
    if (!written) return written;
  }
  if (!state_path.empty()) return write_file_atomically(state_path, format_cluster_state(state));
  return {};
}

bool is_valid_cluster_name(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

}  // namespace ktape::sim
