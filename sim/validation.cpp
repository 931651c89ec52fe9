// The validation framework (causes worded as k8s.io/apimachinery's field errors), the metadata
// checks every kind gets, and dispatch to the kinds' checks.
#include "sim/validation.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "formats/json.hpp"
#include "sim/object_util.hpp"

namespace ktape::sim {

using formats::Value;

void FieldErrors::invalid(std::string field, const std::string& value, const std::string& detail) {
  m_causes.push_back({"FieldValueInvalid", std::move(field),
                      "Invalid value: " + value + (detail.empty() ? "" : ": " + detail)});
}

void FieldErrors::required(std::string field, const std::string& detail) {
  m_causes.push_back(
      {"FieldValueRequired", std::move(field), "Required value" + (detail.empty() ? "" : ": " + detail)});
}

void FieldErrors::unsupported(std::string field, const std::string& value,
                              const std::vector<std::string>& supported) {
  std::string list;
  for (const auto& s : supported) list += (list.empty() ? "" : ", ") + go_quote(s);
  m_causes.push_back({"FieldValueNotSupported", std::move(field),
                      "Unsupported value: " + go_quote(value) + ": supported values: " + list});
}

void FieldErrors::duplicate(std::string field, const std::string& value) {
  m_causes.push_back({"FieldValueDuplicate", std::move(field), "Duplicate value: " + value});
}

void FieldErrors::forbidden(std::string field, const std::string& detail) {
  m_causes.push_back({"FieldValueForbidden", std::move(field), "Forbidden: " + detail});
}

void FieldErrors::not_found(std::string field, const std::string& value) {
  m_causes.push_back({"FieldValueNotFound", std::move(field), "Not found: " + value});
}

void FieldErrors::too_long(std::string field, const std::string& detail) {
  m_causes.push_back({"FieldValueTooLong", std::move(field), "Too long: " + detail});
}

std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string go_string_map(const Value& map) {
  std::vector<std::pair<std::string, std::string>> items;
  if (map.is_object())
    for (const formats::Member& m : map.as_object())
      items.emplace_back(m.key, m.value.is_string() ? m.value.as_string() : "");
  std::sort(items.begin(), items.end());
  std::string out = "map[string]string{";
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i ? ", " : "") + go_quote(items[i].first) + ":" + go_quote(items[i].second);
  return out + "}";
}

ApiError err_invalid_causes(const ResourceInfo& info, std::string_view name,
                            const std::vector<Cause>& causes) {
  std::string qualified = info.group.empty() ? info.kind : info.kind + "." + info.group;
  std::string message = qualified + " " + go_quote(name) + " is invalid: ";
  if (causes.size() == 1) {
    message += causes[0].field + ": " + causes[0].message;
  } else {
    message += "[";
    for (std::size_t i = 0; i < causes.size(); ++i)
      message +=
          (i ? ", " : "") + causes[i].field + (causes[i].field.empty() ? "" : ": ") + causes[i].message;
    message += "]";
  }
  Value list = Value::array();
  for (const Cause& c : causes) {
    Value cause = Value::object();
    cause.set("reason", c.reason);
    cause.set("message", c.message);
    cause.set("field", c.field);
    list.push_back(std::move(cause));
  }
  Value details = Value::object();
  details.set("name", name);
  if (!info.group.empty()) details.set("group", info.group);
  details.set("kind", info.kind);
  details.set("causes", std::move(list));
  return ApiError{422, "Invalid", std::move(message), std::move(details)};
}

