#pragma once
// Recording documents as text, for tests that write a recording by hand: the one copy of each.
// Templates and objects are JSON, which YAML reads.
#include <cstdint>
#include <string>

namespace ktape::test_support {

// One ResourcePatch event document ("---" first); `template_json` is left out when empty.
std::string event_doc(const std::string& group, const std::string& resource, const std::string& ns,
                      const std::string& name, const std::string& method, std::int64_t at_ns,
                      const std::string& template_json = "");
// A controller ownerReference.
std::string owner_json(const std::string& api_version, const std::string& kind, const std::string& name,
                       const std::string& uid);
// An object; `owners` is a list of owner_json()s joined by commas, `rest` more top-level members,
// `labels` a JSON object of labels. An empty namespace or uid is left out of the metadata.
std::string object_json(const std::string& api_version, const std::string& kind, const std::string& ns,
                        const std::string& name, const std::string& uid, const std::string& owners = "",
                        const std::string& rest = "", const std::string& labels = "");

}  // namespace ktape::test_support
