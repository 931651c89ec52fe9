#pragma once
// The items of a LIST answer as the real server writes them: a built-in resource's items carry
// no kind and apiVersion (the list's own say them), a custom resource's keep theirs.
#include <string>
#include <string_view>

#include "sim/resources.hpp"

namespace ktape::sim {

// Appends stored object `json` (of resource `info`) to `out` as an item of its list. Fast when
// the object starts with its kind and apiVersion, as the store writes them; any other text is
// parsed and written again.
void append_list_item(std::string& out, const ResourceInfo& info, std::string_view json);

}  // namespace ktape::sim
