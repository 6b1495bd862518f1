#!/usr/bin/env bash
# Writers killed with SIGKILL at random points leave no partial version (lancec and real Lance).
set -euo pipefail
: "${LANCEC:?}"
here=$(cd "$(dirname "$0")" && pwd)
exec node "$here/crash_writes.mjs" --lancec "$LANCEC"
