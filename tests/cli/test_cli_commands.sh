#!/usr/bin/env bash
# lancec versions / info / --tag / --asof against the corpus meta files.
set -euo pipefail
: "${LANCEC:?}" "${LANCEC_SHARED_DIR:?}"
here=$(cd "$(dirname "$0")" && pwd)
exec node "$here/cli_commands.mjs" --lancec "$LANCEC" --shared "$LANCEC_SHARED_DIR"
