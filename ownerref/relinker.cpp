#include "ownerref/relinker.hpp"

#include <mutex>

namespace ktape::ownerref {

void Relinker::record_created(const ObjectKey& key, std::string_view old_uid, std::string_view new_uid) {
  std::unique_lock lock(m_mutex);
  if (!old_uid.empty()) m_by_uid.insert_or_assign(std::string(old_uid), std::string(new_uid));
  m_by_key[key] = Incarnation{std::string(old_uid), std::string(new_uid)};
}

void Relinker::record_deleted(const ObjectKey& key) {
  std::unique_lock lock(m_mutex);
  m_by_key.erase(key);
}

std::optional<std::string> Relinker::new_uid(std::string_view old_uid) const {
  std::shared_lock lock(m_mutex);
  if (const std::string* found = find_locked(old_uid)) return *found;
  return std::nullopt;
}

std::optional<Incarnation> Relinker::current(const ObjectKey& key) const {
  std::shared_lock lock(m_mutex);
  auto it = m_by_key.find(key);
  if (it == m_by_key.end()) return std::nullopt;
  return it->second;
}

RelinkStats Relinker::stats() const {
  std::shared_lock lock(m_mutex);
  return RelinkStats{m_by_uid.size(), m_rewritten.load(), m_dangling.load()};
}

const std::string* Relinker::find_locked(std::string_view old_uid) const {
  if (old_uid.empty()) return nullptr;
  auto it = m_by_uid.find(old_uid);
  return it == m_by_uid.end() ? nullptr : &it->second;
}

Result<Rewrite> Relinker::counted(Result<Rewrite> rewrite) const {
  if (rewrite) {
    m_rewritten += rewrite->rewritten;
    m_dangling += rewrite->dropped.size() + rewrite->kept.size();
  }
  return rewrite;
}

}  // namespace ktape::ownerref
