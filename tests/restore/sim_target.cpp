#include "tests/restore/sim_target.hpp"

#include "formats/json.hpp"
#include "tests/support/files.hpp"
#include "tests/support/recording_text.hpp"

namespace ktape::restore::test {

SimTarget::SimTarget(bool garbage_collector) {
  sim::ServerOptions options;
  options.garbage_collector = garbage_collector;
  auto started = sim::Server::start(options);
  REQUIRE(started);
  server = std::move(*started);
  kube::RestConfig config;
  config.server = server->url();
  auto made = kube::Client::create(config);
  REQUIRE(made);
  client = std::move(*made);
  auto found = client->discover();
  REQUIRE(found);
  discovery = std::move(*found);
}

kube::ApiResource SimTarget::resource(const std::string& name) {
  auto r = discovery.resolve(name);
  if (!r) {  // a custom resource created since
    auto found = client->discover();
    REQUIRE(found);
    discovery = std::move(*found);
    r = discovery.resolve(name);
  }
  REQUIRE(r);
  return *r;
}

std::optional<formats::Value> SimTarget::get(const std::string& resource_name, const std::string& ns,
                                             const std::string& name) {
  auto got = client->get(resource(resource_name), ns, name);
  if (!got) {
    REQUIRE(is_not_found(got.error()));
    return std::nullopt;
  }
  return *got;
}

formats::Value SimTarget::create(const std::string& resource_name, const std::string& object_json) {
  auto object = formats::parse_json(object_json);
  REQUIRE(object);
  auto ns = std::string(object->string_at({"metadata", "namespace"}));
  auto created = client->create(resource(resource_name), ns, *object);
  REQUIRE_MESSAGE(created, created.error().message);
  return *created;
}

void SimTarget::set_data(const std::string& ns, const std::string& name, const std::string& key,
                         const std::string& value) {
  auto object = get("configmaps", ns, name);
  REQUIRE(object);
  (*object)["data"].set(key, value);
  auto updated = client->update(resource("configmaps"), ns, *object);
  REQUIRE_MESSAGE(updated, updated.error().message);
}

void SimTarget::remove(const std::string& resource_name, const std::string& ns, const std::string& name) {
  auto removed = client->remove(resource(resource_name), ns, name);
  REQUIRE_MESSAGE(removed, removed.error().message);
}

std::unique_ptr<kube::Client> SimTarget::client_as(const std::string& user_agent) const {
  kube::RestConfig config;
  config.server = server->url();
  kube::ClientOptions options;
  options.user_agent = user_agent;
  auto made = kube::Client::create(config, options);
  REQUIRE(made);
  return std::move(*made);
}

std::string data_of(const formats::Value& object, const std::string& key) {
  return std::string(object.string_at({"data", key}));
}

Restored restore_into(SimTarget& target, const RestoreOptions& options) {
  Restored out;
  auto plan = make_plan(*target.client, options);
  REQUIRE_MESSAGE(plan, plan.error().message);
  out.plan = std::move(*plan);
  auto preflight = check(*target.client, options, out.plan);
  for (const auto& p : preflight.problems) MESSAGE(p);
  REQUIRE(preflight.problems.empty());
  out.report = apply(*target.client, options, out.plan);
  for (const auto& e : out.report.errors) MESSAGE(e);
  auto after = make_plan(*target.client, options);
  REQUIRE_MESSAGE(after, after.error().message);
  out.after = std::move(*after);
  if (out.after.writes() > 0) MESSAGE("still to write after the restore:\n" << format_plan(out.after));
  return out;
}

std::string Files::write(const std::string& name, const std::string& text) {
  auto p = m_dir.path() / name;
  test_support::write_file(p, text);
  return p.string();
}

std::string kubeconfig_for(SimTarget& target, Files& files) {
  return files.write("kubeconfig",
                     "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: " +
                         target.server->url() +
                         "\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n    user: me\n"
                         "current-context: sim\nusers:\n- name: me\n  user: {}\n");
}

std::string snapshot_doc(const std::string& object_json) { return "---\n" + object_json + "\n"; }

std::string configmap_json(const std::string& ns, const std::string& name, const std::string& uid,
                           const std::string& data_json, const std::string& labels) {
  return test_support::object_json("v1", "ConfigMap", ns, name, uid, "", R"("data":)" + data_json, labels);
}

}  // namespace ktape::restore::test
