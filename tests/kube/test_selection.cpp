// kube/selection.hpp: the one selection of every command. Names resolve against the discovery of
// the simulated cluster (a real HTTP server speaking the Kubernetes API), as record and replay
// resolve them against their server.
#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "kube/client.hpp"
#include "kube/selection.hpp"
#include "sim/server.hpp"

using namespace ktape;
using namespace ktape::kube;
using formats::Value;
using ktape::formats::parse_json;

namespace {

// What the simulated cluster serves, discovered through a kube::Client.
Discovery sim_discovery() {
  auto server = sim::Server::start({});
  REQUIRE(server);
  RestConfig config;
  config.server = (*server)->url();
  auto client = Client::create(config);
  REQUIRE(client);
  auto discovery = (*client)->discover();
  REQUIRE(discovery);
  return std::move(*discovery);
}

const Discovery& served() {
  static const Discovery discovery = sim_discovery();
  return discovery;
}

ApiResource resource(const std::string& name) {
  auto r = served().resolve(name);
  REQUIRE(r);
  return *r;
}

Value parse(const std::string& json) {
  auto v = formats::parse_json(json);
  REQUIRE(v);
  return *v;
}

// An object with metadata.name, metadata.namespace (omitted when "") and metadata.labels.
Value object(const std::string& name, const std::string& ns, const std::string& labels = "{}") {
  std::string namespace_member = ns.empty() ? "" : R"(,"namespace":")" + ns + "\"";
  return parse(R"({"metadata":{"name":")" + name + "\"" + namespace_member + R"(,"labels":)" + labels + "}}");
}

}  // namespace

TEST_CASE("glob_any matches shell globs; an empty list matches nothing") {
  struct Row {
    std::vector<std::string> globs;
    const char* text;
    bool matches;
  };
  for (const auto& row : std::vector<Row>{{{"team-*"}, "team-a", true},
                                          {{"team-*"}, "team", false},
                                          {{"team-?"}, "team-ab", false},
                                          {{"team-[ab]"}, "team-b", true},
                                          {{"team-[ab]"}, "team-c", false},
                                          {{"demo"}, "demo", true},
                                          {{"demo"}, "demo-2", false},
                                          {{"x", "demo*"}, "demo-2", true},
                                          {{"*"}, "", true},
                                          {{}, "demo", false}}) {
    CAPTURE(row.text);
    CHECK(glob_any(row.globs, row.text) == row.matches);
  }
}

TEST_CASE("namespace_selected: -n globs, excludes win over includes, no -n selects every namespace") {
  Selection selection;
  CHECK(namespace_selected(selection, "anything"));
  selection.exclude_namespaces = {"kube-*"};
  CHECK(namespace_selected(selection, "demo"));
  CHECK_FALSE(namespace_selected(selection, "kube-system"));
  selection.namespaces = {"team-*", "kube-system"};
  selection.exclude_namespaces = {"team-old", "kube-*"};
  CHECK(namespace_selected(selection, "team-a"));
  CHECK_FALSE(namespace_selected(selection, "team-old"));
  CHECK_FALSE(namespace_selected(selection, "kube-system"));  // named by -n, excluded all the same
  CHECK_FALSE(namespace_selected(selection, "demo"));
  CHECK_FALSE(namespace_selected(selection, ""));
}

TEST_CASE("in_selected_namespace: cluster-scoped objects pass, Namespace objects by their own name") {
  Selection selection;
  selection.namespaces = {"team-*"};
  selection.exclude_namespaces = {"team-old"};
  ApiResource namespaces = resource("ns");
  ApiResource nodes = resource("nodes");
  ApiResource clusterroles = resource("clusterroles.rbac.authorization.k8s.io");
  ApiResource configmaps = resource("cm");
  REQUIRE_FALSE(namespaces.namespaced);
  REQUIRE_FALSE(nodes.namespaced);

  Value team_a = object("team-a", "");
  Value team_old = object("team-old", "");
  Value other = object("other", "");
  CHECK(in_selected_namespace(selection, namespaces, "", &team_a));
  CHECK_FALSE(in_selected_namespace(selection, namespaces, "", &team_old));
  CHECK_FALSE(in_selected_namespace(selection, namespaces, "", &other));
  // A patch or delete of a Namespace carries no object: its namespace ("") stands for its name.
  CHECK_FALSE(in_selected_namespace(selection, namespaces, "", nullptr));
  CHECK(in_selected_namespace(Selection{}, namespaces, "", nullptr));

  Value node = object("n1", "");
  CHECK(in_selected_namespace(selection, nodes, "", &node));
  CHECK(in_selected_namespace(selection, clusterroles, "", nullptr));

  Value in_team = object("c", "team-b");
  Value in_old = object("c", "team-old");
  CHECK(in_selected_namespace(selection, configmaps, "team-b", &in_team));
  CHECK_FALSE(in_selected_namespace(selection, configmaps, "team-old", &in_old));
  CHECK_FALSE(in_selected_namespace(selection, configmaps, "default", nullptr));
  CHECK(in_selected_namespace(selection, configmaps, "team-z", nullptr));
}

