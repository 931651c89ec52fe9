// Discovery parsing on documents captured from a real kube-apiserver 1.32 (shared/k8s-reference,
// beside the repository; the cases are skipped when it is absent), and name resolution rules.
#include <doctest/doctest.h>

#include <filesystem>

#include "formats/json.hpp"
#include "kube/client.hpp"
#include "kube/discovery.hpp"
#include "tests/kube/helpers.hpp"

using namespace ktape;
using namespace ktape::kube;
using formats::Value;

namespace {

const std::filesystem::path k_reference =
    std::filesystem::path(KTAPE_SOURCE_DIR) / "../shared/k8s-reference/discovery";

Value load(const std::string& name) {
  auto doc = formats::parse_json(test::read_file(k_reference / name));
  REQUIRE(doc);
  return *doc;
}

// The legacy documents exactly as a client walks them: /api, /apis, then each group version.
std::vector<LegacyGroupVersion> legacy_documents() {
  std::vector<LegacyGroupVersion> out{{"", "v1", true, load("api_v1.json")}};
  Value groups = load("apis.json");
  for (const auto& group : groups.find("groups")->as_array()) {
    std::string name(group.string_at({"name"}));
    std::string preferred(group.string_at({"preferredVersion", "version"}));
    for (const auto& v : group.find("versions")->as_array()) {
      std::string version(v.string_at({"version"}));
      std::string file = "apis_" + name + "_" + version;
      for (auto& c : file) c = c == '.' ? '_' : c;
      file += ".json";
      if (!std::filesystem::exists(k_reference / file)) continue;
      out.push_back({name, version, version == preferred, load(file)});
    }
  }
  return out;
}

}  // namespace

TEST_CASE("aggregated and legacy discovery of a real 1.32 server agree") {
  if (!std::filesystem::exists(k_reference)) return;
  auto aggregated = parse_aggregated_discovery(load("aggregated_api.json"), load("aggregated_apis.json"));
  REQUIRE(aggregated);
  auto legacy = parse_legacy_discovery(legacy_documents());
  REQUIRE(legacy);
  CHECK(aggregated->aggregated);
  CHECK(!legacy->aggregated);
  for (const Discovery* d : {&*aggregated, &*legacy}) {
    const ApiResource* deployments = d->find("apps", "v1", "deployments");
    REQUIRE(deployments);
    CHECK(deployments->kind == "Deployment");
    CHECK(deployments->namespaced);
    CHECK(deployments->preferred);
    CHECK(deployments->short_names == std::vector<std::string>{"deploy"});
    CHECK(deployments->categories == std::vector<std::string>{"all"});
    CHECK(deployments->has_subresource("scale"));
    CHECK(deployments->has_subresource("status"));
    CHECK(deployments->has_verb("watch"));
    const ApiResource* pods = d->find("", "v1", "pods");
    REQUIRE(pods);
    CHECK(pods->has_subresource("eviction"));
    CHECK(pods->singular == "pod");
    CHECK(d->find("", "v1", "pods/status") == nullptr);
    auto hpa = d->resolve("hpa");
    REQUIRE(hpa);
    CHECK(hpa->version == "v2");
    auto hpa_v1 = d->resolve("horizontalpodautoscalers.v1.autoscaling");
    REQUIRE(hpa_v1);
    CHECK(hpa_v1->version == "v1");
  }
  CHECK(aggregated->preferred().size() == legacy->preferred().size());
}

TEST_CASE("name resolution: kinds, short names, groups and core first") {
  Discovery d;
  d.resources = {
      {"", "v1", "events", "Event", "event", true, {"list"}, {"ev"}, {}, {}, true},
      {"events.k8s.io", "v1", "events", "Event", "event", true, {"list"}, {"ev"}, {}, {}, true},
      {"example.com",
       "v1",
       "widgets",
       "Widget",
       "widget",
       true,
       {"list"},
       {"wd"},
       {"all"},
       {"status"},
       false},
      {"example.com", "v2", "widgets", "Widget", "widget", true, {"list"}, {"wd"}, {"all"}, {"status"}, true},
  };
  auto check = [&](const std::string& name, const std::string& api_version, const std::string& resource) {
    CAPTURE(name);
    auto r = d.resolve(name);
    REQUIRE(r);
    CHECK(r->api_version() == api_version);
    CHECK(r->resource == resource);
  };
  check("events", "v1", "events");
  check("ev", "v1", "events");
  check("events.events.k8s.io", "events.k8s.io/v1", "events");
  check("Event.events.k8s.io", "events.k8s.io/v1", "events");
  check("wd", "example.com/v2", "widgets");
  check("WIDGETS", "example.com/v2", "widgets");
  check("widget.example.com", "example.com/v2", "widgets");
  check("widgets.v1.example.com", "example.com/v1", "widgets");
  CHECK(!d.resolve("widgets.v3.example.com"));
  CHECK(!d.resolve("gadgets"));
  CHECK(d.preferred().size() == 3);
}

TEST_CASE("resource_path builds the URL path of every kind of request") {
  ApiResource pods{"", "v1", "pods", "Pod", "pod", true, {}, {}, {}, {}, true};
  ApiResource nodes{"", "v1", "nodes", "Node", "node", false, {}, {}, {}, {}, true};
  ApiResource deployments{"apps", "v1", "deployments", "Deployment", "deployment", true, {}, {},
                          {},     {},   true};
  CHECK(resource_path(pods, "") == "/api/v1/pods");
  CHECK(resource_path(pods, "kube-system", "dns 1", "status") ==
        "/api/v1/namespaces/kube-system/pods/dns%201/status");
  CHECK(resource_path(nodes, "ignored", "n1") == "/api/v1/nodes/n1");
  CHECK(resource_path(deployments, "demo", "web", "scale") ==
        "/apis/apps/v1/namespaces/demo/deployments/web/scale");
}
