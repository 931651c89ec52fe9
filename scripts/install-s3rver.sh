#!/usr/bin/env bash
# s3/'s tests run against s3rver, a real S3-compatible server from the npm registry (MinIO is not
# in Debian). Installs a pinned version into <repo>/.deps/s3rver (ignored by git), where the tests
# look for it ($KTAPE_S3RVER overrides). Safe to run twice; the tests skip when it is absent.
set -euo pipefail
version=3.7.1
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.deps/s3rver"
if grep -qs "\"version\": \"$version\"" "$dir/node_modules/s3rver/package.json"; then
  echo "install-s3rver: s3rver $version is installed"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-s3rver: npm is missing (Debian's npm package); the S3 tests will be skipped" >&2
  exit 1
fi
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "s3rver@$version"
echo "install-s3rver: s3rver $version installed in $dir"
