// apply: a plan's writes, layer by layer, each layer's steps in flight together.
#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "ownerref/relinker.hpp"
#include "replayer/applier.hpp"
#include "replayer/objects.hpp"
#include "restore/adopt.hpp"
#include "restore/restore.hpp"

namespace ktape::restore {

namespace {

using formats::Value;
using replayer::Outcome;

// Attempts of a PUT refused with 409 Conflict (a concurrent writer changed the object between the
// read of its resourceVersion and the write): each retry reads the target's newest version.
constexpr int k_conflict_retries = 5;

replayer::ReplayOptions applier_options(const RestoreOptions& options) {
  replayer::ReplayOptions r;
  r.path = options.path;
  r.concurrency = std::max(1, options.concurrency);
  // A create that meets an object made meanwhile (a concurrent writer) makes it equal instead.
  r.on_existing = replayer::OnExisting::update;
  r.status = options.status;
  // The plan already left out what the control plane and the target's controllers own.
  r.control_plane = replayer::ControlPlaneObjects::replay;
  r.owned = replayer::OwnedObjects::replay;
  r.max_errors_listed = options.max_errors_listed;
  return r;
}

class Writer {
 public:
  Writer(kube::Client& client, const RestoreOptions& options, const Plan& plan, replayer::Summary& summary)
      : m_client(client),
        m_options(options),
        m_replay(applier_options(options)),
        m_catalog(plan.discovery),
        m_summary(summary),
        m_applier(client, m_catalog, m_relinker, summary, m_replay) {
    for (const auto& link : plan.links) m_relinker.record_created(link.key, link.old_uid, link.new_uid);
  }

  void run(const Step& step) {
    switch (step.action) {
      case Action::create:
        m_applier.create(step.resource, step.desired);
        return;
      case Action::update:
        update(step);
        return;
      case Action::remove:
        remove(step);
        return;
      case Action::keep:
        return;
    }
  }

 private:
  std::string counted(const Step& step) const { return replayer::counted_name(step.resource); }

  void failed(const Step& step, const std::string& verb, const Error& error) {
    m_summary.count(counted(step), Outcome::failed);
    m_summary.error(verb + " " + step.label() + ": " + error.message);
  }

  // The recorded object as a PUT body: server-set fields out, owner UIDs re-linked to the target's.
  Result<Value> body_of(const Step& step) const {
    Value body = step.desired;
    replayer::strip_server_fields(body);
    auto rewritten = m_relinker.rewrite_object(body);
    if (!rewritten) return fail(rewritten.error());
    if (m_options.status == replayer::StatusMode::drop) body.erase("status");
    return body;
  }

  void update(const Step& step) {
    if (m_options.update == UpdateMethod::apply) return update_by_apply(step);
    auto body = body_of(step);
    if (!body) return failed(step, "update", body.error());
    std::string version = step.live_version;
    for (int attempt = 0;; ++attempt) {
      (*body)["metadata"].set("resourceVersion", version);
      auto put = m_client.update(step.resource, step.namespace_name, *body, {}, kube::Answer::identity);
      if (put) break;
      if (!is_conflict(put.error()) || attempt >= k_conflict_retries)
        return failed(step, "update", put.error());
      auto now = m_client.get(step.resource, step.namespace_name, step.name);
      if (!now) return failed(step, "update", now.error());
      version = std::string(now->string_at({"metadata", "resourceVersion"}));
    }
    if (m_options.status == replayer::StatusMode::keep && step.resource.has_subresource("status"))
      write_status(step);
    m_summary.count(counted(step), Outcome::patched);
  }

  // The recorded object as ktape's configuration, forced; status apart, through /status, where
  // the resource has that subresource (the object's own apply would not write it).
  void update_by_apply(const Step& step) {
    auto body = body_of(step);
    if (!body) return failed(step, "apply", body.error());
    const bool status_apart = step.resource.has_subresource("status");
    if (status_apart) body->erase("status");
    adopt_own_updates(step);
    const kube::ApplyOptions forced{std::string(k_field_manager), true, ""};
    auto applied = m_client.apply(step.resource, step.namespace_name, *body, forced, kube::Answer::none);
    if (!applied) return failed(step, "apply", applied.error());
    if (m_options.status == replayer::StatusMode::keep && status_apart) apply_status(step);
    m_summary.count(counted(step), Outcome::patched);
  }

  // ktape's earlier POST or PUT becomes part of its applied configuration (restore/adopt.hpp).
  // When the object changed since the plan read it, the test in the patch fails and the apply goes
  // on without it: the final verify reports whatever that leaves.
  void adopt_own_updates(const Step& step) {
    if (step.live_fields.is_null()) return;
    auto patch = adoption_patch(step.live_fields, k_field_manager, step.live_version);
    if (patch)
      (void)m_client.patch(step.resource, step.namespace_name, step.name, formats::PatchType::json, *patch,
                           {}, kube::Answer::none);
  }

