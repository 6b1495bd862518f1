#!/usr/bin/env bash
# Every readable historical dataset of ../shared/corpus/legacy (Lance 0.5-0.36,
# file formats v1 and 2.0) read in place by lancec matches its expected rows.
set -euo pipefail
: "${LANCEC:?}" "${LANCEC_SHARED_DIR:?}"
here=$(cd "$(dirname "$0")" && pwd)
exec node "$here/run_legacy.mjs" --lancec "$LANCEC" --shared "$LANCEC_SHARED_DIR"
