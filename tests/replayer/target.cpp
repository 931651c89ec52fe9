#include "tests/replayer/target.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "formats/json.hpp"

namespace ktape::replayer::test {

using formats::Value;

namespace {

struct Served {
  std::string group, version, plural, kind;
  bool namespaced, status;
};

const std::vector<Served> k_served = {
    {"", "v1", "namespaces", "Namespace", false, false},
    {"", "v1", "configmaps", "ConfigMap", true, false},
    {"", "v1", "secrets", "Secret", true, false},
    {"", "v1", "pods", "Pod", true, true},
    {"", "v1", "services", "Service", true, true},
    {"", "v1", "serviceaccounts", "ServiceAccount", true, false},
    {"apps", "v1", "deployments", "Deployment", true, true},
    {"apps", "v1", "replicasets", "ReplicaSet", true, true},
    {"apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, true},
};

Value parse(const std::string& json) {
  auto v = formats::parse_json(json);
  REQUIRE_MESSAGE(v, json);
  return *v;
}

Value resource_entry(const Served& s, bool subresource) {
  Value entry = Value::object();
  entry.set("name", subresource ? s.plural + "/status" : s.plural);
  entry.set("singularName", "");
  entry.set("namespaced", s.namespaced);
  entry.set("kind", s.kind);
  Value verbs = Value::array();
  for (const char* verb :
       subresource ? std::vector<const char*>{"get", "patch", "update"}
                   : std::vector<const char*>{"create", "delete", "get", "list", "patch", "update", "watch"})
    verbs.push_back(verb);
  entry.set("verbs", std::move(verbs));
  return entry;
}

Served served_of_crd(const Value& crd) {
  const Value* versions = crd.at({"spec", "versions"});
  std::string version = versions && versions->is_array() && versions->size() > 0
                            ? std::string(versions->as_array()[0].string_at({"name"}))
                            : "v1";
  return {std::string(crd.string_at({"spec", "group"})),
          version,
          std::string(crd.string_at({"spec", "names", "plural"})),
          std::string(crd.string_at({"spec", "names", "kind"})),
          crd.string_at({"spec", "scope"}) != "Cluster",
          false};
}

// A request path split into where its object lives.
struct Route {
  std::string collection;  // "/api/v1/namespaces/demo/configmaps"
  std::string name;        // "" for the collection
  std::string subresource;
  std::string object_path() const { return collection + "/" + name; }
};

std::optional<Route> route_of(const std::string& path) {
  std::vector<std::string> segs;
  for (std::size_t at = 1; at <= path.size();) {
    std::size_t end = path.find('/', at);
    if (end == std::string::npos) end = path.size();
    segs.push_back(path.substr(at, end - at));
    at = end + 1;
  }
  std::size_t prefix = 0;
  if (segs.size() >= 2 && segs[0] == "api") prefix = 2;
  if (segs.size() >= 3 && segs[0] == "apis") prefix = 3;
  if (prefix == 0 || segs.size() <= prefix) return std::nullopt;
  std::size_t res = prefix;
  if (segs[prefix] == "namespaces" && segs.size() >= prefix + 3 && segs[prefix + 2] != "status")
    res = prefix + 2;
  Route route;
  for (std::size_t i = 0; i <= res; ++i) route.collection += "/" + segs[i];
  if (segs.size() > res + 1) route.name = segs[res + 1];
  if (segs.size() > res + 2) route.subresource = segs[res + 2];
  return route;
}

}  // namespace

Value Request::json() const {
  if (body.empty()) return Value();
  auto v = formats::parse_json(body);
  return v ? *v : Value();
}

std::string Request::string_at(std::initializer_list<std::string_view> path) const {
  Value body = json();
  return std::string(body.string_at(path));
}

std::string Request::owner_uid() const {
  Value body = json();
  const Value* refs = body.at({"metadata", "ownerReferences"});
  REQUIRE_MESSAGE(refs != nullptr, line() << ": no ownerReferences");
  REQUIRE(refs->size() == 1);
  return std::string(refs->as_array()[0].string_at({"uid"}));
}

Reply status_reply(int code, const std::string& reason, const std::string& message) {
  Value status = Value::object();
  status.set("kind", "Status");
  status.set("apiVersion", "v1");
  status.set("metadata", Value::object());
  status.set("status", "Failure");
  status.set("message", message);
  status.set("reason", reason);
  status.set("code", code);
  return Reply{code, formats::to_json(status), ""};
}

ScriptedTarget::ScriptedTarget() {
  // Every keep-alive connection holds a server thread: room for the replay's and discovery's.
  m_server.http().new_task_queue = [] { return new httplib::ThreadPool(48); };
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  m_server.http().Get(".*", handler);
  m_server.http().Post(".*", handler);
  m_server.http().Put(".*", handler);
  m_server.http().Patch(".*", handler);
  m_server.http().Delete(".*", handler);
  m_server.start();
}

ScriptedTarget::~ScriptedTarget() { m_server.stop(); }

void ScriptedTarget::script(Script script) {
  std::lock_guard lock(m_mutex);
  m_script = std::move(script);
}

void ScriptedTarget::use_clock(std::shared_ptr<kube::Clock> clock) {
  std::lock_guard lock(m_mutex);
  m_clock = std::move(clock);
}

void ScriptedTarget::put(const std::string& collection_path, Value object) {
  std::lock_guard lock(m_mutex);
  m_store[collection_path + "/" + std::string(object.string_at({"metadata", "name"}))] = std::move(object);
}

std::optional<Value> ScriptedTarget::stored(const std::string& path) const {
  std::lock_guard lock(m_mutex);
  auto it = m_store.find(path);
  if (it == m_store.end()) return std::nullopt;
  return it->second;
}

std::unique_ptr<kube::Client> ScriptedTarget::client(kube::ClientOptions options) const {
  kube::RestConfig config;
  config.server = m_server.url();
  auto made = kube::Client::create(config, std::move(options));
  REQUIRE(made);
  return std::move(*made);
}

std::vector<Request> ScriptedTarget::requests() const {
  std::lock_guard lock(m_mutex);
  return m_requests;
}

std::vector<Request> ScriptedTarget::writes() const {
  std::vector<Request> out;
  for (auto& r : requests())
    if (r.method != "GET") out.push_back(r);
  return out;
}

std::vector<std::string> ScriptedTarget::write_lines() const {
  std::vector<std::string> out;
  for (auto& r : writes()) out.push_back(r.line());
  return out;
}

int ScriptedTarget::peak_in_flight() const {
  std::lock_guard lock(m_mutex);
  return m_all_peak;
}

int ScriptedTarget::peak_in_flight(const std::string& path) const {
  std::lock_guard lock(m_mutex);
  auto it = m_peak.find(path);
  return it == m_peak.end() ? 0 : it->second;
}

bool ScriptedTarget::discovery(const httplib::Request& req, httplib::Response& res) {
  if (req.method != "GET") return false;
  std::lock_guard lock(m_mutex);
  std::vector<Served> served = k_served;
  for (const auto& crd : m_crds) served.push_back(served_of_crd(crd));
  if (req.path == "/api") {
    res.set_content(R"({"kind":"APIVersions","versions":["v1"]})", "application/json");
    return true;
  }
  if (req.path == "/apis") {
    Value groups = Value::array();
    std::set<std::string> seen;
    for (const auto& s : served) {
      if (s.group.empty() || !seen.insert(s.group).second) continue;
      std::string gv = s.group + "/" + s.version;
      groups.push_back(parse(R"({"name":")" + s.group + R"(","versions":[{"groupVersion":")" + gv +
                             R"(","version":")" + s.version + R"("}],"preferredVersion":{"groupVersion":")" +
                             gv + R"(","version":")" + s.version + R"("}})"));
    }
    Value doc = parse(R"({"kind":"APIGroupList","apiVersion":"v1"})");
    doc.set("groups", std::move(groups));
    res.set_content(formats::to_json(doc), "application/json");
    return true;
  }
  Value resources = Value::array();
  std::string group_version;
  for (const auto& s : served) {
    std::string path = s.group.empty() ? "/api/" + s.version : "/apis/" + s.group + "/" + s.version;
    if (path != req.path) continue;
    group_version = s.group.empty() ? s.version : s.group + "/" + s.version;
    resources.push_back(resource_entry(s, false));
    if (s.status) resources.push_back(resource_entry(s, true));
  }
  if (group_version.empty()) return false;
  Value doc = Value::object();
  doc.set("kind", "APIResourceList");
  doc.set("apiVersion", "v1");
  doc.set("groupVersion", group_version);
  doc.set("resources", std::move(resources));
  res.set_content(formats::to_json(doc), "application/json");
  return true;
}