  // The recorded status as ktape's configuration of the /status subresource.
  void apply_status(const Step& step) {
    const Value* status = step.desired.find("status");
    if (status == nullptr) return;
    Value config = Value::object();
    config.set("apiVersion", std::string(step.desired.string_at({"apiVersion"})));
    config.set("kind", std::string(step.desired.string_at({"kind"})));
    config["metadata"].set("name", step.name);
    if (!step.namespace_name.empty()) config["metadata"].set("namespace", step.namespace_name);
    config.set("status", *status);
    const kube::ApplyOptions forced{std::string(k_field_manager), true, "status"};
    auto applied = m_client.apply(step.resource, step.namespace_name, config, forced, kube::Answer::none);
    if (!applied) m_summary.error("apply status of " + step.label() + ": " + applied.error().message);
  }

  // The recorded status replaces the target's (a JSON patch "add /status", no version to hold to).
  void write_status(const Step& step) {
    const Value* status = step.desired.find("status");
    if (status == nullptr) return;
    Value op = Value::object();
    op.set("op", "add");
    op.set("path", "/status");
    op.set("value", *status);
    Value patch = Value::array();
    patch.push_back(std::move(op));
    auto patched = m_client.patch(step.resource, step.namespace_name, step.name, formats::PatchType::json,
                                  patch, "status", kube::Answer::none);
    if (!patched) m_summary.error("write status of " + step.label() + ": " + patched.error().message);
  }

  // In the background (children go with their owner, as kubectl delete does), and only the
  // incarnation the plan saw: a precondition on its UID.
  void remove(const Step& step) {
    kube::DeleteOptions options{"Background", {}, step.live_uid, {}};
    auto removed = m_client.remove(step.resource, step.namespace_name, step.name, options);
    if (!removed && !is_not_found(removed.error())) return failed(step, "delete", removed.error());
    m_summary.count(counted(step), Outcome::deleted);
  }

  kube::Client& m_client;
  const RestoreOptions& m_options;
  replayer::ReplayOptions m_replay;
  replayer::Catalog m_catalog;
  ownerref::Relinker m_relinker;
  replayer::Summary& m_summary;
  replayer::Applier m_applier;
};

// Calls the progress function as writes finish, at most every interval, one caller at a time.
class Reporter {
 public:
  Reporter(const ApplyProgressFn& fn, std::chrono::milliseconds every, std::size_t total,
           const replayer::Summary& summary)
      : m_fn(fn), m_every(every), m_total(total), m_summary(summary) {}

  void wrote() {
    auto done = ++m_done;
    if (!m_fn) return;
    std::unique_lock lock(m_mutex, std::try_to_lock);  // a worker drawing already: skip this one
    auto now = std::chrono::steady_clock::now();
    if (!lock.owns_lock() || (now - m_last < m_every && done < m_total)) return;
    m_last = now;
    m_fn(ApplyProgress{done, m_total, m_summary.report().totals});
  }
  void finish() {
    if (!m_fn) return;
    std::lock_guard lock(m_mutex);
    m_fn(ApplyProgress{m_done.load(), m_total, m_summary.report().totals});
  }

 private:
  const ApplyProgressFn& m_fn;
  std::chrono::milliseconds m_every;
  std::size_t m_total;
  const replayer::Summary& m_summary;
  std::atomic<std::size_t> m_done{0};
  std::mutex m_mutex;
  std::chrono::steady_clock::time_point m_last{};
};

// Runs `steps[first, last)` on `threads` threads (owned here, joined before returning).
void run_layer(Writer& writer, Reporter& reporter, const std::vector<Step>& steps, std::size_t first,
               std::size_t last, int threads, const std::atomic<bool>* stop) {
  std::atomic<std::size_t> next{first};
  auto work = [&] {
    for (std::size_t i = next++; i < last; i = next++) {
      if (stop != nullptr && stop->load()) return;
      writer.run(steps[i]);
      if (steps[i].action != Action::keep) reporter.wrote();
    }
  };
  std::vector<std::jthread> pool;
  auto n = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, threads)), last - first);
  for (std::size_t t = 1; t < n; ++t) pool.emplace_back(work);
  work();
}

}  // namespace

replayer::SummaryReport apply(kube::Client& client, const RestoreOptions& options, const Plan& plan,
                              const std::atomic<bool>* stop, const ApplyProgressFn& progress) {
  auto started = std::chrono::steady_clock::now();
  replayer::Summary summary(options.max_errors_listed);
  Writer writer(client, options, plan, summary);
  const ApplyProgressFn none;
  Reporter reporter(plan.writes() > 0 ? progress : none, options.progress_interval, plan.writes(), summary);
  const auto& steps = plan.steps;
  for (std::size_t first = 0; first < steps.size();) {
    std::size_t last = first;
    while (last < steps.size() && steps[last].layer == steps[first].layer) ++last;
    if (stop != nullptr && stop->load()) break;
    run_layer(writer, reporter, steps, first, last, options.concurrency, stop);
    first = last;
  }
  reporter.finish();
  auto report = summary.report();
  report.stopped = stop != nullptr && stop->load();
  report.elapsed = std::chrono::steady_clock::now() - started;
  return report;
}

}  // namespace ktape::restore
