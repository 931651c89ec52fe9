#include "formats/patch_strategic.hpp"

namespace ktape::formats::detail {

std::optional<Schema> schema_of(const Value& first, const Value& second) {
  for (const Value* doc : {&first, &second}) {
    const std::string_view api_version = doc->string_at({"apiVersion"});
    const std::string_view kind = doc->string_at({"kind"});
    if (!api_version.empty() && !kind.empty()) return find_root_schema(api_version, kind);
  }
  return std::nullopt;
}

const Value* element_identity(const Value& element, std::string_view merge_key) {
  if (merge_key.empty() || !element.is_object()) return &element;
  return element.find(merge_key);
}

Result<Value::Type> element_type(const Array& first, const Array& second, const std::string& path) {
  const Value& sample = first.empty() ? second.front() : first.front();
  const Value::Type type = sample.type();
  if (type == Value::Type::array) return fail(patch_error(path, "lists of lists cannot be merged"));
  for (const Array* list : {&first, &second}) {
    for (const Value& element : *list) {
      if (element.type() != type)
        return fail(patch_error(path, "the list mixes elements of different types"));
    }
  }
  return type;
}

std::string child_path(const std::string& path, std::string_view key) {
  std::string out;
  out.reserve(path.size() + key.size() + 1);
  if (!path.empty()) out.append(path).push_back('.');
  out.append(key);
  return out;
}

Error patch_error(const std::string& path, const std::string& message) {
  std::string text = "strategic merge patch: ";
  if (!path.empty()) text.append(path).append(": ");
  text.append(message);
  return Error{ErrorKind::invalid, std::move(text), 0, {}};
}

}  // namespace ktape::formats::detail
