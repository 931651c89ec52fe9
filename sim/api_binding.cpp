// POST .../pods/NAME/binding: how a scheduler assigns a Pod to a node, as the real server does it
// (pkg/registry/core/pod/storage BindingREST, 1.32). The only way to set spec.nodeName of a Pod
// that has none: an update or patch of that field is refused.
#include "formats/json.hpp"
#include "sim/api.hpp"
#include "sim/object_util.hpp"

namespace ktape::sim {

using formats::Value;

namespace {

ApiResult<Value> binding_body(const Request& r) {
  if (!r.content_type.empty() && r.content_type != "application/json")
    return tl::unexpected(err_unsupported_media());
  auto body = formats::parse_json(r.body);
  if (!body || !body->is_object())
    return tl::unexpected(err_bad_request(
        "the object provided is unrecognized (must be of type Binding): couldn't get version/kind; json "
        "parse error: " +
        (body ? std::string("not an object") : body.error().message)));
  return std::move(*body);
}

// ValidatePodBinding: target.kind is Node or empty, target.name is set. The real server answers
// these as its aggregate of field errors: a 500 with no reason.
ApiResult<void> check_binding(const Value& binding, const std::string& name) {
  if (binding.string_at({"metadata", "name"}) != name)
    return tl::unexpected(err_bad_request("name in URL does not match name in Binding object"));
  std::string_view kind = binding.string_at({"target", "kind"});
  if (!kind.empty() && kind != "Node")
    return tl::unexpected(ApiError{500,
                                   "",
                                   "target.kind: Unsupported value: \"" + std::string(kind) +
                                       "\": supported values: \"Node\", \"<empty>\"",
                                   {}});
  if (binding.string_at({"target", "name"}).empty())
    return tl::unexpected(ApiError{500, "", "target.name: Required value", {}});
  return {};
}

// 409, as the real server words a binding it cannot make.
ApiError binding_conflict(const std::string& name, const std::string& why) {
  ApiError e = err_conflict("pods/binding", name);
  e.message = "Operation cannot be fulfilled on pods/binding \"" + name + "\": " + why;
  return e;
}

// The PodScheduled condition set True, in place when the Pod has one (podutil.UpdatePodCondition).
void set_scheduled(Value& pod) {
  Value& status = pod["status"];
  if (!status.is_object()) status = Value::object();
  Value& conditions = status["conditions"];
  if (!conditions.is_array()) conditions = Value::array();
  for (Value& c : conditions.as_array()) {
    if (c.string_at({"type"}) != "PodScheduled") continue;
    if (c.string_at({"status"}) != "True") c.set("lastTransitionTime", detail::now_rfc3339());
    c.set("status", "True");
    c.erase("reason");
    c.erase("message");
    return;
  }
  Value c = Value::object();
  c.set("type", "PodScheduled");
  c.set("status", "True");
  c.set("lastProbeTime", Value());
  c.set("lastTransitionTime", detail::now_rfc3339());
  conditions.push_back(std::move(c));
}

}  // namespace

ApiResult<Response> Api::bind(const Request& r, const ResourceInfo& pods, const std::string& ns,
                              const std::string& name) {
  if (r.method != "POST") return tl::unexpected(err_method_not_allowed());
  auto binding = binding_body(r);
  if (!binding) return tl::unexpected(binding.error());
  if (auto ok = check_binding(*binding, name); !ok) return tl::unexpected(ok.error());
  const std::string node(binding->string_at({"target", "name"}));
  auto assign = [&](const Value& current) -> ApiResult<Value> {
    if (current.at({"metadata", "deletionTimestamp"}))
      return tl::unexpected(
          binding_conflict(name, "pod " + name + " is being deleted, cannot be assigned to a host"));
    if (std::string_view bound = current.string_at({"spec", "nodeName"}); !bound.empty())
      return tl::unexpected(binding_conflict(
          name, "pod " + name + " is already assigned to node \"" + std::string(bound) + "\""));
    Value next = current;
    next["spec"].set("nodeName", node);
    if (const Value* annotations = binding->at({"metadata", "annotations"});
        annotations && annotations->is_object())
      for (const auto& member : annotations->as_object())
        next["metadata"]["annotations"].set(member.key, member.value);
    set_scheduled(next);
    return next;
  };
  auto it = r.query.find("dryRun");
  DryRun dry_run = it != r.query.end() && it->second == "All" ? DryRun::yes : DryRun::no;
  auto e = m_store.modify(pods, ns, name, Subresource::both, assign, dry_run);
  if (!e) return tl::unexpected(e.error());
  Value status = Value::object();
  status.set("kind", "Status");
  status.set("apiVersion", "v1");
  status.set("metadata", Value::object());
  status.set("status", "Success");
  status.set("code", 201);
  return json_response(201, status);
}

}  // namespace ktape::sim
