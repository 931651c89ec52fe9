// The runner against a real simulated cluster: an @every 1s export schedule, retention after each
// success, a failing tick that keeps the older files and shows in /metrics scraped over HTTP, and
// a rotating recording that overlaps at the rotation.
#include <doctest/doctest.h>
#include <httplib.h>

#include <filesystem>
#include <thread>

#include "kube/client.hpp"
#include "ops/listener.hpp"
#include "schedule/rotation.hpp"
#include "schedule/runner.hpp"
#include "schedule/service.hpp"
#include "sim/server.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ktape;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> files_of(const std::filesystem::path& dir, const schedule::FileNaming& naming) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (naming.is_ours(e.path().filename().string())) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

void create_configmap(const std::string& url, const std::string& name) {
  httplib::Client c(url);
  auto body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
              R"(","namespace":"default"},"data":{"k":"v"}})";
  auto r = c.Post("/api/v1/namespaces/default/configmaps", body, "application/json");
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 201, r->body);
}

std::unique_ptr<kube::Client> client_for(const std::string& url) {
  kube::RestConfig config;
  config.server = url;
  auto client = kube::Client::create(config);
  REQUIRE(client);
  return std::move(*client);
}

// Runs `body` on a thread for `how_long`, then sets `stop` and joins it.
template <typename F>
void run_for(std::chrono::milliseconds how_long, std::atomic<bool>& stop, F body) {
  std::thread t(body);
  std::this_thread::sleep_for(how_long);
  stop = true;
  t.join();
}

struct Fixture {
  std::unique_ptr<sim::Server> sim;
  std::unique_ptr<kube::Client> client;
  test_support::TempDir dir{"ktape-schedule"};
  ops::Logger log{ops::LogFormat::json, stderr};
  ops::Metrics metrics;
  recorder::RecordOptions record;
  recorder::RecordHooks hooks;
  schedule::RunnerOptions runner;

  explicit Fixture(const char* spec, const char* file = "demo.yaml.zst") {
    auto started = sim::Server::start({});
    REQUIRE(started);
    sim = std::move(*started);
    client = client_for(sim->url());
    create_configmap(sim->url(), "first");
    auto s = schedule::parse_schedule(spec);
    REQUIRE(s);
    runner.schedule = *s;
    auto naming = schedule::parse_file_naming(dir.file(file));
    REQUIRE(naming);
    runner.naming = *naming;
    runner.log = &log;
    runner.metrics = &metrics;
    record.selection.resources = {"configmaps"};
  }
};

}  // namespace

TEST_CASE("parse_file_naming: DIR/PREFIX with or without an extension") {
  auto n = schedule::parse_file_naming("/backups/prod.yaml.zst");
  REQUIRE(n);
  CHECK(n->dir == "/backups");
  CHECK(n->prefix == "prod");
  CHECK(n->extension == ".yaml.zst");
  auto t = std::chrono::sys_days(std::chrono::year(2026) / 12 / 7) + 15h + 4min + 5s;
  CHECK(n->path_at(t) == "/backups/prod-20261207-150405.yaml.zst");
  CHECK(n->is_ours("prod-20261207-150405.yaml.zst"));
  CHECK_FALSE(n->is_ours("prod-20261207-150405.yaml"));
  CHECK_FALSE(n->is_ours("prodx-20261207-150405.yaml.zst"));
  CHECK_FALSE(n->is_ours("prod-2026120x-150405.yaml.zst"));
  auto sealed = schedule::parse_file_naming("/backups/prod.yaml.zst.age");  // encrypted: all of it kept
  REQUIRE(sealed);
  CHECK(sealed->prefix == "prod");
  CHECK(sealed->path_at(t) == "/backups/prod-20261207-150405.yaml.zst.age");
  auto bare = schedule::parse_file_naming("nightly");
  REQUIRE(bare);
  CHECK(bare->dir == ".");
  CHECK(bare->extension == ".yaml");
  auto empty = schedule::parse_file_naming("/backups/");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message.find("DIR/PREFIX") != std::string::npos);
}

