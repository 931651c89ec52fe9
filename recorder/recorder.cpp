#include "recorder/recorder.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "formats/patch.hpp"
#include "formats/time.hpp"
#include "formats/writer.hpp"
#include "recorder/kube_source.hpp"
#include "recorder/pipeline.hpp"
#include "recorder/selection.hpp"
#include "store/digest.hpp"
#include "store/meta.hpp"

namespace ktape::recorder {

namespace {

using namespace std::chrono;

constexpr auto k_poll = milliseconds(100);               // how often stop/duration/errors are checked
constexpr auto k_rediscovery_delay = milliseconds(300);  // CRD events settle before rediscovery

struct Running {
  kube::ApiResource api;
  std::unique_ptr<Source> source;
  std::unique_ptr<ListWatchLoop> loop;
  std::thread thread;
};

// Worker threads per watched resource (LoopOptions::workers; started at the resource's first
// watch event): KTAPE_RECORD_WORKERS, else one per core up to 4 where there are two or more (the
// watch thread only splits lines: the workers decode, diff and render).
unsigned watch_workers() {
  if (const char* v = std::getenv("KTAPE_RECORD_WORKERS"); v && *v) {
    std::string_view text(v);
    unsigned n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size()) return n;  // else the default below
  }
  unsigned cores = std::thread::hardware_concurrency();
  return cores >= 2 ? std::min(cores, 4u) : 0;
}

std::string resource_key(const kube::ApiResource& r) { return r.group + "/" + r.resource; }

bool is_crd(const kube::ApiResource& r) {
  return r.group == "apiextensions.k8s.io" && r.resource == "customresourcedefinitions";
}

bool is_secret(const kube::ApiResource& r) { return r.group.empty() && r.resource == "secrets"; }

// Lists in progress are held beside the recording (the same file system, as private); a recording
// that is not a local file (s3://) has them in the system's temporary directory.
std::string spill_dir(const std::string& path) {
  if (path.find("://") != std::string::npos) return {};
  auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

class Session {
 public:
  Session(kube::Client& client, const RecordOptions& options, const RecordHooks& hooks,
          std::shared_ptr<kube::Clock> clock)
      : m_client(client),
        m_options(options),
        m_hooks(hooks),
        m_clock(std::move(clock)),
        m_start(m_clock->now()) {}

  ~Session() { stop_loops(); }

  std::int64_t stamp() const { return duration_cast<nanoseconds>(m_clock->now() - m_start).count(); }

  Result<void> open(const std::vector<kube::ApiResource>& selected, const std::string& server_version) {
    formats::Header header;
    header.start_time = formats::format_rfc3339(time_point_cast<nanoseconds>(system_clock::now()),
                                                formats::TimePrecision::nano);
    header.source = m_options.source;
    header.server_version = server_version;
    header.mode = m_options.snapshot ? "snapshot" : "record";
    header.time_markers = m_options.time_markers;
    header.selection = kube::describe(m_options.selection, selected);
    formats::WriterOptions wo;
    wo.path = m_options.path;
    wo.overwrite = m_options.overwrite;
    auto writer = formats::RecordingWriter::create(wo, header);
    if (!writer) return fail(writer.error());
    m_writer = std::move(*writer);
    PipelineOptions po;
    po.flush_interval = m_options.flush_interval;
    po.snapshot_deadline = m_options.snapshot_deadline;
    po.expected_lists = selected.size();
    po.spill_dir = spill_dir(m_options.path);
    // A snapshot has no events to wait for it: its section stays open until every list completed,
    // however long a list of a large cluster takes.
    if (m_options.snapshot) po.snapshot_deadline = hours(24 * 365);
    m_pipeline = std::make_unique<Pipeline>(
        *m_writer, *m_clock, [this] { return stamp(); }, po);
    m_pipeline->start();
    for (const auto& r : selected) start_loop(r, true);
    return {};
  }

  void start_loop(const kube::ApiResource& api, bool initial_as_snapshot) {
    auto run = std::make_unique<Running>();
    run->api = api;
    KubeSourceOptions so;
    so.namespace_name = api.namespaced ? kube::server_side_namespace(m_options.selection) : "";
    so.label_selector = m_options.selection.label_selector;
    run->source = make_kube_source(m_client, api, so);
    LoopOptions lo;
    lo.page_size = m_options.page_size;
    lo.min_watch_timeout = m_options.watch_timeout;
    lo.initial_as_snapshot = initial_as_snapshot;
    lo.watch = !m_options.snapshot;
    lo.keep_managed_fields = m_options.keep_managed_fields;
    lo.workers = watch_workers();
    // -l is applied by the server (so.label_selector); -n and --exclude-namespace here.
    lo.accept = [sel = m_options.selection, api](const formats::Value& v) {
      return kube::in_selected_namespace(sel, api, v.string_at({"metadata", "namespace"}), &v);
    };
    if (m_options.redact_secrets && is_secret(api)) lo.transform = redact_secret;
    ResourceRef ref{{api.group, api.version, api.resource},
                    api.kind,
                    formats::has_strategic_metadata(api.api_version(), api.kind),
                    api.qualified_name()};
    bool crd = is_crd(api);
    // A CRD's change, and the end of the CRDs' (re)list, start a rediscovery: a CRD created between
    // the first discovery and that list arrives as a listed object, not an event, and would
    // otherwise leave its custom resources unrecorded for the whole session.
    auto emit = [this, crd](Record r) {
      if (crd && r.kind != Record::Kind::snapshot_object)
        m_rediscover_at.store(stamp() + k_rediscovery_delay.count() * 1000000);
      m_pipeline->push(std::move(r));
    };
    run->loop = std::make_unique<ListWatchLoop>(
        ref, *run->source, *m_clock, [this] { return stamp(); }, emit, m_hooks.log, lo);
    run->thread = std::thread([loop = run->loop.get()] { loop->run(); });
    std::lock_guard lock(m_mutex);
    m_known.insert(resource_key(api));
    m_running.push_back(std::move(run));
  }

  // Starts loops for resources that appeared (CRDs established since the last discovery).
  void rediscover() {
    auto discovery = m_client.discover();
    if (!discovery) {
      if (m_hooks.log)
        m_hooks.log("rediscovery failed, will retry on the next CRD change: " + discovery.error().message);
      return;
    }
    auto selected = select_resources(*discovery, m_options.selection);
    if (!selected) return;
    for (const auto& r : *selected) {
      bool known;
      {
        std::lock_guard lock(m_mutex);
        known = m_known.count(resource_key(r)) > 0;
      }
      if (known) continue;
      if (m_hooks.log) m_hooks.log("recording " + r.qualified_name() + " (new resource)");
      start_loop(r, false);
    }
  }

  bool all_loops_done() {
    std::lock_guard lock(m_mutex);
    return std::all_of(m_running.begin(), m_running.end(), [](const auto& r) {
      auto s = r->loop->stats();
      return s.lists > 0;
    });
  }

  void stop_loops() {
    std::lock_guard lock(m_mutex);
    for (auto& r : m_running) r->loop->stop();
    for (auto& r : m_running)
      if (r->thread.joinable()) r->thread.join();
  }

  // Polls until a reason to stop; returns the error that ended it, if any.
  std::optional<Error> wait(const std::atomic<bool>& stop) {
    auto last_progress = m_clock->now();
    for (;;) {
      if (stop.load()) return std::nullopt;
      if (auto e = m_pipeline->error()) return e;
      if (m_options.duration.count() > 0 && stamp() >= m_options.duration.count()) return std::nullopt;
      if (m_options.snapshot && all_loops_done()) return std::nullopt;
      auto at = m_rediscover_at.load();
      if (at > 0 && stamp() >= at) {
        m_rediscover_at.store(0);
        rediscover();
      }
      if (m_hooks.progress && m_clock->now() - last_progress >= seconds(1)) {
        last_progress = m_clock->now();
        m_hooks.progress(
            Progress{nanoseconds(stamp()), m_pipeline->events_seen(), m_writer->stats().file_bytes});
      }
      std::this_thread::sleep_for(k_poll);
    }
  }

  // The counts `ktape ls` shows (store/meta.hpp).
  static store::RecordingMeta meta_of(const RecordSummary& s, const PipelineStats& ps) {
    store::RecordingMeta meta;
    meta.objects = s.objects;
    meta.events = s.events;
    meta.duration_ns = s.elapsed.count();
    for (const auto& [name, n] : ps.objects_per_resource) meta.resources[name].objects = n;
    for (const auto& [name, n] : ps.events_per_resource) meta.resources[name].events = n;
    return meta;
  }

  Result<RecordSummary> finish() {
    stop_loops();
    auto closed = m_pipeline->finish();
    RecordSummary s;
    s.path = m_options.path;
    s.elapsed = nanoseconds(stamp());
    const auto& ps = m_pipeline->stats();
    s.objects = ps.objects;
    s.events = ps.events;
    s.file_bytes = ps.writer.file_bytes;
    s.queue_max = ps.queue_max;
    s.writer_busy = ps.writer_busy;
    for (const auto& r : m_running) {
      auto ls = r->loop->stats();
      std::string name = r->api.qualified_name();
      auto count = [&](const std::map<std::string, std::uint64_t>& m) {
        auto it = m.find(name);
        return it == m.end() ? std::uint64_t{0} : it->second;
      };
      s.resources.push_back(ResourceSummary{name, count(ps.objects_per_resource),
                                            count(ps.events_per_resource), ls.relists, ls.failures,
                                            ls.failing, ls.last_error});
    }
    std::sort(s.resources.begin(), s.resources.end(), [](auto& a, auto& b) { return a.name < b.name; });
    if (!closed) return fail(closed.error());
    // Only a file closed whole gets a sidecar and a meta: an unfinished one must not look verified.
    auto meta = store::write_meta(m_writer->path(), meta_of(s, ps));
    if (!meta) return fail(meta.error());
    auto digest = store::write_sidecar(m_writer->path());
    if (!digest) return fail(digest.error());
    s.sha256 = *digest;
    return s;
  }

 private:
  kube::Client& m_client;
  const RecordOptions& m_options;
  const RecordHooks& m_hooks;
  std::shared_ptr<kube::Clock> m_clock;
  steady_clock::time_point m_start;
  std::unique_ptr<formats::RecordingWriter> m_writer;
  std::unique_ptr<Pipeline> m_pipeline;
  std::mutex m_mutex;
  std::vector<std::unique_ptr<Running>> m_running;
  std::set<std::string> m_known;
  std::atomic<std::int64_t> m_rediscover_at{0};
};

}  // namespace

namespace {

std::string base64(std::string_view in) {
  static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += k_alphabet[(v >> s) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += k_alphabet[(v >> 18) & 63];
    out += k_alphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? k_alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

void redact_secret(formats::Value& secret) {
  // data holds base64: the digest is base64-encoded too, so the Secret stays valid to replay.
  if (formats::Value* data = secret.find("data"); data && data->is_object())
    for (auto& m : data->as_object())
      if (m.value.is_string()) m.value = formats::Value(base64(store::sha256_hex(m.value.as_string())));
  if (formats::Value* data = secret.find("stringData"); data && data->is_object())
    for (auto& m : data->as_object())
      if (m.value.is_string()) m.value = formats::Value(store::sha256_hex(m.value.as_string()));
}

Result<RecordSummary> record(kube::Client& client, const RecordOptions& options,
                             const std::atomic<bool>& stop, const RecordHooks& hooks) {
  auto discovery = client.discover();
  if (!discovery) return fail(with_context(discovery.error(), "discovery"));
  auto selected = select_resources(*discovery, options.selection);
  if (!selected) return fail(selected.error());
  if (selected->empty())
    return fail(ErrorKind::invalid, "nothing to record: the selection matches no resource");
  std::string server_version;
  if (auto v = client.server_version()) server_version = std::string(v->string_at({"gitVersion"}));
  Session session(client, options, hooks, kube::make_system_clock());
  if (auto r = session.open(*selected, server_version); !r) return fail(r.error());
  auto stopped_by = session.wait(stop);
  auto summary = session.finish();
  if (summary && hooks.log && std::getenv("KTAPE_RECORD_STATS")) {
    char line[96];
    std::snprintf(line, sizeof line, "pipeline: queue_max=%llu writer_busy=%.3f",
                  static_cast<unsigned long long>(summary->queue_max), summary->writer_busy);
    hooks.log(line);
  }
  if (stopped_by) return fail(*stopped_by);
  return summary;
}

}  // namespace ktape::recorder
