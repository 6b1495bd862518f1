#!/usr/bin/env bash
# Every dataset and version of ../shared/corpus/{public,public-2.2} read by
# lancec must match its expected rows (compared by the corpus's compare.mjs).
set -euo pipefail
: "${LANCEC:?path of the lancec binary}"
: "${LANCEC_SHARED_DIR:?the shared/ folder}"
here=$(cd "$(dirname "$0")" && pwd)
exec node "$here/run_corpus.mjs" --lancec "$LANCEC" --shared "$LANCEC_SHARED_DIR"
