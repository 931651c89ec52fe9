// recorder::select_resources: what record and export list and watch for a kube::Selection.
#include <doctest/doctest.h>

#include "recorder/selection.hpp"

using ktape::kube::ApiResource;
using ktape::kube::Discovery;
using ktape::kube::Selection;

namespace {

const std::vector<std::string> k_list_watch{"get", "list", "watch"};

// A server's resources as kube-apiserver 1.32 serves them (the verbs that matter here).
Discovery discovery() {
  Discovery d;
  d.resources = {
      {"", "v1", "pods", "Pod", "pod", true, k_list_watch, {"po"}, {"all"}, {"status"}, true},
      {"",
       "v1",
       "componentstatuses",
       "ComponentStatus",
       "componentstatus",
       false,
       {"get", "list"},
       {"cs"},
       {},
       {},
       true},
      {"", "v1", "events", "Event", "event", true, k_list_watch, {"ev"}, {}, {}, true},
      {"apps",
       "v1",
       "deployments",
       "Deployment",
       "deployment",
       true,
       k_list_watch,
       {"deploy"},
       {"all"},
       {},
       true},
      {"events.k8s.io", "v1", "events", "Event", "event", true, k_list_watch, {"ev"}, {}, {}, true},
      {"coordination.k8s.io", "v1", "leases", "Lease", "lease", true, k_list_watch, {}, {}, {}, true},
  };
  return d;
}

std::vector<std::string> names(const std::vector<ApiResource>& resources) {
  std::vector<std::string> out;
  for (const auto& r : resources) out.push_back(r.qualified_name());
  return out;
}

}  // namespace

TEST_CASE("select_resources: every list+watchable resource but events and leases, unless named") {
  auto all = ktape::recorder::select_resources(discovery(), Selection{});
  REQUIRE(all);
  CHECK(names(*all) == std::vector<std::string>{"pods", "deployments.apps"});

  Selection named;
  named.resources = {"ev", "events.events.k8s.io", "leases", "po", "pods"};
  auto chosen = ktape::recorder::select_resources(discovery(), named);
  REQUIRE(chosen);
  CHECK(names(*chosen) ==
        std::vector<std::string>{"events", "events.events.k8s.io", "leases.coordination.k8s.io", "pods"});
}

TEST_CASE("select_resources: --exclude-resource wins over --resource and over the default set") {
  Selection selection;
  selection.exclude_resources = {"Deployment.apps"};
  auto rest = ktape::recorder::select_resources(discovery(), selection);
  REQUIRE(rest);
  CHECK(names(*rest) == std::vector<std::string>{"pods"});

  selection.resources = {"deploy", "pods"};
  selection.exclude_resources = {"deployments.apps"};
  auto named = ktape::recorder::select_resources(discovery(), selection);
  REQUIRE(named);
  CHECK(names(*named) == std::vector<std::string>{"pods"});
}

TEST_CASE("select_resources: a named resource that cannot be watched is invalid, an unknown one not_found") {
  Selection selection;
  selection.resources = {"cs"};
  auto unwatchable = ktape::recorder::select_resources(discovery(), selection);
  REQUIRE_FALSE(unwatchable);
  CHECK(unwatchable.error().kind == ktape::ErrorKind::invalid);
  CHECK(unwatchable.error().message == "resource componentstatuses cannot be listed and watched");

  selection.resources = {"pods", "gizmos"};
  auto unknown = ktape::recorder::select_resources(discovery(), selection);
  REQUIRE_FALSE(unknown);
  CHECK(ktape::is_not_found(unknown.error()));
  CHECK(unknown.error().message.rfind("--resource gizmos: ", 0) == 0);

  selection.resources = {};
  selection.exclude_resources = {"widgets"};
  auto unknown_excluded = ktape::recorder::select_resources(discovery(), selection);
  REQUIRE_FALSE(unknown_excluded);
  CHECK(unknown_excluded.error().message.rfind("--exclude-resource widgets: ", 0) == 0);
}
