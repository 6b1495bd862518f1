#!/usr/bin/env bash
# Acceptance test "lancec reads what real Lance writes".
#
# Real Lance (@lancedb/lancedb 0.39.0 from tests/interop/node_modules) writes a
# fresh matrix of datasets (gen_matrix.mjs: every type, value distributions
# chosen to hit each encoding, random null patterns, small and multi-chunk
# row counts, multi-page columns, fragments + deletions + addColumns + update
# = time travel) in data storage versions 2.0, 2.1 and 2.2, twice: with the fixed
# seed 1 and with a seed taken from today's date (so coverage varies from day
# to day; the seed is printed — rerun with LANCEC_INTEROP_SEEDS=<seed>).
# Every dataset version is scanned with `lancec scan DIR --format jsonl
# [--version N]` and compared with the rows real Lance itself read back
# (shared/corpus/gen/compare.mjs).
#
# Environment (set by ctest): LANCEC, LANCEC_SHARED_DIR, LANCEC_SOURCE_DIR,
# LANCEC_BUILD_DIR.  Optional:
#   LANCEC_INTEROP_SEEDS     seeds to run (default "1 date")
#   LANCEC_INTEROP_VERSIONS  data storage versions (default "2.0,2.1,2.2")
#   LANCEC_INTEROP_JOBS      datasets generated in parallel (default: nproc, at most 4)
#   LANCEC_INTEROP_KEEP=1    keep the generated folder (path printed) instead of removing it
# Exit status: 0 every check passed, 1 otherwise (2: setup problem).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${LANCEC_SOURCE_DIR:=$(cd "$here/../.." && pwd)}"
: "${LANCEC_SHARED_DIR:=$LANCEC_SOURCE_DIR/../shared}"
: "${LANCEC:=${LANCEC_BUILD_DIR:-$LANCEC_SOURCE_DIR/build}/lancec}"
seeds=${LANCEC_INTEROP_SEEDS:-"1 date"}
versions=${LANCEC_INTEROP_VERSIONS:-2.0,2.1,2.2}
jobs=${LANCEC_INTEROP_JOBS:-$(n=$(nproc 2>/dev/null || echo 2); [ "$n" -gt 4 ] && n=4; echo "$n")}

compare="$LANCEC_SHARED_DIR/corpus/gen/compare.mjs"
if [ ! -d "$here/node_modules/@lancedb/lancedb" ] || [ ! -d "$here/node_modules/apache-arrow" ]; then
  echo "test_read_real_lance: $here/node_modules is missing (real Lance: @lancedb/lancedb + apache-arrow)." >&2
  echo "test_read_real_lance: run scripts/bootstrap.sh (or: cd tests/interop && npm ci) first." >&2
  exit 2
fi
if [ ! -f "$compare" ]; then
  echo "test_read_real_lance: $compare not found (set LANCEC_SHARED_DIR to the shared/ folder)" >&2
  exit 2
fi
if [ ! -x "$LANCEC" ]; then
  echo "test_read_real_lance: lancec binary '$LANCEC' not found or not executable (set LANCEC)" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lancec-interop.XXXXXX")
if [ "${LANCEC_INTEROP_KEEP:-0}" = "1" ]; then
  echo "test_read_real_lance: keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi

protos=()
if [ -d "$LANCEC_SOURCE_DIR/src/proto" ]; then protos=(--protos "$LANCEC_SOURCE_DIR/src/proto"); fi

passed=0
failed=0
t_start=$SECONDS

for seed in $seeds; do
  if [ "$seed" = "date" ]; then seed=$(date -u +%Y%m%d); fi
  out="$work/seed-$seed"
  echo "== seed $seed (data storage versions $versions): generating with real Lance"
  gen_rc=0
  node "$here/gen_matrix.mjs" --out "$out" --seed "$seed" --versions "$versions" --jobs "$jobs" \
      --shared "$LANCEC_SHARED_DIR" "${protos[@]}" 2>&1 | grep -v "EBADENGINE" || gen_rc=$?
  # a dataset real Lance could not write counts as a failure of this test
  if [ -f "$out/matrix.json" ]; then
    while IFS= read -r line; do
      [ -n "$line" ] || continue
      echo "FAIL  $line (real Lance could not write it: generator problem, see above)"
      failed=$((failed + 1))
    done < <(node -e 'const m=require(process.argv[1]);for(const d of m.datasets)if(!d.ok)console.log(`seed ${m.seed} ${d.fmt}/${d.name}`)' "$out/matrix.json")
  else
    echo "FAIL  seed $seed: gen_matrix.mjs wrote no matrix.json (exit $gen_rc)"
    failed=$((failed + 1))
    continue
  fi

  while IFS=$'\t' read -r fmt name version latest dsdir expected meta; do
    label="seed $seed $fmt/$name v$version"
    [ "$latest" = "1" ] && label="$label (latest)"
    vopt=()
    [ "$latest" = "1" ] || vopt=(--version "$version")
    actual="$work/actual.jsonl"
    errf="$work/lancec.stderr"
    t0=$(date +%s%N)
    scan_rc=0
    "$LANCEC" scan "$out/$dsdir" --format jsonl "${vopt[@]}" >"$actual" 2>"$errf" || scan_rc=$?
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    if [ "$scan_rc" -ne 0 ]; then
      echo "FAIL  $label: lancec scan exited $scan_rc: $(head -c 400 "$errf" | tr '\n' ' ')"
      failed=$((failed + 1))
      continue
    fi
    cmp_rc=0
    res=$(node "$compare" "$out/$expected" - --meta "$out/$meta" --version "$version" --max-diffs 3 <"$actual" 2>&1) || cmp_rc=$?
    if [ "$cmp_rc" -eq 0 ]; then
      echo "PASS  $label: ${res#OK } (scan ${ms} ms)"
      passed=$((passed + 1))
    else
      echo "FAIL  $label:"
      printf '%s\n' "$res" | head -c 2000 | sed 's/^/        /'
      echo "        reproduce: LANCEC_INTEROP_SEEDS=$seed LANCEC_INTEROP_KEEP=1 bash $0"
      failed=$((failed + 1))
    fi
  done < "$out/matrix.tsv"
  # free the disk space of this seed before the next one
  [ "${LANCEC_INTEROP_KEEP:-0}" = "1" ] || rm -rf "$out"
done

echo "$passed passed, $failed failed ($((SECONDS - t_start)) s)"
[ "$failed" -eq 0 ]
