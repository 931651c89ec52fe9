#include "replayer/schedule.hpp"

#include <algorithm>

namespace ktape::replayer {

Schedule::Schedule(TimePoint start, Nanos from, double speed)
    : m_anchor_wall(start), m_anchor_recorded(from), m_from(from), m_speed(std::max(speed, 0.0)) {}

Schedule::TimePoint Schedule::due(Nanos recorded) const {
  if (m_paused) return TimePoint::max();
  if (recorded < m_from || m_speed == 0) return TimePoint::min();
  auto offset = static_cast<double>((recorded - m_anchor_recorded).count()) / m_speed;
  return m_anchor_wall + std::chrono::duration_cast<Nanos>(std::chrono::duration<double, std::nano>(offset));
}

Schedule::Nanos Schedule::position(TimePoint now) const {
  if (m_paused) now = m_paused_at;
  if (m_speed == 0) return m_anchor_recorded;
  auto elapsed = static_cast<double>((now - m_anchor_wall).count()) * m_speed;
  return m_anchor_recorded + Nanos(static_cast<Nanos::rep>(elapsed));
}

void Schedule::set_speed(double speed, TimePoint now, Nanos reached) {
  m_anchor_recorded = m_speed == 0 ? std::max(reached, m_from) : position(now);
  m_anchor_wall = m_paused ? m_paused_at : now;
  m_speed = std::max(speed, 0.0);
}

void Schedule::pause(TimePoint now) {
  if (m_paused) return;
  m_paused = true;
  m_paused_at = now;
}

void Schedule::resume(TimePoint now) {
  if (!m_paused) return;
  m_paused = false;
  m_anchor_wall += now - m_paused_at;
}

}  // namespace ktape::replayer
