#!/usr/bin/env bash
# Full-scan benchmark: lancec (bench_scan) against real Lance (lance_scan.mjs)
# on the same table, 1 and 2 threads, warm cache, alternating runs.
#
#   bench/run_scan_bench.sh [ROWS]            (default 5000000)
#
# Environment:
#   LANCEC_BENCH_DATA    cache folder of generated tables (default /tmp/lancec-bench-data)
#   LANCEC_BENCH_FORMAT  data storage version of the table (default 2.2; 2.1 accepted)
#   LANCEC_BENCH_THREADS thread counts to run (default "1 2")
#   LANCEC_BENCH_ROUNDS  alternating rounds per thread count (default 3)
#   LANCEC_BENCH_REPS    timed scans per process, after 1 warm-up scan (default 3)
#   LANCEC_BENCH_MODE    lance_scan.mjs --mode: iter (default) or toArrow
#   BENCH_SCAN           path of the bench_scan binary (default $LANCEC_BUILD_DIR/bench/bench_scan,
#                        else build/bench/bench_scan); when missing only Lance is measured
# Prints a table (threads, lancec rows/s, lance rows/s, ratio = lancec / lance,
# median over all timed scans) and checks that the checksums (rows, sum of id,
# bytes of s) agree.  Exit status 1 when a checksum differs or a run fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
rows=${1:-5000000}
fmt=${LANCEC_BENCH_FORMAT:-2.2}
data=${LANCEC_BENCH_DATA:-/tmp/lancec-bench-data}
threads_list=${LANCEC_BENCH_THREADS:-"1 2"}
rounds=${LANCEC_BENCH_ROUNDS:-3}
reps=${LANCEC_BENCH_REPS:-3}
mode=${LANCEC_BENCH_MODE:-iter}
bench_scan=${BENCH_SCAN:-${LANCEC_BUILD_DIR:-$root/build}/bench/bench_scan}

name="bench_${rows}_${fmt//./_}"
dir="$data/$name.lance"
stamp="$data/$name.json"

if [ ! -d "$root/tests/interop/node_modules/@lancedb/lancedb" ]; then
  echo "run_scan_bench: tests/interop/node_modules is missing: run scripts/bootstrap.sh first" >&2
  exit 2
fi

# 1. data (cached; the stamp is written only after a complete generation)
if [ -f "$stamp" ] && [ -d "$dir" ]; then
  echo "data: $dir (cached; generated in $(node -e 'console.log(require(process.argv[1]).seconds)' "$stamp") s)"
else
  echo "data: generating $rows rows (format $fmt) with real Lance into $dir ..."
  mkdir -p "$data"
  rm -f "$stamp"
  node "$here/gen_bench_data.mjs" --rows "$rows" --format "$fmt" --out "$data" 2> >(grep -v "WARN\|EBADENGINE" >&2) > "$stamp.tmp"
  mv "$stamp.tmp" "$stamp"
  echo "data: generated in $(node -e 'console.log(require(process.argv[1]).seconds)' "$stamp") s"
fi
echo "data: $(du -sh "$dir" | cut -f1) on disk, $(ls "$dir/data" | wc -l) data files"

have_lancec=1
if [ ! -x "$bench_scan" ]; then
  echo "note: $bench_scan not found (build the bench_scan target, or set BENCH_SCAN): measuring real Lance only"
  have_lancec=0
fi

results="$(mktemp -d "${TMPDIR:-/tmp}/lancec-bench.XXXXXX")"
trap 'rm -rf "$results"' EXIT
status=0

# median of all "seconds" of the JSON lines in a file, and the checksum of the last one
summarize() {
  node -e '
    const fs = require("fs");
    const lines = fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const secs = lines.flatMap((l) => l.seconds).sort((a, b) => a - b);
    const med = secs[Math.floor(secs.length / 2)];
    const ck = lines.map((l) => JSON.stringify(l.checksum));
    if (new Set(ck).size !== 1) { console.log("ERR checksum differs between runs"); process.exit(0); }
    console.log(Math.round(lines[0].checksum.rows / med) + " " + ck[0]);
  ' "$1"
}

printf '\n%-8s %16s %16s %8s   %s\n' threads "lancec rows/s" "lance rows/s" ratio checksum
for t in $threads_list; do
  : > "$results/lancec.$t"
  : > "$results/lance.$t"
  for ((r = 1; r <= rounds; r++)); do
    if [ "$have_lancec" = 1 ]; then
      if ! "$bench_scan" "$dir" --threads "$t" --reps "$reps" --warmup 1 >> "$results/lancec.$t" 2> "$results/lancec.err"; then
        echo "bench_scan failed (threads $t): $(head -c 500 "$results/lancec.err")" >&2
        status=1
        have_lancec=0
      fi
    fi
    if ! LANCE_CPU_THREADS=$t LANCE_IO_THREADS=$t node "$here/lance_scan.mjs" "$dir" --threads "$t" --reps "$reps" --warmup 1 --mode "$mode" \
        >> "$results/lance.$t" 2> "$results/lance.err"; then
      echo "lance_scan.mjs failed (threads $t): $(grep -v 'EBADENGINE' "$results/lance.err" | head -c 500)" >&2
      exit 1
    fi
  done
  read -r lance_rps lance_ck < <(summarize "$results/lance.$t")
  if [ -s "$results/lancec.$t" ]; then
    read -r lancec_rps lancec_ck < <(summarize "$results/lancec.$t")
    ratio=$(node -e 'console.log((Number(process.argv[1]) / Number(process.argv[2])).toFixed(2))' "$lancec_rps" "$lance_rps")
    if [ "$lancec_ck" = "$lance_ck" ]; then ck="equal $lance_ck"; else ck="DIFFERENT: lancec $lancec_ck, lance $lance_ck"; status=1; fi
  else
    lancec_rps="n/a"; ratio="n/a"; ck="lance $lance_ck"
  fi
  printf '%-8s %16s %16s %8s   %s\n' "$t" "$lancec_rps" "$lance_rps" "$ratio" "$ck"
done
echo
echo "($rows rows, format $fmt, $rounds alternating rounds x $reps timed scans per implementation and thread count, after 1 warm-up scan each; lance mode: $mode)"
exit $status
