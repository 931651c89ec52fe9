#include "store/sort_window.hpp"

#include <algorithm>
#include <iterator>

namespace ktape::store {

namespace {

// std::*_heap keep the largest first: "later" puts the earliest entry at the top.
bool later(const std::pair<formats::RecordingEntry, std::uint64_t>& a,
           const std::pair<formats::RecordingEntry, std::uint64_t>& b) {
  if (a.first.event.duration_ns != b.first.event.duration_ns)
    return a.first.event.duration_ns > b.first.event.duration_ns;
  return a.second > b.second;
}

}  // namespace

void SortWindow::push(formats::RecordingEntry entry) {
  if (m_sorted && !m_queue.empty() && entry.event.duration_ns < m_queue.back().first.event.duration_ns) {
    m_heap.assign(std::make_move_iterator(m_queue.begin()), std::make_move_iterator(m_queue.end()));
    m_queue.clear();
    std::make_heap(m_heap.begin(), m_heap.end(), later);
    m_sorted = false;
  }
  if (m_sorted) {
    m_queue.emplace_back(std::move(entry), m_pushed++);
    return;
  }
  m_heap.emplace_back(std::move(entry), m_pushed++);
  std::push_heap(m_heap.begin(), m_heap.end(), later);
}

formats::RecordingEntry SortWindow::pop() {
  if (m_sorted) {
    formats::RecordingEntry out = std::move(m_queue.front().first);
    m_queue.pop_front();
    return out;
  }
  std::pop_heap(m_heap.begin(), m_heap.end(), later);
  formats::RecordingEntry out = std::move(m_heap.back().first);
  m_heap.pop_back();
  if (m_heap.empty()) m_sorted = true;
  return out;
}

}  // namespace ktape::store
