#pragma once
// The scaled schedule of the event phase: maps an event's recorded time to the moment it is due,
// at a speed that may change and through pauses. Recorded times are nanoseconds since the
// recording's start; `from` is where the replay starts (earlier events are due at once).
//
// due(t) = anchor_wall + (t - anchor_recorded) / speed. A speed change re-anchors at the current
// position so nothing jumps; a pause freezes the position and resuming shifts the anchor by the
// paused time. Speed 0 means as fast as possible: everything is due at once.
//
// Not thread-safe: the one thread that dispatches events owns it.
#include <chrono>

namespace ktape::replayer {

class Schedule {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Nanos = std::chrono::nanoseconds;

  // Starts at wall time `start` at recorded position `from`.
  Schedule(TimePoint start, Nanos from, double speed);

  // When the event recorded at `recorded` is due: TimePoint::min() (at once) for events before
  // `from` and at speed 0; TimePoint::max() (not yet) while paused.
  TimePoint due(Nanos recorded) const;
  // The recorded position the schedule has reached at `now`.
  Nanos position(TimePoint now) const;

  // `reached` is the recorded time of the last event dispatched: the position to continue from
  // when the old speed was 0 (as fast as possible has no position of its own).
  void set_speed(double speed, TimePoint now, Nanos reached);
  void pause(TimePoint now);
  void resume(TimePoint now);

  double speed() const { return m_speed; }
  bool paused() const { return m_paused; }

 private:
  TimePoint m_anchor_wall;
  Nanos m_anchor_recorded;
  Nanos m_from;
  double m_speed;
  bool m_paused = false;
  TimePoint m_paused_at{};
};

}  // namespace ktape::replayer
