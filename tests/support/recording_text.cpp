#include "tests/support/recording_text.hpp"

namespace ktape::test_support {

std::string event_doc(const std::string& group, const std::string& resource, const std::string& ns,
                      const std::string& name, const std::string& method, std::int64_t at_ns,
                      const std::string& template_json) {
  std::string doc =
      "---\napiVersion: action.kwok.x-k8s.io/v1alpha1\nkind: ResourcePatch\nresource: {group: \"" + group +
      "\", version: v1, resource: " + resource + "}\ntarget: {name: " + name + ", namespace: \"" + ns +
      "\"}\ndurationNanosecond: " + std::to_string(at_ns) + "\nmethod: " + method + "\n";
  if (!template_json.empty()) doc += "template: " + template_json + "\n";
  return doc;
}

std::string owner_json(const std::string& api_version, const std::string& kind, const std::string& name,
                       const std::string& uid) {
  return R"({"apiVersion":")" + api_version + R"(","kind":")" + kind + R"(","name":")" + name +
         R"(","uid":")" + uid + R"(","controller":true})";
}

std::string object_json(const std::string& api_version, const std::string& kind, const std::string& ns,
                        const std::string& name, const std::string& uid, const std::string& owners,
                        const std::string& rest, const std::string& labels) {
  std::string meta = R"("name":")" + name + "\"";
  if (!ns.empty()) meta += R"(,"namespace":")" + ns + "\"";
  if (!uid.empty()) meta += R"(,"uid":")" + uid + "\"";
  if (!owners.empty()) meta += R"(,"ownerReferences":[)" + owners + "]";
  if (!labels.empty()) meta += R"(,"labels":)" + labels;
  std::string out =
      R"({"apiVersion":")" + api_version + R"(","kind":")" + kind + R"(","metadata":{)" + meta + "}";
  if (!rest.empty()) out += "," + rest;
  return out + "}";
}

}  // namespace ktape::test_support
