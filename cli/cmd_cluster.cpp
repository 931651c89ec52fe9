// `ktape cluster serve|create|delete|list|kubeconfig`: simulated clusters. `serve` runs one in the
// foreground; `create` starts `ktape cluster serve` in the background and keeps its state under
// $KTAPE_HOME/clusters/NAME (pid, port, log, kubeconfig, cluster.json written by serve).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/home.hpp"
#include "formats/json.hpp"
#include "formats/time.hpp"
#include "kube/transport.hpp"
#include "sim/kubeconfig.hpp"
#include "sim/resources.hpp"
#include "sim/server.hpp"
#include "sim/tls.hpp"

namespace ktape::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using formats::Value;

constexpr auto k_start_timeout = 30s;  // a cluster that is not ready by then failed to start
constexpr auto k_stop_timeout = 20s;   // SIGTERM grace (saving a large --data-dir), then SIGKILL
constexpr auto k_poll_interval = 50ms;

// ---- small file and process helpers ---------------------------------------------------------

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes through a temporary file and a rename, so a reader never sees half a file.
Result<void> write_file(const fs::path& path, const std::string& text, mode_t mode = 0600) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail(ErrorKind::io, tmp.string() + ": cannot write: " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::close(fd) == 0 && ok;
  std::error_code ec;
  if (ok) fs::rename(tmp, path, ec);
  if (!ok || ec) return fail(ErrorKind::io, path.string() + ": cannot write");
  return {};
}

// True when `pid` runs and is a `ktape cluster serve` (not a zombie, not a reused pid).
bool is_serving(pid_t pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) return false;
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (stat) {
    auto close_paren = stat->rfind(')');
    if (close_paren != std::string::npos && close_paren + 2 < stat->size() && (*stat)[close_paren + 2] == 'Z')
      return false;
  }
  auto cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  return !cmdline ||
         (cmdline->find("cluster") != std::string::npos && cmdline->find("serve") != std::string::npos);
}

pid_t read_pid(const fs::path& dir) {
  auto text = read_file(dir / "pid");
  return text ? static_cast<pid_t>(std::atol(text->c_str())) : 0;
}

// cluster.json, written by serve once it listens: url, port, pid, startTime, and the CA when TLS.
std::optional<Value> read_state(const fs::path& dir) {
  auto text = read_file(dir / "cluster.json");
  if (!text) return std::nullopt;
  auto value = formats::parse_json(*text);
  return value ? std::optional<Value>(*value) : std::nullopt;
}

