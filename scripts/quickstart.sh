#!/usr/bin/env bash
# The main job, end to end: two fresh simulated clusters; a seeded workload runs on the first
# while ktape records it; the recording is replayed into the second at 10x; then kubectl checks
# that the second holds the same objects and that every ownerReference points at the re-created
# parent's new UID. Cleans up its clusters. Run from a clone: scripts/quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# A first build takes minutes on a small machine: ninja's own status line shows how far it is.
say "building ktape (a first build takes a few minutes; ninja counts the steps)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target ktape
ktape=$(pwd)/$build/cli/ktape

KTAPE_HOME=$(mktemp -d)
export KTAPE_HOME
recording=$KTAPE_HOME/demo.yaml
cleanup() {
  "$ktape" cluster delete source >/dev/null 2>&1 || true
  "$ktape" cluster delete target >/dev/null 2>&1 || true
  rm -rf "$KTAPE_HOME"
}
trap cleanup EXIT

say "starting two simulated clusters"
"$ktape" cluster create source >/dev/null
"$ktape" cluster create target >/dev/null
"$ktape" cluster list

say "recording cluster 'source' while a seeded workload runs on it (15 s)"
"$ktape" record --cluster source --path "$recording" 2>"$KTAPE_HOME/record.log" &
recorder=$!
until grep -q "Press Ctrl+C" "$KTAPE_HOME/record.log"; do sleep 0.1; done
"$ktape" workload --cluster source --seed 42 --namespaces 3 --rate 150 --duration 15s | head -1
sleep 1
kill -INT "$recorder"
wait "$recorder"
sed -n '/^recorded/,/^sha256/p' "$KTAPE_HOME/record.log"

say "replaying it into cluster 'target' at 10x"
"$ktape" replay --cluster target --path "$recording" --speed 10

say "checking that 'target' holds the same objects, re-linked to their new owners"
kinds=deployments,replicasets,pods,configmaps,secrets,services,widgets.ktape.example.com
list() {
  kubectl --kubeconfig "$KTAPE_HOME/clusters/$1/kubeconfig" get "$kinds" -A \
    -o jsonpath='{range .items[*]}{.kind} {.metadata.namespace}/{.metadata.name}{"\n"}{end}' | sort
}
list source >"$KTAPE_HOME/source.txt"
list target >"$KTAPE_HOME/target.txt"
if ! diff -u "$KTAPE_HOME/source.txt" "$KTAPE_HOME/target.txt"; then
  echo "FAILED: the clusters differ" >&2
  exit 1
fi
target_kubectl() { kubectl --kubeconfig "$KTAPE_HOME/clusters/target/kubeconfig" "$@"; }
target_kubectl get deployments,replicasets -A -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' |
  sort >"$KTAPE_HOME/owners.txt"
target_kubectl get replicasets,pods -A \
  -o jsonpath='{range .items[*]}{range .metadata.ownerReferences[*]}{.uid}{"\n"}{end}{end}' |
  sort -u >"$KTAPE_HOME/refs.txt"
dangling=$(comm -23 "$KTAPE_HOME/refs.txt" "$KTAPE_HOME/owners.txt" | wc -l)
source_uids=$(kubectl --kubeconfig "$KTAPE_HOME/clusters/source/kubeconfig" get deployments,replicasets -A \
  -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' | sort)
reused=$(comm -12 <(echo "$source_uids") "$KTAPE_HOME/owners.txt" | wc -l)
objects=$(wc -l <"$KTAPE_HOME/target.txt")
refs=$(wc -l <"$KTAPE_HOME/refs.txt")
if [ "$dangling" -ne 0 ] || [ "$reused" -ne 0 ] || [ "$refs" -eq 0 ]; then
  echo "FAILED: $dangling ownerReferences point nowhere, $reused owners kept the source's UID" >&2
  exit 1
fi
say "OK: $objects objects match; all $refs owner UIDs in 'target' are its own re-created parents"
