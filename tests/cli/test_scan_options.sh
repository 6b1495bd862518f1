#!/usr/bin/env bash
# lancec scan --take / --count / --where / --fragments / --explain over the corpus.
set -euo pipefail
: "${LANCEC:?}" "${LANCEC_SHARED_DIR:?}"
here=$(cd "$(dirname "$0")" && pwd)
exec node "$here/scan_options.mjs" --lancec "$LANCEC" --shared "$LANCEC_SHARED_DIR"
