#include "workload/cluster.hpp"

#include <cstdio>
#include <random>
#include <vector>

#include "formats/json.hpp"
#include "formats/writer.hpp"
#include "workload/objects.hpp"

namespace ktape::workload {

namespace {

using formats::Value;

constexpr const char* k_image = "registry.example.com/shop/api:1.4.2";
constexpr const char* k_created = "2026-11-01T08:00:00Z";  // every object's creationTimestamp

// A UUID-shaped UID drawn from `rng`, so the same seed gives the same UIDs.
std::string make_uid(std::mt19937_64& rng) {
  char out[40];
  std::uint64_t a = rng(), b = rng();
  std::snprintf(out, sizeof out, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return out;
}

void stamp(Value& object, const std::string& uid) {
  object["metadata"].set("uid", uid);
  object["metadata"].set("creationTimestamp", k_created);
}

struct PodRef {
  std::string name;
  std::string uid;
  std::string ip;
};

Value make_endpoint_slice(const std::string& ns, const std::string& service,
                          const std::vector<PodRef>& pods) {
  Value v =
      *formats::parse_json(R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","addressType":"IPv4",
    "ports":[{"name":"http","port":8080,"protocol":"TCP"}]})");
  v["metadata"].set("name", service + "-abc12");
  v["metadata"].set("namespace", ns);
  v["metadata"]["labels"].set("kubernetes.io/service-name", service);
  v["metadata"]["labels"].set("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io");
  Value endpoints = Value::array();
  for (const auto& pod : pods) {
    Value e = Value::object();
    Value addresses = Value::array();
    addresses.push_back(Value(pod.ip));
    e.set("addresses", std::move(addresses));
    e["conditions"].set("ready", true);
    e["targetRef"].set("kind", "Pod");
    e["targetRef"].set("namespace", ns);
    e["targetRef"].set("name", pod.name);
    e["targetRef"].set("uid", pod.uid);
    endpoints.push_back(std::move(e));
  }
  v.set("endpoints", std::move(endpoints));
  return v;
}

Value make_event(const std::string& ns, const PodRef& pod, int n) {
  Value v = *formats::parse_json(R"({"apiVersion":"v1","kind":"Event","type":"Normal","reason":"Pulled",
    "source":{"component":"kubelet","host":"node-1"},"count":1,"reportingComponent":"kubelet"})");
  v["metadata"].set("name", pod.name + "." + std::to_string(1000 + n));
  v["metadata"].set("namespace", ns);
  v["involvedObject"].set("apiVersion", "v1");
  v["involvedObject"].set("kind", "Pod");
  v["involvedObject"].set("namespace", ns);
  v["involvedObject"].set("name", pod.name);
  v["involvedObject"].set("uid", pod.uid);
  v["involvedObject"].set("fieldPath", "spec.containers{app}");
  std::string message = "Container image \"";
  message.append(k_image).append("\" already present on machine");
  v.set("message", message);
  v.set("firstTimestamp", k_created);
  v.set("lastTimestamp", k_created);
  return v;
}

class ClusterWriter {
 public:
  ClusterWriter(formats::RecordingWriter& writer, const ClusterOptions& options)
      : m_writer(writer), m_options(options), m_rng(options.seed) {}

  Result<void> write(const Value& object) {
    ++m_stats.objects;
    return m_writer.write_object(object);
  }

