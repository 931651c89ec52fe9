#!/usr/bin/env bash
# Creates N ConfigMaps (default 2000) in a fresh realk8s cluster three ways and prints the time of
# each and its ratio to the ceiling: `ktape replay --snapshot --speed 0` (at its default
# --concurrency 8 and at 16), `kubectl create -f` of the same objects, and the apiserver's ceiling:
# curl as a minimal client, 16 keep-alive HTTP/1.1 connections POSTing the same bodies.
# Usage: bench/realk8s_configmaps.sh [N]   (needs build/cli/ktape, kubectl, curl and ../shared/realk8s)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
realk8s=${KTAPE_SHARED:-../shared}/realk8s/realk8s
ktape=${KTAPE:-build/cli/ktape}
work=$(mktemp -d)
trap '"$realk8s" down "$work/state" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$realk8s" up "$work/state" >/dev/null 2>"$work/up.log"

# The objects: one multi-document YAML file (a ktape snapshot recording is plain objects), and one
# JSON body per ConfigMap for curl.
mkdir "$work/bodies"
{
  printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n'
  for i in $(seq 1 "$n"); do
    printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\n  namespace: bench\ndata:\n  k: v%d\n' "$i" "$i"
    printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-%d","namespace":"bench"},"data":{"k":"v%d"}}' \
      "$i" "$i" >"$work/bodies/$i.json"
  done
} >"$work/objects.yaml"

fresh() {
  "$realk8s" fresh "$work/state" >/dev/null 2>>"$work/up.log"
  eval "$("$realk8s" env "$work/state")"
  export KUBECONFIG REALK8S_SERVER REALK8S_CA_FILE REALK8S_TOKEN_FILE
}
seconds() { local s=$(date +%s.%N); "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }; echo "$(date +%s.%N) - $s" | bc; }
count() { kubectl get configmaps -n bench --no-headers | grep -c '^cm-'; }

fresh
kubectl create namespace bench >/dev/null
# One transfer per ConfigMap; curl shares one pool of connections among its parallel transfers.
# The config holds the throwaway cluster's token: mode 0600 in the private temporary directory.
(umask 077; token=$(cat "$REALK8S_TOKEN_FILE")
  for i in $(seq 1 "$n"); do
    [ "$i" -gt 1 ] && echo next
    printf 'url = "%s/api/v1/namespaces/bench/configmaps"\ndata-binary = "@%s"\noutput = "/dev/null"\n' \
      "$REALK8S_SERVER" "$work/bodies/$i.json"
    printf 'header = "Content-Type: application/json"\noauth2-bearer = "%s"\ncacert = "%s"\nhttp1.1\nfail\n' \
      "$token" "$REALK8S_CA_FILE"
  done >"$work/curl.cfg")
curl_run() { curl --silent --parallel --parallel-max 16 -K "$work/curl.cfg"; }
t_curl=$(seconds curl_run); c_curl=$(count)

fresh
t_ktape8=$(seconds "$ktape" replay --path "$work/objects.yaml" --snapshot --speed 0 --kubeconfig "$KUBECONFIG"); c_ktape8=$(count)
fresh
t_ktape16=$(seconds "$ktape" replay --path "$work/objects.yaml" --snapshot --speed 0 --concurrency 16 --kubeconfig "$KUBECONFIG"); c_ktape16=$(count)
fresh
t_kubectl=$(seconds kubectl create -f "$work/objects.yaml"); c_kubectl=$(count)

row() { printf '%-58s %8.2f s  %7.0f objects/s  %5.2fx the ceiling  (%s created)\n' "$1" "$2" "$(echo "$n / $2" | bc -l)" "$(echo "$t_curl / $2" | bc -l)" "$3"; }
echo "$n ConfigMaps into realk8s ($("$realk8s" version 2>/dev/null | head -1)), $(nproc) cores"
row "ceiling: curl, 16 keep-alive HTTP/1.1 connections" "$t_curl" "$c_curl"
row "ktape replay --snapshot --speed 0 (--concurrency 8)" "$t_ktape8" "$c_ktape8"
row "ktape replay --snapshot --speed 0 --concurrency 16" "$t_ktape16" "$c_ktape16"
row "kubectl create -f" "$t_kubectl" "$c_kubectl"
