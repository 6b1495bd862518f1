#!/usr/bin/env bash
# The README's first command: install, build, make a small dataset with real
# Lance, and read it with lancec.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build lancec
out=$(mktemp -d /tmp/lancec-example-XXXXXX)
ds=$(node examples/make_example.mjs "$out")
echo "== lancec info $ds"
./build/lancec info "$ds"
echo "== lancec versions $ds"
./build/lancec versions "$ds"
echo "== lancec scan $ds --limit 8 --format table"
./build/lancec scan "$ds" --limit 8 --format table
echo "== lancec scan $ds --version 1 --columns id,city --offset 595 --limit 5 --format jsonl"
./build/lancec scan "$ds" --version 1 --columns id,city --offset 595 --limit 5 --format jsonl
rm -rf "$out"