Result<kube::HttpResponse> http_get(const Value& state, std::string_view path) {
  kube::TransportOptions options;
  options.ca_pem = std::string(state.string_at({"caPem"}));
  options.connect_timeout = 2s;
  auto transport = kube::Transport::create(options);
  if (!transport) return fail(transport.error());
  kube::HttpRequest request;
  request.url = std::string(state.string_at({"url"})) + std::string(path);
  request.timeout = 5s;
  return (*transport)->perform(request);
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

// The last non-empty line of a log, for "did not start" messages.
std::string last_line(const fs::path& log) {
  std::string text = read_file(log).value_or("");
  while (!text.empty() && text.back() == '\n') text.pop_back();
  auto nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

int report(const std::string& command, const std::string& message, int code = 1) {
  std::cerr << "ktape cluster " << command << ": " << message << "\n";
  return code;
}

// ---- serve ----------------------------------------------------------------------------------

struct ServeOptions {
  std::string name = "ktape";  // cluster/user/context name in the kubeconfig
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;      // 0: a free port, printed
  std::string kubeconfig_out;  // "" : no kubeconfig written
  std::string state_file;      // hidden, for create: cluster.json
  bool tls = false;
  std::string data_dir;  // "" : state is not kept
  std::size_t watch_history = 100000;
  bool no_gc = false;
};

Value state_document(const ServeOptions& options, const sim::Server& server, const std::string& ca_pem) {
  Value state = Value::object();
  state.set("name", options.name);
  state.set("url", server.url());
  state.set("port", static_cast<unsigned>(server.port()));
  state.set("pid", static_cast<std::int64_t>(::getpid()));
  state.set("startTime", formats::format_rfc3339(std::chrono::time_point_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now())));
  if (!ca_pem.empty()) state.set("caPem", ca_pem);  // the CA certificate is public; its key is not kept
  if (!options.data_dir.empty()) state.set("dataDir", options.data_dir);
  return state;
}

// Files that announce a listening cluster: the kubeconfig and create's cluster.json.
Result<void> write_announcements(const ServeOptions& options, const sim::Server& server,
                                 const std::string& ca_pem) {
  if (!options.kubeconfig_out.empty()) {
    std::optional<std::string_view> ca;
    if (!ca_pem.empty()) ca = ca_pem;
    auto written = write_file(options.kubeconfig_out, sim::make_kubeconfig(options.name, server.url(), ca));
    if (!written) return written;
  }
  if (!options.state_file.empty())
    return write_file(options.state_file,
                      formats::to_json_pretty(state_document(options, server, ca_pem)) + "\n");
  return {};
}

int run_serve(const ServeOptions& options) {
  // Signals are taken by sigwait below; blocking them first makes every server thread inherit
  // the mask, so SIGINT/SIGTERM always reach this thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  sim::ServerOptions server_options;
  server_options.address = options.address;
  server_options.port = options.port;
  server_options.data_dir = options.data_dir;
  server_options.garbage_collector = !options.no_gc;
  server_options.content_controllers = true;
  server_options.watch_history = options.watch_history;
  std::string ca_pem;
  if (options.tls) {
    auto material = sim::make_tls_material({options.address});
    if (!material) return report("serve", material.error().message);
    ca_pem = material->ca_cert_pem;
    server_options.tls = std::move(*material);
  }
  auto server = sim::Server::start(std::move(server_options));
  if (!server) return report("serve", server.error().message);
  if (auto written = write_announcements(options, **server, ca_pem); !written)
    return report("serve", written.error().message);
  std::cout << "serving on " << (*server)->url() << std::endl;
  if (!options.kubeconfig_out.empty()) std::cout << "kubeconfig: " << options.kubeconfig_out << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::cout << "stopping (" << (signal_number == SIGINT ? "SIGINT" : "SIGTERM") << ")" << std::endl;
  (*server)->stop();
  if (!options.data_dir.empty()) std::cout << "state saved to " << options.data_dir << std::endl;
  return 0;
}

void add_serve(CLI::App& cluster) {
  auto options = std::make_shared<ServeOptions>();
  auto* cmd =
      cluster.add_subcommand("serve", "Run one simulated cluster in the foreground (Ctrl+C stops it)");
  cmd->add_option("--address", options->address, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", options->port, "Port to listen on; 0 picks a free one")->capture_default_str();
  cmd->add_option("--kubeconfig-out", options->kubeconfig_out,
                  "Write a kubeconfig for the cluster to this file");
  cmd->add_flag("--tls", options->tls, "Serve HTTPS with a fresh CA that the kubeconfig trusts");
  cmd->add_option("--data-dir", options->data_dir,
                  "Load state from this directory at start, save it at stop");
  cmd->add_option("--watch-history", options->watch_history,
                  "Events kept for watches; older resourceVersions get 410 Gone")
      ->capture_default_str();
  cmd->add_flag("--no-gc", options->no_gc, "Turn off the owner-reference garbage collector");
  cmd->add_option("--name", options->name, "Cluster, user and context name in the kubeconfig")
      ->capture_default_str();
  cmd->add_option("--state-file", options->state_file, "")->group("");  // for `cluster create`
  cmd->callback([options] { set_exit_code(run_serve(*options)); });
}

// ---- create ---------------------------------------------------------------------------------

struct CreateOptions {
  std::string name;
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: a free port
  std::string data_dir;    // "" : state is not kept across restarts
  bool tls = false;
  std::size_t watch_history = 100000;
  bool no_gc = false;
};

std::vector<std::string> serve_arguments(const CreateOptions& options, const fs::path& dir) {
  std::vector<std::string> args{"ktape",
                                "cluster",
                                "serve",
                                "--name",
                                options.name,
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
  if (options.no_gc) args.push_back("--no-gc");
  if (!options.data_dir.empty()) {
    args.push_back("--data-dir");
    args.push_back(fs::absolute(options.data_dir).string());
  }
  return args;
}

// fork + exec of this very binary as `ktape cluster serve`, detached (setsid), output to `log`.
Result<pid_t> spawn_serve(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::cout.flush();
  pid_t pid = ::fork();
  if (pid < 0) return fail(ErrorKind::io, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setsid();
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits until the child answers /readyz; an Error says why it did not (exited, timed out).
Result<Value> wait_ready(pid_t pid, const fs::path& dir) {
  auto deadline = std::chrono::steady_clock::now() + k_start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      std::string why = last_line(dir / "log");
      return fail(ErrorKind::io, "the server exited at start" + (why.empty() ? "" : ": " + why));
    }
    if (auto state = read_state(dir)) {
      auto answer = http_get(*state, "/readyz");
      if (answer && answer->status == 200) return *state;
    }
    std::this_thread::sleep_for(k_poll_interval);
  }
  return fail(ErrorKind::io, "not ready after " + std::to_string(k_start_timeout.count()) + " s (see " +
                                 (dir / "log").string() + ")");
}

void stop_process(pid_t pid);

int run_create(const CreateOptions& options) {
  if (!valid_name(options.name))
    return report("create", "invalid name \"" + options.name + "\": use lowercase letters, digits and '-'",
                  2);
  fs::path dir = cluster_dir(options.name);
  if (fs::exists(dir)) {
    pid_t pid = read_pid(dir);
    if (is_serving(pid)) {
      auto state = read_state(dir);
      std::string url = state ? std::string(state->string_at({"url"})) : "";
      return report("create", "cluster \"" + options.name + "\" already exists (pid " + std::to_string(pid) +
                                  (url.empty() ? "" : ", " + url) +
                                  "); delete it first with `ktape cluster delete " + options.name + "`");
    }
    fs::remove_all(dir);  // the state of a cluster that is no longer running
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return report("create", dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);
  auto pid = spawn_serve(serve_arguments(options, dir), dir / "log");
  if (!pid) return report("create", pid.error().message);
  if (auto written = write_file(dir / "pid", std::to_string(*pid) + "\n"); !written)
    return report("create", written.error().message);
  auto state = wait_ready(*pid, dir);
  if (!state) {
    stop_process(*pid);
    fs::remove_all(dir);
    return report("create", "cluster \"" + options.name + "\" did not start: " + state.error().message);
  }
  std::string port = std::to_string(state->find("port") ? state->find("port")->as_int64().value_or(0) : 0);
  if (auto written = write_file(dir / "port", port + "\n"); !written)
    return report("create", written.error().message);
  std::cout << (dir / "kubeconfig").string() << "\n";
  return 0;
}

void add_create(CLI::App& cluster) {
  auto options = std::make_shared<CreateOptions>();
  auto* cmd = cluster.add_subcommand("create", "Start a simulated cluster in the background");
  cmd->add_option("name", options->name, "Cluster name (lowercase letters, digits, '-')")->required();
  cmd->add_option("--address", options->address, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", options->port, "Port to listen on; 0 picks a free one")->capture_default_str();
  cmd->add_option("--data-dir", options->data_dir,
                  "Keep the cluster's objects in this directory across restarts");
  cmd->add_flag("--tls", options->tls, "Serve HTTPS with a fresh CA that the kubeconfig trusts");
  cmd->add_option("--watch-history", options->watch_history, "Events kept for watches")
      ->capture_default_str();
  cmd->add_flag("--no-gc", options->no_gc, "Turn off the owner-reference garbage collector");
  cmd->callback([options] { set_exit_code(run_create(*options)); });
}

// ---- delete, list, kubeconfig ---------------------------------------------------------------

bool wait_gone(pid_t pid, std::chrono::steady_clock::duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (is_serving(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    ::waitpid(pid, nullptr, WNOHANG);  // reaps it when it is our child (create's failure path)
    std::this_thread::sleep_for(k_poll_interval);
  }
  return true;
}

// SIGTERM (the server saves its --data-dir), then SIGKILL after the grace period.
void stop_process(pid_t pid) {
  if (!is_serving(pid)) return;
  ::kill(pid, SIGTERM);
  if (wait_gone(pid, k_stop_timeout)) return;
  ::kill(pid, SIGKILL);
  wait_gone(pid, 5s);
}

int unknown_cluster(const std::string& command, const std::string& name) {
  return report(command, "no cluster named \"" + name + "\" under " + (ktape_home() / "clusters").string() +
                             " (see `ktape cluster list`)");
}

int run_delete(const std::string& name) {
  if (!valid_name(name)) return report("delete", "invalid name \"" + name + "\"", 2);
  fs::path dir = cluster_dir(name);
  if (!fs::is_directory(dir)) return unknown_cluster("delete", name);
  stop_process(read_pid(dir));
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return report("delete", dir.string() + ": " + ec.message());
  std::cout << "deleted cluster " << name << "\n";
  return 0;
}

struct ListRow {
  std::string name, address = "-", age = "-", objects = "-", status = "dead";
};

ListRow list_row(const fs::path& dir) {
  ListRow row;
  row.name = dir.filename().string();
  auto state = read_state(dir);
  if (state) row.address = std::string(state->string_at({"url"}));
  if (!state || !is_serving(read_pid(dir))) return row;
  row.status = "running";
  auto answer = http_get(*state, "/ktape/v1/stats");
  auto stats = answer && answer->status == 200 ? formats::parse_json(answer->body) : Result<Value>(Value());
  if (!stats || !stats->is_object()) {
    row.status = "not responding";
    return row;
  }
  if (const Value* objects = stats->find("objects"); objects && objects->is_number())
    row.objects = objects->number_text();
  if (auto started = formats::parse_rfc3339(stats->string_at({"startTime"}))) {
    auto age = std::chrono::system_clock::now() - *started;
    row.age = sim::human_duration(std::chrono::duration_cast<std::chrono::seconds>(age).count());
  }
  return row;
}

int run_list() {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ktape_home() / "clusters", ec))
    if (entry.is_directory()) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  if (dirs.empty()) {
    std::cerr << "No clusters. Create one with `ktape cluster create NAME`.\n";
    return 0;
  }
  std::vector<ListRow> rows{{"NAME", "ADDRESS", "AGE", "OBJECTS", "STATUS"}};
  for (const auto& dir : dirs) rows.push_back(list_row(dir));
  std::size_t widths[4] = {0, 0, 0, 0};
  for (const auto& r : rows) {
    widths[0] = std::max(widths[0], r.name.size());
    widths[1] = std::max(widths[1], r.address.size());
    widths[2] = std::max(widths[2], r.age.size());
    widths[3] = std::max(widths[3], r.objects.size());
  }
  for (const auto& r : rows) {
    auto pad = [](const std::string& s, std::size_t w) { return s + std::string(w - s.size() + 3, ' '); };
    std::cout << pad(r.name, widths[0]) << pad(r.address, widths[1]) << pad(r.age, widths[2])
              << pad(r.objects, widths[3]) << r.status << "\n";
  }
  return 0;
}

int run_kubeconfig(const std::string& name) {
  if (!valid_name(name)) return report("kubeconfig", "invalid name \"" + name + "\"", 2);
  auto text = read_file(cluster_dir(name) / "kubeconfig");
  if (!text) return unknown_cluster("kubeconfig", name);
  std::cout << *text;
  return 0;
}

void add_cluster(CLI::App& app) {
  auto* cluster =
      app.add_subcommand("cluster", "Simulated clusters: serve one, or create, list and delete them");
  cluster->require_subcommand(1);
  add_serve(*cluster);
  add_create(*cluster);
  auto name = std::make_shared<std::string>();
  auto* del = cluster->add_subcommand("delete", "Stop a cluster started by create and remove its state");
  del->add_option("name", *name, "Cluster name")->required();
  del->callback([name] { set_exit_code(run_delete(*name)); });
  auto* list = cluster->add_subcommand("list", "List clusters: NAME, ADDRESS, AGE, OBJECTS, STATUS");
  list->callback([] { set_exit_code(run_list()); });
  auto* kubeconfig = cluster->add_subcommand("kubeconfig", "Print a cluster's kubeconfig");
  kubeconfig->add_option("name", *name, "Cluster name")->required();
  kubeconfig->callback([name] { set_exit_code(run_kubeconfig(*name)); });
}

const Registration registration{add_cluster};

}  // namespace
}  // namespace ktape::cli
