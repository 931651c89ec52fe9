#!/usr/bin/env bash
# Installs what ktape needs to build and test on Debian 12, adding only what is missing.
# Safe to run twice. Runs apt-get as root, or through sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates openssl procps
  libcurl4-openssl-dev rapidjson-dev libyaml-cpp-dev libboost-dev libconcurrentqueue-dev
  libcli11-dev doctest-dev libcpp-httplib-dev libexpected-dev zlib1g-dev libzstd-dev libssl-dev
  libbenchmark-dev
  libsodium-dev  # formats/age*.cpp: age encryption of recordings
  age  # the real age command: the interop tests of formats/age
  clang-tidy-22  # scripts/tidy.sh: the checks of .clang-tidy, run by CI (22 skips system headers)
  clang libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer and the sanitizer runtimes of clang
  nghttp2-server  # nghttpd: the HTTP/2 server kube/'s multiplexing test runs against
  chromium  # headless: the store test loads the page of `ktape show --html` and screenshots it
  zsh fish  # the completion tests drive both shells' completion of `ktape completion zsh|fish`
)
# The s3 tests run s3rver (npm): Debian's npm unless node and npm are already there; it is
# installed after the Debian packages, whichever way this script ends well.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
trap '[ $? -eq 0 ] && "$(dirname "$0")/install-s3rver.sh"' EXIT
# kubectl is the real client the end-to-end tests drive; Debian ships it as kubernetes-client.
command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
