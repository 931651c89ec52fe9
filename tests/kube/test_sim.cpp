// kube::Client against the simulated cluster (a real HTTP server speaking the Kubernetes API):
// discovery and name resolution, the write verbs and their errors, pagination, watch with a 410,
// TLS, and many watches sharing one client.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "formats/json.hpp"
#include "kube/client.hpp"
#include "kube/kubeconfig.hpp"
#include "sim/kubeconfig.hpp"
#include "sim/server.hpp"
#include "sim/tls.hpp"
#include "tests/kube/helpers.hpp"

using namespace ktape;
using namespace ktape::kube;
using namespace std::chrono_literals;
using formats::Value;

namespace {

struct Cluster {
  std::unique_ptr<sim::Server> server;
  std::unique_ptr<Client> client;
  Discovery discovery;

  explicit Cluster(sim::ServerOptions options = {}) {
    auto started = sim::Server::start(std::move(options));
    REQUIRE(started);
    server = std::move(*started);
    RestConfig config;
    config.server = server->url();
    auto made = Client::create(config);
    REQUIRE(made);
    client = std::move(*made);
    auto found = client->discover();
    REQUIRE(found);
    discovery = std::move(*found);
  }
  ApiResource resource(const std::string& name) const {
    auto r = discovery.resolve(name);
    REQUIRE(r);
    return *r;
  }
};

Value parse(const std::string& json) {
  auto v = formats::parse_json(json);
  REQUIRE(v);
  return *v;
}

Value config_map(const std::string& name, const std::string& value) {
  return parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
               R"("},"data":{"k":")" + value + R"("}})");
}

void create_namespace(Cluster& cluster, const std::string& name) {
  auto created = cluster.client->create(
      cluster.resource("namespaces"), "",
      parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" + name + R"("}})"));
  REQUIRE(created);
}

}  // namespace

TEST_CASE("discovery of the simulated cluster resolves kubectl-style names") {
  Cluster cluster;
  CHECK(cluster.discovery.aggregated);
  struct Case {
    std::string name, group, version, resource;
  };
  for (const auto& c : std::vector<Case>{{"po", "", "v1", "pods"},
                                         {"pods", "", "v1", "pods"},
                                         {"Pod", "", "v1", "pods"},
                                         {"deploy", "apps", "v1", "deployments"},
                                         {"deployments.apps", "apps", "v1", "deployments"},
                                         {"Deployment.apps", "apps", "v1", "deployments"},
                                         {"deployments.v1.apps", "apps", "v1", "deployments"},
                                         {"events", "", "v1", "events"},
                                         {"events.events.k8s.io", "events.k8s.io", "v1", "events"},
                                         {"hpa", "autoscaling", "v2", "horizontalpodautoscalers"}}) {
    CAPTURE(c.name);
    auto r = cluster.discovery.resolve(c.name);
    REQUIRE(r);
    CHECK(r->group == c.group);
    CHECK(r->version == c.version);
    CHECK(r->resource == c.resource);
  }
  auto pods = cluster.resource("pods");
  CHECK(pods.namespaced);
  CHECK(pods.kind == "Pod");
  CHECK(pods.has_verb("watch"));
  CHECK(pods.has_subresource("status"));
  CHECK(!cluster.resource("namespaces").namespaced);
  auto unknown = cluster.discovery.resolve("widgets.example.com");
  REQUIRE(!unknown);
  CHECK(unknown.error().message == "the server does not serve a resource named \"widgets.example.com\"");
  std::size_t deployments = 0;
  for (const auto& r : cluster.discovery.preferred()) deployments += r.qualified_name() == "deployments.apps";
  CHECK(deployments == 1);
}

