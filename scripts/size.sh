#!/usr/bin/env bash
# The body of `make size`: builds pkg/ (scripts/build-pkg.sh) plus a copy of the optimised
# wasm that keeps its names (build/size/), then prints where the bytes go by origin
# (scripts/size-report.mjs) and the budget check (scripts/size-check.sh). Run it before and
# after a change to see what the change added. Env: TOP (largest functions listed, 15).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_REPORT=1 scripts/build-pkg.sh
for w in build/size/*.wasm; do
  node scripts/size-report.mjs "$w" "${TOP:-15}"
  echo
done
scripts/size-check.sh