TEST_CASE("run_schedule: @every 1s for 3.5 s writes 3-4 snapshots and --keep-last 2 keeps the 2 newest") {
  Fixture f("@every 1s");
  f.runner.retention.keep_last = 2;
  std::atomic<bool> stop{false};
  std::uint64_t written = 0;
  auto job = schedule::make_snapshot_job(*f.client, f.record, f.hooks);
  run_for(3500ms, stop, [&] { written = schedule::run_schedule(f.runner, stop, job); });
  CHECK(written >= 3);
  CHECK(written <= 4);
  auto files = files_of(f.dir.path(), f.runner.naming);
  REQUIRE(files.size() == 2);
  for (const auto& name : files) {
    CHECK(std::filesystem::exists(f.dir.path() / (name + ".sha256")));
    auto st = std::filesystem::status(f.dir.path() / name);
    CHECK((st.permissions() & std::filesystem::perms::others_read) == std::filesystem::perms::none);
  }
  CHECK(f.metrics.value("ktape_snapshots_total") == static_cast<double>(written));
  CHECK(f.metrics.value("ktape_retention_deleted_total") == static_cast<double>(written - 2));
  CHECK(f.metrics.value("ktape_errors_total") == 0);
  CHECK(f.metrics.value("ktape_snapshot_objects") >= 1);
  CHECK(f.metrics.value("ktape_up") == 0);
}

TEST_CASE("run_schedule: a failing tick keeps the older files and is counted in /metrics") {
  Fixture f("@every 1s");
  f.runner.retention.keep_last = 1;
  auto listener = ops::start_listener("127.0.0.1:0", f.metrics);
  REQUIRE(listener);
  // From the third tick on, the cluster is unreachable: a real transport failure of the recorder.
  auto unreachable = client_for("http://127.0.0.1:1");
  std::atomic<int> calls{0};
  auto good = schedule::make_snapshot_job(*f.client, f.record, f.hooks);
  auto bad = schedule::make_snapshot_job(*unreachable, f.record, f.hooks);
  schedule::Job job = [&](const std::string& path) { return ++calls <= 2 ? good(path) : bad(path); };
  std::atomic<bool> stop{false};
  std::vector<std::string> before_failure;
  std::thread runner([&] { schedule::run_schedule(f.runner, stop, job); });
  while (calls.load() < 3) std::this_thread::sleep_for(20ms);
  while (f.metrics.value("ktape_errors_total") < 1) std::this_thread::sleep_for(20ms);
  stop = true;
  runner.join();

  auto files = files_of(f.dir.path(), f.runner.naming);
  REQUIRE(files.size() == 1);  // the second tick's file, kept through the failures after it
  CHECK(std::filesystem::exists(f.dir.path() / (files[0] + ".sha256")));
  httplib::Client c("127.0.0.1", (*listener)->port());
  auto r = c.Get("/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
  auto errors = static_cast<int>(f.metrics.value("ktape_errors_total"));
  CHECK(errors >= 1);
  CHECK(errors == calls.load() - 2);
  CHECK(r->body.find("\nktape_errors_total " + std::to_string(errors) + "\n") != std::string::npos);
  CHECK(r->body.find("\nktape_snapshots_total 2\n") != std::string::npos);
  CHECK(r->body.find("# TYPE ktape_last_success_timestamp_seconds gauge\n") != std::string::npos);
}

TEST_CASE("run_rotation: a rotating recording starts a new file per tick and overlaps, never gaps") {
  Fixture f("@every 3s", "rolling.yaml");
  f.record.snapshot_deadline = 1s;  // overlap: deadline + 1 s = 2 s
  f.record.watch_timeout = 1s;
  std::atomic<bool> stop{false};
  std::uint64_t written = 0;
  std::thread creator([&] {
    std::this_thread::sleep_for(1500ms);
    create_configmap(f.sim->url(), "during-first");
    std::this_thread::sleep_for(2100ms);  // past the rotation at 3 s
    create_configmap(f.sim->url(), "after-rotation");
  });
  run_for(4500ms, stop,
          [&] { written = schedule::run_rotation(f.runner, *f.client, f.record, stop, f.hooks); });
  creator.join();
  CHECK(written == 2);
  auto files = files_of(f.dir.path(), f.runner.naming);
  REQUIRE(files.size() == 2);
  auto first = test_support::read_file(f.dir.path() / files[0]);
  auto second = test_support::read_file(f.dir.path() / files[1]);
  // Each file starts with a snapshot (the second one's holds what the first recorded as events);
  // the change after the rotation is in the second file, and in the first too while they overlap.
  CHECK(first.find("name: first") != std::string::npos);
  CHECK(first.find("name: during-first") != std::string::npos);
  CHECK(second.find("name: first") != std::string::npos);
  CHECK(second.find("name: during-first") != std::string::npos);
  CHECK(second.find("name: after-rotation") != std::string::npos);
  auto snapshot_end = second.find("kind: ResourcePatch");
  CHECK(second.find("name: during-first") < snapshot_end);  // in the snapshot section
  CHECK(std::filesystem::exists(f.dir.path() / (files[0] + ".sha256")));
  CHECK(std::filesystem::exists(f.dir.path() / (files[1] + ".sha256")));
}
