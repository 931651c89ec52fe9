// `ktape export --schedule` as a user runs it: JSON log lines, /healthz and /metrics over HTTP
// (curl), retention, and SIGTERM ending it cleanly with every kept file verified.
#include <doctest/doctest.h>
#include <signal.h>

#include <sstream>

#include "formats/json.hpp"
#include "tests/e2e/harness.hpp"

namespace ktape::e2e {
namespace {

std::vector<formats::Value> json_lines(const std::string& text) {
  std::vector<formats::Value> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto v = formats::parse_json(line);
    REQUIRE_MESSAGE(v, line);  // every line is one JSON object
    REQUIRE(v->is_object());
    out.push_back(std::move(*v));
  }
  return out;
}

std::string listen_port(const fs::path& err) {
  for (const auto& v : json_lines(slurp(err)))
    if (v.string_at({"message"}) == "serving /healthz and /metrics")
      return std::string(v.string_at({"fields", "port"}));
  return "";
}

}  // namespace

TEST_CASE("export --schedule: json logs, /healthz and /metrics, --keep-last, SIGTERM stops cleanly") {
  Home home;
  home.create_cluster("sched");
  REQUIRE(home.kubectl("sched", "create configmap one --from-literal=k=v").code == 0);
  auto dir = home.path / "backups";
  fs::create_directories(dir);
  auto bg = home.start({"export", "--cluster", "sched", "--resource", "configmaps", "--schedule", "@every 1s",
                        "--path", (dir / "snap.yaml").string(), "--keep-last", "2", "--log-format", "json",
                        "--listen", "127.0.0.1:0"});
  std::string port;
  REQUIRE(eventually([&] { return !(port = listen_port(bg.err)).empty(); }, std::chrono::seconds(20)));
  auto health = home.run("curl -sf http://127.0.0.1:" + port + "/healthz");
  CHECK(health.code == 0);
  CHECK(health.out == "ok\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  auto metrics = home.run("curl -sf http://127.0.0.1:" + port + "/metrics");
  REQUIRE(metrics.code == 0);
  CHECK(metrics.out.find("# TYPE ktape_snapshots_total counter") != std::string::npos);
  CHECK(metrics.out.find("\nktape_errors_total 0\n") != std::string::npos);
  CHECK(metrics.out.find("\nktape_up 1\n") != std::string::npos);
  CHECK(metrics.out.find("\nktape_last_success_timestamp_seconds ") != std::string::npos);
  bg.signal(SIGTERM);
  CHECK(bg.wait() == 0);

  auto lines = json_lines(slurp(bg.err));
  int written = 0, deleted = 0;
  for (const auto& v : lines) {
    CHECK_FALSE(v.string_at({"time"}).empty());
    CHECK_FALSE(v.string_at({"level"}).empty());
    written += v.string_at({"message"}) == "file written" ? 1 : 0;
    deleted += v.string_at({"message"}) == "retention: deleted" ? 1 : 0;
  }
  CHECK(written >= 3);
  CHECK(deleted == written - 2);
  CHECK(lines.back().string_at({"message"}) == "schedule stopped");
  std::vector<std::string> kept;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".yaml") kept.push_back(e.path().string());
  REQUIRE(kept.size() == 2);
  for (const auto& path : kept) {
    CHECK(fs::path(path).filename().string().rfind("snap-", 0) == 0);
    auto verify = home.ktape("verify " + path);
    CHECK_MESSAGE(verify.code == 0, verify.err);
    CHECK(slurp(path).find("name: one") != std::string::npos);
  }
}

TEST_CASE("export --schedule: bad flags are usage errors naming the flag") {
  Home home;
  home.create_cluster("flags");
  auto bad_spec =
      home.ktape("export --cluster flags --schedule '61 * * * *' --path " + (home.path / "x").string());
  CHECK(bad_spec.code == 2);
  CHECK(bad_spec.err.find("--schedule: schedule \"61 * * * *\": minute: 61 is out of range 0-59") !=
        std::string::npos);
  auto no_schedule =
      home.ktape("export --cluster flags --keep-last 2 --path " + (home.path / "x.yaml").string());
  CHECK(no_schedule.code == 2);
  CHECK(no_schedule.err.find("--schedule") != std::string::npos);
  auto bad_listen = home.ktape("export --cluster flags --schedule @hourly --listen nowhere --path " +
                               (home.path / "x").string());
  CHECK(bad_listen.code == 2);
  CHECK(bad_listen.err.find("--listen \"nowhere\"") != std::string::npos);
}

}  // namespace ktape::e2e