void ScriptedTarget::handle(const httplib::Request& req, httplib::Response& res) {
  if (discovery(req, res)) return;
  Request request;
  request.method = req.method;
  request.path = req.path;
  request.body = req.body;
  request.content_type = req.get_header_value("Content-Type");
  for (const auto& [k, v] : req.params) request.query += (request.query.empty() ? "" : "&") + k + "=" + v;
  request.arrived = std::chrono::steady_clock::now();
  Script script;
  {
    std::lock_guard lock(m_mutex);
    request.order = m_requests.size();
    request.nth =
        static_cast<std::size_t>(std::count_if(m_requests.begin(), m_requests.end(), [&](const Request& r) {
          return r.method == request.method && r.path == request.path;
        }));
    if (m_clock) request.clock_arrived = m_clock->now();
    m_requests.push_back(request);
    script = m_script;
    int& here = m_in_flight[request.path];
    m_peak[request.path] = std::max(m_peak[request.path], ++here);
    m_all_peak = std::max(m_all_peak, ++m_all_in_flight);
  }
  std::optional<Reply> scripted = script ? script(request) : std::nullopt;
  Reply reply = scripted ? *scripted : answer(request);
  {
    std::lock_guard lock(m_mutex);
    m_requests[request.order].answered = std::chrono::steady_clock::now();
    m_requests[request.order].status = reply.status;
    --m_in_flight[request.path];
    --m_all_in_flight;
  }
  res.status = reply.status;
  if (!reply.retry_after.empty()) res.set_header("Retry-After", reply.retry_after);
  res.set_content(reply.body.empty() ? "{}" : reply.body, "application/json");
}

