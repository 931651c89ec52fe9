// SortWindow yields what a stable sort by time would, pushes and pops interleaved, for sorted
// input (its queue), disordered input (its heap) and the switch back once the heap empties.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "store/sort_window.hpp"

using namespace ktape;
using store::SortWindow;

namespace {

formats::RecordingEntry event_at(std::int64_t ns, std::size_t document) {
  formats::RecordingEntry e;
  e.kind = formats::RecordingEntry::Kind::event;
  e.event.duration_ns = ns;
  e.document = document;
  return e;
}

// Pushes `times` in order, popping whenever more than `window` are held, then pops the rest; the
// documents (push numbers) in the order popped.
std::vector<std::size_t> run(const std::vector<std::int64_t>& times, std::size_t window) {
  SortWindow w;
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < times.size(); ++i) {
    w.push(event_at(times[i], i));
    while (w.size() > window) out.push_back(w.pop().document);
  }
  while (!w.empty()) out.push_back(w.pop().document);
  return out;
}

// The same with a plain stable sort of each window's content, as the heap did before.
std::vector<std::size_t> expected(const std::vector<std::int64_t>& times, std::size_t window) {
  std::vector<std::pair<std::int64_t, std::size_t>> held;
  std::vector<std::size_t> out;
  auto pop = [&] {
    auto it = std::min_element(held.begin(), held.end());
    out.push_back(it->second);
    held.erase(it);
  };
  for (std::size_t i = 0; i < times.size(); ++i) {
    held.emplace_back(times[i], i);
    while (held.size() > window) pop();
  }
  while (!held.empty()) pop();
  return out;
}

}  // namespace

TEST_CASE("SortWindow: earliest first, ties in push order, over sorted, shuffled and mostly sorted input") {
  std::mt19937 rng(13);
  for (int round = 0; round < 200; ++round) {
    std::size_t n = 1 + rng() % 200, window = 1 + rng() % 40;
    std::vector<std::int64_t> times(n);
    for (std::size_t i = 0; i < n; ++i) times[i] = static_cast<std::int64_t>(i / 3);  // sorted, with ties
    if (round % 3 == 1) std::shuffle(times.begin(), times.end(), rng);
    if (round % 3 == 2)  // mostly sorted: a few swaps, as kwok writes them
      for (int s = 0; s < 3; ++s) std::swap(times[rng() % n], times[rng() % n]);
    CAPTURE(round);
    CHECK(run(times, window) == expected(times, window));
  }
}