TEST_CASE("create, get, update, patch, status and delete against the simulated cluster") {
  Cluster cluster;
  create_namespace(cluster, "demo");
  auto cms = cluster.resource("configmaps");
  auto created = cluster.client->create(cms, "demo", config_map("web", "1"));
  REQUIRE(created);
  std::string rv(created->string_at({"metadata", "resourceVersion"}));
  CHECK(!rv.empty());
  CHECK(!created->string_at({"metadata", "uid"}).empty());

  auto again = cluster.client->create(cms, "demo", config_map("web", "1"));
  REQUIRE(!again);
  CHECK(is_conflict(again.error()));
  CHECK(again.error().reason == "AlreadyExists");

  Value changed = *created;
  changed["data"].set("k", "2");
  auto updated = cluster.client->update(cms, "demo", changed);
  REQUIRE(updated);
  CHECK(updated->string_at({"data", "k"}) == "2");
  auto stale = cluster.client->update(cms, "demo", changed);  // still carries the old resourceVersion
  REQUIRE(!stale);
  CHECK(is_conflict(stale.error()));
  CHECK(stale.error().reason == "Conflict");

  auto merged =
      cluster.client->patch(cms, "demo", "web", formats::PatchType::merge, parse(R"({"data":{"m":"x"}})"));
  REQUIRE(merged);
  CHECK(merged->string_at({"data", "m"}) == "x");
  auto json_patched = cluster.client->patch(cms, "demo", "web", formats::PatchType::json,
                                            parse(R"([{"op":"replace","path":"/data/k","value":"3"}])"));
  REQUIRE(json_patched);
  CHECK(json_patched->string_at({"data", "k"}) == "3");
  auto strategic = cluster.client->patch(cms, "demo", "web", formats::PatchType::strategic,
                                         parse(R"({"metadata":{"labels":{"app":"web"}}})"));
  REQUIRE(strategic);
  CHECK(strategic->string_at({"metadata", "labels", "app"}) == "web");

  auto pods = cluster.resource("pods");
  auto pod = cluster.client->create(
      pods, "demo",
      parse(
          R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx"}]}})"));
  REQUIRE(pod);
  Value with_status = *pod;
  with_status.set("status", parse(R"({"phase":"Running"})"));
  auto status = cluster.client->update(pods, "demo", with_status, "status");
  REQUIRE(status);
  CHECK(status->string_at({"status", "phase"}) == "Running");
  auto fetched = cluster.client->get(pods, "demo", "p");
  REQUIRE(fetched);
  CHECK(fetched->string_at({"status", "phase"}) == "Running");

  DeleteOptions foreground;
  foreground.propagation_policy = "Background";
  REQUIRE(cluster.client->remove(cms, "demo", "web", foreground));
  auto gone = cluster.client->get(cms, "demo", "web");
  REQUIRE(!gone);
  CHECK(is_not_found(gone.error()));
  auto missing = cluster.client->remove(cms, "demo", "web");
  REQUIRE(!missing);
  CHECK(is_not_found(missing.error()));
}

namespace {

// The managedFields entry of `manager` with `operation` ("Apply", "Update"); null when absent.
const Value* managed_entry(const Value& object, const std::string& manager, const std::string& operation) {
  const Value* entries = object.at({"metadata", "managedFields"});
  if (entries == nullptr || !entries->is_array()) return nullptr;
  for (const auto& e : entries->as_array())
    if (e.string_at({"manager"}) == manager && e.string_at({"operation"}) == operation) return &e;
  return nullptr;
}

}  // namespace

