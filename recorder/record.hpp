#pragma once
// What the list+watch loops hand to the writer thread through the lock-free queue.
#include <string>

#include "formats/recording.hpp"
#include "formats/value.hpp"
#include "formats/writer.hpp"

namespace ktape::recorder {

struct Record {
  enum class Kind {
    snapshot_object,  // an object of the initial state (the snapshot section)
    event,            // a create, patch or delete stamped on receipt
    listed,           // the loop finished its initial list (no payload)
    list_restarted,   // the initial list starts again: its snapshot objects so far are void
  };
  Kind kind = Kind::event;
  formats::Value object;         // snapshot_object
  formats::ResourcePatch event;  // event, as the loop made it
  std::string resource;          // "deployments.apps": whose loop sent it, for the summary
  // The event's document, rendered by Pipeline::push on the producer's thread (the event is
  // moved into it), so the writer thread only orders and copies text.
  formats::RenderedEvent rendered;
};

}  // namespace ktape::recorder
