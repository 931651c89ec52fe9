#include "workload/workload.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "formats/json.hpp"
#include "formats/time.hpp"
#include "workload/objects.hpp"

namespace ktape::workload {

namespace {

using namespace std::chrono;
using formats::PatchType;
using formats::Value;

struct Resources {
  kube::ApiResource ns, deploy, rs, pod, cm, secret, svc, crd, widget;
  bool widgets = false;
};

struct PodRef {
  std::string name;
  int restarts = 0;
};

struct Deploy {
  std::string name, uid, rs_name, rs_uid, hash, image;
  int replicas = 0;
  std::vector<PodRef> pods;
};

struct Space {
  std::string name;
  std::vector<Deploy> deployments;
  std::vector<std::string> configmaps;
  std::vector<std::string> widgets;
  int serial = 0;
};

std::string now_text() {
  return formats::format_rfc3339(time_point_cast<nanoseconds>(system_clock::now()),
                                 formats::TimePrecision::seconds);
}

class Worker {
 public:
  Worker(kube::Client& client, const Resources& r, const WorkloadOptions& o, std::uint64_t seed,
         const Log& log)
      : m_c(client), m_r(r), m_o(o), m_rng(seed), m_log(log) {}

  std::vector<Space> spaces;
  WorkloadStats stats;

  Result<void> setup() {
    for (auto& s : spaces) {
      auto r = setup_space(s);
      if (!r) return r;
    }
    return {};
  }

  // One operation, chosen by weight.
  void step() {
    if (spaces.empty()) return;
    Space& s = spaces[m_rng() % spaces.size()];
    static constexpr std::array<std::pair<const char*, int>, 8> k_weights = {{{"pod-status", 30},
                                                                              {"scale", 15},
                                                                              {"configmap", 15},
                                                                              {"widget", 15},
                                                                              {"configmap-churn", 8},
                                                                              {"rollout", 6},
                                                                              {"secret", 6},
                                                                              {"deployment-churn", 5}}};
    int total = 0;
    for (auto& w : k_weights) total += w.second;
    int pick = static_cast<int>(m_rng() % static_cast<unsigned>(total));
    const char* kind = k_weights[0].first;
    for (auto& w : k_weights) {
      if (pick < w.second) {
        kind = w.first;
        break;
      }
      pick -= w.second;
    }
    std::string k = kind;
    if (k == "pod-status")
      pod_status_op(s);
    else if (k == "scale")
      scale(s, pick_deploy(s), static_cast<int>(m_rng() % (m_o.max_replicas + 1)));
    else if (k == "configmap")
      configmap_op(s);
    else if (k == "widget")
      widget_op(s);
    else if (k == "configmap-churn")
      configmap_churn(s);
    else if (k == "rollout")
      rollout(s);
    else if (k == "secret")
      secret_op(s);
    else
      deployment_churn(s);
    ++stats.operations[k];
  }

 private:
  template <typename F>
  Result<Value> call(const std::string& what, F&& f) {
    ++stats.requests;
    auto r = f();
    if (!r) {
      ++stats.failures;
      if (m_log) m_log("workload: " + what + ": " + r.error().message);
    }
    return r;
  }

  Deploy* pick_deploy(Space& s) {
    return s.deployments.empty() ? nullptr : &s.deployments[m_rng() % s.deployments.size()];
  }

  std::string next_name(Space& s, const std::string& base) { return base + "-" + std::to_string(s.serial++); }

  Result<void> setup_space(Space& s) {
    auto ns =
        call("create namespace " + s.name, [&] { return m_c.create(m_r.ns, "", make_namespace(s.name)); });
    if (!ns)
      return fail(with_context(ns.error(), "namespace " + s.name + " (use another --prefix if it exists)"));
    ++stats.setup_objects;
    for (int i = 0; i < m_o.configmaps_per_namespace; ++i)
      create_configmap(s, i == 0 ? "settings" : next_name(s, "config"));
    if (call("create secret",
             [&] { return m_c.create(m_r.secret, s.name, make_secret(s.name, "credentials", m_rng)); }))
      ++stats.setup_objects;
    for (int i = 0; i < m_o.deployments_per_namespace; ++i) create_deployment(s);
    for (int i = 0; m_r.widgets && i < m_o.custom_resources_per_namespace; ++i) create_widget(s);
    return {};
  }

