#!/usr/bin/env bash
# The README's second command (and what CI runs): install, build and run the
# whole test suite twice — an optimised build, then an ASan+UBSan build (with
# clang) that also runs each libFuzzer target briefly.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
status=0
total_pass=0
total_fail=0

run_suite() { # build-dir label
  local dir=$1 label=$2 log
  log=$(mktemp)
  ctest --test-dir "$dir" -j"$jobs" --output-on-failure --timeout 1500 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  if [ -n "$line" ]; then
    local failed total
    failed=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
    total=$(echo "$line" | sed -E 's/.* failed out of ([0-9]+).*/\1/')
    total_pass=$((total_pass + total - failed))
    total_fail=$((total_fail + failed))
  else
    total_fail=$((total_fail + 1))
  fi
  rm -f "$log"
  [ "$rc" -eq 0 ] || status=1
  echo "== $label: ctest exit $rc"
}

echo "== release build"
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && ninja -C build-test || exit 1
run_suite build-test "release"

echo "== ASan+UBSan build (clang) with fuzzers"
CC=clang cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLANCEC_SANITIZE=ON -DLANCEC_FUZZ=ON >/dev/null &&
  ninja -C build-asan || exit 1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan "asan+ubsan"

echo "total: ${total_pass} passed, ${total_fail} failed"
exit $status
