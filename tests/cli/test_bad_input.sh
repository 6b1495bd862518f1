#!/usr/bin/env bash
# Corrupt files, missing versions and bad options: clear one-line errors, no crash.
set -euo pipefail
: "${LANCEC:?}" "${LANCEC_SHARED_DIR:?}"
here=$(cd "$(dirname "$0")" && pwd)
exec node "$here/bad_input.mjs" --lancec "$LANCEC" --shared "$LANCEC_SHARED_DIR"