namespace detail {

namespace {

bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool is_name_part(std::string_view s) {
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

constexpr const char* k_name_part_msg =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

constexpr const char* k_label_value_msg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

void validate_owner_references(const Value& object, FieldErrors& errors) {
  const Value* refs = object.at({"metadata", "ownerReferences"});
  if (!refs || !refs->is_array()) return;
  int controllers = 0;
  for (const Value& r : refs->as_array()) {
    std::string_view api_version = r.string_at({"apiVersion"});
    std::string_view version =
        api_version.substr(api_version.find('/') == std::string_view::npos ? 0 : api_version.find('/') + 1);
    if (version.empty())
      errors.invalid("metadata.ownerReferences.apiVersion", go_quote(api_version),
                     "version must not be empty");
    if (r.string_at({"kind"}).empty())
      errors.invalid("metadata.ownerReferences.kind", "\"\"", "kind must not be empty");
    if (r.string_at({"name"}).empty())
      errors.invalid("metadata.ownerReferences.name", "\"\"", "name must not be empty");
    if (r.string_at({"uid"}).empty())
      errors.invalid("metadata.ownerReferences.uid", "\"\"", "uid must not be empty");
    const Value* controller = r.find("controller");
    if (controller && controller->is_bool() && controller->as_bool()) ++controllers;
  }
  if (controllers > 1)
    errors.invalid("metadata.ownerReferences", "[]v1.OwnerReference{...}",
                   "Only one reference can have Controller set to true");
}

}  // namespace

std::optional<std::string> check_qualified_name(std::string_view key) {
  std::string_view name = key;
  std::size_t slash = key.find('/');
  if (slash != std::string_view::npos) {
    if (key.find('/', slash + 1) != std::string_view::npos)
      return std::string(
          "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
          "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
          "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix "
          "and '/' (e.g. 'example.com/MyName')");
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty()) return std::string("prefix part must be non-empty");
    if (auto bad = check_dns1123_subdomain(prefix)) {
      // check_dns1123_subdomain words a whole cause; the prefix message keeps its detail only.
      const std::string& text = *bad;
      std::size_t colon = text.find(": ");
      return "prefix part " + (colon == std::string::npos ? text : text.substr(colon + 2));
    }
  }
  if (name.empty()) return std::string("name part must be non-empty");
  if (name.size() > 63) return std::string("name part must be no more than 63 characters");
  if (!is_name_part(name)) return std::string(k_name_part_msg);
  return std::nullopt;
}

void validate_labels(const Value* labels, const std::string& path, FieldErrors& errors) {
  if (!labels || !labels->is_object()) return;
  for (const formats::Member& m : labels->as_object()) {
    if (auto bad = check_qualified_name(m.key)) errors.invalid(path, go_quote(m.key), *bad);
    std::string value = m.value.is_string() ? m.value.as_string() : "";
    if (value.size() > 63) errors.invalid(path, go_quote(value), "must be no more than 63 characters");
    if (!value.empty() && !is_name_part(value)) errors.invalid(path, go_quote(value), k_label_value_msg);
  }
}

void validate_metadata(const Value& object, FieldErrors& errors) {
  validate_labels(object.at({"metadata", "labels"}), "metadata.labels", errors);
  if (const Value* annotations = object.at({"metadata", "annotations"});
      annotations && annotations->is_object()) {
    std::size_t total = 0;
    for (const formats::Member& m : annotations->as_object()) {
      std::string lower = m.key;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (auto bad = check_qualified_name(lower))
        errors.invalid("metadata.annotations", go_quote(m.key), *bad);
      total += m.key.size() + (m.value.is_string() ? m.value.as_string().size() : 0);
    }
    // apimachinery's TotalAnnotationSizeLimitB: 256 KiB.
    if (total > std::size_t{256} * 1024)
      errors.too_long("metadata.annotations", "must have at most 262144 bytes");
  }
  validate_owner_references(object, errors);
}

namespace {

// A metav1.Time as Go's %v prints it in UTC: "2030-01-01 00:00:00 +0000 UTC" (from RFC 3339 text;
// an offset other than Z is kept as written).
std::string go_time(std::string_view rfc3339) {
  std::string out(rfc3339);
  if (auto t = out.find('T'); t != std::string::npos) out[t] = ' ';
  if (!out.empty() && out.back() == 'Z') {
    out.pop_back();
    out += " +0000 UTC";
  }
  return out;
}

// An immutable field's value as field.Invalid prints it.
std::string go_value(std::string_view field, const Value* v) {
  if (!v || v->is_null()) return "\"null\"";
  if (v->is_number()) return v->number_text();
  if (!v->is_string()) return formats::to_json(*v);
  return field == "deletionTimestamp" ? go_time(v->as_string()) : go_quote(v->as_string());
}

}  // namespace

void validate_metadata_update(const Value& object, const Value& old, FieldErrors& errors) {
  const Value* now = object.find("metadata");
  const Value* was = old.find("metadata");
  if (!now || !was) return;
  for (std::string_view field :
       {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"}) {
    const Value* a = now->find(field);
    const Value* b = was->find(field);
    bool same = (!a || a->is_null()) ? (!b || b->is_null()) : (b && *a == *b);
    if (!same)
      errors.invalid(std::string("metadata.").append(field), go_value(field, a), "field is immutable");
  }
}

}  // namespace detail

ApiResult<void> validate_create(const ResourceInfo& info, const Value& object) {
  FieldErrors errors;
  detail::validate_metadata(object, errors);
  if (detail::Validator v = detail::find_validator(info)) v(object, nullptr, errors);
  if (errors.empty()) return {};
  return tl::unexpected(err_invalid_causes(info, detail::metadata_string(object, "name"), errors.causes()));
}

ApiResult<void> validate_update(const ResourceInfo& info, const Value& old, const Value& object) {
  FieldErrors errors;
  // Strategies validate the object as on create, then what the update changed.
  detail::validate_metadata(object, errors);
  detail::validate_metadata_update(object, old, errors);
  if (detail::Validator v = detail::find_validator(info)) v(object, &old, errors);
  if (errors.empty()) return {};
  return tl::unexpected(err_invalid_causes(info, detail::metadata_string(object, "name"), errors.causes()));
}

}  // namespace ktape::sim
