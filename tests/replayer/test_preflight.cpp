// The pre-flight check (replayer/preflight.cpp) against a scripted target: every problem reported
// at once, resources a CRD of the file brings are not problems, and a refused replay writes nothing.
#include <doctest/doctest.h>

#include "tests/replayer/target.hpp"

using namespace ktape;
using namespace ktape::replayer;
using namespace ktape::replayer::test;

namespace {


// A recording with three problems (a resource nobody serves, an owner not in the file, a namespace
// neither in the file nor in the target) and a custom resource whose CRD the file creates.
std::string troubled_recording() {
  std::string file = namespace_doc("demo", "u-ns");
  file += snapshot_doc(crd_json("example.com", "Widget", "widgets"));
  file += event_doc("nope.example.com", "gizmos", "demo", "g", "create", 1 * k_ms,
                    object_json("nope.example.com/v1", "Gizmo", "demo", "g", "u-g"));
  file += event_doc("example.com", "widgets", "demo", "w", "create", 2 * k_ms,
                    object_json("example.com/v1", "Widget", "demo", "w", "u-w"));
  file += event_doc("", "configmaps", "demo", "child", "create", 3 * k_ms,
                    object_json("v1", "ConfigMap", "demo", "child", "u-child",
                                owner_json("apps/v1", "Deployment", "gone", "u-gone")));
  file += event_doc("", "configmaps", "elsewhere", "stray", "create", 4 * k_ms,
                    object_json("v1", "ConfigMap", "elsewhere", "stray", "u-stray"));
  return file;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

TEST_CASE("preflight: every problem is reported at once; a CRD of the file serves its resources") {
  Replay r;
  r.options.path = r.files.write("troubled.yaml", troubled_recording());
  auto pre = preflight(*r.client, r.options);
  REQUIRE(pre);
  std::string problems = joined(pre->problems);
  CAPTURE(problems);
  CHECK(pre->problems.size() == 3);
  CHECK(problems.find("does not serve nope.example.com/v1") != std::string::npos);
  CHECK(problems.find("owner apps/v1 Deployment gone") != std::string::npos);
  CHECK(problems.find("is not in the file") != std::string::npos);
  CHECK(problems.find("namespace elsewhere is neither in the file nor in the target") != std::string::npos);
  CHECK(problems.find("idget") == std::string::npos);  // the file's CRD defines widgets
  CHECK(pre->objects == 2);
  CHECK(pre->events == 4);
  CHECK(pre->creates.count("u-w") == 1);
  CHECK(pre->creates.count("u-crd-widgets") == 1);
  CHECK(pre->creates.at("u-w").at == std::chrono::nanoseconds(2 * k_ms));
  CHECK_FALSE(pre->creates.at("u-crd-widgets").at.has_value());
  CHECK(r.target.writes().empty());  // a check writes nothing
}

TEST_CASE("preflight: a namespace the target already has is not a problem") {
  Replay r;
  auto ns = formats::Value::object();
  ns.set("apiVersion", "v1");
  ns.set("kind", "Namespace");
  ns["metadata"].set("name", "elsewhere");
  r.target.put("/api/v1/namespaces", ns);
  r.options.path = r.files.write("troubled.yaml", troubled_recording());
  auto pre = preflight(*r.client, r.options);
  REQUIRE(pre);
  CHECK(pre->problems.size() == 2);
  CHECK(joined(pre->problems).find("elsewhere") == std::string::npos);
}

TEST_CASE("preflight: problems refuse the replay before any write, unless --force") {
  Replay r;
  SUBCASE("refused") {
    auto refused = r.attempt(troubled_recording());
    REQUIRE_FALSE(refused);
    const std::string& message = refused.error().message;
    CHECK(message.find("3 problem(s)") != std::string::npos);
    CHECK(message.find("--force") != std::string::npos);
    CHECK(message.find("nope.example.com") != std::string::npos);
    CHECK(message.find("u-gone") != std::string::npos);
    CHECK(message.find("namespace elsewhere") != std::string::npos);
    CHECK(r.target.writes().empty());
  }
  SUBCASE("forced") {
    r.options.force = true;
    auto report = r.attempt(troubled_recording());
    REQUIRE(report);
    CHECK(report->problems.size() >= 3);
    CHECK(report->by_resource["widgets.example.com"].created == 1);
    CHECK(report->by_resource["gizmos.nope.example.com"].failed == 1);
    CHECK(report->by_resource["configmaps"].created == 1);  // the child, its dangling owner dropped
    CHECK(report->by_resource["configmaps"].failed == 1);   // the namespace is nowhere
    CHECK(report->dangling == 1);
  }
}
