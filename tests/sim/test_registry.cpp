// sim::Registry: cluster.json, the atomic 0600 state files, names, find/list of present, dead and
// missing clusters, and the whole life of real clusters spawned from the built ktape binary
// (KTAPE_BINARY): create -> ready -> list -> delete, over HTTP and HTTPS, and their failures.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sim/registry.hpp"
#include "sim/server.hpp"
#include "tests/support/files.hpp"

using namespace ktape;
using namespace ktape::sim;
namespace fs = std::filesystem;

namespace {

// A temporary ROOT for one registry, removed (with any cluster left in it stopped) at the end.
struct Root {
  fs::path path;
  Registry registry;

  Root() : path(make()), registry(options(path)) {}
  ~Root() {
    for (const auto& entry : registry.list()) (void)registry.remove(entry.name);
    std::error_code ec;
    fs::remove_all(path.parent_path(), ec);  // the temporary directory that holds ROOT
  }
  Root(const Root&) = delete;
  Root& operator=(const Root&) = delete;

  static fs::path make() {
    std::string tmpl = (fs::temp_directory_path() / "ktape-registry-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    return fs::path(tmpl) / "clusters";
  }
  static RegistryOptions options(const fs::path& root) {
    RegistryOptions o;
    o.root = root;
    o.ktape_binary = KTAPE_BINARY;
    o.stop_timeout = std::chrono::milliseconds(5000);
    return o;
  }
  // ROOT/NAME holding `files` (name -> text), as a crashed or hand-made cluster leaves it.
  fs::path make_dir(const std::string& name, const std::map<std::string, std::string>& files) const {
    fs::path dir = path / name;
    fs::create_directories(dir);
    for (const auto& [file, text] : files) std::ofstream(dir / file) << text;
    return dir;
  }
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

// The pid of a process that has exited and been reaped: nothing runs under it (until reused).
pid_t dead_pid() {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

// A child running /bin/sh with `args` (args[0] included), killed and reaped at the end.
struct Child {
  pid_t pid = 0;
  explicit Child(std::vector<std::string> args) {
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv("/bin/sh", argv.data());
      ::_exit(127);
    }
    // Until the child has exec'd, its /proc entry shows this test binary; while execve runs, its
    // exe link may already be /bin/sh with its command line still empty. Wait for the new one.
    std::string want;
    for (const auto& a : args) want.append(a).push_back('\0');
    for (int i = 0; i < 1000; ++i) {
      if (test_support::read_file("/proc/" + std::to_string(pid) + "/cmdline") == want) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    FAIL("the child did not start /bin/sh");
  }
  ~Child() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

bool gone(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    if (::kill(pid, 0) != 0) return true;
    std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    auto paren = stat.rfind(')');
    if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z') return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string state_json(std::int64_t pid, const std::string& url) {
  ClusterState s;
  s.name = "x";
  s.url = url;
  s.port = 1;
  s.pid = pid;
  s.start_time = "2026-01-01T00:00:00Z";
  return format_cluster_state(s);
}

}  // namespace

TEST_CASE("cluster.json: format and parse round-trip; what is not a state file is an Error") {
  ClusterState s;
  s.name = "demo";
  s.url = "https://127.0.0.1:6443";
  s.port = 6443;
  s.pid = 4242;
  s.start_time = "2026-01-01T00:00:00.5Z";
  s.ca_pem = "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n";
  s.data_dir = "/var/lib/demo";
  std::string text = format_cluster_state(s);
  CHECK(text.back() == '\n');
  auto parsed = parse_cluster_state(text);
  REQUIRE(parsed);
  CHECK(parsed->name == s.name);
  CHECK(parsed->url == s.url);
  CHECK(parsed->port == s.port);
  CHECK(parsed->pid == s.pid);
  CHECK(parsed->start_time == s.start_time);
  CHECK(parsed->ca_pem == s.ca_pem);
  CHECK(parsed->data_dir == s.data_dir);

  SUBCASE("plain HTTP, no data dir: the optional fields are left out") {
    s.ca_pem.clear();
    s.data_dir.clear();
    std::string plain = format_cluster_state(s);
    CHECK(plain.find("caPem") == std::string::npos);
    CHECK(plain.find("dataDir") == std::string::npos);
    CHECK(parse_cluster_state(plain)->ca_pem.empty());
  }
  SUBCASE("errors") {
    for (const char* bad : {"", "not json", "[]", R"({"name":"x"})", R"({"url":""})"}) {
      auto r = parse_cluster_state(bad);
      REQUIRE_FALSE(r);
      CHECK(r.error().kind == ErrorKind::parse);
      CHECK(r.error().message.find("no \"url\"") != std::string::npos);
    }
  }
}

TEST_CASE("write_file_atomically: mode 0600, replaces the old file whole, leaves no temporary") {
  Root root;
  fs::create_directories(root.path);
  fs::path file = root.path / "state";
  std::ofstream(file) << "old contents that are longer than the new ones";
  fs::permissions(
      file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  REQUIRE(mode_of(file) == 0644);
  REQUIRE(write_file_atomically(file, "new\n"));
  CHECK(slurp(file) == "new\n");
  CHECK(mode_of(file) == 0600);
  CHECK_FALSE(fs::exists(root.path / "state.tmp"));

  auto failed = write_file_atomically(root.path / "no-such-dir" / "state", "x");
  REQUIRE_FALSE(failed);
  CHECK(failed.error().kind == ErrorKind::io);
  CHECK(failed.error().message.find("no-such-dir/state") != std::string::npos);
}

TEST_CASE("describe_server and announce_cluster: what a listening server writes, and only that") {
  Root root;
  fs::create_directories(root.path);
  auto server = Server::start({});
  REQUIRE(server);
  ClusterState state = describe_server(**server, "demo", "", "/data");
  CHECK(state.url == (*server)->url());
  CHECK(state.port == (*server)->port());
  CHECK(state.pid == ::getpid());
  CHECK(state.start_time.starts_with("20"));
  fs::path kubeconfig = root.path / "kubeconfig", json = root.path / "cluster.json";
  REQUIRE(announce_cluster(state, kubeconfig, json));
  CHECK(slurp(kubeconfig).find("server: \"" + state.url + "\"") != std::string::npos);
  CHECK(slurp(kubeconfig).find("current-context: \"demo\"") != std::string::npos);
  CHECK(mode_of(kubeconfig) == 0600);
  CHECK(mode_of(json) == 0600);
  auto read = parse_cluster_state(slurp(json));
  REQUIRE(read);
  CHECK(read->url == state.url);
  CHECK(read->data_dir == "/data");
  CHECK(read->start_time == state.start_time);

  fs::remove(json);
  REQUIRE(announce_cluster(state, kubeconfig, ""));  // `serve` without --state-file
  CHECK_FALSE(fs::exists(json));
}

TEST_CASE("is_valid_cluster_name") {
  for (std::string good : {"a", "demo", "a-b", "x1", "0", "1-2-3"})
    CHECK_MESSAGE(is_valid_cluster_name(good), good);
  CHECK(is_valid_cluster_name(std::string(63, 'a')));
  for (std::string bad : {"", "-a", "a-", "Demo", "a_b", "a.b", "a/b", "..", "a b"})
    CHECK_FALSE_MESSAGE(is_valid_cluster_name(bad), bad);
  CHECK_FALSE(is_valid_cluster_name(std::string(64, 'a')));
}

TEST_CASE("find, list and state of missing, dead and unresponsive clusters") {
  Root root;
  CHECK(root.registry.list().empty());  // ROOT does not exist yet
  CHECK_FALSE(root.registry.find("missing"));
  auto missing = root.registry.state("missing");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message.find("no simulated cluster named \"missing\"") != std::string::npos);
  CHECK(missing.error().message.find("ktape cluster create missing") != std::string::npos);

  pid_t dead = dead_pid();
  root.make_dir("crashed", {{"pid", std::to_string(dead) + "\n"},
                            {"cluster.json", state_json(dead, "http://127.0.0.1:1")}});
  root.make_dir("half", {});  // create was killed before the server wrote anything
  Child sleeper({"sh", "-c", "while :; do sleep 1; done", "not-a-server"});
  root.make_dir("reused", {{"pid", std::to_string(sleeper.pid)},
                           {"cluster.json", state_json(sleeper.pid, "http://127.0.0.1:1")}});
  // A live `... cluster serve` whose port answers nothing.
  Child mute({"sh", "-c", "while :; do sleep 1; done", "cluster", "serve"});
  root.make_dir("mute", {{"pid", std::to_string(mute.pid)},
                         {"cluster.json", state_json(mute.pid, "http://127.0.0.1:1")}});
  root.make_dir("garbled", {{"cluster.json", "{not json"}});

  auto entries = root.registry.list();
  REQUIRE(entries.size() == 5);
  CHECK(entries[0].name == "crashed");  // sorted by name
  CHECK(entries[4].name == "reused");
  for (const auto& e : entries) {
    CAPTURE(e.name);
    CHECK(e.dir == root.path / e.name);
    CHECK_FALSE(e.objects);
    CHECK_FALSE(e.age);
    CHECK(e.status == (e.name == "mute" ? ClusterStatus::not_responding : ClusterStatus::dead));
    CHECK(e.state.has_value() == (e.name != "half" && e.name != "garbled"));
  }
  auto crashed = root.registry.find("crashed");
  REQUIRE(crashed);
  CHECK(crashed->pid == dead);
  CHECK(crashed->state->url == "http://127.0.0.1:1");
  auto garbled = root.registry.state("garbled");
  REQUIRE_FALSE(garbled);
  CHECK(garbled.error().kind == ErrorKind::parse);
  CHECK(garbled.error().message.find("garbled/cluster.json") != std::string::npos);
  CHECK_FALSE(root.registry.find("../clusters/crashed"));  // never outside ROOT

  SUBCASE("remove: a dead cluster's state goes; a missing one is not_found; a bad name is invalid") {
    REQUIRE(root.registry.remove("crashed"));
    CHECK_FALSE(fs::exists(root.path / "crashed"));
    auto again = root.registry.remove("crashed");
    REQUIRE_FALSE(again);
    CHECK(again.error().kind == ErrorKind::not_found);
    CHECK(again.error().message.find("no cluster named \"crashed\" under " + root.path.string()) !=
          std::string::npos);
    auto bad = root.registry.remove("../crashed");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind == ErrorKind::invalid);
    CHECK(bad.error().message.find("invalid name \"../crashed\"") != std::string::npos);
    REQUIRE(root.registry.remove("reused"));  // not our server: its process is left alone
    CHECK(::kill(sleeper.pid, 0) == 0);
  }
}

TEST_CASE("create -> ready -> list -> delete of a real cluster spawned from the ktape binary") {
  Root root;
  auto created = root.registry.create("alpha", {});
  REQUIRE_MESSAGE(created, created.error().message);
  fs::path dir = root.path / "alpha";
  CHECK(created->url == "http://127.0.0.1:" + std::to_string(created->port));
  CHECK(created->name == "alpha");
  CHECK(mode_of(dir) == 0700);
  for (const char* file : {"pid", "port", "kubeconfig", "cluster.json", "log"}) {
    CAPTURE(file);
    REQUIRE(fs::exists(dir / file));
    CHECK(mode_of(dir / file) == 0600);
  }
  CHECK(slurp(dir / "port") == std::to_string(created->port) + "\n");
  pid_t pid = std::atoi(slurp(dir / "pid").c_str());
  CHECK(pid == created->pid);
  CHECK(root.registry.kubeconfig_path("alpha") == dir / "kubeconfig");
  auto kubeconfig = root.registry.kubeconfig("alpha");
  REQUIRE(kubeconfig);
  CHECK(kubeconfig->find(created->url) != std::string::npos);
  CHECK(root.registry.state("alpha")->url == created->url);

  auto entry = root.registry.find("alpha");
  REQUIRE(entry);
  CHECK(entry->status == ClusterStatus::running);
  CHECK(entry->pid == pid);
  REQUIRE(entry->objects);
  CHECK(*entry->objects > 0);  // the default namespaces and their objects
  REQUIRE(entry->age);
  CHECK(entry->age->count() >= 0);
  CHECK(entry->age->count() < 600);

  auto twice = root.registry.create("alpha", {});
  REQUIRE_FALSE(twice);
  CHECK(twice.error().kind == ErrorKind::conflict);
  CHECK(twice.error().message.find("already exists (pid " + std::to_string(pid) + ", " + created->url) !=
        std::string::npos);

  SUBCASE("a second cluster on the port of the first does not start, and leaves nothing") {
    CreateOptions clash;
    clash.port = created->port;
    auto failed = root.registry.create("beta", clash);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message.find("cluster \"beta\" did not start: the server exited at start") !=
          std::string::npos);
    CHECK(failed.error().message.find(std::to_string(created->port)) != std::string::npos);
    CHECK_FALSE(fs::exists(root.path / "beta"));
  }
  SUBCASE("delete stops the server and removes its state") {
    REQUIRE(root.registry.remove("alpha"));
    CHECK(gone(pid));
    CHECK_FALSE(fs::exists(dir));
    CHECK(root.registry.list().empty());
    CHECK(root.registry.kubeconfig("alpha").error().kind == ErrorKind::not_found);
  }
}

TEST_CASE("create --tls: the probes trust the cluster's own CA; a killed cluster is dead, then replaced") {
  Root root;
  CreateOptions options;
  options.tls = true;
  auto created = root.registry.create("secure", options);
  REQUIRE_MESSAGE(created, created.error().message);
  CHECK(created->url.starts_with("https://127.0.0.1:"));
  CHECK(created->ca_pem.find("BEGIN CERTIFICATE") != std::string::npos);
  auto entry = root.registry.find("secure");
  REQUIRE(entry);
  CHECK(entry->status == ClusterStatus::running);
  CHECK(entry->objects.has_value());

  ::kill(static_cast<pid_t>(created->pid), SIGKILL);
  REQUIRE(gone(static_cast<pid_t>(created->pid)));
  auto dead = root.registry.find("secure");
  REQUIRE(dead);
  CHECK(dead->status == ClusterStatus::dead);
  CHECK(dead->state->url == created->url);  // the address it had

  std::ofstream(root.path / "secure" / "stale-file") << "left by the dead cluster";
  auto replaced = root.registry.create("secure", {});
  REQUIRE_MESSAGE(replaced, replaced.error().message);
  CHECK(replaced->pid != created->pid);
  CHECK(replaced->url.starts_with("http://"));
  CHECK_FALSE(fs::exists(root.path / "secure" / "stale-file"));
  CHECK(root.registry.find("secure")->status == ClusterStatus::running);
}

TEST_CASE("create: a bad name is invalid; a binary that is not ktape fails with its last log line") {
  Root root;
  auto bad = root.registry.create("Not_A_Name", {});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == ErrorKind::invalid);
  CHECK(bad.error().message == "invalid name \"Not_A_Name\": use lowercase letters, digits and '-'");
  CHECK_FALSE(fs::exists(root.path / "Not_A_Name"));

  RegistryOptions options = Root::options(root.path);
  options.ktape_binary = "/bin/false";
  Registry wrong(options);
  auto failed = wrong.create("wrong", {});
  REQUIRE_FALSE(failed);
  CHECK(failed.error().kind == ErrorKind::io);
  CHECK(failed.error().message == "cluster \"wrong\" did not start: the server exited at start");
  CHECK_FALSE(fs::exists(root.path / "wrong"));
}