  void create_configmap(Space& s, const std::string& name) {
    if (call("create configmap",
             [&] { return m_c.create(m_r.cm, s.name, make_configmap(s.name, name, m_rng)); })) {
      s.configmaps.push_back(name);
      ++stats.setup_objects;
    }
  }

  void create_widget(Space& s) {
    std::string name = next_name(s, "widget");
    auto w = make_widget(s.name, name, static_cast<int>(m_rng() % 10));
    if (call("create widget", [&] { return m_c.create(m_r.widget, s.name, w); })) s.widgets.push_back(name);
  }

  void create_deployment(Space& s) {
    Deploy d;
    d.name = next_name(s, "app");
    d.image = "registry.example.com/app:1." + std::to_string(m_rng() % 20);
    d.replicas = 1 + static_cast<int>(m_rng() % m_o.max_replicas);
    auto created = call("create deployment", [&] {
      return m_c.create(m_r.deploy, s.name, make_deployment(s.name, d.name, d.replicas, d.image));
    });
    if (!created) return;
    d.uid = std::string(created->string_at({"metadata", "uid"}));
    if (call("create service",
             [&] { return m_c.create(m_r.svc, s.name, make_service(s.name, d.name, d.name)); }))
      ++stats.setup_objects;
    if (!new_replicaset(s, d)) return;
    s.deployments.push_back(std::move(d));
    stats.setup_objects += 2;
  }

  bool new_replicaset(Space& s, Deploy& d) {
    d.hash = random_token(m_rng, 9);
    d.rs_name = d.name + "-" + d.hash;
    OwnerInfo owner{"apps/v1", "Deployment", d.name, d.uid};
    auto rs = call("create replicaset", [&] {
      return m_c.create(m_r.rs, s.name,
                        make_replicaset(s.name, d.rs_name, d.name, d.hash, d.replicas, d.image, owner));
    });
    if (!rs) return false;
    d.rs_uid = std::string(rs->string_at({"metadata", "uid"}));
    d.pods.clear();
    for (int i = 0; i < d.replicas; ++i) add_pod(s, d);
    write_statuses(s, d);
    return true;
  }

  void add_pod(Space& s, Deploy& d) {
    std::string name = d.rs_name + "-" + random_token(m_rng, 5);
    OwnerInfo owner{"apps/v1", "ReplicaSet", d.rs_name, d.rs_uid};
    auto pod = make_pod(s.name, name, d.name, d.hash, d.image, owner, m_o.pod_padding, m_rng);
    if (!call("create pod", [&] { return m_c.create(m_r.pod, s.name, pod); })) return;
    d.pods.push_back(PodRef{name, 0});
    Value status;
    status.set("status", pod_status(true, 0, d.image, now_text(), static_cast<int>(m_rng() % 60000)));
    call("pod status", [&] { return m_c.patch(m_r.pod, s.name, name, PatchType::merge, status, "status"); });
  }

  void write_statuses(Space& s, Deploy& d) {
    auto n = static_cast<std::int64_t>(d.pods.size());
    Value rs;
    rs["status"].set("replicas", n);
    rs["status"].set("readyReplicas", n);
    rs["status"].set("availableReplicas", n);
    call("replicaset status",
         [&] { return m_c.patch(m_r.rs, s.name, d.rs_name, PatchType::merge, rs, "status"); });
    Value dep;
    dep["status"].set("replicas", n);
    dep["status"].set("readyReplicas", n);
    dep["status"].set("updatedReplicas", n);
    dep["status"].set("availableReplicas", n);
    call("deployment status",
         [&] { return m_c.patch(m_r.deploy, s.name, d.name, PatchType::merge, dep, "status"); });
  }

  void scale(Space& s, Deploy* d, int replicas) {
    if (!d) return;
    d->replicas = replicas;
    Value spec;
    spec["spec"].set("replicas", replicas);
    call("scale deployment",
         [&] { return m_c.patch(m_r.deploy, s.name, d->name, PatchType::strategic, spec); });
    call("scale replicaset",
         [&] { return m_c.patch(m_r.rs, s.name, d->rs_name, PatchType::strategic, spec); });
    while (static_cast<int>(d->pods.size()) < replicas) add_pod(s, *d);
    while (static_cast<int>(d->pods.size()) > replicas) {
      auto name = d->pods.back().name;
      d->pods.pop_back();
      call("delete pod", [&] { return m_c.remove(m_r.pod, s.name, name); });
    }
    write_statuses(s, *d);
  }

