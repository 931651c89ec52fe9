#include "ownerref/census.hpp"

namespace ktape::ownerref {

void OwnerCensus::add_object(const formats::Value& object) {
  ++m_objects;
  std::string_view uid = uid_of(object);
  if (!uid.empty()) m_created.emplace(uid);
  std::vector<OwnerRef> owners = owner_refs_of(object);
  if (owners.empty()) return;
  std::string label = describe_object(object);
  for (OwnerRef& owner : owners) refer(std::move(owner), label);
}

void OwnerCensus::add_patch(formats::PatchType type, const formats::Value& patch, std::string_view target) {
  for (OwnerRef& owner : owners_added_by(type, patch)) refer(std::move(owner), target);
}

std::vector<OwnerCensus::Unresolved> OwnerCensus::unresolved() const {
  std::vector<Unresolved> out;
  for (const Unresolved& entry : m_referred)
    if (entry.owner.uid.empty() || !m_created.contains(entry.owner.uid)) out.push_back(entry);
  return out;
}

void OwnerCensus::refer(OwnerRef owner, std::string_view referrer) {
  ++m_references;
  // References without a UID are told apart by what they name instead.
  std::string key = owner.uid;
  if (key.empty()) key.append("\n").append(describe(owner));
  auto [it, inserted] = m_position.emplace(std::move(key), m_referred.size());
  if (inserted) m_referred.push_back(Unresolved{std::move(owner), std::string(referrer), 0});
  ++m_referred[it->second].references;
}

}  // namespace ktape::ownerref