  Result<void> write_app(const std::string& ns, int index) {
    std::string app = "app-" + std::to_string(index);
    std::string hash = random_token(m_rng, 10);
    Value deployment = make_deployment(ns, app, m_options.pods_per_app, k_image);
    OwnerInfo dep{"apps/v1", "Deployment", app, make_uid(m_rng)};
    stamp(deployment, dep.uid);
    if (auto r = write(deployment); !r) return r;
    Value rs = make_replicaset(ns, app + "-" + hash, app, hash, m_options.pods_per_app, k_image, dep);
    OwnerInfo rs_owner{"apps/v1", "ReplicaSet", app + "-" + hash, make_uid(m_rng)};
    stamp(rs, rs_owner.uid);
    if (auto r = write(rs); !r) return r;
    std::vector<PodRef> pods;
    for (int p = 0; p < m_options.pods_per_app; ++p) {
      PodRef ref{rs_owner.name + "-" + random_token(m_rng, 5), make_uid(m_rng), {}};
      Value pod = make_pod(ns, ref.name, app, hash, k_image, rs_owner, m_options.pod_padding, m_rng);
      stamp(pod, ref.uid);
      int ip = static_cast<int>(m_stats.pods++);
      pod.set("status", pod_status(true, 0, k_image, k_created, ip));
      ref.ip = std::string(pod.string_at({"status", "podIP"}));
      if (auto r = write(pod); !r) return r;
      pods.push_back(std::move(ref));
    }
    return write_app_rest(ns, app, pods);
  }

  Result<void> write_app_rest(const std::string& ns, const std::string& app,
                              const std::vector<PodRef>& pods) {
    Value service = make_service(ns, app, app);
    stamp(service, make_uid(m_rng));
    if (auto r = write(service); !r) return r;
    Value slice = make_endpoint_slice(ns, app, pods);
    stamp(slice, make_uid(m_rng));
    if (auto r = write(slice); !r) return r;
    Value configmap = make_configmap(ns, app + "-config", m_rng);
    stamp(configmap, make_uid(m_rng));
    if (auto r = write(configmap); !r) return r;
    Value secret = make_secret(ns, app + "-credentials", m_rng);
    stamp(secret, make_uid(m_rng));
    if (auto r = write(secret); !r) return r;
    for (int e = 0; e < m_options.events_per_app; ++e) {
      Value event = make_event(ns, pods[static_cast<std::size_t>(e) % pods.size()], e);
      stamp(event, make_uid(m_rng));
      if (auto r = write(event); !r) return r;
    }
    return {};
  }

  Result<void> write_namespace(const std::string& name) {
    Value ns = make_namespace(name);
    stamp(ns, make_uid(m_rng));
    ++m_stats.namespaces;
    return write(ns);
  }

  ClusterStats& stats() { return m_stats; }

 private:
  formats::RecordingWriter& m_writer;
  const ClusterOptions& m_options;
  std::mt19937_64 m_rng;
  ClusterStats m_stats;
};

}  // namespace

Result<ClusterStats> write_cluster_snapshot(const ClusterOptions& options) {
  if (options.objects == 0 || options.pods_per_app < 1 || options.apps_per_namespace < 1 ||
      options.events_per_app < 0)
    return fail(
        ErrorKind::invalid,
        "cluster snapshot: objects, pods per application and applications per namespace must be positive");
  formats::Header header;
  header.start_time = k_created;
  header.source = "ktape workload (generated, seed " + std::to_string(options.seed) + ")";
  header.mode = "snapshot";
  formats::WriterOptions wo;
  wo.path = options.path;
  wo.overwrite = options.overwrite ? formats::Overwrite::yes : formats::Overwrite::no;
  auto writer = formats::RecordingWriter::create(wo, header);
  if (!writer) return fail(writer.error());
  ClusterWriter out(**writer, options);
  for (int n = 0; out.stats().objects < options.objects; ++n) {
    if (auto r = out.write_namespace(options.prefix + "-" + std::to_string(n)); !r) return fail(r.error());
    for (int a = 0; a < options.apps_per_namespace && out.stats().objects < options.objects; ++a)
      if (auto r = out.write_app(options.prefix + "-" + std::to_string(n), a); !r) return fail(r.error());
  }
  if (auto r = (*writer)->close(); !r) return fail(r.error());
  ClusterStats stats = out.stats();
  stats.yaml_bytes = (*writer)->stats().yaml_bytes;
  return stats;
}

}  // namespace ktape::workload
