// plan_layers: the whole input through a Scheduler, creating each layer before the next.
#include <algorithm>
#include <utility>

#include "ownerref/scheduler.hpp"

namespace ktape::ownerref {

Plan plan_layers(std::vector<Node> nodes) {
  Scheduler scheduler;
  std::vector<std::string> uids;
  uids.reserve(nodes.size());
  Plan plan;
  std::vector<NodeId> layer;
  for (Node& node : nodes) {
    uids.push_back(node.uid);
    if (scheduler.submit(std::move(node)).ready) layer.push_back(uids.size() - 1);
  }
  for (NodeId id : scheduler.finish()) layer.push_back(id);
  std::sort(layer.begin(), layer.end());
  while (!layer.empty()) {
    std::vector<NodeId> next;
    for (NodeId id : layer)
      for (NodeId child : scheduler.created(uids[id])) next.push_back(child);
    std::sort(next.begin(), next.end());
    plan.layers.push_back(std::exchange(layer, std::move(next)));
  }
  plan.problems = scheduler.take_problems();
  return plan;
}

}  // namespace ktape::ownerref
