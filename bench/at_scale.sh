#!/usr/bin/env bash
# ktape at the largest cluster sizes (issue 18), one run of each step on this machine:
#   1. generate  `ktape workload --snapshot-file` writes N objects (Deployments -> ReplicaSets ->
#                ~3 KB Pods, Services + EndpointSlices, ConfigMaps, Secrets, Events)
#   2. replay    `ktape replay --snapshot --speed 0` of that file into a fresh simulated cluster
#   3. sim       the cluster's RSS holding them against the size of its saved JSON, its save at stop
#                and its start from --data-dir, and a LIST of every Pod in pages of 500
#   4. export    `ktape export -A` of the whole cluster: objects/s and peak RSS
#   5. kubectl   `kubectl get <the same resources> -A -o yaml` when N <= KUBECTL_MAX (default 100000)
# Each line printed is "step: figures"; peak RSS is /usr/bin/time's maximum resident set size.
# Usage: bench/at_scale.sh [N]   (default 1000000; needs build/cli/ktape, kubectl, python3, GNU time)
#        KTAPE_BENCH_DIR=DIR keeps the files there (several GB at a million) instead of a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
ktape=$(realpath "${KTAPE:-build/cli/ktape}")
kubectl_max=${KUBECTL_MAX:-100000}
work=${KTAPE_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
sim_pid=
stop_sim() {  # GNU time ignores SIGINT while it waits: the server itself is signalled
  if [ -n "$sim_pid" ]; then
    kill -INT "${sim_server:-$sim_pid}" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  sim_pid=
  sim_server=
}
cleanup() { stop_sim; [ -n "${KTAPE_BENCH_DIR:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
peak_mb() { awk '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$1"; }
rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
timed() {  # timed NAME command...: runs it under GNU time, its output in $work/NAME.out
  local name=$1; shift
  /usr/bin/time -v -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" ||
    { cat "$work/$name.err" >&2; exit 1; }
}

# The simulated cluster in the background, its kubeconfig in $work/kubeconfig once it serves.
start_sim() {
  rm -f "$work/kubeconfig"
  local started=$(now)
  /usr/bin/time -v -o "$work/sim.time" "$ktape" cluster serve --port 0 --data-dir "$work/data" \
    --kubeconfig-out "$work/kubeconfig" >"$work/sim.out" 2>"$work/sim.err" &
  sim_pid=$!
  until [ -s "$work/kubeconfig" ] && kubectl --kubeconfig "$work/kubeconfig" get --raw /readyz >/dev/null 2>&1; do
    kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.err" >&2; exit 1; }
    sleep 0.1
  done
  sim_start_s=$(since "$started")
  # The child of GNU time is the server.
  sim_server=$(pgrep -P "$sim_pid" | head -1)
}

# 1. generate
s=$(now)
"$ktape" workload --snapshot-file "$work/cluster.yaml" --objects "$n" --force >"$work/generate.out"
objects=$(awk '{print $3}' "$work/generate.out")
echo "generate: $(cat "$work/generate.out") in $(since "$s") s"

# 2. replay
rm -rf "$work/data"
start_sim
s=$(now)
timed replay "$ktape" replay --path "$work/cluster.yaml" --snapshot --speed 0 --kubeconfig "$work/kubeconfig"
t=$(since "$s")
echo "replay --snapshot: $objects objects in $t s = $(echo "$objects / $t" | bc) objects/s, peak RSS $(peak_mb "$work/replay.time") MB"

# 3. the simulated cluster holding them
held=$(rss_mb "$sim_server")
s=$(now)
stop_sim
json=$(stat -c %s "$work/data/"*)
echo "sim: RSS $held MB holding $objects objects; saved JSON $((json / 1048576)) MB (RSS/JSON $(echo "scale=2; $held * 1048576 / $json" | bc)); save+stop $(since "$s") s"
start_sim
echo "sim: start from --data-dir $sim_start_s s, RSS $(rss_mb "$sim_server") MB after loading"
s=$(now)
pods=$(python3 - "$work/kubeconfig" <<'PY'
import json, sys, urllib.request, urllib.parse, re
server = re.search(r"server:\s*\"?([^\s\"]+)", open(sys.argv[1]).read()).group(1)
token, count = "", 0
while True:
    q = {"limit": "500"}
    if token: q["continue"] = token
    page = json.load(urllib.request.urlopen(server + "/api/v1/pods?" + urllib.parse.urlencode(q)))
    count += len(page["items"])
    token = page["metadata"].get("continue", "")
    if not token: break
print(count)
PY
)
echo "sim: LIST of $pods pods in pages of 500: $(since "$s") s"

# 4. export
resources=pods,replicasets.apps,deployments.apps,services,endpointslices.discovery.k8s.io,configmaps,secrets,events,namespaces
resource_flags=()
for r in ${resources//,/ }; do resource_flags+=(--resource "$r"); done
s=$(now)
timed export "$ktape" export --path "$work/export.yaml" --force --kubeconfig "$work/kubeconfig" -A \
  "${resource_flags[@]}"
t=$(since "$s")
exported=$(grep -c '^kind: ' "$work/export.yaml" || true)
echo "export: $exported objects in $t s = $(echo "$exported / $t" | bc) objects/s, peak RSS $(peak_mb "$work/export.time") MB, $(($(stat -c %s "$work/export.yaml") / 1048576)) MB file"

# 5. kubectl
if [ "$n" -le "$kubectl_max" ]; then
  s=$(now)
  timed kubectl kubectl --kubeconfig "$work/kubeconfig" get "$resources" -A -o yaml
  t=$(since "$s")
  echo "kubectl get -A -o yaml: $exported objects in $t s = $(echo "$exported / $t" | bc) objects/s, peak RSS $(peak_mb "$work/kubectl.time") MB"
else
  echo "kubectl: skipped above $kubectl_max objects (KUBECTL_MAX); see its figure at 100k"
fi
stop_sim
