#pragma once
// Inside restore/ (make_plan's inputs): the two sides a plan compares, read at once. The
// recording is read into its state on a thread of its own while this thread LISTs the target, so
// a restore waits for the slower of the two instead of their sum.
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "formats/error.hpp"
#include "kube/client.hpp"
#include "kube/selection.hpp"
#include "restore/restore.hpp"
#include "store/diff.hpp"

namespace ktape::restore {

// A store::RecordedState::key's parts, viewing the key: "apps/v1|deployments|shop|web".
struct KeyParts {
  std::string_view api_version, resource, namespace_name, name;
};
KeyParts split_key(std::string_view key);
// "apps/v1" -> {"apps", "v1"}; "v1" -> {"", "v1"}.
std::pair<std::string, std::string> split_api_version(std::string_view api_version);

// What the target serves, plus what the state's CRDs define (created before their objects).
struct Resources {
  kube::Discovery served;
  std::vector<kube::ApiResource> defined;  // by CRDs in the state, not served yet
  // The resource of a key's object; nullptr when neither serves nor defines it.
  const kube::ApiResource* find(const KeyParts& k) const;
};

struct StateSide {
  store::ObjectMap objects;  // as recorded
  std::vector<std::string> header_resources;
  std::string server_version;
};

struct LiveSide {
  store::ObjectMap objects;          // the selected resources' objects, as served
  std::set<std::string> namespaces;  // every namespace the target has
};

struct Sides {
  StateSide state;
  LiveSide live;
};

// The state of options.path at options.at_ns, and the target's objects of every resource the
// selection names (--resource) or else the state holds or its header says were recorded, within
// -n and -l as the server filters them. The resources known before the file is read (--resource,
// the header's) are listed while it is read; any others its objects need, after. Errors: the
// file's first (naming file, document and line), then a LIST's (naming the resource).
Result<Sides> read_sides(kube::Client& client, const RestoreOptions& options,
                         const kube::Discovery& discovery, const kube::SelectionMatcher& matcher);

}  // namespace ktape::restore
