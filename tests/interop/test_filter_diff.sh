#!/usr/bin/env bash
# Acceptance test "lancec's SQL filters select exactly the rows real Lance's
# query().where() selects" (differential test).
#
# filter_diff.mjs has real Lance (@lancedb/lancedb 0.39.0 from
# tests/interop/node_modules) write datasets with several fragments,
# deletions and an update, over columns of many types with nulls, NaN of both
# signs, +-Infinity, -0.0, empty / non-ASCII / quote / % / _ strings, edge
# values, a struct; then generates random filters from the schema and the
# values present (comparisons, AND/OR/NOT, IS [NOT] NULL/TRUE/FALSE, IN,
# BETWEEN, [NOT] [I]LIKE, arithmetic, CAST/TRY_CAST, DATE/TIMESTAMP
# literals, nested fields, _rowid/_rowaddr) and compares, filter by filter,
# the row ids real Lance returns with those lancec returns (through
# filter_driver, a small test program on the public scan API): same set, or
# both reject the filter. A subset checks lancec's row order, --threads 1 vs
# 2, limit/offset slicing and the `lancec scan --where` CLI.
#
# Seeds: the fixed seed 1 and a seed taken from today's date (printed), 1100
# filters each (>= 2,000 in all); rerun one with
#   LANCEC_FILTER_DIFF_SEEDS=<seed> bash tests/interop/test_filter_diff.sh
# Environment (set by ctest): LANCEC, LANCEC_SOURCE_DIR, LANCEC_BUILD_DIR.
# Optional: LANCEC_FILTER_DIFF_SEEDS (default "1 date"),
#   LANCEC_FILTER_DIFF_FILTERS (filters per seed, default 1100),
#   LANCEC_FILTER_DIFF_KEEP=1 (keep the datasets; path printed).
# Exit status: 0 all filters agreed, 1 a mismatch, 2 setup problem.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${LANCEC_SOURCE_DIR:=$(cd "$here/../.." && pwd)}"
: "${LANCEC_BUILD_DIR:=$LANCEC_SOURCE_DIR/build}"
: "${LANCEC:=$LANCEC_BUILD_DIR/lancec}"
driver="$LANCEC_BUILD_DIR/tests/filter_driver"
seeds=${LANCEC_FILTER_DIFF_SEEDS:-"1 date"}
filters=${LANCEC_FILTER_DIFF_FILTERS:-1100}

if [ ! -d "$here/node_modules/@lancedb/lancedb" ] || [ ! -d "$here/node_modules/apache-arrow" ]; then
  echo "test_filter_diff: $here/node_modules is missing (real Lance: @lancedb/lancedb + apache-arrow)." >&2
  echo "test_filter_diff: run scripts/bootstrap.sh (or: cd tests/interop && npm ci) first." >&2
  exit 2
fi
if [ ! -x "$driver" ]; then
  echo "test_filter_diff: $driver not found (build the filter_driver target; set LANCEC_BUILD_DIR)" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lancec-filterdiff.XXXXXX")
if [ "${LANCEC_FILTER_DIFF_KEEP:-0}" = "1" ]; then
  echo "test_filter_diff: keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi

cli=()
[ -x "$LANCEC" ] && cli=(--lancec "$LANCEC")
rc=0
NODE_PATH="$here/node_modules" node "$here/filter_diff.mjs" --driver "$driver" "${cli[@]}" \
  --seeds "$seeds" --filters "$filters" --work "$work" 2>&1 | grep -v -E "WARN +lance::dataset::write::insert" || rc=${PIPESTATUS[0]}
exit "$rc"
