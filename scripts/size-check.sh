#!/usr/bin/env bash
# Size budget: gzip -9 of pkg/steadysocket_bg.wasm + pkg/steadysocket.js + any wasm-bindgen
# snippets left in pkg/snippets/ (what a browser downloads) must not exceed the number of bytes in size-budget.txt. Exit 1 with the numbers
# if it does, 2 if pkg/ is not built. Usage: scripts/size-check.sh [PKG_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=${1:-pkg}
BUDGET_FILE=size-budget.txt
wasm="$PKG/steadysocket_bg.wasm"
js="$PKG/steadysocket.js"
for f in "$wasm" "$js"; do
  [ -s "$f" ] || { echo "size-check: $f missing; build pkg/ first (make build)" >&2; exit 2; }
done
budget=$(tr -d '[:space:]' <"$BUDGET_FILE")
[[ "$budget" =~ ^[0-9]+$ ]] || { echo "size-check: $BUDGET_FILE must hold one number of bytes, got '$budget'" >&2; exit 2; }
wasm_gz=$(gzip -9c "$wasm" | wc -c)
js_gz=$(gzip -9c "$js" | wc -c)
snip_gz=0
if [ -d "$PKG/snippets" ]; then
  while IFS= read -r f; do snip_gz=$((snip_gz + $(gzip -9c "$f" | wc -c))); done \
    < <(find "$PKG/snippets" -type f -name '*.js')
fi
total=$((wasm_gz + js_gz + snip_gz))
detail="wasm $wasm_gz B + js $js_gz B + snippets $snip_gz B = $total B gzip -9 (raw: wasm $(wc -c <"$wasm") B, js $(wc -c <"$js") B)"
if [ "$total" -gt "$budget" ]; then
  echo "size-check: FAIL: $detail > budget $budget B ($BUDGET_FILE) by $((total - budget)) B" >&2
  exit 1
fi
echo "size-check: ok: $detail <= budget $budget B ($((budget - total)) B to spare)"
