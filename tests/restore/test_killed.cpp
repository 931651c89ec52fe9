// The ktape binary, as a user runs it: killed with SIGKILL at several points of a restore, then run
// again with the same arguments, it converges (the plan is recomputed from the target each time).
// Also its refusals: no --yes without a terminal, --dry-run writes nothing, -o json; and the exit
// code and words of a --update apply that leaves another manager's field in place.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "formats/json.hpp"
#include "tests/restore/sim_target.hpp"
#include "tests/support/files.hpp"
#include "tests/support/recording_text.hpp"

using namespace ktape;
using namespace ktape::restore::test;

namespace {

struct Exit {
  int code = -1;
  std::string out;
};

// Starts `ktape ARGS...` with stdin from /dev/null and stdout/stderr into `out_path`.
pid_t start(const std::vector<std::string>& args, const std::string& out_path) {
  std::fflush(stdout);  // else the child's freopen writes the parent's buffered output again
  std::fflush(stderr);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char*> argv;
    std::string binary = KTAPE_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::FILE* in = std::freopen("/dev/null", "r", stdin);
    std::FILE* out = std::freopen(out_path.c_str(), "w", stdout);
    if (in == nullptr || out == nullptr || ::dup2(STDOUT_FILENO, STDERR_FILENO) < 0) ::_exit(127);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Exit run(const std::vector<std::string>& args, Files& files) {
  auto out = files.path("out.txt");
  int code = wait_exit(start(args, out));
  return {code, test_support::read_file(out)};
}

std::size_t count_configmaps(SimTarget& t) {
  kube::ListOptions list;
  list.namespace_name = "demo";
  list.limit = 0;
  auto page = t.client->list_all(t.resource("configmaps"), list);
  REQUIRE(page);
  return page->items.size();
}

constexpr int k_objects = 1500;

std::string many_configmaps() {
  std::string file = snapshot_doc(test_support::object_json("v1", "Namespace", "", "demo", "u-ns", "",
                                                            R"("spec":{"finalizers":["kubernetes"]})",
                                                            R"({"kubernetes.io/metadata.name":"demo"})"));
  for (int i = 0; i < k_objects; ++i) {
    auto n = std::to_string(i);
    file += snapshot_doc(configmap_json("demo", "cm-" + n, "u-" + n, R"({"i":")" + n + "\"}"));
  }
  return file;
}

}  // namespace

TEST_CASE("ktape restore killed with SIGKILL at several points converges when run again") {
  SimTarget t;
  Files files;
  auto kubeconfig = kubeconfig_for(t, files);
  auto path = files.write("rec.yaml", many_configmaps());
  std::vector<std::string> args = {"restore", "--kubeconfig", kubeconfig,      "--path",
                                   path,      "--yes",        "--concurrency", "2"};
  std::size_t before = 0;
  for (std::size_t at : {std::size_t{50}, std::size_t{400}, std::size_t{800}}) {
    CAPTURE(at);
    pid_t pid = start(args, files.path("killed.txt"));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::size_t now = 0;
    while ((now = count_configmaps(t)) < at && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ::kill(pid, SIGKILL);
    int code = wait_exit(pid);
    now = count_configmaps(t);
    MESSAGE("killed at " << now << " of " << k_objects << " objects (exit " << code << ")");
    CHECK(now >= before);
    before = now;
  }
  CHECK(before < static_cast<std::size_t>(k_objects));  // the last kill came before the end
  auto finished = run(args, files);
  INFO(finished.out);
  CHECK(finished.code == 0);
  CHECK(finished.out.find("verify: the target equals the recorded state") != std::string::npos);
  CHECK(count_configmaps(t) == static_cast<std::size_t>(k_objects));
  auto again = run(args, files);  // idempotent: nothing left to write
  CHECK(again.code == 0);
  CHECK(again.out.find("plan: 0 to create, 0 to update, 0 to delete") != std::string::npos);
}

TEST_CASE("ktape restore asks before writing: refused without a terminal and without --yes") {
  SimTarget t;
  Files files;
  auto kubeconfig = kubeconfig_for(t, files);
  auto path = files.write("rec.yaml", snapshot_doc(configmap_json("default", "a", "u-a", R"({"x":"1"})")));
  std::vector<std::string> base = {"restore", "--kubeconfig", kubeconfig, "--path", path};
  auto refused = run(base, files);
  CHECK(refused.code == 1);
  CHECK(refused.out.find("pass --yes") != std::string::npos);
  auto args = base;
  args.emplace_back("--dry-run");
  args.emplace_back("-o");
  args.emplace_back("json");
  auto dry = run(args, files);
  CHECK(dry.code == 0);
  auto json = formats::parse_json(dry.out.substr(dry.out.find('{')));
  REQUIRE(json);
  REQUIRE(json->at({"plan", "totals", "create"}) != nullptr);
  CHECK(*json->at({"plan", "totals", "create"}) == formats::Value(1));
  CHECK_FALSE(t.get("configmaps", "default", "a"));
  args = base;
  args.emplace_back("--yes");
  auto done = run(args, files);
  CHECK(done.code == 0);
  CHECK(data_of(*t.get("configmaps", "default", "a"), "x") == "1");
}

TEST_CASE(
    "ktape restore --update apply exits 1 when another manager's field remains, and says put overwrites it") {
  SimTarget t;
  Files files;
  auto kubeconfig = kubeconfig_for(t, files);
  auto path = files.write(
      "rec.yaml", snapshot_doc(configmap_json("default", "a", "u-a", R"({"x":"1"})", R"({"app":"a"})")));
  t.create("configmaps", configmap_json("default", "a", "", R"({"x":"9"})", R"({"app":"a"})"));
  auto patch = formats::parse_json(R"({"metadata":{"labels":{"extra":"yes"}}})");
  REQUIRE(patch);
  REQUIRE(t.client_as("kubectl-label/v1.32.0")
              ->patch(t.resource("configmaps"), "default", "a", formats::PatchType::merge, *patch));
  std::vector<std::string> args = {"restore", "--kubeconfig", kubeconfig, "--path",
                                   path,      "--yes",        "--update"};
  auto bad = args;
  bad.emplace_back("merge");
  CHECK(run(bad, files).code == 2);
  auto apply = args;
  apply.emplace_back("apply");
  auto applied = run(apply, files);
  INFO(applied.out);
  CHECK(applied.code == 1);
  CHECK(applied.out.find("verify: 1 objects still differ") != std::string::npos);
  CHECK(applied.out.find("UPDATE v1 ConfigMap default/a (metadata.labels)") != std::string::npos);
  CHECK(applied.out.find("--update put overwrites them") != std::string::npos);
  auto a = t.get("configmaps", "default", "a");
  REQUIRE(a);
  CHECK(data_of(*a, "x") == "1");
  CHECK(a->string_at({"metadata", "labels", "extra"}) == "yes");
  auto put = args;
  put.emplace_back("put");
  auto overwritten = run(put, files);
  INFO(overwritten.out);
  CHECK(overwritten.code == 0);
  CHECK(overwritten.out.find("verify: the target equals the recorded state") != std::string::npos);
  CHECK(t.get("configmaps", "default", "a")->at({"metadata", "labels", "extra"}) == nullptr);
}
