#include "sim/api.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "formats/json.hpp"
#include "formats/patch.hpp"
#include "formats/yaml.hpp"
#include "sim/crd_schema.hpp"
#include "sim/list_item.hpp"
#include "sim/managed_fields.hpp"
#include "sim/object_util.hpp"
#include "sim/protobuf.hpp"

namespace ktape::sim {

using formats::Value;

// A request path resolved to a resource: /api/v1/namespaces/NS/RES/NAME/SUB and its shorter forms.
struct Api::Target {
  ResourcePtr info;
  std::string ns;
  std::string name;
  std::string sub;     // "", "status", "scale", "binding"
  bool watch = false;  // the legacy /watch/ path prefix
};

namespace {

// A query parameter's number; 0 (no limit, no timeout) when it is empty or not a number.
std::int64_t number_or_zero(std::string_view text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc() && end == text.data() + text.size() ? n : 0;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) parts.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::string query_of(const Request& r, const std::string& key) {
  auto it = r.query.find(key);
  return it == r.query.end() ? std::string() : it->second;
}

bool query_true(const Request& r, const std::string& key) {
  std::string v = query_of(r, key);
  return v == "true" || v == "1";
}

Response entry_response(unsigned status, const Entry& e) {
  return Response{status, "application/json", e.json};
}

bool wants_table(const Request& r) { return r.accept.find("as=Table") != std::string::npos; }

// The body as a Value: JSON unless the Content-Type says YAML or Kubernetes protobuf. `kind` is the
// type the endpoint takes, for the messages.
ApiResult<Value> parse_body(const Request& r, const std::string& kind) {
  if (r.content_type == k_protobuf_media_type) return decode_protobuf_object(r.body);
  if (!r.content_type.empty() && r.content_type != "application/json" &&
      r.content_type != "application/yaml" && r.content_type != "*/*")
    return tl::unexpected(err_unsupported_media());
  auto parsed =
      r.content_type == "application/yaml" ? formats::parse_yaml(r.body) : formats::parse_json(r.body);
  if (!parsed) {
    std::string excerpt = r.body.substr(0, 120);
    return tl::unexpected(err_bad_request(
        "the object provided is unrecognized (must be of type " + kind +
        "): couldn't get version/kind; json parse error: " + parsed.error().message + " (" + excerpt + ")"));
  }
  if (!parsed->is_object())
    return tl::unexpected(err_bad_request("the object provided is unrecognized (must be of type " + kind +
                                          "): couldn't get version/kind; json parse error: not an object"));
  return std::move(*parsed);
}

// apiVersion and kind must name the URL's resource (another version of the same group is taken).
ApiResult<void> check_kind(Value& object, const ResourceInfo& info) {
  std::string kind(object.string_at({"kind"}));
  std::string api_version(object.string_at({"apiVersion"}));
  if (kind.empty() || api_version.empty())
    return tl::unexpected(
        err_bad_request("Object 'Kind' is missing in '" + formats::to_json(object).substr(0, 200) + "'"));
  std::string group =
      api_version.find('/') == std::string::npos ? "" : api_version.substr(0, api_version.find('/'));
  std::string version = api_version.substr(api_version.find('/') + 1);
  if (kind != info.kind || group != info.group) {
    std::string internal_group = info.group.empty() ? "core" : info.group.substr(0, info.group.find('.'));
    return tl::unexpected(err_bad_request(kind + " in version \"" + version + "\" cannot be handled as a " +
                                          info.kind + ": converting (" + version + "." + kind + ") to (" +
                                          internal_group + "." + info.kind + "): unknown conversion"));
  }
  object.set("apiVersion", info.group_version());
  return {};
}

ApiResult<Value> check_namespace(Value object, const ResourceInfo& info, const std::string& ns) {
  std::string body_ns = detail::metadata_string(object, "namespace");
  if (info.namespaced && !body_ns.empty() && body_ns != ns)
    return tl::unexpected(err_bad_request(
        "the namespace of the provided object does not match the namespace sent on the request"));
  return object;
}

// The etcd key a real kube-apiserver keeps the object under (named in storage errors):
// /registry/<resource>/<ns>/<name>, with the few resources stored under another prefix.
std::string storage_key_of(const ResourceInfo& info, const std::string& ns, const std::string& name) {
  static const std::unordered_map<std::string, std::string> k_prefixes = {
      {"/services", "services/specs"},
      {"/endpoints", "services/endpoints"},
      {"/nodes", "minions"},
      {"networking.k8s.io/ingresses", "ingress"},
  };
  std::string key = "/registry/";
  if (auto it = k_prefixes.find(std::string(info.group).append("/").append(info.resource));
      it != k_prefixes.end())
    key += it->second;
  else if (info.custom)
    key.append(info.group).append("/").append(info.resource);
  else
    key += info.resource;
  if (!ns.empty()) key.append("/").append(ns);
  return key.append("/").append(name);
}

// checkName of the real patcher: the patched object still names the URL's object and namespace.
ApiResult<void> check_name(const Value& object, const ResourceInfo& info, const std::string& ns,
                           const std::string& name) {
  if (std::string given = detail::metadata_string(object, "name"); given != name)
    return tl::unexpected(err_bad_request(std::string("the name of the object (")
                                              .append(given)
                                              .append(") does not match the name on the URL (")
                                              .append(name)
                                              .append(")")));
  if (auto ok = check_namespace(object, info, ns); !ok) return tl::unexpected(ok.error());
  return {};
}

// The storage layer's UID precondition of a PUT: a body naming a uid names the stored object's.
ApiResult<void> check_uid_precondition(const Value& body, const Value& current, const ResourceInfo& info,
                                       const std::string& ns, const std::string& name) {
  std::string given_uid = detail::metadata_string(body, "uid");
  std::string stored_uid = detail::metadata_string(current, "uid");
  if (given_uid.empty() || given_uid == stored_uid) return {};
  return tl::unexpected(
      err_uid_precondition(info.resource, name, storage_key_of(info, ns, name), given_uid, stored_uid));
}

// dryRun=All (query, or DeleteOptions.dryRun in a DELETE body).
DryRun dry_run_of(const Request& r) {
  if (query_of(r, "dryRun") == "All") return DryRun::yes;
  if (r.method == "DELETE" && !r.body.empty()) {
    if (auto opts = formats::parse_json(r.body); opts && opts->is_object()) {
      if (const Value* dry = opts->find("dryRun"); dry && dry->is_array())
        for (const Value& v : dry->as_array())
          if (v.is_string() && v.as_string() == "All") return DryRun::yes;
    }
  }
  return DryRun::no;
}

// The openAPIV3Schema of custom resource `info`'s version, from its stored CRD (null when none).
std::optional<Value> crd_schema(Store& store, const ResourceInfo& info) {
  if (!info.custom) return std::nullopt;
  ResourcePtr crds = store.find_resource("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  if (!crds) return std::nullopt;
  auto e = store.get(*crds, "", info.resource + "." + info.group);
  if (!e) return std::nullopt;
  auto crd = formats::parse_json(*(*e)->json);
  if (!crd) return std::nullopt;
  const Value* schema = crd_version_schema(*crd, info.version);
  return schema ? std::optional<Value>(*schema) : std::nullopt;
}

// The LimitRanges of namespace `ns`, which the LimitRanger admission of Pods reads.
std::vector<Value> limit_ranges(Store& store, const std::string& ns) {
  std::vector<Value> out;
  ResourcePtr info = store.find_resource("", "v1", "limitranges");
  if (!info) return out;
  ListFilter filter;
  filter.ns = ns;
  auto page = store.list(*info, filter, 0, "");
  if (!page) return out;
  for (const EntryPtr& e : page->items)
    if (auto v = formats::parse_json(*e->json)) out.push_back(std::move(*v));
  return out;
}

std::optional<formats::PatchType> patch_type(const std::string& content_type) {
  return formats::patch_type_from_content_type(content_type);
}

ApiResult<Propagation> propagation_of(const Request& r) {
  std::string policy = query_of(r, "propagationPolicy");
  if (policy.empty() && !r.body.empty()) {
    if (auto opts = formats::parse_json(r.body); opts && opts->is_object()) {
      policy = std::string(opts->string_at({"propagationPolicy"}));
      if (const Value* orphan = opts->find("orphanDependents");
          orphan && orphan->is_bool() && orphan->as_bool())
        policy = "Orphan";
    }
  }
  if (query_of(r, "orphanDependents") == "true") policy = "Orphan";
  if (policy.empty() || policy == "Background") return Propagation::background;
  if (policy == "Foreground") return Propagation::foreground;
  if (policy == "Orphan") return Propagation::orphan;
  return tl::unexpected(err_invalid(
      "DeleteOptions", "", "propagationPolicy",
      "Unsupported value: \"" + policy + "\": supported values: \"Foreground\", \"Background\", \"Orphan\"",
      "FieldValueNotSupported"));
}

}  // namespace

Response json_response(unsigned status, const Value& v) {
  return Response{status, "application/json", formats::to_json(v)};
}

Response error_response(const ApiError& error) {
  return Response{static_cast<unsigned>(error.code), "application/json",
                  formats::to_json(status_document(error))};
}

std::variant<Response, WatchPlan> Api::handle(const Request& request) {
  std::vector<std::string> parts = split_path(request.path);
  std::size_t base = 0;
  std::string group, version;
  if (parts.size() >= 2 && parts[0] == "api") {
    version = parts[1], base = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    group = parts[1], version = parts[2], base = 3;
  }
  if (request.path == k_snapshot_path) return handle_snapshot(request);
  if (base == 0 || parts.size() == base) return handle_docs(request);
  Target t;
  if (parts[base] == "watch") t.watch = true, ++base;
  std::vector<std::string> rest(parts.begin() + static_cast<std::ptrdiff_t>(base), parts.end());
  ResourcePtr info;
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    info = m_store.find_resource(group, version, rest[2]);
    if (info && info->namespaced) {
      t.ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    } else {
      info.reset();
    }
  }
  if (!info && !rest.empty()) info = m_store.find_resource(group, version, rest[0]);
  if (!info || rest.size() > 3) return error_response(err_unknown_resource());
  t.info = std::move(info);
  if (rest.size() >= 2) t.name = rest[1];
  if (rest.size() == 3) t.sub = rest[2];
  // Scale of custom resources (specReplicasPath and friends) is not served.
  const bool scale = t.sub == "scale" && t.info->has_scale && !t.info->custom;
  const bool binding = t.sub == "binding" && t.info->group.empty() && t.info->resource == "pods";
  if (!t.sub.empty() && !(t.sub == "status" && t.info->has_status) && !scale && !binding)
    return error_response(err_unknown_resource());
  return handle_resource(request, t);
}

std::variant<Response, WatchPlan> Api::handle_resource(const Request& r, const Target& t) {
  const std::string& m = r.method;
  ListFilter filter;
  filter.ns = t.ns;
  auto labels = LabelSelector::parse(query_of(r, "labelSelector"));
  if (!labels) return error_response(err_bad_request(labels.error().message));
  filter.labels = std::move(*labels);
  auto fields = FieldSelector::parse(query_of(r, "fieldSelector"));
  if (!fields) return error_response(fields.error());
  if (auto ok = check_field_selector(t.info->group, t.info->resource, *fields); !ok)
    return error_response(ok.error());
  filter.fields = std::move(*fields);
  if (t.name.empty()) {
    if (m == "GET" && (t.watch || query_true(r, "watch"))) {
      WatchPlan plan;
      plan.info = *t.info;
      plan.filter = filter;
      plan.bookmarks = query_true(r, "allowWatchBookmarks");
      plan.table = wants_table(r);
      std::string rv = query_of(r, "resourceVersion");
      bool initial = query_true(r, "sendInitialEvents");
      plan.initial_events_end = initial;
      std::optional<std::uint64_t> from;
      if (!initial && !rv.empty() && rv != "0") {
        std::uint64_t n = 0;
        auto [p, ec] = std::from_chars(rv.data(), rv.data() + rv.size(), n);
        if (ec != std::errc() || p != rv.data() + rv.size())
          return error_response(err_bad_request("invalid resource version: " + rv));
        from = n;
      }
      if (std::string ts = query_of(r, "timeoutSeconds"); !ts.empty())
        plan.timeout = std::chrono::seconds(number_or_zero(ts));
      auto start = m_store.start_watch(*t.info, filter, from);
      // As the real server: the stream opens (200) and carries one ERROR event, then ends.
      if (!start && start.error().code == 410)
        return Response{200, "application/json", error_line(start.error())};
      if (!start) return error_response(start.error());
      plan.start = std::move(*start);
      return plan;
    }
    if (m == "GET") return list(r, t, filter);
    if (m == "POST") {
      auto res = write(r, t);
      return res ? *res : error_response(res.error());
    }
    if (m == "DELETE") {
      auto res = remove_collection(r, t, filter);
      return res ? *res : error_response(res.error());
    }
    return error_response(err_method_not_allowed());
  }
  if (t.sub == "scale") {
    auto res = scale(r, t);
    return res ? *res : error_response(res.error());
  }
  if (t.sub == "binding") {
    auto res = bind(r, *t.info, t.ns, t.name);
    return res ? *res : error_response(res.error());
  }
  if (m == "GET") {
    auto e = m_store.get(*t.info, t.info->namespaced ? t.ns : "", t.name);
    if (!e) return error_response(e.error());
    if (wants_table(r)) {
      return json_response(
          200, make_table(*t.info, {*formats::parse_json(*(*e)->json)}, std::to_string((*e)->rv), ""));
    }
    return entry_response(200, **e);
  }
  if (m == "PUT" || m == "PATCH") {
    auto res = write(r, t);
    return res ? *res : error_response(res.error());
  }
  if (m == "DELETE" && t.sub.empty()) {
    auto res = remove(r, t);
    return res ? *res : error_response(res.error());
  }
  return error_response(err_method_not_allowed());
}

Response Api::list(const Request& r, const Target& t, const ListFilter& filter) {
  std::size_t limit =
      static_cast<std::size_t>(std::max<std::int64_t>(number_or_zero(query_of(r, "limit")), 0));
  auto page = m_store.list(*t.info, filter, limit, query_of(r, "continue"));
  if (!page) return error_response(page.error());
  std::string rv = std::to_string(page->rv);
  if (wants_table(r)) {
    std::vector<Value> objects;
    objects.reserve(page->items.size());
    for (const EntryPtr& e : page->items) objects.push_back(*formats::parse_json(*e->json));
    return json_response(200, make_table(*t.info, objects, rv, page->continue_token));
  }
  std::size_t size = 200;
  for (const EntryPtr& e : page->items) size += e->json->size() + 1;
  std::string body;
  body.reserve(size);
  body += "{\"kind\":\"" + t.info->kind + "List\",\"apiVersion\":\"" + t.info->group_version() +
          "\",\"metadata\":{\"resourceVersion\":\"" + rv + "\"";
  if (!page->continue_token.empty()) body += ",\"continue\":\"" + page->continue_token + "\"";
  if (page->remaining) body += ",\"remainingItemCount\":" + std::to_string(*page->remaining);
  body += "},\"items\":[";
  for (std::size_t i = 0; i < page->items.size(); ++i) {
    if (i) body += ',';
    append_list_item(body, *t.info, *page->items[i]->json);
  }
  body += "]}";
  return Response{200, "application/json", std::move(body)};
}

namespace {

// Who a write of `r` records in managedFields.
FieldManager field_manager(const Request& r, const std::string& subresource, FieldOperation operation) {
  FieldManager who;
  who.manager = manager_of(query_of(r, "fieldManager"), r.user_agent);
  who.operation = operation;
  who.subresource = subresource;
  who.force = query_true(r, "force");
  who.time = detail::now_rfc3339();
  return who;
}

// A write to the status subresource records its fields on what the store keeps of it: the stored
// object with the new status.
void track_status(const ResourceInfo& info, const FieldManager& who, const Value& current, Value& next) {
  Value kept = current;
  if (const Value* status = next.find("status")) kept.set("status", *status);
  track_update(info, who, current, kept);
  if (const Value* managed = kept.at({"metadata", "managedFields"}))
    detail::metadata_of(next).set("managedFields", *managed);
}

// A PATCH of one object: everything its mutation needs.
struct PatchPlan {
  const ResourceInfo& info;
  const std::string& ns;
  const std::string& name;
  Subresource sub;
  bool apply;               // application/apply-patch+yaml: a server-side apply
  formats::PatchType type;  // the other patch types
  const Value& patch;       // the parsed body
  const FieldManager& who;  // who the write is recorded for
  const WriteContext& context;
};

// The object `plan` makes of `current`: patched (or applied, managedFields and conflicts
// included), checked and admitted as an update.
ApiResult<Value> patch_object(const PatchPlan& plan, const Value& current) {
  ApiResult<Value> next = Value();
  if (plan.apply) {
    next = apply_config(plan.info, plan.who, current, plan.patch);
    if (!next) return next;
  } else {
    auto result = formats::apply_patch(plan.type, current, plan.patch);
    if (!result && plan.type == formats::PatchType::json)
      // The real server words every failed JSON patch operation the same, without the cause.
      return tl::unexpected(ApiError{
          422, "Invalid", "the server rejected our request due to an error in our request", Value::object()});
    if (!result) return tl::unexpected(err_bad_request(result.error().message));
    next = std::move(*result);
  }
  if (auto ok = check_name(*next, plan.info, plan.ns, plan.name); !ok) return tl::unexpected(ok.error());
  if (plan.sub == Subresource::main) {
    // an apply's fields are recorded by apply_config, an update's by admit_update
    if (auto ok = admit_update(plan.info, current, *next, plan.context); !ok)
      return tl::unexpected(ok.error());
  } else if (!plan.apply) {
    track_status(plan.info, plan.who, current, *next);
  }
  return next;
}

// What the write pipeline needs from the request: fieldValidation, dryRun, where warnings go.
WriteContext write_context(const Request& r, Store& store, std::vector<std::string>& warnings) {
  WriteContext context;
  context.field_validation =
      parse_field_validation(query_of(r, "fieldValidation")).value_or(FieldValidation::warn);
  context.dry_run = dry_run_of(r) == DryRun::yes;
  context.allocator = &store.allocator();
  context.warnings = &warnings;
  return context;
}

// A POST or PUT body as the object of the URL's resource and namespace.
ApiResult<Value> decode_object(const Request& r, const ResourceInfo& info, const std::string& ns) {
  auto body = parse_body(r, info.kind);
  if (!body) return tl::unexpected(body.error());
  if (auto ok = check_kind(*body, info); !ok) return tl::unexpected(ok.error());
  return check_namespace(std::move(*body), info, ns);
}

}  // namespace

ApiResult<Response> Api::create(const Request& r, const Target& t, Value object, const Value* applied) {
  const std::string ns = t.info->namespaced ? t.ns : "";
  std::vector<std::string> warnings;
  WriteContext context = write_context(r, m_store, warnings);
  FieldManager who = field_manager(r, "", applied ? FieldOperation::apply : FieldOperation::update);
  who.applied = applied;
  context.fields = &who;
  if (t.info->group.empty() && t.info->resource == "pods") context.limit_ranges = limit_ranges(m_store, ns);
  std::optional<Value> schema = crd_schema(m_store, *t.info);
  if (schema) context.crd_schema = &*schema;
  std::optional<Value> allocated;  // a Service's allocations, released when the create fails after
  auto admit = [&](Value& o) -> ApiResult<void> {
    auto ok = admit_create(*t.info, o, context);
    if (ok && !context.dry_run && t.info->group.empty() && t.info->resource == "services") allocated = o;
    return ok;
  };
  auto e = m_store.create(*t.info, ns, std::move(object), dry_run_of(r), admit);
  if (!e) {
    if (allocated) m_store.allocator().release(*allocated);
    return tl::unexpected(e.error());
  }
  Response response = entry_response(201, **e);
  response.warnings = std::move(warnings);
  return response;
}

ApiResult<Response> Api::write(const Request& r, const Target& t) {
  const std::string ns = t.info->namespaced ? t.ns : "";
  Subresource sub = t.sub == "status" ? Subresource::status : Subresource::main;
  const DryRun dry = dry_run_of(r);
  std::vector<std::string> warnings;
  WriteContext context = write_context(r, m_store, warnings);
  std::optional<Value> schema = r.method == "POST" ? std::nullopt : crd_schema(m_store, *t.info);
  if (schema) context.crd_schema = &*schema;
  const bool apply = r.method == "PATCH" && r.content_type == "application/apply-patch+yaml";
  if (r.method == "POST") {
    if (!t.sub.empty()) return tl::unexpected(err_method_not_allowed());
    auto object = decode_object(r, *t.info, t.ns);
    if (!object) return tl::unexpected(object.error());
    return create(r, t, std::move(*object));
  }
  FieldManager who = field_manager(r, t.sub, apply ? FieldOperation::apply : FieldOperation::update);
  if (!apply) context.fields = &who;
  if (r.method == "PUT") {
    auto object = decode_object(r, *t.info, t.ns);
    if (!object) return tl::unexpected(object.error());
    std::string body_name = detail::metadata_string(*object, "name");
    if (body_name != t.name)
      return tl::unexpected(err_bad_request("the name of the object (" + body_name +
                                            ") does not match the name on the URL (" + t.name + ")"));
    auto e = m_store.modify(
        *t.info, ns, t.name, sub,
        [&](const Value& current) -> ApiResult<Value> {
          if (auto ok = check_uid_precondition(*object, current, *t.info, ns, t.name); !ok)
            return tl::unexpected(ok.error());
          Value next = *object;
          if (sub == Subresource::main) {
            if (auto ok = admit_update(*t.info, current, next, context); !ok)
              return tl::unexpected(ok.error());
          } else {
            track_status(*t.info, who, current, next);
          }
          return next;
        },
        dry);
    if (!e) return tl::unexpected(e.error());
    Response response = entry_response(200, **e);
    response.warnings = std::move(warnings);
    return response;
  }
  // PATCH
  auto type = apply ? std::optional(formats::PatchType::merge) : patch_type(r.content_type);
  if (!type || (t.info->custom && *type == formats::PatchType::strategic)) {
    std::string accepted =
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";
    if (!t.info->custom) accepted += ", application/strategic-merge-patch+json";
    auto e = err_unsupported_media(
        "the body of the request was in an unknown format - accepted media types include: " + accepted);
    return tl::unexpected(e);
  }
  auto patch = apply ? formats::parse_yaml(r.body) : formats::parse_json(r.body);
  if (!patch) return tl::unexpected(err_bad_request("error decoding patch: " + patch.error().message));
  if (apply && query_of(r, "fieldManager").empty())
    return tl::unexpected(err_invalid("PatchOptions.meta.k8s.io", "", "fieldManager",
                                      "Required value: is required for apply patch", "FieldValueRequired"));
  const PatchPlan plan{*t.info, ns, t.name, sub, apply, *type, *patch, who, context};
  auto mutate = [&plan](const Value& current) { return patch_object(plan, current); };
  auto e = m_store.modify(*t.info, ns, t.name, sub, mutate, dry);
  if (!e && apply && e.error().code == 404) {
    Value object = *patch;
    if (auto ok = check_kind(object, *t.info); !ok) return tl::unexpected(ok.error());
    return create(r, t, std::move(object), &*patch);
  }
  if (!e) return tl::unexpected(e.error());
  Response response = entry_response(200, **e);
  response.warnings = std::move(warnings);
  return response;
}

namespace {

// The label selector of a scalable object as a string ("app=web,tier in (a,b)"), requirements
// sorted by key as apimachinery prints them; a ReplicationController's selector is a plain map.
std::string selector_string(const Value& object) {
  const Value* selector = object.at({"spec", "selector"});
  if (!selector || !selector->is_object()) return "";
  std::vector<std::pair<std::string, std::string>> requirements;  // key, text
  const Value* labels = selector->find("matchLabels");
  if (!labels && !selector->contains("matchExpressions")) labels = selector;
  if (labels && labels->is_object())
    for (const auto& member : labels->as_object())
      if (member.value.is_string())
        requirements.emplace_back(member.key, member.key + "=" + member.value.as_string());
  if (const Value* expressions = selector->find("matchExpressions"); expressions && expressions->is_array()) {
    for (const Value& e : expressions->as_array()) {
      std::string key(e.string_at({"key"})), op(e.string_at({"operator"}));
      std::string values;
      if (const Value* vs = e.find("values"); vs && vs->is_array()) {
        std::vector<std::string> sorted;
        for (const Value& v : vs->as_array())
          if (v.is_string()) sorted.push_back(v.as_string());
        std::sort(sorted.begin(), sorted.end());
        for (const auto& v : sorted) values += (values.empty() ? "" : ",") + v;
      }
      if (op == "In")
        requirements.emplace_back(key, std::string(key).append(" in (").append(values).append(")"));
      if (op == "NotIn")
        requirements.emplace_back(key, std::string(key).append(" notin (").append(values).append(")"));
      if (op == "Exists") requirements.emplace_back(key, key);
      if (op == "DoesNotExist") requirements.emplace_back(key, "!" + key);
    }
  }
  std::stable_sort(requirements.begin(), requirements.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& r : requirements) out += (out.empty() ? "" : ",") + r.second;
  return out;
}

// The autoscaling/v1 Scale of a Deployment, ReplicaSet, StatefulSet or ReplicationController.
Value scale_of(const Value& object) {
  Value scale = Value::object();
  scale.set("kind", "Scale");
  scale.set("apiVersion", "autoscaling/v1");
  Value meta = Value::object();
  for (const char* key : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"})
    if (const Value* v = object.at({"metadata", key})) meta.set(key, *v);
  scale.set("metadata", std::move(meta));
  Value spec = Value::object();
  const Value* replicas = object.at({"spec", "replicas"});
  spec.set("replicas", replicas && replicas->is_number() ? *replicas : Value(1));  // the API's default
  scale.set("spec", std::move(spec));
  Value status = Value::object();
  const Value* current = object.at({"status", "replicas"});
  status.set("replicas", current && current->is_number() ? *current : Value(0));
  if (std::string selector = selector_string(object); !selector.empty()) status.set("selector", selector);
  scale.set("status", std::move(status));
  return scale;
}

ApiError scale_invalid(const std::string& name, const std::string& detail) {
  return ApiError{422, "Invalid", "Scale.autoscaling \"" + name + "\" is invalid: " + detail, {}};
}

}  // namespace

ApiResult<Response> Api::scale(const Request& r, const Target& t) {
  const std::string ns = t.info->namespaced ? t.ns : "";
  if (r.method == "GET") {
    auto e = m_store.get(*t.info, ns, t.name);
    if (!e) return tl::unexpected(e.error());
    return json_response(200, scale_of(*formats::parse_json(*(*e)->json)));
  }
  if (r.method != "PUT" && r.method != "PATCH") return tl::unexpected(err_method_not_allowed());
  std::optional<Value> body;
  std::optional<formats::PatchType> type;
  if (r.method == "PUT") {
    auto parsed = parse_body(r, "Scale");
    if (!parsed) return tl::unexpected(parsed.error());
    if (parsed->string_at({"kind"}) != "Scale")
      return tl::unexpected(
          err_bad_request("the body of a scale update must be an autoscaling/v1 Scale, not \"" +
                          std::string(parsed->string_at({"kind"})) + "\""));
    if (parsed->string_at({"metadata", "name"}) != t.name)
      return tl::unexpected(err_bad_request("the name of the object (" +
                                            std::string(parsed->string_at({"metadata", "name"})) +
                                            ") does not match the name on the URL (" + t.name + ")"));
    body = std::move(*parsed);
  } else {
    type = patch_type(r.content_type);
    if (!type)
      return tl::unexpected(
          err_unsupported_media("the body of the request was in an unknown format - accepted media types "
                                "include: application/json-patch+json, application/merge-patch+json, "
                                "application/strategic-merge-patch+json"));
    if (*type == formats::PatchType::strategic) type = formats::PatchType::merge;  // a Scale has no lists
    auto parsed = formats::parse_json(r.body);
    if (!parsed) return tl::unexpected(err_bad_request("error decoding patch: " + parsed.error().message));
    body = std::move(*parsed);
  }
  auto mutate = [&](const Value& current) -> ApiResult<Value> {
    Value wanted;
    if (type) {
      auto patched = formats::apply_patch(*type, scale_of(current), *body);
      if (!patched) return tl::unexpected(err_bad_request(patched.error().message));
      wanted = std::move(*patched);
    } else {
      wanted = *body;
    }
    const Value* replicas = wanted.at({"spec", "replicas"});
    auto n = replicas && replicas->is_number() ? replicas->as_int64() : std::nullopt;
    if (!n || *n < 0)
      return tl::unexpected(
          scale_invalid(t.name, "spec.replicas: Invalid value: must be greater than or equal to 0"));
    Value next = current;
    next["spec"].set("replicas", *n);
    // A resourceVersion in the Scale is a precondition on the object, as on a real server.
    if (std::string_view rv = wanted.string_at({"metadata", "resourceVersion"}); !rv.empty())
      next["metadata"].set("resourceVersion", rv);
    return next;
  };
  auto e = m_store.modify(*t.info, ns, t.name, Subresource::main, mutate);
  if (!e) return tl::unexpected(e.error());
  return json_response(200, scale_of(*formats::parse_json(*(*e)->json)));
}

ApiResult<Response> Api::remove(const Request& r, const Target& t) {
  auto propagation = propagation_of(r);
  if (!propagation) return tl::unexpected(propagation.error());
  std::string pre_uid, pre_rv;
  if (auto opts = formats::parse_json(r.body); opts && opts->is_object()) {
    pre_uid = std::string(opts->string_at({"preconditions", "uid"}));
    pre_rv = std::string(opts->string_at({"preconditions", "resourceVersion"}));
  }
  DeleteRequest request{*propagation, pre_uid, pre_rv, dry_run_of(r)};
  auto out = m_store.remove(*t.info, t.info->namespaced ? t.ns : "", t.name, request);
  if (!out) return tl::unexpected(out.error());
  if (!out->removed) return entry_response(200, *out->entry);
  Value status = Value::object();
  status.set("kind", "Status");
  status.set("apiVersion", "v1");
  status.set("metadata", Value::object());
  status.set("status", "Success");
  Value details = Value::object();
  details.set("name", t.name);
  if (!t.info->group.empty()) details.set("group", t.info->group);
  details.set("kind", t.info->resource);
  details.set("uid", out->entry->uid);
  status.set("details", details);
  return json_response(200, status);
}

ApiResult<Response> Api::remove_collection(const Request& r, const Target& t, const ListFilter& filter) {
  auto propagation = propagation_of(r);
  if (!propagation) return tl::unexpected(propagation.error());
  auto page = m_store.list(*t.info, filter, 0, "");
  if (!page) return tl::unexpected(page.error());
  std::string body = "{\"kind\":\"" + t.info->kind + "List\",\"apiVersion\":\"" + t.info->group_version() +
                     "\",\"metadata\":{\"resourceVersion\":\"" + std::to_string(page->rv) + "\"},\"items\":[";
  bool first = true;
  const DeleteRequest request{*propagation, {}, {}, dry_run_of(r)};
  for (const EntryPtr& e : page->items) {
    auto out = m_store.remove(*t.info, e->ns, e->name, request);
    if (!out) continue;  // deleted meanwhile
    if (!first) body += ',';
    body += *out->entry->json;
    first = false;
  }
  body += "]}";
  return Response{200, "application/json", std::move(body)};
}

std::string Api::event_line(const WatchPlan& plan, EventType type, const Entry& entry) {
  std::string line = "{\"type\":\"";
  line += event_type_name(type);
  line += "\",\"object\":";
  if (plan.table) {
    formats::append_json(
        line, make_table(plan.info, {*formats::parse_json(*entry.json)}, std::to_string(entry.rv), ""));
  } else {
    line += *entry.json;
  }
  line += "}\n";
  return line;
}

std::string Api::bookmark_line(const WatchPlan& plan, std::uint64_t rv, bool initial_events_end) {
  std::string line = "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"" + plan.info.kind +
                     "\",\"apiVersion\":\"" + plan.info.group_version() +
                     "\",\"metadata\":{\"resourceVersion\":\"" + std::to_string(rv) +
                     "\",\"creationTimestamp\":null";
  if (initial_events_end) line += ",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}";
  line += "}}}\n";
  return line;
}

std::string Api::error_line(const ApiError& error) {
  return "{\"type\":\"ERROR\",\"object\":" + formats::to_json(status_document(error)) + "}\n";
}

}  // namespace ktape::sim
