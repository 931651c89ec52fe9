#pragma once
// A token bucket: `qps` tokens a second, holding at most `burst`. acquire() takes one token,
// sleeping on the clock until one is due. Waiters reserve tokens in order, so a burst of callers
// is spread at 1/qps intervals (client-go's flowcontrol limiter behaves the same way).
#include <chrono>
#include <memory>
#include <mutex>

#include "kube/clock.hpp"

namespace ktape::kube {

class RateLimiter {
 public:
  // qps <= 0 disables the limiter (acquire() returns at once). burst < 1 counts as 1.
  RateLimiter(double qps, int burst, std::shared_ptr<Clock> clock);
  void acquire();
  // The wait acquire() would impose now, without taking a token (for tests).
  std::chrono::nanoseconds pending_delay() const;

 private:
  double m_qps;
  double m_burst;
  std::shared_ptr<Clock> m_clock;
  mutable std::mutex m_mutex;
  double m_tokens;
  std::chrono::steady_clock::time_point m_last;
};

}  // namespace ktape::kube
