#include "kube/rate_limiter.hpp"

#include <algorithm>

namespace ktape::kube {

RateLimiter::RateLimiter(double qps, int burst, std::shared_ptr<Clock> clock)
    : m_qps(qps),
      m_burst(std::max(1, burst)),
      m_clock(std::move(clock)),
      m_tokens(m_burst),
      m_last(m_clock->now()) {}

void RateLimiter::acquire() {
  if (m_qps <= 0) return;
  std::chrono::nanoseconds wait{0};
  {
    std::lock_guard lock(m_mutex);
    auto now = m_clock->now();
    if (now > m_last) {
      std::chrono::duration<double> elapsed = now - m_last;
      m_tokens = std::min(m_burst, m_tokens + elapsed.count() * m_qps);
      m_last = now;
    }
    m_tokens -= 1;  // may go negative: a reservation that later callers queue behind
    if (m_tokens < 0) {
      wait = std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double>(-m_tokens / m_qps));
    }
  }
  if (wait.count() > 0) m_clock->sleep_for(wait);
}

std::chrono::nanoseconds RateLimiter::pending_delay() const {
  if (m_qps <= 0) return std::chrono::nanoseconds{0};
  std::lock_guard lock(m_mutex);
  std::chrono::duration<double> elapsed = m_clock->now() - m_last;
  double tokens = std::min(m_burst, m_tokens + std::max(0.0, elapsed.count()) * m_qps) - 1;
  if (tokens >= 0) return std::chrono::nanoseconds{0};
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(-tokens / m_qps));
}

}  // namespace ktape::kube
