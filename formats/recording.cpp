#include "formats/recording.hpp"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "formats/json.hpp"

namespace ktape::formats {

namespace {

constexpr std::string_view k_header_prefix = "ktape:";

// kwok's naive plural (lowercase kind + "s") -> the real one, for built-in kinds whose plural is
// not that. Regular English endings are handled after the table.
constexpr std::array<std::pair<std::string_view, std::string_view>, 14> k_naive_plurals = {{
    {"endpointss", "endpoints"},
    {"ingresss", "ingresses"},
    {"ingressclasss", "ingressclasses"},
    {"networkpolicys", "networkpolicies"},
    {"storageclasss", "storageclasses"},
    {"priorityclasss", "priorityclasses"},
    {"runtimeclasss", "runtimeclasses"},
    {"componentstatuss", "componentstatuses"},
    {"ipaddresss", "ipaddresses"},
    {"csistoragecapacitys", "csistoragecapacities"},
    {"volumeattributesclasss", "volumeattributesclasses"},
    {"deviceclasss", "deviceclasses"},
    {"validatingadmissionpolicys", "validatingadmissionpolicies"},
    {"mutatingadmissionpolicys", "mutatingadmissionpolicies"},
}};

Error field_error(std::string_view field, std::string_view what) {
  return Error{ErrorKind::invalid, "field " + std::string(field) + ": " + std::string(what), 0, {}};
}

Result<std::string> required_string(const Value& doc, std::initializer_list<std::string_view> path,
                                    std::string_view field) {
  const Value* v = doc.at(path);
  if (!v) return fail(field_error(field, "missing"));
  if (!v->is_string()) return fail(field_error(field, "must be a string"));
  if (v->as_string().empty()) return fail(field_error(field, "must not be empty"));
  return v->as_string();
}

std::optional<Method> parse_method(std::string_view text) {
  if (text == "create") return Method::create;
  if (text == "patch") return Method::patch;
  if (text == "delete") return Method::remove;
  return std::nullopt;
}

Result<GroupVersionResource> parse_gvr(const Value& doc) {
  const Value* r = doc.find("resource");
  if (!r) return fail(field_error("resource", "missing"));
  if (!r->is_object()) return fail(field_error("resource", "must be a mapping"));
  GroupVersionResource gvr;
  gvr.group = std::string(r->string_at({"group"}));
  auto version = required_string(doc, {"resource", "version"}, "resource.version");
  if (!version) return fail(version.error());
  auto resource = required_string(doc, {"resource", "resource"}, "resource.resource");
  if (!resource) return fail(resource.error());
  gvr.version = *version;
  gvr.resource = normalize_plural(*resource);
  return gvr;
}

Result<std::int64_t> parse_duration(const Value& doc) {
  const Value* d = doc.find("durationNanosecond");
  if (!d) return fail(field_error("durationNanosecond", "missing"));
  auto ns = d->as_int64();
  if (!ns) return fail(field_error("durationNanosecond", "must be an integer number of nanoseconds"));
  return *ns;
}

}  // namespace

Value to_value(const Header& header) {
  Value v = Value::object();
  v.set("formatVersion", header.format_version);
  v.set("startTime", header.start_time);
  v.set("source", header.source);
  v.set("serverVersion", header.server_version);
  v.set("mode", header.mode);
  v.set("timeMarkers", header.time_markers);
  v.set("selection", header.selection.is_null() ? Value::object() : header.selection);
  return v;
}

std::string format_header_line(const Header& header) {
  return "# ktape: " + to_json(to_value(header)) + "\n";
}

Result<std::optional<Header>> parse_header_comment(std::string_view comment) {
  if (comment.substr(0, k_header_prefix.size()) != k_header_prefix) return std::optional<Header>{};
  auto json = parse_json(comment.substr(k_header_prefix.size()));
  if (!json) return fail(with_context(json.error(), "ktape header"));
  if (!json->is_object()) return fail(ErrorKind::invalid, "ktape header: expected a JSON object");
  Header h;
  if (auto v = json->find("formatVersion"); v && v->as_int64())
    h.format_version = static_cast<int>(*v->as_int64());
  if (h.format_version > k_format_version)
    return fail(ErrorKind::unsupported, "ktape header: formatVersion " + std::to_string(h.format_version) +
                                            " is newer than this ktape reads (" +
                                            std::to_string(k_format_version) + "); upgrade ktape");
  h.start_time = std::string(json->string_at({"startTime"}));
  if (!h.start_time.empty() && !parse_rfc3339(h.start_time))
    return fail(ErrorKind::invalid,
                "ktape header: startTime \"" + h.start_time + "\" is not an RFC3339 time");
  h.source = std::string(json->string_at({"source"}));
  h.server_version = std::string(json->string_at({"serverVersion"}));
  h.mode = std::string(json->string_at({"mode"}));
  if (auto v = json->find("timeMarkers"); v && v->is_bool()) h.time_markers = v->as_bool();
  if (auto v = json->find("selection")) h.selection = *v;
  return std::optional<Header>{std::move(h)};
}

std::string_view method_name(Method method) {
  switch (method) {
    case Method::create:
      return "create";
    case Method::patch:
      return "patch";
    case Method::remove:
      return "delete";
  }
  return "create";
}

std::string GroupVersionResource::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

bool sets_deletion_timestamp(const Value& patch) {
  const Value* at = patch.at({"metadata", "deletionTimestamp"});
  return at != nullptr && at->is_string() && !at->as_string().empty();
}

bool is_resource_patch(const Value& doc) {
  return doc.string_at({"apiVersion"}) == k_action_api_version &&
         doc.string_at({"kind"}) == k_resource_patch_kind;
}

namespace {

// The document without its template.
Value resource_patch_frame(const ResourcePatch& event) {
  Value v = Value::object();
  v.set("apiVersion", k_action_api_version);
  v.set("kind", k_resource_patch_kind);
  Value& r = v["resource"];
  if (!event.resource.group.empty()) r.set("group", event.resource.group);
  r.set("version", event.resource.version);
  r.set("resource", event.resource.resource);
  Value& t = v["target"];
  t.set("name", event.name);
  if (!event.namespace_name.empty()) t.set("namespace", event.namespace_name);
  v.set("durationNanosecond", event.duration_ns);
  v.set("method", method_name(event.method));
  return v;
}

}  // namespace

Value to_value(const ResourcePatch& event) {
  Value v = resource_patch_frame(event);
  if (event.method != Method::remove) v.set("template", event.template_value);
  return v;
}

Value to_value(ResourcePatch&& event) {
  Value v = resource_patch_frame(event);
  if (event.method != Method::remove) v.set("template", std::move(event.template_value));
  return v;
}

Result<ResourcePatch> parse_resource_patch(const Value& doc) {
  ResourcePatch ev;
  auto gvr = parse_gvr(doc);
  if (!gvr) return fail(gvr.error());
  ev.resource = std::move(*gvr);
  auto name = required_string(doc, {"target", "name"}, "target.name");
  if (!name) return fail(name.error());
  ev.name = std::move(*name);
  ev.namespace_name = std::string(doc.string_at({"target", "namespace"}));
  auto duration = parse_duration(doc);
  if (!duration) return fail(duration.error());
  ev.duration_ns = *duration;
  auto method_text = required_string(doc, {"method"}, "method");
  if (!method_text) return fail(method_text.error());
  auto method = parse_method(*method_text);
  if (!method) return fail(field_error("method", "\"" + *method_text + "\" is not create, patch or delete"));
  ev.method = *method;
  if (const Value* t = doc.find("template")) ev.template_value = *t;
  if (ev.method != Method::remove && !ev.template_value.is_object())
    return fail(field_error("template", ev.template_value.is_null()
                                            ? "missing (required for " + *method_text + ")"
                                            : "must be a mapping"));
  return ev;
}

std::string normalize_plural(std::string_view resource) {
  for (const auto& [naive, real] : k_naive_plurals)
    if (resource == naive) return std::string(real);
  return std::string(resource);
}

void strip_for_snapshot(Value& object, bool keep_managed_fields) {
  Value* meta = object.find("metadata");
  if (!meta) return;
  meta->erase("resourceVersion");
  if (!keep_managed_fields) meta->erase("managedFields");
}

}  // namespace ktape::formats
