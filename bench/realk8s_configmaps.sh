#!/usr/bin/env bash
# Creates N objects (default 2000) in a fresh realk8s cluster three ways and prints the time of
# each and its ratio to the ceiling: `ktape replay --snapshot --speed 0` (at its default
# --concurrency 8 and at 16), `kubectl create -f` of the same objects, and the apiserver's ceiling:
# curl as a minimal client, 16 keep-alive HTTP/1.1 connections POSTing the same bodies.
#
# flat (the default): N ConfigMaps. forest: N ConfigMaps in an owner forest three levels deep
# (N/25 roots, 4 children each, 5 grandchildren per child; every child's ownerReference names its
# parent's UID). ktape replays one snapshot file, children before parents in it, with the recorded
# UIDs, and re-links them; kubectl and curl cannot, so they create level by level and read the new
# UIDs of a level (one LIST) before writing the next: what a minimal client must do. Each run ends
# with a check that all N exist and every ownerReference resolves to a live owner's UID.
# Usage: bench/realk8s_configmaps.sh [N] [flat|forest]   (needs build/cli/ktape, kubectl, curl,
#   python3 and ../shared/realk8s). KTAPE_BENCH_KUBECTL=0 leaves kubectl out (it is ~40x slower).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
shape=${2:-flat}
case "$shape" in flat | forest) ;; *) echo "usage: $0 [N] [flat|forest]" >&2; exit 2 ;; esac
realk8s=${KTAPE_SHARED:-../shared}/realk8s/realk8s
ktape=${KTAPE:-build/cli/ktape}
work=$(mktemp -d)
trap '"$realk8s" down "$work/state" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$realk8s" up "$work/state" >/dev/null 2>"$work/up.log"

# The objects, by level: level 0 are the roots (all N ConfigMaps when flat). A ConfigMap's parent
# is named in its annotation; its ownerReference is filled with the parent's UID when written.
levels() { [ "$shape" = flat ] && echo 0 || echo "0 1 2"; }
names_of() { # level -> "name parent" lines
  local roots=$n
  [ "$shape" = forest ] && roots=$((n / 25))
  case $1 in
    0) for r in $(seq 1 "$roots"); do echo "cm-$r -"; done ;;
    1) for r in $(seq 1 "$roots"); do for c in 1 2 3 4; do echo "cm-$r-$c cm-$r"; done; done ;;
    2) for r in $(seq 1 "$roots"); do for c in 1 2 3 4; do for g in 1 2 3 4 5; do echo "cm-$r-$c-$g cm-$r-$c"; done; done; done ;;
  esac
}
# One object as JSON: name, parent ("-" for none), the parent's UID, and its own UID ("" to leave out).
object_json() {
  local owner="" uid=""
  [ "$2" != - ] && owner=',"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"'$2'","uid":"'$3'"}]'
  [ -n "$4" ] && uid=',"uid":"'$4'"'
  printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s","namespace":"bench","labels":{"bench":"1"}%s%s},"data":{"k":"%s"}}' \
    "$1" "$uid" "$owner" "$1"
}
# ktape's file: one snapshot with recorded UIDs, the deepest level first (children before parents).
{
  printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}}\n'
  for level in $(levels | tr ' ' '\n' | sort -r); do
    names_of "$level" | while read -r name parent; do
      echo '---'
      object_json "$name" "$parent" "u-$parent" "u-$name"
      echo
    done
  done
} >"$work/objects.yaml"
total=$(grep -c '"kind":"ConfigMap"' "$work/objects.yaml")

