// sim::Registry: create, find, list and remove the simulated clusters under ROOT.
#include "sim/registry.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <thread>

#include "formats/json.hpp"
#include "formats/time.hpp"
#include "sim/registry_detail.hpp"

namespace ktape::sim {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto k_poll_interval = 50ms;

std::vector<std::string> serve_arguments(const std::string& name, const CreateOptions& options,
                                         const fs::path& dir) {
  std::vector<std::string> args{"ktape",
                                "cluster",
                                "serve",
                                "--name",
                                name,
                                "--address",
                                options.address,
                                "--port",
                                std::to_string(options.port),
                                "--kubeconfig-out",
                                (dir / "kubeconfig").string(),
                                "--state-file",
                                (dir / "cluster.json").string(),
                                "--watch-history",
                                std::to_string(options.watch_history)};
  if (options.tls) args.push_back("--tls");
  if (!options.garbage_collector) args.push_back("--no-gc");
  if (!options.data_dir.empty()) {
    args.push_back("--data-dir");
    args.push_back(fs::absolute(options.data_dir).string());
  }
  if (!options.restore_from.empty()) {
    args.push_back("--restore-from");
    args.push_back(fs::absolute(options.restore_from).string());
  }
  return args;
}

pid_t read_pid(const fs::path& dir) {
  auto text = read_text_file(dir / "pid");
  pid_t pid = 0;
  if (text) std::from_chars(text->data(), text->data() + text->size(), pid);  // "" or junk: 0
  return pid;
}

std::optional<ClusterState> read_state(const fs::path& dir) {
  auto text = read_text_file(dir / "cluster.json");
  if (!text) return std::nullopt;
  auto state = parse_cluster_state(*text);
  return state ? std::optional<ClusterState>(std::move(*state)) : std::nullopt;
}

// The last non-empty line of a log, for "did not start" messages.
std::string last_line(const fs::path& log) {
  std::string text = read_text_file(log).value_or("");
  while (!text.empty() && text.back() == '\n') text.pop_back();
  auto nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

// Waits until the child answers /readyz; an Error says why it did not (exited, timed out).
Result<ClusterState> wait_ready(pid_t pid, const fs::path& dir, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      std::string why = last_line(dir / "log");
      return fail(ErrorKind::io, "the server exited at start" + (why.empty() ? "" : ": " + why));
    }
    if (auto state = read_state(dir)) {
      auto answer = probe_cluster(*state, "/readyz");
      if (answer && answer->status == 200) return *state;
    }
    std::this_thread::sleep_for(k_poll_interval);
  }
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
  return fail(ErrorKind::io,
              "not ready after " + std::to_string(seconds) + " s (see " + (dir / "log").string() + ")");
}

// Fills the object count and age of a live entry from /ktape/v1/stats.
void probe_stats(ClusterEntry& entry) {
  auto answer = probe_cluster(*entry.state, "/ktape/v1/stats");
  auto stats = answer && answer->status == 200 ? formats::parse_json(answer->body)
                                               : Result<formats::Value>(formats::Value());
  if (!stats || !stats->is_object()) {
    entry.status = ClusterStatus::not_responding;
    return;
  }
  entry.status = ClusterStatus::running;
  if (const formats::Value* objects = stats->find("objects"); objects && objects->is_number())
    entry.objects = objects->as_int64();
  if (auto started = formats::parse_rfc3339(stats->string_at({"startTime"})))
    entry.age = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - *started);
}

}  // namespace

Registry::Registry(RegistryOptions options) : m_options(std::move(options)) {}

fs::path Registry::dir(std::string_view name) const { return m_options.root / name; }

fs::path Registry::kubeconfig_path(std::string_view name) const { return dir(name) / "kubeconfig"; }

Result<void> Registry::check_name(const std::string& name) const {
  if (is_valid_cluster_name(name)) return {};
  return fail(ErrorKind::invalid, "invalid name \"" + name + "\": use lowercase letters, digits and '-'");
}

Error Registry::unknown(const std::string& name) const {
  return Error{
      ErrorKind::not_found,
      "no cluster named \"" + name + "\" under " + m_options.root.string() + " (see `ktape cluster list`)",
      0,
      {}};
}

