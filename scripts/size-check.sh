#!/usr/bin/env bash
# Size budget, per entry point: for each line `ENTRY BYTES` of size-budget.txt, gzip -9 of the
# entry's wasm + JS (+ any wasm-bindgen snippets left beside them) — what a browser downloads
# for that entry — must not exceed BYTES. The entry `steadysocket` is pkg/ itself; any other
# entry E (a protocol build, see README "Size") is pkg/E/ with files E_bg.wasm and E.js.
# Exit 1 with the numbers if one is over, 2 if a built entry is missing.
# Usage: scripts/size-check.sh [PKG_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=${1:-pkg}
BUDGET_FILE=size-budget.txt
gz() { gzip -9c "$1" | wc -c; }
fail=0 n=0
while read -r entry budget _; do
  case "$entry" in ''|'#'*) continue ;; esac
  [[ "$budget" =~ ^[0-9]+$ ]] || { echo "size-check: $BUDGET_FILE: '$entry' needs a number of bytes, got '$budget'" >&2; exit 2; }
  dir="$PKG"; [ "$entry" = steadysocket ] || dir="$PKG/$entry"
  wasm="$dir/${entry}_bg.wasm" js="$dir/$entry.js"
  for f in "$wasm" "$js"; do
    [ -s "$f" ] || { echo "size-check: $f missing; build pkg/ first (make build)" >&2; exit 2; }
  done
  wasm_gz=$(gz "$wasm") js_gz=$(gz "$js") snip_gz=0
  if [ -d "$dir/snippets" ]; then
    while IFS= read -r f; do snip_gz=$((snip_gz + $(gz "$f"))); done < <(find "$dir/snippets" -type f -name '*.js')
  fi
  total=$((wasm_gz + js_gz + snip_gz)); n=$((n + 1))
  detail="$entry: wasm $wasm_gz B + js $js_gz B + snippets $snip_gz B = $total B gzip -9 (raw: wasm $(wc -c <"$wasm") B, js $(wc -c <"$js") B)"
  if [ "$total" -gt "$budget" ]; then
    echo "size-check: FAIL: $detail > budget $budget B ($BUDGET_FILE) by $((total - budget)) B" >&2
    fail=1
  else
    echo "size-check: ok: $detail <= budget $budget B ($((budget - total)) B to spare)"
  fi
done <"$BUDGET_FILE"
[ "$n" -gt 0 ] || { echo "size-check: $BUDGET_FILE lists no entry" >&2; exit 2; }
exit "$fail"
