#pragma once
// What the list+watch loops hand to the writer thread through the lock-free queue.
#include <string>

#include "formats/recording.hpp"
#include "formats/value.hpp"

namespace ktape::recorder {

struct Record {
  enum class Kind {
    snapshot_object,  // an object of the initial state (the snapshot section)
    event,            // a create, patch or delete stamped on receipt
    listed,           // the loop finished its initial list (no payload)
  };
  Kind kind = Kind::event;
  formats::Value object;         // snapshot_object
  formats::ResourcePatch event;  // event
  std::string resource;          // "deployments.apps": whose loop sent it, for the summary
};

}  // namespace ktape::recorder
