#pragma once
// The time seam of kube/: retries, backoff, the QPS limiter and exec-credential expiry read time
// and sleep through a Clock, so tests can drive time without waiting.
#include <chrono>
#include <memory>

namespace ktape::kube {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for intervals and token buckets.
  virtual std::chrono::steady_clock::time_point now() const = 0;
  // Wall-clock time, for comparing with server-given timestamps (exec credential expiry).
  virtual std::chrono::system_clock::time_point wall_now() const = 0;
  // Blocks the calling thread for `duration` (a fake clock advances itself and returns at once).
  virtual void sleep_for(std::chrono::nanoseconds duration) = 0;
};

// The real clocks (std::chrono::steady_clock and system_clock, std::this_thread::sleep_for).
std::shared_ptr<Clock> make_system_clock();

}  // namespace ktape::kube