  void pod_status_op(Space& s) {
    Deploy* d = pick_deploy(s);
    if (!d || d->pods.empty()) return;
    PodRef& p = d->pods[m_rng() % d->pods.size()];
    bool ready = m_rng() % 3 != 0;
    if (!ready) ++p.restarts;
    Value patch;
    patch.set("status",
              pod_status(ready, p.restarts, d->image, now_text(), static_cast<int>(m_rng() % 60000)));
    call("pod status",
         [&] { return m_c.patch(m_r.pod, s.name, p.name, PatchType::strategic, patch, "status"); });
  }

  void configmap_op(Space& s) {
    if (s.configmaps.empty()) return;
    Value patch;
    patch["data"].set("token", random_token(m_rng, 24));
    if (m_rng() % 4 == 0) patch["data"].set("extra-" + std::to_string(m_rng() % 5), random_token(m_rng, 8));
    const auto& name = s.configmaps[m_rng() % s.configmaps.size()];
    call("patch configmap", [&] { return m_c.patch(m_r.cm, s.name, name, PatchType::merge, patch); });
  }

  void configmap_churn(Space& s) {
    if (s.configmaps.size() > 1) {
      auto it = s.configmaps.begin() + 1 + static_cast<long>(m_rng() % (s.configmaps.size() - 1));
      std::string name = *it;
      s.configmaps.erase(it);
      call("delete configmap", [&] { return m_c.remove(m_r.cm, s.name, name); });
    }
    create_configmap(s, next_name(s, "config"));
  }

  void secret_op(Space& s) {
    Value patch;
    patch["data"].set("api-key", "cm90YXRlZA==");
    patch["metadata"]["annotations"].set("rotated", std::to_string(m_rng() % 1000));
    call("patch secret",
         [&] { return m_c.patch(m_r.secret, s.name, "credentials", PatchType::merge, patch); });
  }

  void widget_op(Space& s) {
    if (!m_r.widgets) return configmap_op(s);
    if (s.widgets.empty() || m_rng() % 4 == 0) return create_widget(s);
    auto idx = m_rng() % s.widgets.size();
    if (m_rng() % 5 == 0) {
      std::string name = s.widgets[idx];
      s.widgets.erase(s.widgets.begin() + static_cast<long>(idx));
      call("delete widget", [&] { return m_c.remove(m_r.widget, s.name, name); });
      return;
    }
    Value patch;
    patch["spec"].set("size", static_cast<int>(m_rng() % 10));
    call("patch widget",
         [&] { return m_c.patch(m_r.widget, s.name, s.widgets[idx], PatchType::merge, patch); });
    Value status;
    status["status"].set("observedSize", static_cast<int>(m_rng() % 10));
    call("widget status",
         [&] { return m_c.patch(m_r.widget, s.name, s.widgets[idx], PatchType::merge, status, "status"); });
  }

  void rollout(Space& s) {
    Deploy* d = pick_deploy(s);
    if (!d) return;
    d->image = "registry.example.com/app:2." + std::to_string(m_rng() % 50);
    Value patch =
        *formats::parse_json(R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":""}]}}}})");
    patch.at({"spec", "template", "spec", "containers"})->as_array()[0].set("image", d->image);
    call("rollout", [&] { return m_c.patch(m_r.deploy, s.name, d->name, PatchType::strategic, patch); });
    std::string old_rs = d->rs_name;
    auto old_pods = d->pods;
    if (!new_replicaset(s, *d)) return;
    for (const auto& p : old_pods) call("delete pod", [&] { return m_c.remove(m_r.pod, s.name, p.name); });
    Value zero;
    zero["spec"].set("replicas", 0);
    call("scale old replicaset",
         [&] { return m_c.patch(m_r.rs, s.name, old_rs, PatchType::strategic, zero); });
    call("delete old replicaset", [&] { return m_c.remove(m_r.rs, s.name, old_rs); });
  }

  void deployment_churn(Space& s) {
    if (!s.deployments.empty()) {
      auto idx = m_rng() % s.deployments.size();
      std::string name = s.deployments[idx].name;
      s.deployments.erase(s.deployments.begin() + static_cast<long>(idx));
      kube::DeleteOptions opts;
      opts.propagation_policy = "Background";  // the garbage collector removes its ReplicaSet and Pods
      call("delete deployment", [&] { return m_c.remove(m_r.deploy, s.name, name, opts); });
      call("delete service", [&] { return m_c.remove(m_r.svc, s.name, name); });
    }
    create_deployment(s);
  }

