#include "store/take_event.hpp"

#include <algorithm>

namespace ktape::store {

Result<formats::ResourcePatch> take_resource_patch(formats::Value& doc) {
  formats::Value* t = doc.find("template");
  if (t == nullptr || !t->is_object()) return formats::parse_resource_patch(doc);  // errors as parse's
  formats::Value taken = std::move(*t);
  *t = formats::Value::object();  // an empty mapping passes parse's check and costs no copy
  auto event = formats::parse_resource_patch(doc);
  if (event) event->template_value = std::move(taken);
  return event;
}

bool has_resync_comment(const std::vector<std::string>& comments) {
  return std::any_of(comments.begin(), comments.end(),
                     [](const std::string& c) { return c == "resync" || c.rfind("resync ", 0) == 0; });
}

}  // namespace ktape::store
