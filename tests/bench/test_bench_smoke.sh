#!/usr/bin/env bash
# Smoke run of the benchmark suite (bench/run.sh): tiny tables (20,000 rows,
# formats 2.2 and 2.0, a BTree index copy), every workload once at 1 and 2
# threads, warm and cold, with lancec and with real Lance. Asserts nothing
# about speed: only that both engines return the same row counts and checksums
# for every workload (and read each other's writes), and that the report
# renders. Environment (set by ctest): LANCEC, LANCEC_SOURCE_DIR, LANCEC_BUILD_DIR.
# Exit status: 0 ok, 1 a difference or failure, 2 setup problem.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${LANCEC_SOURCE_DIR:=$(cd "$here/../.." && pwd)}"
: "${LANCEC_BUILD_DIR:=$LANCEC_SOURCE_DIR/build}"
: "${LANCEC:=$LANCEC_BUILD_DIR/lancec}"
export LANCEC

if [ ! -d "$LANCEC_SOURCE_DIR/tests/interop/node_modules/@lancedb/lancedb" ]; then
  echo "test_bench_smoke: tests/interop/node_modules is missing: run scripts/bootstrap.sh" >&2
  exit 2
fi
for bin in lancec_bench physical; do
  if [ ! -x "$LANCEC_BUILD_DIR/bench/$bin" ]; then
    echo "test_bench_smoke: $LANCEC_BUILD_DIR/bench/$bin is missing: build the $bin target" >&2
    exit 2
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/lancec-bench-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT

status=0
LANCEC_BENCH_NO_BUILD=1 LANCEC_BUILD_DIR="$LANCEC_BUILD_DIR" \
  "$LANCEC_SOURCE_DIR/bench/run.sh" --smoke --data "$work/data" --out "$work/RESULTS.md" \
  > "$work/out.txt" 2> "$work/err.txt" || status=$?
cat "$work/out.txt"
if [ "$status" != 0 ]; then
  echo "test_bench_smoke: bench/run.sh --smoke exited with $status" >&2
  grep -v "WARN\|EBADENGINE" "$work/err.txt" | tail -40 >&2
  for f in "$work"/data/run_*/*.log; do [ -s "$f" ] && { echo "--- $f" >&2; grep -v "WARN\|EBADENGINE" "$f" | tail -20 >&2; }; done
  exit 1
fi

# every workload at every thread count, each with equal results on both sides
node - "$work"/data/run_*/results.json "$work/RESULTS.md" <<'JS'
const fs = require("fs");
const [file, md] = process.argv.slice(2);
const R = JSON.parse(fs.readFileSync(file, "utf8"));
const bad = [];
const ids = new Set(R.workloads.map((w) => w.id));
for (const id of ["scan_all", "scan_all_by_lancec", "scan_numeric", "scan_strings", "scan_vectors", "scan_projected",
  "scan_all_v2_0", "scan_all_v2_0_by_lancec", "filter_sorted", "filter_sorted_btree", "filter_selective", "filter_broad",
  "count_filter", "take_1", "take_100", "take_1000", "take_1000_rowids", "take_10000", "write", "append"])
  if (!ids.has(id)) bad.push(`workload ${id} did not run`);
for (const w of R.workloads) {
  if (w.check !== "equal") bad.push(`${w.id} (threads ${w.threads}): results ${w.check}: ${w.errors.join("; ")}`);
  if (w.lancec.secs.length !== R.config.reps || w.lance.secs.length !== R.config.reps) bad.push(`${w.id} (threads ${w.threads}): missing timed runs`);
  if (w.cold && (w.cold.lancec.secs.length !== R.config.coldReps || w.cold.lance.secs.length !== R.config.coldReps)) bad.push(`${w.id}: missing cold runs`);
  if (w.id === "scan_all" && w.rows !== R.config.rows) bad.push(`scan_all returned ${w.rows} rows, want ${R.config.rows}`);
}
if (R.whole_command?.check !== "equal") bad.push("whole command: counts differ");
if (!R.physical || !(R.physical.memcpy_bps > 0)) bad.push("no physical references");
if (!(R.io_study || []).length || R.io_study.some((c) => c.lancec.error || c.lance.error)) bad.push("io study failed");
if (!fs.readFileSync(md, "utf8").includes("| full scan, all columns |")) bad.push("RESULTS.md has no table");
if (bad.length) { console.error("test_bench_smoke:\n  " + bad.join("\n  ")); process.exit(1); }
console.log(`test_bench_smoke: ${R.workloads.length} workload runs, all results equal on both sides`);
JS