fresh() {
  "$realk8s" fresh "$work/state" >/dev/null 2>>"$work/up.log"
  eval "$("$realk8s" env "$work/state")"
  export KUBECONFIG REALK8S_SERVER REALK8S_CA_FILE REALK8S_TOKEN_FILE
}
seconds() { local s=$(date +%s.%N); "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }; echo "$(date +%s.%N) - $s" | bc; }
# "created, owner references resolving" of the bench ConfigMaps now in the cluster.
check() {
  kubectl get configmaps -n bench -l bench=1 -o json | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
uids = {i["metadata"]["uid"] for i in items}
refs = [r["uid"] for i in items for r in i["metadata"].get("ownerReferences", [])]
print(f"{len(items)} created, {sum(u in uids for u in refs)}/{len(refs)} owner references resolve")'
}
# "name uid" of the bench ConfigMaps in the cluster (one LIST), for the next level's references.
uids_now() {
  curl --silent --fail --oauth2-bearer "$(cat "$REALK8S_TOKEN_FILE")" --cacert "$REALK8S_CA_FILE" \
    "$REALK8S_SERVER/api/v1/namespaces/bench/configmaps?labelSelector=bench%3D1" |
    python3 -c 'import json,sys; [print(i["metadata"]["name"], i["metadata"]["uid"]) for i in json.load(sys.stdin)["items"]]' \
      >"$work/uids"
}
# The level's objects with their parents' live UIDs: one JSON body per object in $work/bodies/
# (one python3 process, so that writing them costs the minimal client next to nothing).
level_bodies() {
  rm -rf "$work/bodies" && mkdir "$work/bodies"
  if [ "$1" -gt 0 ]; then uids_now; else : >"$work/uids"; fi
  names_of "$1" | python3 -c '
import json, sys
out, uids = sys.argv[1], dict(line.split() for line in open(sys.argv[2]))
for i, line in enumerate(sys.stdin):
    name, parent = line.split()
    meta = {"name": name, "namespace": "bench", "labels": {"bench": "1"}}
    if parent != "-":
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": parent, "uid": uids[parent]}]
    with open(f"{out}/{i}.json", "w") as f:
        json.dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": name}}, f)
' "$work/bodies" "$work/uids"
}
# One transfer per object; curl shares one pool of connections among its parallel transfers. The
# config holds the throwaway cluster's token: mode 0600 in the private temporary directory.
curl_level() {
  level_bodies "$1"
  (umask 077; token=$(cat "$REALK8S_TOKEN_FILE")
    for f in "$work"/bodies/*.json; do
      echo next
      printf 'url = "%s/api/v1/namespaces/bench/configmaps"\ndata-binary = "@%s"\noutput = "/dev/null"\n' \
        "$REALK8S_SERVER" "$f"
      printf 'header = "Content-Type: application/json"\noauth2-bearer = "%s"\ncacert = "%s"\nhttp1.1\nfail\n' \
        "$token" "$REALK8S_CA_FILE"
    done | tail -n +2 >"$work/curl.cfg")
  curl --silent --parallel --parallel-max 16 -K "$work/curl.cfg"
}
curl_run() { for level in $(levels); do curl_level "$level"; done; }
kubectl_run() {
  for level in $(levels); do
    level_bodies "$level"
    cat "$work"/bodies/*.json | kubectl create -f - >/dev/null
  done
}

fresh
kubectl create namespace bench >/dev/null
t_curl=$(seconds curl_run); c_curl=$(check)
fresh
t_ktape8=$(seconds "$ktape" replay --path "$work/objects.yaml" --snapshot --speed 0 --kubeconfig "$KUBECONFIG"); c_ktape8=$(check)
fresh
t_ktape16=$(seconds "$ktape" replay --path "$work/objects.yaml" --snapshot --speed 0 --concurrency 16 --kubeconfig "$KUBECONFIG"); c_ktape16=$(check)
if [ "${KTAPE_BENCH_KUBECTL:-1}" = 1 ]; then
  fresh
  kubectl create namespace bench >/dev/null
  t_kubectl=$(seconds kubectl_run); c_kubectl=$(check)
fi

row() { printf '%-58s %8.2f s  %7.0f objects/s  %5.2fx the ceiling  (%s)\n' "$1" "$2" "$(echo "$total / $2" | bc -l)" "$(echo "$t_curl / $2" | bc -l)" "$3"; }
echo "$total ConfigMaps ($shape) into realk8s ($("$realk8s" version 2>/dev/null | head -1)), $(nproc) cores"
row "ceiling: curl, 16 keep-alive HTTP/1.1 connections" "$t_curl" "$c_curl"
row "ktape replay --snapshot --speed 0 (--concurrency 8)" "$t_ktape8" "$c_ktape8"
row "ktape replay --snapshot --speed 0 --concurrency 16" "$t_ktape16" "$c_ktape16"
[ -z "${t_kubectl:-}" ] || row "kubectl create -f" "$t_kubectl" "$c_kubectl"
