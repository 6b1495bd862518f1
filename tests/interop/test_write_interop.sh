#!/usr/bin/env bash
# Acceptance: real Lance reads what lancec writes (corpus round trip, every
# version of a multi-version dataset, versions agree), and appends/deletes
# cross between lancec and real Lance. See write_interop.mjs.
set -euo pipefail
: "${LANCEC:?}" "${LANCEC_SHARED_DIR:?}"
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules/@lancedb/lancedb" ]; then
  echo "test_write_interop: $here/node_modules is missing: run scripts/bootstrap.sh" >&2
  exit 2
fi
# the shared corpus modules load lancedb with require(), which honours NODE_PATH
export NODE_PATH="$here/node_modules${NODE_PATH:+:$NODE_PATH}"
exec node "$here/write_interop.mjs" --lancec "$LANCEC" --shared "$LANCEC_SHARED_DIR"
