#!/usr/bin/env bash
# Bad input to lancec write/delete: clear one-line error, nothing written.
set -euo pipefail
: "${LANCEC:?}"
here=$(cd "$(dirname "$0")" && pwd)
exec node "$here/write_bad_input.mjs" --lancec "$LANCEC"
