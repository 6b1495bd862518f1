#!/usr/bin/env bash
# Write benchmark: lancec_write (create) against real Lance's createTable, from
# the same Arrow data (the scan benchmark's table exported as an Arrow IPC
# stream), in the same run; prints MB/s of both, the ratio, and the on-disk
# size of both results with their ratio.
#
#   bench/run_write_bench.sh [ROWS]       (default 5000000; uses run_scan_bench.sh's data cache)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
rows=${1:-5000000}
data=${LANCEC_BENCH_DATA:-/tmp/lancec-bench-data}
build=${LANCEC_BUILD_DIR:-$root/build}
reps=${LANCEC_BENCH_REPS:-3}
src="$data/bench_${rows}_2_2.lance"
if [ ! -d "$src" ]; then
  echo "run_write_bench: $src missing: run bench/run_scan_bench.sh $rows first (it generates the table)" >&2
  exit 2
fi
input="$data/bench_${rows}.arrows"
[ -f "$input" ] || "$build/lancec" scan "$src" --format arrow > "$input"
work=$(mktemp -d "${TMPDIR:-/tmp}/lancec-wbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lancec" "$work/lance"
echo "input: $input ($(du -h "$input" | cut -f1), $rows rows)"
printf '%-8s %14s %14s %8s %14s %14s %10s\n' round "lancec MB/s" "lance MB/s" ratio "lancec bytes" "lance bytes" "size ratio"
for round in 1 2; do
  l=$("$build/bench/bench_write" "$input" "$work/lancec" --reps "$reps")
  r=$(node "$here/lance_write.mjs" "$input" "$work/lance" --reps "$reps" 2> >(grep -v 'EBADENGINE\|WARN' >&2))
  lmb=$(node -e 'console.log(JSON.parse(process.argv[1]).mb_per_s)' "$l")
  rmb=$(node -e 'console.log(JSON.parse(process.argv[1]).mb_per_s)' "$r")
  ld=$(node -e 'console.log(JSON.parse(process.argv[1]).dataset)' "$l")
  rd=$(node -e 'console.log(JSON.parse(process.argv[1]).dataset)' "$r")
  lsz=$(du -sb "$ld" | cut -f1)
  rsz=$(du -sb "$rd" | cut -f1)
  printf '%-8s %14s %14s %8s %14s %14s %10s\n' "$round" "$lmb" "$rmb" \
    "$(node -e 'console.log((process.argv[1]/process.argv[2]).toFixed(2))' "$lmb" "$rmb")" "$lsz" "$rsz" \
    "$(node -e 'console.log((process.argv[1]/process.argv[2]).toFixed(3))' "$lsz" "$rsz")"
  rm -rf "$work/lancec"/* "$work/lance"/*
done
echo "(ratio = lancec / real Lance speed; size ratio = lancec / real Lance bytes on disk; format 2.2 both)"
