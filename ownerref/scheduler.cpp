#include "ownerref/scheduler.hpp"

#include <algorithm>

namespace ktape::ownerref {

namespace {

template <typename T>
bool contains(const std::vector<T>& list, const T& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::vector<NodeId> sorted(std::vector<NodeId> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

Node node_of(const formats::Value& object) {
  return Node{std::string(uid_of(object)), owner_refs_of(object), describe_object(object)};
}

Scheduler::Submitted Scheduler::submit(Node node) {
  std::lock_guard lock(m_mutex);
  NodeId id = m_next++;
  Entry entry{std::move(node), State::waiting, k_no_uid, {}};
  for (const OwnerRef& owner : entry.node.owners) {
    if (owner.uid.empty()) continue;  // nothing to wait for; the Relinker reports it
    UidIndex uid = intern(owner.uid);
    if (!m_infos[uid].exists && !contains(entry.blockers, uid)) entry.blockers.push_back(uid);
  }
  if (!entry.node.uid.empty()) {
    entry.own = intern(entry.node.uid);
    m_infos[entry.own].carriers.push_back(id);
  }
  break_cycles(id, entry);
  release_failed(id, entry);
  std::vector<NodeId> ignored;  // entry is not stored yet: its readiness is decided below
  if (m_finished) release_unknown(id, entry, Why::finished, ignored);
  for (UidIndex uid : entry.blockers) m_infos[uid].waiters.push_back(id);
  entry.state = entry.blockers.empty() ? State::ready : State::waiting;
  bool ready = entry.state == State::ready;
  m_nodes.emplace_back(std::move(entry));
  return Submitted{id, ready};
}

std::vector<NodeId> Scheduler::created(std::string_view old_uid) {
  std::lock_guard lock(m_mutex);
  std::vector<NodeId> ready;
  if (old_uid.empty()) return ready;
  UidIndex uid = intern(old_uid);
  UidInfo& info = m_infos[uid];
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
    if (Entry* entry = find(waiter)) drop_blocker(waiter, *entry, uid, ready);
  return sorted(std::move(ready));
}

std::vector<NodeId> Scheduler::failed(NodeId id) {
  std::lock_guard lock(m_mutex);
  std::vector<NodeId> ready;
  Entry* entry = find(id);
  if (!entry) return ready;
  UidIndex uid = entry->own;
  forget(id);
  ++m_done;
  if (uid == k_no_uid) return ready;
  UidInfo& info = m_infos[uid];
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

Scheduler::UidIndex Scheduler::intern(std::string_view uid) {
  auto it = m_index.find(uid);
  if (it != m_index.end()) return it->second;
  auto index = static_cast<UidIndex>(m_infos.size());
  m_infos.push_back(UidInfo{std::string(uid), false, false, {}, {}});
  m_index.emplace(std::string(uid), index);
  return index;
}

bool Scheduler::unknown(UidIndex uid) const {
  const UidInfo& info = m_infos[uid];
  return !info.exists && !info.failed && info.carriers.empty();
}

void Scheduler::drop_blocker(NodeId id, Entry& entry, UidIndex uid, std::vector<NodeId>& ready) {
  auto it = std::find(entry.blockers.begin(), entry.blockers.end(), uid);
  if (it == entry.blockers.end()) return;
  entry.blockers.erase(it);
  if (entry.state == State::waiting && entry.blockers.empty()) {
    entry.state = State::ready;
    ready.push_back(id);
  }
}

void Scheduler::release_unknown(NodeId id, Entry& entry, Why why, std::vector<NodeId>& ready) {
  std::vector<UidIndex> missing;
  for (UidIndex uid : entry.blockers)
    if (unknown(uid)) missing.push_back(uid);
  if (missing.empty()) return;
  if (why == Why::finished)
    report(ProblemKind::missing_owner, id, entry, missing, "not in the recording");
  else
    report(ProblemKind::owner_beyond_window, id, entry, missing, "not within the look-ahead window");
  for (UidIndex uid : missing) drop_blocker(id, entry, uid, ready);
}

// An owner whose create failed, with nothing else carrying its UID, will not come.
void Scheduler::release_failed(NodeId id, Entry& entry) {
  std::vector<NodeId> ignored;  // called before the entry is stored
  for (UidIndex uid : std::vector<UidIndex>(entry.blockers)) {
    if (!m_infos[uid].failed || !m_infos[uid].carriers.empty()) continue;
    report(ProblemKind::failed_owner, id, entry, {uid}, "");
    drop_blocker(id, entry, uid, ignored);
  }
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

}  // namespace ktape::ownerref
