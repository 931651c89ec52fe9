#!/usr/bin/env bash
# Builds ktape and runs every test suite: the command README gives and CI runs.
# BUILD_DIR (default build) and KTAPE_SANITIZE (e.g. address,undefined) select the build.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} \
  -DKTAPE_SANITIZE="${KTAPE_SANITIZE:-}" -DKTAPE_BUILD_BENCH="${KTAPE_BUILD_BENCH:-ON}" >/dev/null
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "${TEST_JOBS:-2}"
