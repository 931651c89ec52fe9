#include "schedule/service.hpp"

#include "ops/listener.hpp"
#include "schedule/rotation.hpp"
#include "schedule/runner.hpp"

namespace ktape::schedule {
namespace {

// The recorder's log lines go to the structured log as warnings (they report failures and
// rediscoveries); its progress is not logged (a metric would be, were one exported live).
recorder::RecordHooks hooks_for(ops::Logger& log) {
  recorder::RecordHooks hooks;
  hooks.log = [&log](const std::string& line) { log.warn(line); };
  return hooks;
}

}  // namespace

Job make_snapshot_job(kube::Client& client, const recorder::RecordOptions& record,
                      const recorder::RecordHooks& hooks) {
  return [&client, &record, &hooks](const std::string& path) {
    static const std::atomic<bool> k_never{false};
    recorder::RecordOptions ro = record;
    ro.path = path;
    ro.snapshot = true;
    ro.duration = {};
    return recorder::record(client, ro, k_never, hooks);
  };
}

Result<std::uint64_t> run_service(kube::Client& client, const ServiceOptions& options,
                                  const std::atomic<bool>& stop) {
  auto schedule = parse_schedule(options.spec);
  if (!schedule) return fail(with_context(schedule.error(), "--schedule"));
  auto naming = parse_file_naming(options.path);
  if (!naming) return fail(naming.error());
  ops::Logger log(options.log_format);
  ops::Metrics metrics;
  std::unique_ptr<ops::Listener> listener;
  if (!options.listen.empty()) {
    auto started = ops::start_listener(options.listen, metrics);
    if (!started) return fail(started.error());
    listener = std::move(*started);
    log.info("serving /healthz and /metrics",
             {{"address", options.listen}, {"port", std::to_string(listener->port())}});
  }
  RunnerOptions runner;
  runner.schedule = *schedule;
  runner.naming = *naming;
  runner.retention = options.retention;
  runner.log = &log;
  runner.metrics = &metrics;
  auto hooks = hooks_for(log);
  if (options.mode == ScheduleMode::rotate) return run_rotation(runner, client, options.record, stop, hooks);
  return run_schedule(runner, stop, make_snapshot_job(client, options.record, hooks));
}

}  // namespace ktape::schedule
