#pragma once
// The events of a recording in the order a replay applies them: a replay reads ahead a window of
// events and yields the earliest first (by durationNanosecond, then file order), so that kwok's
// mostly-sorted files replay in time order. verify applies them in that same order.
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "formats/recording.hpp"

namespace ktape::store {

class SortWindow {
 public:
  // Adds an event entry (its event.duration_ns orders it).
  void push(formats::RecordingEntry entry);
  // The earliest entry held, by (duration_ns, order of push). Precondition: size() > 0.
  formats::RecordingEntry pop();
  std::size_t size() const { return m_sorted ? m_queue.size() : m_heap.size(); }
  bool empty() const { return size() == 0; }

 private:
  using Held = std::pair<formats::RecordingEntry, std::uint64_t>;  // the entry, its push number

  // While entries arrive in time order they wait in a queue (a push and a pop move one entry);
  // the first that arrives earlier than the one before it turns the queue into a min-heap, until
  // the heap empties. Both yield the same order.
  bool m_sorted = true;
  std::deque<Held> m_queue;
  std::vector<Held> m_heap;
  std::uint64_t m_pushed = 0;
};

}  // namespace ktape::store