TEST_CASE("server_side_namespace: -n with one plain name, else none") {
  struct Row {
    std::vector<std::string> namespaces, exclude;
    const char* expected;
  };
  for (const auto& row : std::vector<Row>{{{"demo"}, {}, "demo"},
                                          {{}, {}, ""},
                                          {{"team-*"}, {}, ""},
                                          {{"team-?"}, {}, ""},
                                          {{"team-[ab]"}, {}, ""},
                                          {{"a", "b"}, {}, ""},
                                          {{"demo"}, {"x"}, ""}}) {
    Selection selection;
    selection.namespaces = row.namespaces;
    selection.exclude_namespaces = row.exclude;
    CAPTURE(row.expected);
    CHECK(server_side_namespace(selection) == row.expected);
  }
}

TEST_CASE("resolve_resources resolves kubectl-style names, in order, each resource once") {
  auto resolved = resolve_resources(
      served(), {"pods", "deployments.apps", "Deployment.apps", "deploy", "po", "cm", "deployments.v1.apps"},
      "--resource");
  REQUIRE(resolved);
  REQUIRE(resolved->size() == 3);
  CHECK((*resolved)[0].qualified_name() == "pods");
  CHECK((*resolved)[0].version == "v1");
  CHECK((*resolved)[1].qualified_name() == "deployments.apps");
  CHECK((*resolved)[1].kind == "Deployment");
  CHECK((*resolved)[2].qualified_name() == "configmaps");
  CHECK(contains_resource(*resolved, resource("Pod")));
  CHECK_FALSE(contains_resource(*resolved, resource("secrets")));

  auto none = resolve_resources(served(), {}, "--resource");
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("resolve_resources: an unknown name is a not_found Error naming the flag and the name") {
  for (const char* flag : {"--resource", "--exclude-resource"}) {
    auto unknown = resolve_resources(served(), {"pods", "gizmos"}, flag);
    REQUIRE_FALSE(unknown);
    CHECK(is_not_found(unknown.error()));
    CHECK(unknown.error().message ==
          std::string(flag) + " gizmos: the server serves no such resource (see kubectl api-resources)");
  }
}

TEST_CASE("excluded_by_default: core and events.k8s.io events and leases, nothing else") {
  CHECK(excluded_by_default(resource("events")));
  CHECK(excluded_by_default(resource("events.events.k8s.io")));
  CHECK(excluded_by_default(resource("leases.coordination.k8s.io")));
  for (const char* name : {"pods", "configmaps", "namespaces", "deployments.apps", "nodes"}) {
    CAPTURE(name);
    CHECK_FALSE(excluded_by_default(resource(name)));
  }
}

TEST_CASE("describe: the selection as a recording's header carries it") {
  Selection selection;
  selection.resources = {"deploy"};
  selection.exclude_resources = {"cm"};
  selection.namespaces = {"team-*"};
  selection.exclude_namespaces = {"team-old"};
  selection.label_selector = "app=web";
  Value described = describe(selection, {resource("deploy"), resource("po")});
  CHECK(described == parse(R"({"resources":["deployments.apps","pods"],"namespaces":["team-*"],
    "excludeNamespaces":["team-old"],"excludeResources":["cm"],"labelSelector":"app=web"})"));
}

TEST_CASE("SelectionMatcher selects by resource, namespace glob and labels; Namespaces follow -n") {
  ktape::kube::Discovery discovery;
  ktape::kube::ApiResource pods{"",     "v1", "pods",     "Pod", "pod", true, {"list", "watch"},
                                {"po"}, {},   {"status"}, true};
  ktape::kube::ApiResource namespaces{"",       "v1",   "namespaces", "Namespace", "namespace", false,
                                      {"list"}, {"ns"}, {},           {},          true};
  ktape::kube::ApiResource configmaps{"",       "v1",   "configmaps", "ConfigMap", "configmap", true,
                                      {"list"}, {"cm"}, {},           {},          true};
  discovery.resources = {pods, namespaces, configmaps};
  ktape::kube::Selection selection;
  selection.resources = {"po"};
  selection.namespaces = {"team-*"};
  selection.exclude_namespaces = {"team-old"};
  selection.label_selector = "app=web";
  auto filter = ktape::kube::SelectionMatcher::make(selection, discovery);
  REQUIRE(filter);
  auto web = *parse_json(R"({"metadata":{"labels":{"app":"web"}}})");
  auto db = *parse_json(R"({"metadata":{"labels":{"app":"db"}}})");
  CHECK(filter->selected(pods, "team-a", &web));
  CHECK_FALSE(filter->selected(pods, "team-a", &db));
  CHECK_FALSE(filter->selected(pods, "other", &web));
  CHECK_FALSE(filter->selected(pods, "team-old", &web));
  CHECK_FALSE(filter->selected(configmaps, "team-a", &web));
  CHECK(filter->selected(pods, "team-a", nullptr));  // a patch or delete: no labels to match
  CHECK(filter->namespace_selected("team-b"));
  CHECK_FALSE(filter->namespace_selected("team-old"));

  selection.resources = {"gizmos"};
  auto unknown = ktape::kube::SelectionMatcher::make(selection, discovery);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find("gizmos") != std::string::npos);
}

