// The documents that are not resources: version, health, discovery, OpenAPI stubs, ktape stats.
#include "formats/json.hpp"
#include "sim/api.hpp"

namespace ktape::sim {

using formats::Value;

namespace {

Response json(const Value& v, std::string content_type = "application/json") {
  return Response{200, std::move(content_type), formats::to_json(v)};
}

Value version_document() {
  Value v = Value::object();
  v.set("major", "1");
  v.set("minor", "32");
  v.set("gitVersion", "v1.32.0-ktape." KTAPE_VERSION);
  v.set("gitCommit", "");
  v.set("gitTreeState", "clean");
  v.set("buildDate", "");
  v.set("goVersion", "go1.23.5");
  v.set("compiler", "gc");
  v.set("platform", "linux/amd64");
  return v;
}

// OpenAPI v3: one document per group version, declaring for every resource that PATCH accepts
// the fieldValidation parameter. kubectl then leaves validation to the server (which accepts
// any field, as the schema-less store it is) instead of asking for schemas this server lacks.
Value openapi_root(const std::vector<ResourceInfo>& served) {
  Value paths = Value::object();
  for (const ResourceInfo& info : served) {
    std::string gv = info.group.empty() ? "api/v1" : "apis/" + info.group + "/" + info.version;
    if (paths.contains(gv)) continue;
    Value entry = Value::object();
    entry.set("serverRelativeURL", "/openapi/v3/" + gv + "?hash=ktape");
    paths.set(gv, entry);
  }
  Value root = Value::object();
  root.set("paths", paths);
  return root;
}

Value openapi_group_version(const std::vector<ResourceInfo>& served, std::string_view gv_path) {
  Value paths = Value::object();
  for (const ResourceInfo& info : served) {
    std::string gv = info.group.empty() ? "api/v1" : "apis/" + info.group + "/" + info.version;
    if (gv != gv_path) continue;
    Value gvk = Value::object();
    gvk.set("group", info.group);
    gvk.set("version", info.version);
    gvk.set("kind", info.kind);
    Value param = Value::object();
    param.set("name", "fieldValidation");
    param.set("in", "query");
    param.set("schema", Value::object());
    param["schema"].set("type", "string");
    Value op = Value::object();
    op.set("x-kubernetes-group-version-kind", gvk);
    op.set("parameters", formats::Array{param});
    Value item = Value::object();
    item.set("patch", op);
    std::string prefix = "/" + gv + (info.namespaced ? "/namespaces/{namespace}/" : "/");
    paths.set(prefix + info.resource + "/{name}", item);
  }
  Value doc = Value::object();
  doc.set("openapi", "3.0.0");
  Value info = Value::object();
  info.set("title", "Kubernetes");
  info.set("version", "v1.32.0");
  doc.set("info", info);
  doc.set("paths", paths);
  doc.set("components", Value::object());
  doc["components"].set("schemas", Value::object());
  return doc;
}

bool wants_aggregated(const Request& r) {
  return r.accept.find("as=APIGroupDiscoveryList") != std::string::npos;
}

constexpr std::string_view k_aggregated_type =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

}  // namespace

Response Api::handle_docs(const Request& r) {
  const std::string& p = r.path;
  if (r.method != "GET" && r.method != "HEAD") return error_response(err_method_not_allowed());
  if (p == "/healthz" || p == "/livez" || p == "/readyz")
    return Response{200, "text/plain; charset=utf-8", "ok"};
  if (p == "/version" || p == "/version/") return json(version_document());
  if (p == "/ktape/v1/stats") {
    Value v = Value::object();
    v.set("objects", static_cast<std::uint64_t>(m_store.object_count()));
    v.set("startTime", m_options.start_time);
    v.set("resourceVersion", std::to_string(m_store.current_rv()));
    return json(v);
  }
  std::vector<ResourceInfo> served = m_store.served();
  if (p == "/api" || p == "/api/") {
    if (wants_aggregated(r)) return json(aggregated_discovery(served, true), std::string(k_aggregated_type));
    return json(discovery_core_versions());
  }
  if (p == "/apis" || p == "/apis/") {
    if (wants_aggregated(r)) return json(aggregated_discovery(served, false), std::string(k_aggregated_type));
    return json(discovery_groups(served));
  }
  if (p == "/api/v1") return json(discovery_core_resources(served));
  if (p.starts_with("/apis/")) {
    std::string_view rest = std::string_view(p).substr(6);
    std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
      Value groups = discovery_groups(served);
      for (const Value& g : groups["groups"].as_array()) {
        if (g.string_at({"name"}) != rest) continue;
        Value doc = g;
        doc.set("kind", "APIGroup");
        doc.set("apiVersion", "v1");
        return json(doc);
      }
      return error_response(err_unknown_resource());
    }
    if (auto doc = discovery_group_version(served, rest.substr(0, slash), rest.substr(slash + 1)))
      return json(*doc);
    return error_response(err_unknown_resource());
  }
  // An empty protobuf message is a valid (empty) OpenAPI v2 document: kubectl's client-side
  // validation then knows no schema and accepts every object.
  if (p == "/openapi/v2")
    return Response{200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf", ""};
  if (p == "/openapi/v3") return json(openapi_root(served));
  if (p.starts_with("/openapi/v3/")) return json(openapi_group_version(served, p.substr(12)));
  return error_response(err_unknown_resource());
}

}  // namespace ktape::sim
