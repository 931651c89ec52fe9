#pragma once
// What to record: the resources a kube::Selection names on one server, with the recorder's own
// rules (only list+watchable resources; noisy ones left out by default). Objects are then matched
// by kube/selection.hpp's namespace rule; -l is applied by the server.
#include <vector>

#include "formats/error.hpp"
#include "kube/discovery.hpp"
#include "kube/selection.hpp"

namespace ktape::recorder {

// The resources to record, each list+watchable. With --resource: the named resources (at the
// version named, else their group's preferred one) minus --exclude-resource; a named resource that
// cannot be listed and watched is an invalid Error. Without: every list+watchable resource at its
// group's preferred version, minus kube::excluded_by_default and --exclude-resource. An unknown
// name is a not_found Error naming its flag and the name (kube::resolve_resources).
Result<std::vector<kube::ApiResource>> select_resources(const kube::Discovery& discovery,
                                                        const kube::Selection& selection);

}  // namespace ktape::recorder
