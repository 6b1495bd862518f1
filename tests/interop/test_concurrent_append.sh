#!/usr/bin/env bash
# 8 processes append 1,000 batches to one dataset; every row exactly once (lancec and real Lance).
set -euo pipefail
: "${LANCEC:?}"
here=$(cd "$(dirname "$0")" && pwd)
exec node "$here/concurrent_append.mjs" --lancec "$LANCEC"
