#!/usr/bin/env bash
# Scalar indices built by real Lance (BTree, Bitmap, LabelList; partial
# coverage, deletions before/after indexing, optimize(), stable row ids):
# lc_index_plan's answers must include every row real Lance returns for the
# covered fragments. See gen_index.mjs (datasets + real answers),
# index_probe.c (the checks) and check_cli.mjs (counts through the CLI).
set -euo pipefail
: "${LANCEC:?}" "${LANCEC_BUILD_DIR:?}" "${LANCEC_SHARED_DIR:?}"
here=$(cd "$(dirname "$0")" && pwd)
interop="$here/../interop"
if [ ! -d "$interop/node_modules/@lancedb/lancedb" ]; then
  echo "test_index_interop: $interop/node_modules is missing: run scripts/bootstrap.sh" >&2
  exit 2
fi
probe="$LANCEC_BUILD_DIR/tests/index_probe"
if [ ! -x "$probe" ]; then
  echo "test_index_interop: $probe is not built" >&2
  exit 2
fi
export NODE_PATH="$interop/node_modules${NODE_PATH:+:$NODE_PATH}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lancec-index-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
node "$here/gen_index.mjs" --out "$tmp" --shared "$LANCEC_SHARED_DIR" 2> >(grep -v ' WARN ' >&2)
status=0
for name in main small opt stable stable2; do
  "$probe" "$tmp/${name%2}.lance" "$tmp/$name.cases.jsonl" || status=1
done
# the same filters end to end through the scanner (--count with / without indices)
node "$here/check_cli.mjs" --lancec "$LANCEC" "$tmp" main:main small:small opt:opt stable:stable stable2:stable || status=1
exit $status
