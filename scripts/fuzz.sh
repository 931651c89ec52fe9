#!/usr/bin/env bash
# Runs every libFuzzer target of fuzz/ for SECONDS each (default 15; hours for a long campaign):
#   scripts/fuzz.sh [SECONDS]
# Builds them with clang in BUILD_DIR (default build-fuzz: -DKTAPE_BUILD_FUZZ=ON, instrumented for
# coverage, AddressSanitizer and UndefinedBehaviorSanitizer), seeds each corpus from testdata/
# (scripts/fuzz-seeds.py) plus the regression inputs in testdata/fuzz/TARGET, and prints per target
# the executions, the coverage (cov: edges, ft: features) and the corpus size. The corpora grow in
# BUILD_DIR/corpus across runs. A crash, leak or timeout is saved under BUILD_DIR/findings/TARGET
# and fails the script: minimise it (fuzz_TARGET -minimize_crash=1), fix it, and keep the input in
# testdata/fuzz/TARGET/ (tests/fuzz replays those in the normal suites). TARGETS selects some.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
build=${BUILD_DIR:-build-fuzz}
read -r -a targets <<<"${TARGETS:-reader json patch kubeconfig watch protobuf sim_request}"

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Fuzz \
    -DCMAKE_CXX_FLAGS_FUZZ="-O1 -gline-tables-only -Wno-overlength-strings" -DKTAPE_BUILD_FUZZ=ON -DKTAPE_BUILD_TESTS=OFF \
    -DKTAPE_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target "${targets[@]/#/fuzz_}"
python3 scripts/fuzz-seeds.py "$build/seeds"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
printf '%-12s %10s %8s %8s %8s %s\n' target execs cov ft corpus result
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t" findings="$build/findings/$t" log="$build/fuzz-$t.log"
  mkdir -p "$corpus" "$findings" "testdata/fuzz/$t"
  result=ok
  # New inputs go to the first directory; the seeds and the regression inputs are read only.
  "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$build/seeds/$t" "testdata/fuzz/$t" \
    >"$log" 2>&1 || { result="FAILED: $(ls -t "$findings" | head -1) (log: $log)"; failed=1; }
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  printf '%-12s %10s %8s %8s %8s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$(ls "$corpus" | wc -l)" "$result"
done
exit "$failed"
