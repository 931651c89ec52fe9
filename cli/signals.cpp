#include "cli/signals.hpp"

#include <signal.h>
#include <unistd.h>

namespace ktape::cli {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_quiet{false};
std::atomic<int> g_pause{0};  // 1 paused, 0 running

void on_stop(int) {
  if (g_stop.exchange(true)) ::_exit(130);  // second signal: leave now
  if (g_quiet.load()) return;
  static const char k_msg[] = "\nstopping (press Ctrl+C again to exit at once)\n";
  (void)!::write(STDERR_FILENO, k_msg, sizeof k_msg - 1);
}

void on_pause(int sig) { g_pause.store(sig == SIGUSR1 ? 1 : 0); }

void install(int sig, void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(sig, &sa, nullptr);
}

}  // namespace

const std::atomic<bool>& install_stop_signals(StopNotice notice) {
  g_quiet.store(notice == StopNotice::quiet);
  install(SIGINT, on_stop);
  install(SIGTERM, on_stop);
  ::signal(SIGPIPE, SIG_IGN);
  return g_stop;
}

const std::atomic<int>& install_pause_signals() {
  install(SIGUSR1, on_pause);
  install(SIGUSR2, on_pause);
  return g_pause;
}

}  // namespace ktape::cli
