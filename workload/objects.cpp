#include "workload/objects.hpp"

#include "formats/json.hpp"

namespace ktape::workload {

namespace {

using formats::Value;

Value parse(const std::string& json) { return *formats::parse_json(json); }

Value owner_refs(const OwnerInfo& o) {
  Value ref = Value::object();
  ref.set("apiVersion", o.api_version);
  ref.set("kind", o.kind);
  ref.set("name", o.name);
  ref.set("uid", o.uid);
  ref.set("controller", true);
  ref.set("blockOwnerDeletion", true);
  Value list = Value::array();
  list.push_back(std::move(ref));
  return list;
}

Value meta(const std::string& ns, const std::string& name) {
  Value m = Value::object();
  m.set("name", name);
  m.set("namespace", ns);
  return m;
}

Value container(const std::string& name, const std::string& image) {
  return parse(R"({"name":")" + name + R"(","image":")" + image + R"(","imagePullPolicy":"IfNotPresent",
    "ports":[{"containerPort":8080,"name":"http","protocol":"TCP"},{"containerPort":9090,"name":"metrics","protocol":"TCP"}],
    "env":[{"name":"LOG_LEVEL","value":"info"},{"name":"POD_NAME","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}}],
    "resources":{"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}},
    "readinessProbe":{"httpGet":{"path":"/healthz","port":8080,"scheme":"HTTP"},"periodSeconds":10,"timeoutSeconds":1,
      "successThreshold":1,"failureThreshold":3},
    "volumeMounts":[{"mountPath":"/etc/config","name":"config","readOnly":true},
      {"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","name":"kube-api-access","readOnly":true}],
    "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"})");
}

Value pod_template(const std::string& app, const std::string& hash, const std::string& image) {
  Value t = Value::object();
  Value& labels = t["metadata"]["labels"];
  labels.set("app", app);
  if (!hash.empty()) labels.set("pod-template-hash", hash);
  Value containers = Value::array();
  containers.push_back(container("app", image));
  t["spec"].set("containers", std::move(containers));
  t["spec"].set("restartPolicy", "Always");
  t["spec"].set("terminationGracePeriodSeconds", 30);
  // The volumes the container mounts: a server validates that every mount names one.
  t["spec"].set("volumes", parse(R"([{"name":"config","configMap":{"name":"settings","defaultMode":420}},
    {"name":"kube-api-access","projected":{"defaultMode":420,"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}}]}}])"));
  return t;
}

}  // namespace

std::string random_token(std::mt19937_64& rng, std::size_t length) {
  static constexpr char k_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(length, 'a');
  for (auto& c : out) c = k_chars[rng() % (sizeof k_chars - 1)];
  return out;
}

Value make_namespace(const std::string& name) {
  Value v = parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{}})");
  v["metadata"].set("name", name);
  v["metadata"]["labels"].set("ktape.io/workload", "true");
  return v;
}

Value make_deployment(const std::string& ns, const std::string& name, int replicas,
                      const std::string& image) {
  Value v = parse(R"({"apiVersion":"apps/v1","kind":"Deployment"})");
  v.set("metadata", meta(ns, name));
  v["metadata"]["labels"].set("app", name);
  Value& spec = v["spec"];
  spec.set("replicas", replicas);
  spec["selector"]["matchLabels"].set("app", name);
  spec.set("template", pod_template(name, "", image));
  spec["strategy"].set("type", "RollingUpdate");
  spec["strategy"]["rollingUpdate"].set("maxSurge", "25%");
  spec["strategy"]["rollingUpdate"].set("maxUnavailable", "25%");
  return v;
}

Value make_replicaset(const std::string& ns, const std::string& name, const std::string& app,
                      const std::string& hash, int replicas, const std::string& image,
                      const OwnerInfo& owner) {
  Value v = parse(R"({"apiVersion":"apps/v1","kind":"ReplicaSet"})");
  v.set("metadata", meta(ns, name));
  v["metadata"]["labels"].set("app", app);
  v["metadata"]["labels"].set("pod-template-hash", hash);
  v["metadata"]["annotations"].set("deployment.kubernetes.io/revision", "1");
  v["metadata"].set("ownerReferences", owner_refs(owner));
  Value& spec = v["spec"];
  spec.set("replicas", replicas);
  spec["selector"]["matchLabels"].set("app", app);
  spec["selector"]["matchLabels"].set("pod-template-hash", hash);
  spec.set("template", pod_template(app, hash, image));
  return v;
}

Value make_pod(const std::string& ns, const std::string& name, const std::string& app,
               const std::string& hash, const std::string& image, const OwnerInfo& owner, std::size_t padding,
               std::mt19937_64& rng) {
  Value v = parse(R"({"apiVersion":"v1","kind":"Pod"})");
  v.set("metadata", meta(ns, name));
  v["metadata"]["labels"].set("app", app);
  v["metadata"]["labels"].set("pod-template-hash", hash);
  v["metadata"]["annotations"].set("ktape.io/padding", random_token(rng, padding));
  v["metadata"].set("ownerReferences", owner_refs(owner));
  Value spec = pod_template(app, hash, image)["spec"];
  spec.set("nodeName", "node-" + std::to_string(rng() % 8));
  spec.set("serviceAccountName", "default");
  spec.set("volumes", parse(R"([{"name":"config","configMap":{"name":"settings","defaultMode":420}},
    {"name":"kube-api-access","projected":{"defaultMode":420,"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}}]}}])"));
  spec.set(
      "tolerations",
      parse(
          R"([{"effect":"NoExecute","key":"node.kubernetes.io/not-ready","operator":"Exists","tolerationSeconds":300},
    {"effect":"NoExecute","key":"node.kubernetes.io/unreachable","operator":"Exists","tolerationSeconds":300}])"));
  v.set("spec", std::move(spec));
  return v;
}

Value pod_status(bool ready, int restarts, const std::string& image, const std::string& now, int ip) {
  std::string r = ready ? "True" : "False";
  std::string addr = "10.244." + std::to_string((ip / 250) % 250) + "." + std::to_string(ip % 250 + 2);
  return parse(R"({"phase":"Running","hostIP":"192.168.0.10","podIP":")" + addr + R"(","podIPs":[{"ip":")" +
               addr + R"("}],"qosClass":"Burstable","startTime":")" + now + R"(",
    "conditions":[{"type":"Initialized","status":"True","lastTransitionTime":")" +
               now + R"("},
      {"type":"Ready","status":")" +
               r + R"(","lastTransitionTime":")" + now + R"("},
      {"type":"ContainersReady","status":")" +
               r + R"(","lastTransitionTime":")" + now + R"("},
      {"type":"PodScheduled","status":"True","lastTransitionTime":")" +
               now + R"("}],
    "containerStatuses":[{"name":"app","image":")" +
               image + R"(","imageID":"docker-pullable://)" + image + R"(","ready":)" +
               (ready ? "true" : "false") + R"(,"restartCount":)" + std::to_string(restarts) +
               R"(,"started":true,"state":{"running":{"startedAt":")" + now + R"("}}}]})");
}

Value make_configmap(const std::string& ns, const std::string& name, std::mt19937_64& rng) {
  Value v = parse(R"({"apiVersion":"v1","kind":"ConfigMap"})");
  v.set("metadata", meta(ns, name));
  v["data"].set("mode", "on");
  v["data"].set("port", "0123");
  v["data"].set("token", random_token(rng, 24));
  v["data"].set("config.yaml", "server:\n  port: 8080\n  debug: false\n");
  return v;
}

Value make_secret(const std::string& ns, const std::string& name, std::mt19937_64& rng) {
  Value v = parse(R"({"apiVersion":"v1","kind":"Secret","type":"Opaque"})");
  v.set("metadata", meta(ns, name));
  v["data"].set("password", "c2VjcmV0LQ==" + random_token(rng, 0));
  v["data"].set("api-key", "YWJjZGVm");
  return v;
}

Value make_service(const std::string& ns, const std::string& name, const std::string& app) {
  Value v = parse(R"({"apiVersion":"v1","kind":"Service","spec":{"type":"ClusterIP",
    "ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":8080}]}})");
  v.set("metadata", meta(ns, name));
  v["spec"]["selector"].set("app", app);
  return v;
}

Value make_widget(const std::string& ns, const std::string& name, int size) {
  Value v = parse(R"({"apiVersion":"ktape.example.com/v1","kind":"Widget"})");
  v.set("metadata", meta(ns, name));
  v["spec"].set("size", size);
  v["spec"].set("color", size % 2 ? "blue" : "green");
  return v;
}

}  // namespace ktape::workload
