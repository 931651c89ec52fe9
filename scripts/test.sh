#!/usr/bin/env bash
# Builds ktape and runs every test suite: the command README gives and CI runs.
# BUILD_DIR (default build), BUILD_TYPE (default Release) and KTAPE_SANITIZE (e.g.
# address,undefined or thread) select the build; SUITES (e.g. "recorder replayer") builds and runs
# only those suites (default: all of them).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} \
  -DKTAPE_SANITIZE="${KTAPE_SANITIZE:-}" -DKTAPE_BUILD_BENCH="${KTAPE_BUILD_BENCH:-ON}" >/dev/null
if [ -n "${SUITES:-}" ]; then
  read -r -a suites <<<"$SUITES"
  # Suites that run the ktape binary depend on it (tests/CMakeLists.txt), so it is built when needed.
  cmake --build "$build" -j "$jobs" --target "${suites[@]/%/_tests}"
  regex="^($(IFS='|'; echo "${suites[*]}"))\$"
  ctest --test-dir "$build" --output-on-failure -j "${TEST_JOBS:-2}" -R "$regex"
else
  cmake --build "$build" -j "$jobs"
  ctest --test-dir "$build" --output-on-failure -j "${TEST_JOBS:-2}"
fi
