#!/usr/bin/env bash
# Builds the Release .deb (cpack -G DEB, dependencies from dpkg-shlibdeps) and checks it as a user
# would meet it: installed, `ktape version`, `kubectl tape record --snapshot` against a simulated
# cluster and a replay of it into another, `man -w ktape-replay`, and bash completion from the
# installed script.
#
# PACKAGE_INSTALL=apt (the default as root; what CI runs on a fresh Debian 12):
#   apt-get install -y ./ktape_VERSION_amd64.deb, then checks /usr/bin/ktape.
# PACKAGE_INSTALL=extract (the default otherwise; for shared machines): dpkg-deb -x into a temporary
#   directory and checks the binaries, pages and completions there.
# BUILD_DIR (default build-release, configured as Release when new) is reused as it is configured.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-release}
mode=${PACKAGE_INSTALL:-$([ "$(id -u)" -eq 0 ] && echo apt || echo extract)}
fail() { echo "package-test: error: $*" >&2; exit 1; }

# CPack's shlibdeps needs file(1); the man check needs man-db.
need=()
command -v file >/dev/null || need+=(file)
command -v dpkg-shlibdeps >/dev/null || need+=(dpkg-dev)
[ "$mode" = apt ] && ! command -v man >/dev/null && need+=(man-db)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || fail "missing ${need[*]}: install them (apt-get install ${need[*]})"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

[ -f "$build/CMakeCache.txt" ] ||
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKTAPE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target ktape ktape_docs
rm -f "$build"/ktape_*.deb
(cd "$build" && cpack -G DEB >/dev/null)
debs=("$build"/ktape_*_*.deb)
[ -f "${debs[0]}" ] || fail "cpack wrote no .deb in $build"
deb=$(realpath "${debs[0]}")
echo "package-test: built $deb ($(du -h "$deb" | cut -f1)); $(dpkg-deb -f "$deb" Depends | sed 's/^/Depends: /')"
dpkg-deb -f "$deb" Depends | grep -q libc6 || fail "the package names no shared-library dependencies"

work=$(mktemp -d)
export KTAPE_HOME="$work/home"
cleanup() {
  for c in pkg-a pkg-b; do "$ktape" cluster delete "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
if [ "$mode" = apt ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
  prefix=/usr
else
  dpkg-deb -x "$deb" "$work/root"
  prefix="$work/root/usr"
  export PATH="$prefix/bin:$PATH" MANPATH="$prefix/share/man:"
fi
ktape="$prefix/bin/ktape"
trap cleanup EXIT
[ "$(command -v ktape)" = "$ktape" ] || fail "ktape on PATH is $(command -v ktape), not $ktape"
[ "$(command -v kubectl-tape)" = "$prefix/bin/kubectl-tape" ] || fail "kubectl-tape is not on PATH"

echo "== ktape version"
ktape version
ktape version -o json | grep -q '"kubernetesAPI":"1.32"' || fail "ktape version -o json has no kubernetesAPI"

echo "== kubectl tape record --snapshot against a simulated cluster, replayed into another"
ktape cluster create pkg-a >/dev/null
ktape cluster create pkg-b >/dev/null
kubectl --kubeconfig "$KTAPE_HOME/clusters/pkg-a/kubeconfig" create configmap packaged --from-literal=k=v >/dev/null
KUBECONFIG="$KTAPE_HOME/clusters/pkg-a/kubeconfig" kubectl tape record --snapshot --path "$work/s.yaml" -n default
grep -q "name: packaged" "$work/s.yaml" || fail "the recording has no configmap packaged"
ktape replay --path "$work/s.yaml" --cluster pkg-b --snapshot
kubectl --kubeconfig "$KTAPE_HOME/clusters/pkg-b/kubeconfig" get configmap packaged -o name | grep -q packaged ||
  fail "the replay did not create configmap packaged"

echo "== man -w ktape-replay"
page=$(man -w ktape-replay) || {
  grep -rqs 'path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d && fail "dpkg excludes man pages here (/etc/dpkg/dpkg.cfg.d)"
  fail "man finds no ktape-replay page"
}
echo "$page"
case "$page" in *.1.gz) ;; *) fail "the ktape-replay page is not gzipped as Debian ships man pages: $page" ;; esac
man ktape-replay 2>/dev/null | grep -q -- "on-existing" || fail "the ktape-replay page does not show --on-existing"

echo "== bash completion from the installed script"
words=$(bash -c 'source "$1"; COMP_WORDS=(ktape replay --on-existing ""); COMP_CWORD=3; _ktape; echo "${COMPREPLY[*]}"' \
  _ "$prefix/share/bash-completion/completions/ktape")
[ "$words" = "skip update recreate" ] || fail "completing replay --on-existing gave '$words'"
clusters=$(bash -c 'source "$1"; COMP_WORDS=(kubectl-tape record --cluster pkg-); COMP_CWORD=3; _ktape; echo "${COMPREPLY[*]}"' \
  _ "$prefix/share/bash-completion/completions/kubectl-tape")
[ "$clusters" = "pkg-a pkg-b" ] || fail "completing --cluster pkg- gave '$clusters'"
echo "package-test: ok ($mode)"
