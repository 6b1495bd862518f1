#!/usr/bin/env bash
# Install what building and testing lancec needs (Debian / Ubuntu, as root or
# with sudo).  Idempotent: packages already installed are not touched and
# `apt-get update` only runs when something is missing.
#
#   scripts/bootstrap.sh            apt packages + `npm ci` in tests/interop
#   LANCEC_SKIP_NPM=1 scripts/bootstrap.sh   apt packages only
#   LANCEC_FORCE_NPM=1 scripts/bootstrap.sh  run `npm ci` even when node_modules looks current
#
# Node.js / npm: when `node` and `npm` are already on PATH (e.g. a Node 20 +
# npm 11 installed outside Debian's packages) they are kept as they are;
# Debian's nodejs/npm are only installed when either is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libzstd-dev liblz4-dev libprotobuf-c-dev protobuf-c-compiler
  libcurl4-openssl-dev libssl-dev libjansson-dev libroaring-dev
  libmicrohttpd-dev libcmocka-dev
  clang libclang-rt-14-dev
)

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  echo "bootstrap: node $(node --version) and npm $(npm --version 2>/dev/null) already present: not installing Debian's nodejs/npm"
else
  echo "bootstrap: node and/or npm missing: adding Debian's nodejs and npm"
  PACKAGES+=(nodejs npm)
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "bootstrap: not root and no sudo: cannot install packages" >&2
  fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "bootstrap: all ${#PACKAGES[@]} apt packages already installed"
else
  echo "bootstrap: missing apt packages: ${missing[*]}"
  echo "bootstrap: + apt-get update"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  echo "bootstrap: + apt-get install -y --no-install-recommends ${missing[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ "${LANCEC_SKIP_NPM:-0}" = "1" ]; then
  echo "bootstrap: LANCEC_SKIP_NPM=1: skipping npm ci in tests/interop (interop tests and the Lance side of the benchmark need it)"
elif [ "${LANCEC_FORCE_NPM:-0}" != "1" ] && [ -f "$ROOT/tests/interop/node_modules/.package-lock.json" ] \
     && [ "$ROOT/tests/interop/node_modules/.package-lock.json" -nt "$ROOT/tests/interop/package-lock.json" ] \
     && node -e 'require(process.argv[1] + "/node_modules/@lancedb/lancedb"); require(process.argv[1] + "/node_modules/apache-arrow")' "$ROOT/tests/interop" 2>/dev/null; then
  echo "bootstrap: tests/interop/node_modules is up to date with package-lock.json: skipping npm ci (LANCEC_FORCE_NPM=1 to force)"
else
  echo "bootstrap: + (cd tests/interop && npm ci)   # @lancedb/lancedb 0.39.0 + apache-arrow 18.1.0 from the lockfile"
  # lancedb 0.39.0 declares node >= 22; it runs on Node 20 (npm prints an EBADENGINE warning).
  (cd "$ROOT/tests/interop" && npm ci --no-audit --no-fund)
  node -e 'require(process.argv[1] + "/node_modules/@lancedb/lancedb"); console.log("bootstrap: @lancedb/lancedb " + require(process.argv[1] + "/node_modules/@lancedb/lancedb/package.json").version + " loads")' "$ROOT/tests/interop"
fi

echo "bootstrap: done"