// An empty ROOT/NAME of mode 0700; the state of a cluster whose server is gone is removed first.
Result<void> Registry::prepare_dir(const std::string& name) const {
  fs::path d = dir(name);
  if (fs::exists(d)) {
    pid_t pid = read_pid(d);
    if (is_serving(pid)) {
      auto state = read_state(d);
      std::string url = state ? state->url : "";
      return fail(ErrorKind::conflict, "cluster \"" + name + "\" already exists (pid " + std::to_string(pid) +
                                           (url.empty() ? "" : ", " + url) +
                                           "); delete it first with `ktape cluster delete " + name + "`");
    }
    std::error_code ec;
    fs::remove_all(d, ec);
    if (ec) return fail(ErrorKind::io, d.string() + ": " + ec.message());
  }
  std::error_code ec;
  fs::create_directories(d, ec);
  if (ec) return fail(ErrorKind::io, d.string() + ": " + ec.message());
  fs::permissions(d, fs::perms::owner_all, ec);
  return {};
}

Result<ClusterState> Registry::create(const std::string& name, const CreateOptions& options) const {
  if (auto valid = check_name(name); !valid) return fail(valid.error());
  if (auto prepared = prepare_dir(name); !prepared) return fail(prepared.error());
  fs::path d = dir(name);
  auto pid = spawn_detached(m_options.ktape_binary, serve_arguments(name, options, d), d / "log");
  if (!pid) return fail(pid.error());
  if (auto written = write_file_atomically(d / "pid", std::to_string(*pid) + "\n"); !written)
    return fail(written.error());
  auto state = wait_ready(*pid, d, m_options.start_timeout);
  if (!state) {
    stop_process(*pid, m_options.stop_timeout);
    std::error_code ec;
    fs::remove_all(d, ec);
    return fail(ErrorKind::io, "cluster \"" + name + "\" did not start: " + state.error().message);
  }
  if (auto written = write_file_atomically(d / "port", std::to_string(state->port) + "\n"); !written)
    return fail(written.error());
  return state;
}

Result<void> Registry::remove(const std::string& name) const {
  if (auto valid = check_name(name); !valid) return valid;
  fs::path d = dir(name);
  if (!fs::is_directory(d)) return fail(unknown(name));
  stop_process(read_pid(d), m_options.stop_timeout);
  std::error_code ec;
  fs::remove_all(d, ec);
  if (ec) return fail(ErrorKind::io, d.string() + ": " + ec.message());
  return {};
}

ClusterEntry Registry::entry(const std::string& name) const {
  ClusterEntry entry;
  entry.name = name;
  entry.dir = dir(name);
  entry.state = read_state(entry.dir);
  entry.pid = read_pid(entry.dir);
  if (entry.state && is_serving(entry.pid)) probe_stats(entry);
  return entry;
}

std::optional<ClusterEntry> Registry::find(const std::string& name) const {
  if (!is_valid_cluster_name(name) || !fs::is_directory(dir(name))) return std::nullopt;
  return entry(name);
}

std::vector<ClusterEntry> Registry::list() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(m_options.root, ec))
    if (item.is_directory()) names.push_back(item.path().filename().string());
  std::sort(names.begin(), names.end());
  std::vector<ClusterEntry> entries;
  entries.reserve(names.size());
  for (const auto& name : names) entries.push_back(entry(name));
  return entries;
}

Result<std::string> Registry::kubeconfig(const std::string& name) const {
  if (auto valid = check_name(name); !valid) return fail(valid.error());
  auto text = read_text_file(kubeconfig_path(name));
  if (!text) return fail(unknown(name));
  return *text;
}

Result<ClusterState> Registry::state(const std::string& name) const {
  if (auto valid = check_name(name); !valid) return fail(valid.error());
  fs::path path = dir(name) / "cluster.json";
  auto text = read_text_file(path);
  if (!text)
    return fail(ErrorKind::not_found, "no simulated cluster named \"" + name + "\" (" + path.string() +
                                          " is missing); `ktape cluster list` shows the clusters, "
                                          "`ktape cluster create " +
                                          name + "` makes one");
  auto state = parse_cluster_state(*text);
  if (!state) return fail(ErrorKind::parse, path.string() + ": " + state.error().message);
  return state;
}

}  // namespace ktape::sim