  kube::Client& m_c;
  const Resources& m_r;
  const WorkloadOptions& m_o;
  std::mt19937_64 m_rng;
  const Log& m_log;
};

Result<void> wait_established(kube::Client& c, const kube::ApiResource& crd, const std::string& name) {
  for (int i = 0; i < 100; ++i) {
    auto got = c.get(crd, "", name);
    if (got) {
      if (const Value* conds = got->at({"status", "conditions"}); conds && conds->is_array())
        for (const auto& cond : conds->as_array())
          if (cond.string_at({"type"}) == "Established" && cond.string_at({"status"}) == "True") return {};
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  return fail(ErrorKind::invalid, "CRD " + name + " did not become Established within 10 s");
}

Result<Resources> resolve_resources(kube::Client& c, const WorkloadOptions& o) {
  auto d = c.discover();
  if (!d) return fail(d.error());
  Resources r;
  std::pair<kube::ApiResource*, const char*> names[] = {
      {&r.ns, "namespaces"},       {&r.deploy, "deployments.apps"},
      {&r.rs, "replicasets.apps"}, {&r.pod, "pods"},
      {&r.cm, "configmaps"},       {&r.secret, "secrets"},
      {&r.svc, "services"},        {&r.crd, "customresourcedefinitions.apiextensions.k8s.io"}};
  for (auto& [slot, name] : names) {
    auto res = d->resolve(name);
    if (!res) return fail(res.error());
    *slot = *res;
  }
  if (o.custom_resources_per_namespace <= 0) return r;
  auto created = c.create(r.crd, "", widget_crd());
  if (!created && !is_conflict(created.error()))
    return fail(with_context(created.error(), "create the Widget CRD"));
  if (auto e = wait_established(c, r.crd, "widgets.ktape.example.com"); !e) return fail(e.error());
  auto again = c.discover();
  if (!again) return fail(again.error());
  auto widget = again->resolve("widgets.ktape.example.com");
  if (!widget) return fail(widget.error());
  r.widget = *widget;
  r.widgets = true;
  return r;
}

}  // namespace

formats::Value widget_crd() {
  return *formats::parse_json(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"widgets.ktape.example.com"},
    "spec":{"group":"ktape.example.com","scope":"Namespaced",
      "names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList","shortNames":["wd"]},
      "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
        "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})");
}

Result<WorkloadStats> run_workload(kube::Client& client, const WorkloadOptions& options,
                                   const std::atomic<bool>& stop, const Log& log) {
  auto started = steady_clock::now();
  auto resources = resolve_resources(client, options);
  if (!resources) return fail(resources.error());
  int workers = std::max(1, std::min(options.workers, options.namespaces));
  std::vector<std::unique_ptr<Worker>> pool;
  pool.reserve(static_cast<std::size_t>(workers));
  for (int i = 0; i < workers; ++i)
    pool.push_back(std::make_unique<Worker>(client, *resources, options,
                                            options.seed * 1000003 + static_cast<unsigned>(i), log));
  for (int n = 0; n < options.namespaces; ++n)
    pool[static_cast<std::size_t>(n % workers)]->spaces.push_back(
        Space{options.prefix + "-" + std::to_string(n), {}, {}, {}, 0});
  for (auto& w : pool)
    if (auto r = w->setup(); !r) return fail(r.error());

  std::atomic<std::uint64_t> done{0};
  auto deadline =
      options.duration.count() > 0 ? steady_clock::now() + options.duration : steady_clock::time_point::max();
  std::vector<std::thread> threads;
  threads.reserve(pool.size());
  for (auto& w : pool) {
    threads.emplace_back([&, worker = w.get()] {
      auto interval = options.rate > 0 ? nanoseconds(static_cast<std::int64_t>(1e9 * workers / options.rate))
                                       : nanoseconds(0);
      auto next = steady_clock::now();
      while (!stop.load() && steady_clock::now() < deadline) {
        if (options.operations > 0 && done.fetch_add(1) >= options.operations) break;
        worker->step();
        next += interval;
        if (interval.count() > 0) std::this_thread::sleep_until(next);
      }
    });
  }
  for (auto& t : threads) t.join();
  WorkloadStats total;
  for (auto& w : pool) {
    for (auto& [k, v] : w->stats.operations) total.operations[k] += v;
    total.requests += w->stats.requests;
    total.failures += w->stats.failures;
    total.setup_objects += w->stats.setup_objects;
  }
  total.elapsed = steady_clock::now() - started;
  return total;
}

}  // namespace ktape::workload
