#!/usr/bin/env bash
# The benchmark suite, lancec against real Lance: one command, one table.
#
#   bench/run.sh [suite options]            e.g. bench/run.sh --rows 200000 --reps 2
#
# Creates (and caches) the datasets, measures the physical references, runs every
# workload with lancec (bench/lancec_bench.c, through the library) and real Lance
# (bench/lance_bench.mjs, @lancedb/lancedb returning Arrow) alternately at each
# thread count, checks both return the same rows, prints the table and writes
# bench/RESULTS.md. See bench/README.md.
#
# Environment (each also a suite option; options win):
#   ROWS=5000000  REPS=3  COLD_REPS=2  THREADS="1 2"  WRITE_ROWS=500000  APPEND=100,1000
#   FORMATS="2.2 2.0"  OUT=bench/RESULTS.md ("-": no file)
#   LANCEC_BENCH_DATA  dataset cache (default /tmp/lancec-bench-data)
#   LANCEC_BUILD_DIR   lancec build folder (default ./build); its lancec, lancec_bench and
#                      physical targets are brought up to date first (LANCEC_BENCH_NO_BUILD=1: don't)
# Exit status: 0 every result equal on both sides, 1 a difference or failure, 2 setup problem.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${LANCEC_BUILD_DIR:-$root/build}

if [ ! -d "$root/tests/interop/node_modules/@lancedb/lancedb" ]; then
  echo "bench/run.sh: tests/interop/node_modules is missing: run scripts/bootstrap.sh (or npm ci in tests/interop)" >&2
  exit 2
fi
if [ "${LANCEC_BENCH_NO_BUILD:-0}" != 1 ]; then
  if [ ! -f "$build/CMakeCache.txt" ]; then
    echo "bench/run.sh: $build is not a configured build folder: cmake -S $root -B $build -DCMAKE_BUILD_TYPE=Release (or set LANCEC_BUILD_DIR)" >&2
    exit 2
  fi
  if grep -q '^CMAKE_BUILD_TYPE:STRING=Debug' "$build/CMakeCache.txt"; then
    echo "bench/run.sh: warning: $build is a Debug build: numbers will not mean much" >&2
  fi
  cmake --build "$build" --target lancec lancec_bench physical -j2 >/dev/null
fi

args=()
[ -n "${ROWS:-}" ] && args+=(--rows "$ROWS")
[ -n "${REPS:-}" ] && args+=(--reps "$REPS")
[ -n "${COLD_REPS:-}" ] && args+=(--cold-reps "$COLD_REPS")
[ -n "${THREADS:-}" ] && args+=(--threads "$THREADS")
[ -n "${WRITE_ROWS:-}" ] && args+=(--write-rows "$WRITE_ROWS")
[ -n "${APPEND:-}" ] && args+=(--append "$APPEND")
[ -n "${FORMATS:-}" ] && args+=(--formats "$FORMATS")
[ -n "${OUT:-}" ] && args+=(--out "$OUT")
export LANCEC="${LANCEC:-$build/lancec}"
exec node "$here/suite.mjs" --build "$build" "${args[@]}" "$@"
