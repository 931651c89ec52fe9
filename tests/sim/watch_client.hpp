#pragma once
// Reads a watch stream over real HTTP: one parsed event per line, until the server ends it.
#include <string>
#include <vector>

#include "tests/sim/sim_client.hpp"

namespace ktape::sim::test {

struct WatchResult {
  int status = 0;
  std::vector<formats::Value> events;  // every line, parsed
  std::string type(std::size_t i) const { return std::string(events.at(i).string_at({"type"})); }
  std::string rv(std::size_t i) const {
    return std::string(events.at(i).string_at({"object", "metadata", "resourceVersion"}));
  }
};

// GETs `path` (which carries watch=1 and timeoutSeconds) and collects the lines until the server
// closes the stream.
inline WatchResult read_watch(const Cluster& cluster, const std::string& path) {
  WatchResult result;
  std::string pending;
  auto client = cluster.client();
  auto r = client->Get(path.c_str(), httplib::Headers{{"Accept", "application/json"}},
                       [&](const char* data, std::size_t len) {
                         pending.append(data, len);
                         std::size_t nl = 0;
                         while ((nl = pending.find('\n')) != std::string::npos) {
                           if (auto v = formats::parse_json(pending.substr(0, nl)))
                             result.events.push_back(*v);
                           pending.erase(0, nl + 1);
                         }
                         return true;
                       });
  if (r) result.status = r->status;
  if (!pending.empty()) {
    if (auto v = formats::parse_json(pending)) result.events.push_back(*v);
  }
  return result;
}

}  // namespace ktape::sim::test
