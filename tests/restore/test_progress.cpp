// apply()'s progress reports and the line `ktape restore` draws from them: counts that add up, a
// last report at 100%, the line on a terminal (a pty from script(1)) and nothing without one.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/restore/sim_target.hpp"
#include "tests/support/files.hpp"

using namespace ktape;
using namespace ktape::restore;
using namespace ktape::restore::test;

namespace {

constexpr int k_objects = 60;

// k_objects ConfigMaps in demo, each with data i=N.
std::string configmaps(const std::string& value_prefix) {
  std::string file = snapshot_doc(
      R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo",)"
      R"("labels":{"kubernetes.io/metadata.name":"demo"}},"spec":{"finalizers":["kubernetes"]}})");
  for (int i = 0; i < k_objects; ++i) {
    auto n = std::to_string(i);
    file += snapshot_doc(configmap_json("demo", "cm-" + n, "u-" + n, R"({"i":")" + value_prefix + n + "\"}"));
  }
  return file;
}

// Runs `command` through sh with stdin from /dev/null; stdout and stderr into one file, returned.
std::string output_of(const std::string& command, Files& files) {
  auto out = files.path("out.txt");
  int code = std::system((command + " < /dev/null > " + out + " 2>&1").c_str());
  CHECK(code == 0);
  return test_support::read_file(out);
}

}  // namespace

TEST_CASE("format_progress names done, total, share and each outcome, digits grouped") {
  replayer::Counts counts;
  counts.created = 10;
  counts.patched = 1200;
  counts.deleted = 24;
  CHECK(format_progress({1234, 2000, counts}) ==
        "applying 1,234/2,000 (61%): created 10, updated 1,200, deleted 24, failed 0");
  counts.failed = 3;
  counts.skipped = 1;
  CHECK(format_progress({7, 7, counts}) ==
        "applying 7/7 (100%): created 10, updated 1,200, deleted 24, skipped 1, failed 3");
}

TEST_CASE("apply reports its progress as writes finish, the last report at 100%") {
  SimTarget t;
  Files files;
  RestoreOptions options;
  options.path = files.write("rec.yaml", configmaps(""));
  options.concurrency = 4;
  options.progress_interval = std::chrono::milliseconds(0);
  auto plan = make_plan(*t.client, options);
  REQUIRE(plan);
  REQUIRE(plan->writes() == k_objects + 1);  // the namespace too
  std::vector<ApplyProgress> seen;
  auto report = apply(*t.client, options, *plan, nullptr, [&](const ApplyProgress& p) { seen.push_back(p); });
  CHECK(report.totals.failed == 0);
  REQUIRE(seen.size() >= 2);
  for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].done >= seen[i - 1].done);
  for (const auto& p : seen) {
    CHECK(p.total == plan->writes());
    CHECK(p.counts.total() <= p.done);  // a write is counted before it is reported done
  }
  CHECK(seen.back().done == plan->writes());
  CHECK(seen.back().counts.created == report.totals.created);
  CHECK(seen.back().counts.created == static_cast<std::uint64_t>(k_objects + 1));
  CHECK(format_progress(seen.back()).starts_with("applying 61/61 (100%): created 61, updated 0"));

  SUBCASE("nothing to write: no report") {
    auto again = make_plan(*t.client, options);
    REQUIRE(again);
    CHECK(again->writes() == 0);
    int calls = 0;
    apply(*t.client, options, *again, nullptr, [&](const ApplyProgress&) { ++calls; });
    CHECK(calls == 0);
  }
}

TEST_CASE("ktape restore draws its progress line on a terminal only, and never with -q") {
  if (!std::filesystem::exists("/usr/bin/script")) {
    MESSAGE("skipped: script(1) (bsdutils) is not installed to give ktape a terminal");
    return;
  }
  SimTarget t;
  Files files;
  auto kubeconfig = kubeconfig_for(t, files);
  auto first = files.write("first.yaml", configmaps(""));
  auto second = files.write("second.yaml", configmaps("v2-"));
  std::string restore = std::string(KTAPE_BINARY) + " restore --kubeconfig " + kubeconfig + " --yes --path ";

  auto piped = output_of(restore + first, files);
  INFO(piped);
  CHECK(piped.find("verify: the target equals the recorded state") != std::string::npos);
  CHECK(piped.find("applying") == std::string::npos);
  CHECK(piped.find('\r') == std::string::npos);

  auto on_tty = output_of("script -qec '" + restore + second + "' /dev/null", files);
  INFO(on_tty);
  CHECK(on_tty.find("applying 60/60 (100%): created 0, updated 60, deleted 0, failed 0") !=
        std::string::npos);
  CHECK(on_tty.find("\r\033[K") != std::string::npos);  // redrawn in place
  CHECK(on_tty.find("verify: the target equals the recorded state") != std::string::npos);

  auto quiet = output_of("script -qec '" + restore + first + " -q' /dev/null", files);
  INFO(quiet);
  CHECK(quiet.find("applying") == std::string::npos);
  CHECK(data_of(*t.get("configmaps", "demo", "cm-7"), "i") == "7");  // it did restore
}
