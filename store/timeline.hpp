#pragma once
// Timeline: how many events happened when, in a bounded number of equal buckets over a recording
// whose length is not known until its end. Buckets start one second wide and double in width
// (merging neighbours) whenever a time falls past the last one, so memory stays at `max_buckets`
// counters whatever the recording's length, and two timelines made with the same arguments can be
// aligned by widening the narrower one (widths are always first_width * 2^k).
#include <cstdint>
#include <string>
#include <vector>

namespace ktape::store {

class Timeline {
 public:
  // `max_buckets` >= 2 (smaller values are raised to 2); `first_width_ns` > 0 (else 1 s).
  explicit Timeline(std::size_t max_buckets = 64, std::int64_t first_width_ns = 1'000'000'000);

  // Counts one event at `at_ns` (nanoseconds since the recording's start; a negative time counts
  // in the first bucket).
  void add(std::int64_t at_ns);
  // Widens the buckets to `width_ns`, which must be this timeline's width times a power of two
  // (as another timeline's width with the same arguments is); a narrower width is ignored.
  void widen_to(std::int64_t width_ns);

  std::int64_t bucket_ns() const { return m_width; }
  // Counts, bucket i covering [i * bucket_ns(), (i + 1) * bucket_ns()); never more than
  // max_buckets, and only up to the last non-empty bucket.
  const std::vector<std::uint64_t>& buckets() const { return m_buckets; }
  std::uint64_t total() const { return m_total; }

 private:
  void double_width();

  std::size_t m_max;
  std::int64_t m_width;
  std::vector<std::uint64_t> m_buckets;
  std::uint64_t m_total = 0;
};

// One line of block characters (U+2581..U+2588), one per bucket, scaled to the largest count; an
// empty bucket is a space, a non-empty one never the lowest block's absence (so a single event shows).
std::string format_sparkline(const std::vector<std::uint64_t>& buckets);

}  // namespace ktape::store
