#include "formats/patch.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "formats/patch_strategic.hpp"

namespace ktape::formats {
namespace {

// The media types of the three patch kinds, as kubectl sends them and kube-apiserver accepts them.
constexpr std::string_view k_json_patch_type = "application/json-patch+json";
constexpr std::string_view k_merge_patch_type = "application/merge-patch+json";
constexpr std::string_view k_strategic_patch_type = "application/strategic-merge-patch+json";

std::string lowercase_trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

void apply_merge_patch_in_place(Value& target, const Value& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = Value::object();
  for (const Member& m : patch.as_object()) {
    if (m.value.is_null()) {
      target.erase(m.key);
      continue;
    }
    Value* existing = target.find(m.key);
    if (existing == nullptr) existing = &target.set(m.key, Value());
    apply_merge_patch_in_place(*existing, m.value);
  }
}

std::string_view content_type(PatchType type) {
  switch (type) {
    case PatchType::json:
      return k_json_patch_type;
    case PatchType::merge:
      return k_merge_patch_type;
    case PatchType::strategic:
      return k_strategic_patch_type;
  }
  return k_merge_patch_type;
}

std::optional<PatchType> patch_type_from_content_type(std::string_view media_type) {
  const std::string type = lowercase_trimmed(media_type.substr(0, media_type.find(';')));
  if (type == k_json_patch_type) return PatchType::json;
  if (type == k_merge_patch_type) return PatchType::merge;
  if (type == k_strategic_patch_type) return PatchType::strategic;
  return std::nullopt;
}

Value create_merge_patch(const Value& original, const Value& modified) {
  if (!original.is_object() || !modified.is_object()) return modified;
  Value patch = Value::object();
  for (const Member& m : modified.as_object()) {
    const Value* before = original.find(m.key);
    if (before != nullptr && before->is_object() && m.value.is_object()) {
      Value sub = create_merge_patch(*before, m.value);
      if (sub.size() > 0) patch.set(m.key, std::move(sub));
    } else if (before == nullptr || *before != m.value) {
      patch.set(m.key, m.value);
    }
  }
  for (const Member& m : original.as_object()) {
    if (!modified.contains(m.key)) patch.set(m.key, nullptr);
  }
  return patch;
}

Value apply_merge_patch(const Value& target, const Value& patch) {
  Value result = target;
  apply_merge_patch_in_place(result, patch);
  return result;
}

bool has_strategic_metadata(std::string_view api_version, std::string_view kind) {
  return detail::find_root_schema(api_version, kind).has_value();
}

Result<Value> create_strategic_merge_patch(const Value& original, const Value& modified) {
  const auto schema = detail::schema_of(original, modified);
  if (!schema) return create_merge_patch(original, modified);
  return detail::create_strategic(original, modified, *schema);
}

Result<Value> apply_strategic_merge_patch(const Value& original, const Value& patch) {
  const auto schema = detail::schema_of(original, patch);
  if (!schema) return apply_merge_patch(original, patch);
  return detail::apply_strategic(original, patch, *schema);
}

Result<void> apply_strategic_merge_patch_in_place(Value& target, const Value& patch) {
  const auto schema = detail::schema_of(target, patch);
  if (!schema) {
    apply_merge_patch_in_place(target, patch);
    return {};
  }
  return detail::apply_strategic_in_place(target, patch, *schema);
}

Result<Value> apply_patch(PatchType type, const Value& target, const Value& patch) {
  switch (type) {
    case PatchType::json:
      return apply_json_patch(target, patch);
    case PatchType::merge:
      return apply_merge_patch(target, patch);
    case PatchType::strategic:
      return apply_strategic_merge_patch(target, patch);
  }
  return fail(ErrorKind::unsupported, "unknown patch type");
}

}  // namespace ktape::formats