Reply ScriptedTarget::answer(const Request& request) {
  auto route = route_of(request.path);
  if (!route) return status_reply(404, "NotFound", "no route " + request.path);
  if (request.method == "POST" && route->name.empty()) return create(request);
  std::lock_guard lock(m_mutex);
  std::string path = route->object_path();
  auto it = m_store.find(path);
  if (route->name.empty())
    return Reply{200, R"({"kind":"List","apiVersion":"v1","metadata":{},"items":[]})", ""};
  if (it == m_store.end()) return status_reply(404, "NotFound", "\"" + route->name + "\" not found");
  if (request.method == "GET") return Reply{200, formats::to_json(it->second), ""};
  if (request.method == "DELETE") {
    m_store.erase(it);
    return Reply{200, R"({"kind":"Status","apiVersion":"v1","status":"Success"})", ""};
  }
  if (request.method == "PUT") {
    Value object = request.json();
    object["metadata"].set("uid", std::string(it->second.string_at({"metadata", "uid"})));
    object["metadata"].set("resourceVersion", std::to_string(++m_resource_version));
    it->second = object;
    return Reply{200, formats::to_json(object), ""};
  }
  it->second["metadata"].set("resourceVersion", std::to_string(++m_resource_version));
  return Reply{200, formats::to_json(it->second), ""};  // PATCH: answered, the body not applied
}

