#include "ownerref/scheduler.hpp"

#include <algorithm>
#include <deque>
#include <unordered_set>

namespace ktape::ownerref {

namespace {

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void erase_one(std::vector<std::string>& list, std::string_view item) {
  auto it = std::find(list.begin(), list.end(), item);
  if (it != list.end()) list.erase(it);
}

}  // namespace

Node node_of(const formats::Value& object) {
  return Node{std::string(uid_of(object)), owner_refs_of(object), describe_object(object)};
}

Scheduler::Submitted Scheduler::submit(Node node) {
  std::lock_guard lock(m_mutex);
  NodeId id = m_next++;
  Entry entry{std::move(node), State::waiting, {}};
  for (const OwnerRef& owner : entry.node.owners) {
    if (owner.uid.empty() || contains(entry.blockers, owner.uid)) continue;
    if (!m_uids[owner.uid].exists) entry.blockers.push_back(owner.uid);
  }
  if (!entry.node.uid.empty()) m_uids[entry.node.uid].carriers.push_back(id);
  break_cycles(id, entry);
  for (const std::string& uid : std::vector<std::string>(entry.blockers)) {
    const UidInfo& info = m_uids[uid];
    if (info.failed && info.carriers.empty()) {
      report(ProblemKind::failed_owner, id, entry, {uid}, "");
      erase_one(entry.blockers, uid);
    }
  }
  std::vector<NodeId> ignored;  // entry is not in m_nodes yet: its readiness is decided below
  if (m_finished) release_unknown(id, entry, Why::finished, ignored);
  for (const std::string& uid : entry.blockers) m_uids[uid].waiters.push_back(id);
  entry.state = entry.blockers.empty() ? State::ready : State::waiting;
  bool ready = entry.state == State::ready;
  m_nodes.emplace_back(std::move(entry));
  return Submitted{id, ready};
}

std::vector<NodeId> Scheduler::created(std::string_view old_uid) {
  std::lock_guard lock(m_mutex);
  std::vector<NodeId> ready;
  if (old_uid.empty()) return ready;
  UidInfo& info = m_uids[std::string(old_uid)];
  info.exists = true;
  info.failed = false;
  std::erase_if(info.carriers, [&](NodeId id) {
    Entry* entry = find(id);
    if (entry && entry->state != State::ready) return false;
    if (entry) {
      forget(id);
      ++m_done;
    }
    return true;
  });
  for (NodeId waiter : std::exchange(info.waiters, {}))
    if (Entry* entry = find(waiter)) drop_blocker(waiter, *entry, old_uid, ready);
  return sorted(std::move(ready));
}

std::vector<NodeId> Scheduler::failed(NodeId id) {
  std::lock_guard lock(m_mutex);
  std::vector<NodeId> ready;
  Entry* entry = find(id);
  if (!entry) return ready;
  std::string uid = std::move(entry->node.uid);
  forget(id);
  ++m_done;
  if (uid.empty()) return ready;
  UidInfo& info = m_uids[uid];
  std::erase(info.carriers, id);
  if (!info.carriers.empty() || info.exists) return ready;
  info.failed = true;
  for (NodeId waiter : std::exchange(info.waiters, {})) {
    Entry* found = find(waiter);
    if (!found || !contains(found->blockers, uid)) continue;
    report(ProblemKind::failed_owner, waiter, *found, {uid}, "");
    drop_blocker(waiter, *found, uid, ready);
  }
  return sorted(std::move(ready));
}

std::vector<NodeId> Scheduler::finish() {
  std::lock_guard lock(m_mutex);
  m_finished = true;
  std::vector<NodeId> ready;
  for (std::size_t i = 0; i < m_nodes.size(); ++i)
    if (m_nodes[i] && m_nodes[i]->state == State::waiting)
      release_unknown(m_first + i, *m_nodes[i], Why::finished, ready);
  return ready;
}

std::vector<NodeId> Scheduler::expire(NodeId before) {
  std::lock_guard lock(m_mutex);
  std::vector<NodeId> ready;
  for (std::size_t i = 0; i < m_nodes.size() && m_first + i < before; ++i)
    if (m_nodes[i] && m_nodes[i]->state == State::waiting)
      release_unknown(m_first + i, *m_nodes[i], Why::window, ready);
  return ready;
}

std::vector<Problem> Scheduler::take_problems() {
  std::lock_guard lock(m_mutex);
  return std::exchange(m_problems, {});
}

Scheduler::Counts Scheduler::counts() const {
  std::lock_guard lock(m_mutex);
  Counts counts;
  for (const auto& slot : m_nodes)
    if (slot) ++(slot->state == State::waiting ? counts.waiting : counts.ready);
  counts.done = m_done;
  return counts;
}

void Scheduler::drop_blocker(NodeId id, Entry& entry, std::string_view uid, std::vector<NodeId>& ready) {
  if (!contains(entry.blockers, uid)) return;
  erase_one(entry.blockers, uid);
  if (entry.state == State::waiting && entry.blockers.empty()) {
    entry.state = State::ready;
    ready.push_back(id);
  }
}

void Scheduler::release_unknown(NodeId id, Entry& entry, Why why, std::vector<NodeId>& ready) {
  std::vector<std::string> missing;
  for (const std::string& uid : entry.blockers)
    if (unknown(uid)) missing.push_back(uid);
  if (missing.empty()) return;
  report(ProblemKind::missing_owner, id, entry, missing,
         why == Why::finished ? "not in the recording" : "not within the look-ahead window");
  for (const std::string& uid : missing) drop_blocker(id, entry, uid, ready);
}

bool Scheduler::unknown(const std::string& uid) const {
  auto it = m_uids.find(uid);
  return it == m_uids.end() || (!it->second.exists && !it->second.failed && it->second.carriers.empty());
}

Scheduler::Entry* Scheduler::find(NodeId id) {
  if (id < m_first || id - m_first >= m_nodes.size()) return nullptr;
  auto& slot = m_nodes[id - m_first];
  return slot ? &*slot : nullptr;
}

const Scheduler::Entry* Scheduler::find(NodeId id) const { return const_cast<Scheduler*>(this)->find(id); }

void Scheduler::forget(NodeId id) {
  m_nodes[id - m_first].reset();
  while (!m_nodes.empty() && !m_nodes.front()) {
    m_nodes.pop_front();
    ++m_first;
  }
}

std::vector<NodeId> Scheduler::sorted(std::vector<NodeId> ids) const {
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace ktape::ownerref