TEST_CASE("server-side apply: managedFields for the manager, conflicts named, force takes over") {
  Cluster cluster;
  create_namespace(cluster, "demo");
  auto cms = cluster.resource("configmaps");
  ApplyOptions alice{"alice", false, ""};
  auto created = cluster.client->apply(cms, "demo", config_map("web", "1"), alice);  // absent: created
  REQUIRE_MESSAGE(created, created.error().message);
  CHECK(created->string_at({"data", "k"}) == "1");
  const Value* entry = managed_entry(*created, "alice", "Apply");
  REQUIRE(entry != nullptr);
  CHECK(formats::to_json(*entry->at({"fieldsV1"})).find("f:k") != std::string::npos);

  ApplyOptions ktape_apply{"ktape-test", false, ""};
  auto refused = cluster.client->apply(cms, "demo", config_map("web", "2"), ktape_apply);
  REQUIRE(!refused);
  CHECK(is_conflict(refused.error()));
  CHECK(refused.error().http_status == 409);
  CHECK(refused.error().message.find(R"(conflict with "alice")") != std::string::npos);
  CHECK(refused.error().message.find(".data.k") != std::string::npos);
  CHECK(refused.error().message.find("PATCH /api/v1/namespaces/demo/configmaps/web") != std::string::npos);
  CHECK(cluster.client->get(cms, "demo", "web")->string_at({"data", "k"}) == "1");

  ktape_apply.force = true;
  auto forced = cluster.client->apply(cms, "demo", config_map("web", "2"), ktape_apply);
  REQUIRE_MESSAGE(forced, forced.error().message);
  CHECK(forced->string_at({"data", "k"}) == "2");
  REQUIRE(managed_entry(*forced, "ktape-test", "Apply") != nullptr);
  CHECK(managed_entry(*forced, "alice", "Apply") == nullptr);  // its only field was taken

  SUBCASE("a field the manager applied before and leaves out now is removed") {
    Value two = config_map("web", "2");
    two["data"].set("extra", "e");
    REQUIRE(cluster.client->apply(cms, "demo", two, ktape_apply));
    auto dropped = cluster.client->apply(cms, "demo", config_map("web", "2"), ktape_apply);
    REQUIRE(dropped);
    CHECK(dropped->at({"data", "extra"}) == nullptr);
  }
  SUBCASE("the status subresource") {
    auto pods = cluster.resource("pods");
    auto pod = parse(
        R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx"}]}})");
    REQUIRE(cluster.client->create(pods, "demo", pod));
    Value status =
        parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"status":{"phase":"Running"}})");
    auto applied = cluster.client->apply(pods, "demo", status, ApplyOptions{"ktape-test", true, "status"});
    REQUIRE_MESSAGE(applied, applied.error().message);
    CHECK(applied->string_at({"status", "phase"}) == "Running");
    const Value* status_entry = managed_entry(*applied, "ktape-test", "Apply");
    REQUIRE(status_entry != nullptr);
    CHECK(status_entry->string_at({"subresource"}) == "status");
  }
  SUBCASE("bad calls are refused before anything is sent") {
    auto no_manager = cluster.client->apply(cms, "demo", config_map("web", "3"), ApplyOptions{});
    REQUIRE(!no_manager);
    CHECK(no_manager.error().kind == ErrorKind::invalid);
    CHECK(no_manager.error().message.find("field manager") != std::string::npos);
    auto no_kind = cluster.client->apply(cms, "demo", parse(R"({"metadata":{"name":"web"}})"), ktape_apply);
    REQUIRE(!no_kind);
    CHECK(no_kind.error().message.find("apiVersion, kind and metadata.name") != std::string::npos);
    CHECK(cluster.client->get(cms, "demo", "web")->string_at({"data", "k"}) == "2");
  }
}

TEST_CASE("LIST pages through the simulated cluster, then WATCH continues from its resourceVersion") {
  Cluster cluster;
  create_namespace(cluster, "demo");
  auto cms = cluster.resource("configmaps");
  for (int i = 0; i < 25; ++i)
    REQUIRE(cluster.client->create(cms, "demo", config_map("cm-" + std::to_string(i), "v")));
  ListOptions options;
  options.namespace_name = "demo";
  options.limit = 10;
  auto pager = cluster.client->list(cms, options);
  std::size_t pages = 0, items = 0;
  std::string rv;
  while (true) {
    auto page = pager.next();
    REQUIRE(page);
    if (!*page) break;
    ++pages;
    items += (*page)->items.size();
    if (rv.empty()) rv = (*page)->resource_version;
    for (const auto& item : (*page)->items) CHECK(item.string_at({"kind"}) == "ConfigMap");
  }
  CHECK(pages == 3);
  CHECK(items == 25);

  WatchOptions watch_options;
  watch_options.namespace_name = "demo";
  watch_options.resource_version = rv;
  watch_options.timeout = 30s;
  auto stream = cluster.client->watch(cms, watch_options);
  REQUIRE(stream);
  REQUIRE(cluster.client->create(cms, "demo", config_map("late", "1")));
  REQUIRE(
      cluster.client->patch(cms, "demo", "late", formats::PatchType::merge, parse(R"({"data":{"k":"2"}})")));
  REQUIRE(cluster.client->remove(cms, "demo", "late"));
  std::vector<std::string> seen;
  while (seen.size() < 3) {
    auto next = stream->next();
    REQUIRE(next);
    REQUIRE(*next);
    if ((*next)->type == WatchEvent::Type::bookmark) continue;
    seen.push_back(std::string(to_string((*next)->type)) + " " +
                   std::string((*next)->object.string_at({"metadata", "name"})));
  }
  CHECK(seen == std::vector<std::string>{"ADDED late", "MODIFIED late", "DELETED late"});
  CHECK(!stream->resource_version().empty());
}