Reply ScriptedTarget::create(const Request& request) {
  Value object = request.json();
  std::string name(object.string_at({"metadata", "name"}));
  std::string path = request.path + "/" + name;
  std::lock_guard lock(m_mutex);
  if (m_store.count(path)) return status_reply(409, "AlreadyExists", "\"" + name + "\" already exists");
  if (auto at = request.path.find("/namespaces/"); at != std::string::npos) {
    std::string ns = request.path.substr(at + 12, request.path.find('/', at + 12) - at - 12);
    if (!m_store.count("/api/v1/namespaces/" + ns))
      return status_reply(404, "NotFound", "namespaces \"" + ns + "\" not found");
  }
  int n = ++m_creates[path];
  object["metadata"].set("uid", "new-" + name + (n > 1 ? "-" + std::to_string(n) : ""));
  object["metadata"].set("resourceVersion", std::to_string(++m_resource_version));
  if (object.string_at({"kind"}) == "CustomResourceDefinition") {
    object.set("status", parse(R"({"conditions":[{"type":"Established","status":"True"}]})"));
    m_crds.push_back(object);
  }
  m_store[path] = object;
  return Reply{201, formats::to_json(object), ""};
}

std::chrono::steady_clock::time_point GatedClock::now() const {
  std::lock_guard lock(m_mutex);
  return std::chrono::steady_clock::time_point{} + m_elapsed;
}

std::chrono::system_clock::time_point GatedClock::wall_now() const {
  std::lock_guard lock(m_mutex);
  return std::chrono::system_clock::time_point{} +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(m_elapsed);
}

void GatedClock::sleep_for(std::chrono::nanoseconds d) {
  std::unique_lock lock(m_mutex);
  if (m_elapsed + d <= m_limit) {
    m_elapsed += d;
    return;
  }
  m_elapsed = std::max(m_elapsed, m_limit);
  m_raised.wait_for(lock, std::chrono::milliseconds(1));
}

void GatedClock::set_limit(std::chrono::nanoseconds limit) {
  std::lock_guard lock(m_mutex);
  m_limit = limit;
  m_raised.notify_all();
}

std::chrono::nanoseconds GatedClock::elapsed() const {
  std::lock_guard lock(m_mutex);
  return m_elapsed;
}

std::string Recordings::write(const std::string& name, const std::string& text) {
  auto path = m_dir.path() / name;
  std::ofstream out(path, std::ios::binary);
  out << text;
  return path.string();
}

std::string snapshot_doc(const std::string& object_json) { return "---\n" + object_json + "\n"; }

std::string namespace_doc(const std::string& name, const std::string& uid) {
  return snapshot_doc(object_json("v1", "Namespace", "", name, uid));
}

std::string crd_json(const std::string& group, const std::string& kind, const std::string& plural) {
  std::string lower = kind;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return object_json("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", plural + "." + group,
                     "u-crd-" + plural, "",
                     R"("spec":{"group":")" + group + R"(","scope":"Namespaced","names":{"plural":")" +
                         plural + R"(","singular":")" + lower + R"(","kind":")" + kind +
                         R"("},"versions":[{"name":"v1","served":true,"storage":true}]})");
}

Replay::Replay() {
  options.speed = 0;
  options.clock = clock;
  options.crd_established_timeout = std::chrono::seconds(5);
  client = target.client();
}

Result<SummaryReport> Replay::attempt(const std::string& recording) {
  options.path = files.write("recording-" + std::to_string(target.requests().size()) + ".yaml", recording);
  Hooks hooks;
  hooks.log = [this](const std::string& line) { log.push_back(line); };
  return replay(*client, options, controls, hooks);
}

SummaryReport Replay::run(const std::string& recording) {
  auto report = attempt(recording);
  REQUIRE_MESSAGE(report, report.error().message);
  return *report;
}

bool eventually(const std::function<bool()>& done, double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace ktape::replayer::test
