// Scheduler: finding ownership cycles, and wording the problems it reports.
#include <algorithm>
#include <deque>

#include "ownerref/scheduler.hpp"

namespace ktape::ownerref {

void Scheduler::break_cycles(NodeId id, Entry& entry) {
  const std::string& own = entry.node.uid;
  if (own.empty()) return;
  if (std::find(entry.blockers.begin(), entry.blockers.end(), own) != entry.blockers.end()) {
    report(ProblemKind::cycle, id, entry, {own}, "", {own});
    std::erase(entry.blockers, own);
  }
  // Only an owner still to be created can be waiting, through others, on this object.
  std::vector<std::string> candidates;
  for (const std::string& uid : entry.blockers)
    if (!m_uids[uid].carriers.empty()) candidates.push_back(uid);
  if (candidates.empty() || m_uids[own].waiters.empty()) return;
  for (const std::string& owner : candidates) {
    std::vector<std::string> cycle = find_cycle(own, owner);
    if (cycle.empty()) continue;
    report(ProblemKind::cycle, id, entry, {owner}, "", std::move(cycle));
    std::erase(entry.blockers, owner);
  }
}

// Walks the objects waiting, directly or not, on `from`; when `target` is among them, returns the
// UIDs [from, target, ..., the one waiting on from], else nothing.
std::vector<std::string> Scheduler::find_cycle(const std::string& from, const std::string& target) const {
  std::unordered_map<std::string, std::string> toward;  // uid -> the uid it waits on, on a path to from
  std::deque<std::string> queue{from};
  toward.emplace(from, std::string());
  while (!queue.empty() && !toward.contains(target)) {
    std::string uid = std::move(queue.front());
    queue.pop_front();
    auto info = m_uids.find(uid);
    if (info == m_uids.end()) continue;
    for (NodeId waiter : info->second.waiters) {
      const Entry* below_entry = find(waiter);
      if (!below_entry || below_entry->state != State::waiting) continue;
      const Entry& below = *below_entry;
      if (below.node.uid.empty() || toward.contains(below.node.uid)) continue;
      if (std::find(below.blockers.begin(), below.blockers.end(), uid) == below.blockers.end()) continue;
      toward.emplace(below.node.uid, uid);
      queue.push_back(below.node.uid);
    }
  }
  if (!toward.contains(target)) return {};
  std::vector<std::string> cycle{from};
  for (std::string uid = target; uid != from; uid = toward[uid]) cycle.push_back(uid);
  return cycle;
}

std::string Scheduler::label_of_uid(const std::string& uid) const {
  auto info = m_uids.find(uid);
  if (info != m_uids.end())
    for (NodeId carrier : info->second.carriers)
      if (const Entry* entry = find(carrier)) return entry->node.label;
  return "uid " + uid;
}

void Scheduler::report(ProblemKind kind, NodeId id, const Entry& entry, std::vector<std::string> uids,
                       std::string_view why, std::vector<std::string> cycle) {
  Problem problem{kind, id, {}, std::move(cycle), entry.node.label + ": "};
  for (const std::string& uid : uids) {
    auto ref = std::find_if(entry.node.owners.begin(), entry.node.owners.end(),
                            [&](const OwnerRef& r) { return r.uid == uid; });
    problem.owners.push_back(ref != entry.node.owners.end() ? *ref : OwnerRef{{}, {}, {}, uid});
  }
  std::string owners;
  for (const OwnerRef& ref : problem.owners) owners += (owners.empty() ? "" : ", ") + describe(ref);
  switch (kind) {
    case ProblemKind::missing_owner:
      problem.message +=
          "owner " + owners + (problem.owners.size() > 1 ? " are " : " is ") + std::string(why);
      break;
    case ProblemKind::failed_owner:
      problem.message += "the create of owner " + owners + " failed";
      break;
    case ProblemKind::cycle:
      if (problem.cycle_uids.size() == 1) {
        problem.message += "it is its own owner";
        break;
      }
      problem.message += "ownership cycle: it is owned by ";
      for (std::size_t i = 1; i < problem.cycle_uids.size(); ++i)
        problem.message += label_of_uid(problem.cycle_uids[i]) + ", owned by ";
      problem.message += "it; it does not wait for owner " + owners;
      break;
  }
  m_problems.push_back(std::move(problem));
}

}  // namespace ktape::ownerref
