#include <doctest/doctest.h>

#include "formats/json.hpp"
#include "replayer/objects.hpp"

using ktape::formats::parse_json;
using ktape::replayer::LabelSelector;

TEST_CASE("strip_server_fields removes what the server sets and nothing else") {
  auto object = parse_json(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n",
    "uid":"u","resourceVersion":"7","creationTimestamp":"2024-01-01T00:00:00Z","generation":3,
    "managedFields":[],"selfLink":"/x","deletionTimestamp":"2024-01-01T00:00:00Z",
    "deletionGracePeriodSeconds":30,"labels":{"a":"b"},"ownerReferences":[{"uid":"o"}]},"spec":{}})");
  REQUIRE(object);
  ktape::replayer::strip_server_fields(*object);
  auto expected = parse_json(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n",
    "labels":{"a":"b"},"ownerReferences":[{"uid":"o"}]},"spec":{}})");
  CHECK(*object == *expected);
}

TEST_CASE("LabelSelector matches equality, set and existence requirements") {
  auto labels = *parse_json(R"({"app":"web","tier":"front"})");
  struct Row {
    const char* selector;
    bool matches;
  };
  for (auto row : {Row{"", true}, Row{"app=web", true}, Row{"app==web", true}, Row{"app!=web", false},
                   Row{"app=db", false}, Row{"tier in (front, back)", true}, Row{"tier notin (front)", false},
                   Row{"app,tier", true}, Row{"!app", false}, Row{"!zone", true}, Row{"zone", false},
                   Row{"app=web,tier in (back)", false}, Row{"zone!=x", true}}) {
    CAPTURE(row.selector);
    auto selector = LabelSelector::parse(row.selector);
    REQUIRE(selector);
    CHECK(selector->matches(labels) == row.matches);
  }
  auto bad = LabelSelector::parse("tier in front");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("tier in front") != std::string::npos);
}

TEST_CASE("resource_of_crd reads group, plural, kind, scope and the storage version") {
  auto crd = parse_json(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"widgets.ktape.example.com"},"spec":{"group":"ktape.example.com","scope":"Namespaced",
    "names":{"plural":"widgets","kind":"Widget"},
    "versions":[{"name":"v1beta1","storage":false},{"name":"v1","storage":true}]}})");
  auto r = ktape::replayer::resource_of_crd(*crd);
  REQUIRE(r);
  CHECK(r->group == "ktape.example.com");
  CHECK(r->resource == "widgets");
  CHECK(r->kind == "Widget");
  CHECK(r->version == "v1");
  CHECK(r->namespaced);
  CHECK_FALSE(ktape::replayer::resource_of_crd(*parse_json(R"({"kind":"Pod"})")));
}

TEST_CASE(
    "LabelMemory: a create left out by -l leaves out its object's patches and delete, until a new create") {
  ktape::replayer::LabelMemory memory;
  std::string db = ktape::replayer::object_key("", "ConfigMap", "demo", "db");
  std::string web = ktape::replayer::object_key("", "ConfigMap", "demo", "web");
  CHECK(db == "|ConfigMap|demo|db");
  CHECK(memory.selected(db));  // never created here (recorded before the file): namespace and resource decide
  memory.created(db, false);
  memory.created(web, true);
  CHECK_FALSE(memory.selected(db));
  CHECK(memory.selected(web));
  memory.deleted(db);  // the name is free again; the next create decides
  CHECK(memory.selected(db));
  memory.created(db, false);
  memory.created(db, true);  // re-created with labels that match
  CHECK(memory.selected(db));
}

TEST_CASE("Filter::snapshot_selected: Namespaces by -n, CRDs always, the rest by the selection") {
  ktape::kube::Discovery discovery;
  ktape::kube::ApiResource namespaces{"",       "v1",   "namespaces", "Namespace", "namespace", false,
                                      {"list"}, {"ns"}, {},           {},          true};
  ktape::kube::ApiResource configmaps{"",       "v1",   "configmaps", "ConfigMap", "configmap", true,
                                      {"list"}, {"cm"}, {},           {},          true};
  ktape::kube::ApiResource crds{"apiextensions.k8s.io",
                                "v1",
                                "customresourcedefinitions",
                                "CustomResourceDefinition",
                                "customresourcedefinition",
                                false,
                                {"list"},
                                {"crd"},
                                {},
                                {},
                                true};
  discovery.resources = {namespaces, configmaps, crds};
  ktape::kube::Selection selection;
  selection.resources = {"configmaps"};
  selection.namespaces = {"team-*"};
  selection.label_selector = "app=web";
  auto filter = ktape::replayer::Filter::make(selection, discovery);
  REQUIRE(filter);
  CHECK(filter->has_labels());
  CHECK(filter->snapshot_selected(namespaces, *parse_json(R"({"metadata":{"name":"team-a"}})")));
  CHECK_FALSE(filter->snapshot_selected(namespaces, *parse_json(R"({"metadata":{"name":"other"}})")));
  CHECK(filter->snapshot_selected(crds, *parse_json(R"({"metadata":{"name":"widgets.example.com"}})")));
  CHECK(filter->snapshot_selected(
      configmaps, *parse_json(R"({"metadata":{"name":"c","namespace":"team-a","labels":{"app":"web"}}})")));
  CHECK_FALSE(filter->snapshot_selected(
      configmaps, *parse_json(R"({"metadata":{"name":"c","namespace":"team-a","labels":{"app":"db"}}})")));
}
