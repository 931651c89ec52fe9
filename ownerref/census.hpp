#pragma once
// OwnerCensus: the whole-input check before a long replay. Fed every object the replay creates
// and every patch, it lists the owners that are referred to and that nothing in the input
// creates, so the replay can list them and refuse to start (issue 6: "owners ... that resolve
// nowhere"). File order does not matter: an owner created after its children resolves.
//
// Memory: one entry per distinct UID created and per distinct owner referred to.
// Thread safety: none; one thread (the one reading the input) builds and queries it.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "formats/patch.hpp"
#include "formats/value.hpp"
#include "ownerref/refs.hpp"

namespace ktape::ownerref {

class OwnerCensus {
 public:
  // An object the replay creates (a snapshot document, a create event's template): its UID is
  // created from here on, and its owner references count as references.
  void add_object(const formats::Value& object);

  // A patch event on `target` ("v1 Pod demo/web-1", for messages): the owners it adds count as
  // references (see owners_added_by).
  void add_patch(formats::PatchType type, const formats::Value& patch, std::string_view target);

  struct Unresolved {
    OwnerRef owner;                // as the first reference wrote it
    std::string first_referrer;    // what referred to it first: "v1 Pod demo/web-1"
    std::uint64_t references = 0;  // how many objects and patches refer to it
  };

  // The owners referred to that no object added carries, in order of first reference. A
  // reference without a UID can never resolve and is listed too (owner.uid "").
  std::vector<Unresolved> unresolved() const;

  std::uint64_t objects() const { return m_objects; }        // objects added
  std::uint64_t references() const { return m_references; }  // owner references met

 private:
  void refer(OwnerRef owner, std::string_view referrer);

  std::unordered_set<std::string> m_created;
  std::unordered_map<std::string, std::size_t> m_position;  // owner key -> index in m_referred
  std::vector<Unresolved> m_referred;
  std::uint64_t m_objects = 0;
  std::uint64_t m_references = 0;
};

}  // namespace ktape::ownerref