TEST_CASE("SelectionMatcher: excludes win over includes; no --resource selects every resource") {
  Selection selection;
  selection.resources = {"pods", "configmaps", "deployments.apps"};
  selection.exclude_resources = {"cm", "Deployment.apps"};
  auto matcher = SelectionMatcher::make(selection, served());
  REQUIRE(matcher);
  CHECK(matcher->resources().size() == 3);
  CHECK(matcher->excluded().size() == 2);
  CHECK_FALSE(matcher->has_labels());
  Value pod = object("p", "demo");
  CHECK(matcher->resource_selected(resource("pods")));
  CHECK(matcher->selected(resource("pods"), "demo", &pod));
  CHECK_FALSE(matcher->resource_selected(resource("configmaps")));
  CHECK_FALSE(matcher->resource_selected(resource("deploy")));
  CHECK_FALSE(matcher->resource_selected(resource("secrets")));  // not named
  CHECK_FALSE(matcher->selected(resource("configmaps"), "demo", nullptr));

  Selection all_but;
  all_but.exclude_resources = {"secrets"};
  auto everything = SelectionMatcher::make(all_but, served());
  REQUIRE(everything);
  CHECK(everything->resources().empty());
  CHECK(everything->resource_selected(resource("deploy")));
  CHECK(everything->resource_selected(resource("nodes")));
  CHECK_FALSE(everything->resource_selected(resource("secrets")));
}

TEST_CASE("SelectionMatcher: labels, Namespace objects and cluster-scoped objects") {
  Selection selection;
  selection.namespaces = {"demo"};
  selection.label_selector = "app=web,tier!=db";
  auto matcher = SelectionMatcher::make(selection, served());
  REQUIRE(matcher);
  CHECK(matcher->has_labels());
  ApiResource cm = resource("cm");
  Value web = object("a", "demo", R"({"app":"web"})");
  Value web_db = object("b", "demo", R"({"app":"web","tier":"db"})");
  Value unlabelled = parse(R"({"metadata":{"name":"c","namespace":"demo"}})");
  Value elsewhere = object("d", "prod", R"({"app":"web"})");
  CHECK(matcher->selected(cm, "demo", &web));
  CHECK_FALSE(matcher->selected(cm, "demo", &web_db));
  CHECK_FALSE(matcher->selected(cm, "demo", &unlabelled));
  CHECK_FALSE(matcher->selected(cm, "prod", &elsewhere));

  // A Namespace object by its own name (and its labels); a Node by its labels alone.
  Value demo = object("demo", "", R"({"app":"web"})");
  Value prod = object("prod", "", R"({"app":"web"})");
  Value plain = object("demo", "");
  CHECK(matcher->selected(resource("namespaces"), "", &demo));
  CHECK_FALSE(matcher->selected(resource("namespaces"), "", &prod));
  CHECK_FALSE(matcher->selected(resource("namespaces"), "", &plain));
  Value node = object("n1", "", R"({"app":"web"})");
  Value other_node = object("n2", "");
  CHECK(matcher->selected(resource("nodes"), "", &node));
  CHECK_FALSE(matcher->selected(resource("nodes"), "", &other_node));
}

TEST_CASE("SelectionMatcher::make: unknown names name their flag; a malformed -l is invalid") {
  Selection excluded;
  excluded.exclude_resources = {"gizmos.example.com"};
  auto unknown = SelectionMatcher::make(excluded, served());
  REQUIRE_FALSE(unknown);
  CHECK(is_not_found(unknown.error()));
  CHECK(unknown.error().message.rfind("--exclude-resource gizmos.example.com: ", 0) == 0);

  Selection labels;
  labels.label_selector = "tier in front";
  auto bad = SelectionMatcher::make(labels, served());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == ErrorKind::invalid);
  CHECK(bad.error().message.find("tier in front") != std::string::npos);
}
