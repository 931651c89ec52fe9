#include "store/timeline.hpp"

#include <algorithm>

namespace ktape::store {

Timeline::Timeline(std::size_t max_buckets, std::int64_t first_width_ns)
    : m_max(std::max<std::size_t>(max_buckets, 2)),
      m_width(first_width_ns > 0 ? first_width_ns : 1'000'000'000) {}

void Timeline::double_width() {
  std::vector<std::uint64_t> merged((m_buckets.size() + 1) / 2, 0);
  for (std::size_t i = 0; i < m_buckets.size(); ++i) merged[i / 2] += m_buckets[i];
  m_buckets = std::move(merged);
  m_width *= 2;
}

void Timeline::add(std::int64_t at_ns) {
  std::int64_t at = std::max<std::int64_t>(at_ns, 0);
  while (static_cast<std::uint64_t>(at / m_width) >= m_max) double_width();
  auto index = static_cast<std::size_t>(at / m_width);
  if (m_buckets.size() <= index) m_buckets.resize(index + 1, 0);
  ++m_buckets[index];
  ++m_total;
}

void Timeline::widen_to(std::int64_t width_ns) {
  while (m_width < width_ns) double_width();
}

std::string format_sparkline(const std::vector<std::uint64_t>& buckets) {
  // The eight block elements, lowest to full, each three bytes of UTF-8.
  static constexpr const char* k_blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                             "\u2585", "\u2586", "\u2587", "\u2588"};
  std::uint64_t top = 0;
  for (auto n : buckets) top = std::max(top, n);
  std::string out;
  for (auto n : buckets) {
    if (n == 0) {
      out += ' ';
      continue;
    }
    auto level = static_cast<std::size_t>((n * 8 - 1) / top);  // 1..top -> 0..7
    out += k_blocks[std::min<std::size_t>(level, 7)];
  }
  return out;
}

}  // namespace ktape::store