TEST_CASE("a watch from a resourceVersion older than the history is expired") {
  sim::ServerOptions options;
  options.watch_history = 5;
  Cluster cluster(options);
  create_namespace(cluster, "demo");
  auto cms = cluster.resource("configmaps");
  auto first = cluster.client->create(cms, "demo", config_map("first", "0"));
  REQUIRE(first);
  for (int i = 0; i < 20; ++i)
    REQUIRE(cluster.client->create(cms, "demo", config_map("n" + std::to_string(i), "v")));
  WatchOptions watch_options;
  watch_options.resource_version = std::string(first->string_at({"metadata", "resourceVersion"}));
  auto stream = cluster.client->watch(cms, watch_options);
  if (!stream) {
    CHECK(is_expired(stream.error()));
  } else {
    auto next = stream->next();
    REQUIRE(!next);
    CHECK(is_expired(next.error()));
    CHECK(next.error().http_status == 410);
  }
}

TEST_CASE("many watches share one client while objects change") {
  Cluster cluster;
  create_namespace(cluster, "demo");
  auto cms = cluster.resource("configmaps");
  constexpr int k_watches = 16;
  std::vector<std::thread> readers;
  std::atomic<int> done{0};
  std::vector<WatchStream> streams;
  for (int i = 0; i < k_watches; ++i) {
    WatchOptions options;
    options.namespace_name = "demo";
    options.timeout = 30s;
    auto stream = cluster.client->watch(cms, options);
    REQUIRE(stream);
    streams.push_back(std::move(*stream));
  }
  std::vector<int> counts(k_watches, 0);
  for (int i = 0; i < k_watches; ++i) {
    readers.emplace_back([&, i] {
      while (counts[i] < 10) {
        auto next = streams[i].next();
        if (!next || !*next) break;
        if ((*next)->type == WatchEvent::Type::added) ++counts[i];
      }
      ++done;
    });
  }
  for (int i = 0; i < 10; ++i)
    REQUIRE(cluster.client->create(cms, "demo", config_map("w" + std::to_string(i), "v")));
  for (auto& t : readers) t.join();
  CHECK(done == k_watches);
  for (int i = 0; i < k_watches; ++i) CHECK(counts[i] == 10);
}

TEST_CASE("TLS to the simulated cluster verifies against its CA") {
  auto tls = sim::make_tls_material({"127.0.0.1", "localhost"});
  REQUIRE(tls);
  sim::ServerOptions options;
  options.tls = *tls;
  auto server = sim::Server::start(options);
  REQUIRE(server);
  RestConfig config;
  config.server = (*server)->url();
  REQUIRE(config.server.starts_with("https://"));
  SUBCASE("with the CA") {
    config.ca_pem = tls->ca_cert_pem;
    auto client = Client::create(config);
    REQUIRE(client);
    auto version = (*client)->server_version();
    REQUIRE(version);
    CHECK(!version->string_at({"gitVersion"}).empty());
  }
  SUBCASE("without it") {
    auto client = Client::create(config);
    REQUIRE(client);
    auto version = (*client)->server_version();
    REQUIRE(!version);
    CHECK(version.error().kind == ErrorKind::transport);
    CHECK(version.error().message.find("did not verify against the certificate-authority") !=
          std::string::npos);
  }
}

TEST_CASE("the kubeconfig a simulated cluster hands out works for ktape as it does for kubectl") {
  auto tls = sim::make_tls_material({"127.0.0.1", "localhost"});
  REQUIRE(tls);
  sim::ServerOptions options;
  options.tls = *tls;
  auto server = sim::Server::start(options);
  REQUIRE(server);
  test::TempDir dir;
  const auto path = dir.path() / "kubeconfig";
  test::write_file(path, sim::make_kubeconfig("demo", (*server)->url(), tls->ca_cert_pem));
  KubeconfigOptions kubeconfig;
  kubeconfig.path = path.string();
  auto config = load_kubeconfig(kubeconfig);
  REQUIRE(config);
  CHECK(config->ca_pem == tls->ca_cert_pem);
  auto client = Client::create(*config);
  REQUIRE(client);
  auto discovery = (*client)->discover();
  REQUIRE(discovery);
  CHECK(discovery->resolve("deploy"));
  if (std::system("command -v kubectl > /dev/null 2>&1") == 0) {
    CHECK(std::system(
              ("kubectl --kubeconfig " + path.string() + " get --raw /version > /dev/null").c_str()) == 0);
  }
}
