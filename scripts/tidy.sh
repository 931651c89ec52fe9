#!/usr/bin/env bash
# Runs clang-tidy (the checks of .clang-tidy, every finding an error) over every product source:
# the library folders and cli/, not tests/ or bench/. Needs a configured build folder for its
# compile_commands.json (BUILD_DIR, default build; configured here when missing). Runs one
# clang-tidy per core and prints only findings; exits 1 when there is any.
#   scripts/tidy.sh                 every product source
#   scripts/tidy.sh kube/watch.cpp  only the files named
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
product_folders=(cli etcd formats fuzz kube ops ownerref recorder replayer restore s3 schedule sim store workload)

# clang-tidy 22 (Debian 12's bookworm-security) skips system headers: a third of 14's time. An older
# one runs the same checks, slower (and may not know some of the names .clang-tidy turns off).
tidy=$(command -v clang-tidy-22 || command -v clang-tidy || true)
if [ -z "$tidy" ]; then
  echo "tidy: clang-tidy is not installed (scripts/install-deps.sh installs it)" >&2
  exit 2
fi
if [ ! -f "$build/compile_commands.json" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} >/dev/null
fi

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files -- "${product_folders[@]/%//*.cpp}")
fi
[ ${#files[@]} -gt 0 ] || { echo "tidy: no sources" >&2; exit 2; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s)
# One clang-tidy per file, $jobs at once; each writes its findings to its own log. The compile
# commands are GCC's: clang is told to pass over the GCC-only warning options among them, and over
# deprecations (clang 22 flags libstdc++ 12's own std::stable_sort; GCC's build still errs on ours).
printf '%s\n' "${files[@]}" | xargs -P "$jobs" -I{} sh -c '
  log="$2/$(printf %s "$1" | tr / _).log"
  "$3" -p "$4" --quiet --extra-arg=-Wno-unknown-warning-option --extra-arg=-Wno-deprecated-declarations "$1" >"$log" 2>&1 || echo "$1" >>"$2/failed"
' _ {} "$out" "$tidy" "$build"

if [ -f "$out/failed" ]; then
  sort "$out/failed" | while read -r f; do
    # clang-tidy's own "N warnings generated" lines are noise; the findings name file:line.
    grep -v -e 'warnings\? generated\.$' -e '^Suppressed [0-9]* warnings' -e '^Use -header-filter' \
      "$out/$(printf %s "$f" | tr / _).log" || true
  done
  echo "tidy: findings in $(wc -l <"$out/failed") of ${#files[@]} files ($(($(date +%s) - start)) s)" >&2
  exit 1
fi
echo "tidy: ${#files[@]} files clean ($(($(date +%s) - start)) s)"
