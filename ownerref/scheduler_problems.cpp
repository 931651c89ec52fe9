// Scheduler: finding ownership cycles, and wording the problems it reports.
#include <algorithm>
#include <deque>

#include "ownerref/scheduler.hpp"

namespace ktape::ownerref {

void Scheduler::break_cycles(NodeId id, Entry& entry) {
  if (entry.own == k_no_uid) return;
  std::vector<NodeId> ignored;  // called before the entry is stored
  if (std::find(entry.blockers.begin(), entry.blockers.end(), entry.own) != entry.blockers.end()) {
    report(ProblemKind::cycle, id, entry, {entry.own}, "", {entry.own});
    drop_blocker(id, entry, entry.own, ignored);
  }
  // Only an owner still to be created can be waiting, through others, on this object.
  if (m_infos[entry.own].waiters.empty()) return;
  std::vector<UidIndex> candidates;
  for (UidIndex uid : entry.blockers)
    if (!m_infos[uid].carriers.empty()) candidates.push_back(uid);
  for (UidIndex owner : candidates) {
    std::vector<UidIndex> cycle = find_cycle(entry.own, owner);
    if (cycle.empty()) continue;
    report(ProblemKind::cycle, id, entry, {owner}, "", cycle);
    drop_blocker(id, entry, owner, ignored);
  }
}

// Walks the objects waiting, directly or not, on `from`; when `target` is among them, returns the
// UIDs [from, target, ..., the one waiting on from], else nothing.
std::vector<Scheduler::UidIndex> Scheduler::find_cycle(UidIndex from, UidIndex target) const {
  std::unordered_map<UidIndex, UidIndex> toward;  // uid -> the uid it waits on, on a path to `from`
  std::deque<UidIndex> queue{from};
  toward.emplace(from, k_no_uid);
  while (!queue.empty() && !toward.contains(target)) {
    UidIndex uid = queue.front();
    queue.pop_front();
    for (NodeId waiter : m_infos[uid].waiters) {
      const Entry* below = find(waiter);
      if (!below || below->state != State::waiting || below->own == k_no_uid) continue;
      if (toward.contains(below->own)) continue;
      if (std::find(below->blockers.begin(), below->blockers.end(), uid) == below->blockers.end()) continue;
      toward.emplace(below->own, uid);
      queue.push_back(below->own);
    }
  }
  if (!toward.contains(target)) return {};
  std::vector<UidIndex> cycle{from};
  for (UidIndex uid = target; uid != from; uid = toward.at(uid)) cycle.push_back(uid);
  return cycle;
}

std::string Scheduler::label_of(UidIndex uid) const {
  for (NodeId carrier : m_infos[uid].carriers)
    if (const Entry* entry = find(carrier)) return entry->node.label;
  return "uid " + m_infos[uid].uid;
}

void Scheduler::report(ProblemKind kind, NodeId id, const Entry& entry, const std::vector<UidIndex>& owners,
                       std::string_view why, const std::vector<UidIndex>& cycle) {
  Problem problem{kind, id, {}, {}, entry.node.label + ": "};
  for (UidIndex uid : cycle) problem.cycle_uids.push_back(m_infos[uid].uid);
  std::string names;
  for (UidIndex uid : owners) {
    const std::string& text = m_infos[uid].uid;
    auto ref = std::find_if(entry.node.owners.begin(), entry.node.owners.end(),
                            [&](const OwnerRef& r) { return r.uid == text; });
    problem.owners.push_back(ref != entry.node.owners.end() ? *ref : OwnerRef{{}, {}, {}, text});
    names += (names.empty() ? "" : ", ") + describe(problem.owners.back());
  }
  switch (kind) {
    case ProblemKind::missing_owner:
    case ProblemKind::owner_beyond_window:
      problem.message += "owner " + names + (owners.size() > 1 ? " are " : " is ") + std::string(why);
      break;
    case ProblemKind::failed_owner:
      problem.message += "the create of owner " + names + " failed";
      break;
    case ProblemKind::cycle:
      if (cycle.size() == 1) {
        problem.message += "it is its own owner";
        break;
      }
      // The object itself is not stored yet: cycle[0] is named by "it".
      problem.message += "ownership cycle: it is owned by ";
      for (std::size_t i = 1; i < cycle.size(); ++i) problem.message += label_of(cycle[i]) + ", owned by ";
      problem.message += "it; it does not wait for owner " + names;
      break;
  }
  m_problems.push_back(std::move(problem));
}

}  // namespace ktape::ownerref
