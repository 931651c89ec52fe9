#!/usr/bin/env bash
# The kill suite's long version: `ktape record` and `ktape export --record` killed by SIGKILL at N
# random moments (default 200) over a churning simulated cluster (tests/kill/test_kill.cpp), then
# the figures: files readable, verify clean, loss median/p90/max against the server's history.
#   scripts/kill-suite.sh [N]
# BUILD_DIR (default build) is a configured build; ktape and kill_tests are built in it.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
runs=${1:-200}
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target ktape kill_tests
report=$(mktemp)
trap 'rm -f "$report"' EXIT
KTAPE_KILL_RUNS="$runs" KTAPE_KILL_REPORT="$report" \
  "$build/tests/kill_tests" --no-intro=true
cat "$report"
