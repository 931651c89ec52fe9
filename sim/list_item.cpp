#include "sim/list_item.hpp"

#include "formats/json.hpp"

namespace ktape::sim {

void append_list_item(std::string& out, const ResourceInfo& info, std::string_view json) {
  if (info.custom) {
    out += json;
    return;
  }
  std::string prefix;
  prefix.reserve(40 + info.kind.size());
  prefix.append("{\"kind\":");
  formats::append_json_string(prefix, info.kind);
  prefix.append(",\"apiVersion\":");
  formats::append_json_string(prefix, info.group_version());
  prefix += ',';
  if (json.substr(0, prefix.size()) == prefix) {
    out += '{';
    out += json.substr(prefix.size());
    return;
  }
  auto object = formats::parse_json(json);
  if (!object || !object->is_object()) {
    out += json;
    return;
  }
  object->erase("kind");
  object->erase("apiVersion");
  formats::append_json(out, *object);
}

}  // namespace ktape::sim
