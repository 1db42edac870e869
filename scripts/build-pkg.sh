#!/usr/bin/env bash
# Builds the npm package into pkg/: cargo (release, wasm32, the pinned nightly of
# scripts/npm-build.env with std rebuilt for size), wasm-bindgen --target web, wasm-opt -Oz
# (binaryen from npm), esbuild (glue minified), then pkg-template/ merged over it (its
# package.json, with the version taken from Cargo.toml). Idempotent: pkg/ is rebuilt from
# scratch each time. Prints the gzip -9 size of the wasm and the JS.
# Env: NIGHTLY=0 builds on stable without the nightly flags (to measure what they give; needs
#      MINIFY_NAMES=0: the short-names pass expects the nightly build's glue);
#      FEATURES (default small-alloc) the cargo features of the build.
#
# Pay per protocol: every npm entry point is its own wasm, built with its own cargo features,
# so a user of one protocol downloads only that protocol. scripts/entries.txt lists the entries
# (`ENTRY FEATURES FACADE`); the first is the package's main entry, built into pkg/, every
# other entry E into pkg/E/ (E.js, E_bg.wasm, E.d.ts), exported as `steadysocket/E`.
# size-budget.txt holds one budget per entry (scripts/size-check.sh); `make bench` reports
# each. This script builds the main entry and then, for the others, runs itself with
# ENTRY=E (internal).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
log() { printf '[build-pkg] %s\n' "$*"; }

ENTRIES=scripts/entries.txt
MAIN=$(awk '$1 !~ /^#/ && NF { print $1; exit }' "$ENTRIES")
NAME=${ENTRY:-$MAIN}
entry_field() { awk -v e="$NAME" -v f="$1" '$1 == e { print $f; exit }' "$ENTRIES"; }
[ -n "$(entry_field 1)" ] || { echo "build-pkg: entry '$NAME' is not in $ENTRIES" >&2; exit 1; }
OUT=pkg; [ "$NAME" = "$MAIN" ] || OUT="pkg/$NAME"
FACADE=$(entry_field 3)
# shellcheck source=scripts/npm-build.env
. scripts/npm-build.env
TARGET=wasm32-unknown-unknown
# Its own target dir: the flags below differ from the stable builds' (no thrashing).
TARGET_DIR="${CARGO_TARGET_DIR:-target}/npm"
# Another entry's feature set gets its own target dir (no rebuild thrashing between entries).
[ "$NAME" = "$MAIN" ] || TARGET_DIR="$TARGET_DIR/$NAME"

# cargo: `-p` keeps cargo away from the native-only server crate. Default features off (no
# Rust API: serde types and futures are for Rust users), the small allocator on.
FEATURES=${FEATURES-$(entry_field 2)}
# With the nightly (default), measured in BENCHMARKS.md ("size levers"):
# - -Zbuild-std: std rebuilt with our flags; `optimize_for_size` picks its small algorithms;
# - -Cpanic=immediate-abort: a panic is a bare `unreachable` (no panic machinery, no
#   messages; nothing reachable from JS may panic anyway);
# - -Zlocation-detail=none, -Zfmt-debug=none: no file/line strings, `Debug` prints nothing
#   (the wasm path never shows `Debug` output);
# - -Ctarget-feature=-reference-types: wasm-bindgen keeps JS values in its JS-side heap
#   array instead of an externref table (smaller wasm + glue altogether).
rm -rf "$OUT"
if [ "${NIGHTLY:-1}" = 1 ]; then
  rustup run "$NPM_TOOLCHAIN" rustc -V >/dev/null 2>&1 \
    || { echo "build-pkg: toolchain $NPM_TOOLCHAIN missing; run scripts/bootstrap.sh" >&2; exit 1; }
  RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none -Ctarget-feature=-reference-types" \
    cargo "+$NPM_TOOLCHAIN" build --quiet --release --target "$TARGET" -p steadysocket --target-dir "$TARGET_DIR" \
    -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size \
    --no-default-features --features "$FEATURES"
else
  RUSTFLAGS="" cargo build --quiet --release --target "$TARGET" -p steadysocket --target-dir "$TARGET_DIR/stable" \
    --no-default-features --features "$FEATURES"
  TARGET_DIR="$TARGET_DIR/stable"
fi
# wasm-bindgen: the CLI on PATH, installed by bootstrap.sh at the version pinned in Cargo.toml.
wasm-bindgen --target web --out-dir "$OUT" --out-name "$NAME" "$TARGET_DIR/$TARGET/release/steadysocket.wasm"

# wasm-opt: binaryen from npm (package.json pins it; bootstrap.sh's `npm ci` installs it).
# NOT Debian's binaryen v108: it rewrites the `__wbindgen_externrefs` export to point at
# the funcref table (even at -O0), and init() then fails with "WebAssembly.Table.set():
# Argument 1 is invalid for table". The feature flags are the post-MVP features rustc emits.
WASM_OPT=${WASM_OPT:-node_modules/.bin/wasm-opt}
if [ ! -x "$WASM_OPT" ]; then
  echo "build-pkg: $WASM_OPT not found; run scripts/bootstrap.sh (npm ci) first" >&2
  exit 1
fi
wasm="$OUT/${NAME}_bg.wasm"
before=$(wc -c <"$wasm")
"$WASM_OPT" -Oz --converge --strip-debug --strip-producers \
  --enable-bulk-memory --enable-reference-types --enable-multivalue \
  --enable-nontrapping-float-to-int --enable-sign-ext \
  "$wasm" -o "$wasm.opt"
# SIZE_REPORT=1 (scripts/size.sh): the same optimisation keeping the name section (-g), for
# scripts/size-report.mjs.
if [ "${SIZE_REPORT:-0}" = 1 ]; then
  mkdir -p build/size
  "$WASM_OPT" -Oz --converge -g --strip-producers \
    --enable-bulk-memory --enable-reference-types --enable-multivalue \
    --enable-nontrapping-float-to-int --enable-sign-ext \
    "$wasm" -o "build/size/$NAME.wasm"
fi
mv "$wasm.opt" "$wasm"
log "wasm-opt -Oz ($("$WASM_OPT" --version)): $before -> $(wc -c <"$wasm") bytes"

# Short import/export names: `__wbg_<name>_<16 hex>` imports and Rust-path closure exports
# become `a`, `b`, … in the wasm, the glue and the .d.ts files together (checked by the script
# and by the instantiation below). MINIFY_NAMES=0 keeps wasm-bindgen's names.
if [ "${MINIFY_NAMES:-1}" = 1 ]; then node scripts/minify-names.mjs "$OUT" "$NAME"; fi

# Merge pkg-template/ (main entry only): every file is copied; its package.json gets
# the crate version from Cargo.toml (single source of truth).
if [ "$NAME" = "$MAIN" ]; then cp -R pkg-template/. "$OUT/"; else echo '{"version":"0","type":"module"}' >"$OUT/package.json"; fi
CARGO_VERSION=$(cargo metadata --no-deps --format-version 1 --offline \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
      const p=JSON.parse(s).packages.find(p=>p.name==="steadysocket");
      if(!p){console.error("no steadysocket package in cargo metadata");process.exit(1)}
      console.log(p.version)})')
node - "$OUT/package.json" "$CARGO_VERSION" <<'JS'
const fs = require("fs");
const [file, version] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
if (pkg.version !== version) {
  console.error(`[build-pkg] note: pkg-template/package.json says ${pkg.version}, Cargo.toml says ${version}; using ${version}`);
}
pkg.version = version;
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
JS
# Minify the JS glue (esbuild, pinned in package.json): -2.3 KB gzip for users without a
# bundler. `--bundle` also inlines wasm-bindgen's snippets (src/glue.js): one file to
# download, minified with the rest (`new URL("…_bg.wasm", import.meta.url)` is left as is).
# The check below then runs the minified glue.
# The entry exports the JS class of src/facade.js (which wraps the wasm class `Core` from
# wasm-bindgen's glue) and wasm-bindgen's `init` (default) and `initSync`; `Core` itself stays
# internal.
ESBUILD=${ESBUILD:-node_modules/.bin/esbuild}
if [ -x "$ESBUILD" ]; then
  # The facade imports wasm-bindgen's glue as ./steadysocket.js: point it at this entry's.
  # Every facade builds on src/facade.js (the shared Base/Hub/options); an entry's own facade
  # (column 3) is copied beside it, and the entry exports its class (column 4).
  sed "s#\"./steadysocket.js\"#\"./$NAME.js\"#" src/facade.js >"$OUT/facade.js"
  cp src/persist.js "$OUT/" # (imported by the facade: the persist option)
  # (A facade may import another: src/sockjs-client.js re-exports StompClient.)
  [ "$FACADE" = src/facade.js ] || cp src/*-client.js "$OUT/"
  # The main class's opt-in parts (src/shared.js: the `shared` option).
  cp src/shared.js "$OUT/"
  # The entry (scripts/pkg-entry.js): the class, initSync, and init (which reads the wasm file
  # itself in Node).
  sed -e "s#__NAME__#$NAME#g" -e "s#__CLASS__#$(entry_field 4)#g" -e "s#__FACADE__#$(basename "$FACADE")#g" \
    scripts/pkg-entry.js >"$OUT/entry.js"
  "$ESBUILD" "$OUT/entry.js" --bundle --minify --format=esm --log-level=error --outfile="$OUT/$NAME.min.js"
  mv "$OUT/$NAME.min.js" "$OUT/$NAME.js"
  rm -rf "$OUT/snippets" "$OUT/entry.js" "$OUT/facade.js" "$OUT"/*-client.js "$OUT/shared.js" "$OUT/persist.js"
else
  echo "build-pkg: $ESBUILD not found; run scripts/bootstrap.sh (npm ci) first" >&2
  exit 1
fi

# The embedded-wasm variant (`steadysocket/inline`, `steadysocket/E/inline`): the wasm as base64
# in a module beside the entry; its init()/initSync() need no argument and no bundler
# configuration, at the price of ~4/3 of the wasm's bytes inside the JS (measured in the README,
# "Setup by environment"). It shares the entry's glue, so a bundle holding both has one copy.
node - "$OUT" "$NAME" "$(entry_field 4)" <<'JS'
const fs = require("fs");
const [out, name, cls] = process.argv.slice(2);
const b64 = fs.readFileSync(`${out}/${name}_bg.wasm`).toString("base64");
fs.writeFileSync(`${out}/inline.js`, `// steadysocket: ${name}_bg.wasm embedded as base64; init() and initSync() need no argument.
import init, { initSync as initSyncWith } from "./${name}.js";
export { ${cls} } from "./${name}.js";
const B = "${b64}";
/** The embedded wasm's bytes (decoded on each call). */
export const wasmBytes = () => Uint8Array.from(atob(B), (c) => c.charCodeAt(0));
export default (m) => init(m === undefined ? { module_or_path: wasmBytes() } : m);
export const initSync = (m) => initSyncWith(m === undefined ? { module: wasmBytes() } : m);
`);
fs.writeFileSync(`${out}/inline.d.ts`, `// steadysocket: the ${name} entry with its wasm embedded (base64): init() and initSync()
// need no argument and no bundler configuration.
export * from "./${name}.js";
import type { InitInput, InitOutput, SyncInitInput } from "./${name}.js";
/** Instantiates the embedded wasm (or the given module_or_path); resolves at once when already done. */
export default function init(module_or_path?: { module_or_path: InitInput | Promise<InitInput> }): Promise<InitOutput>;
/** Instantiates the embedded wasm (or the given module) synchronously. */
export function initSync(module?: { module: SyncInitInput }): InitOutput;
/** The embedded wasm's bytes (decoded on each call). */
export function wasmBytes(): Uint8Array;
`);
JS

# Instantiate the optimised module in Node, through the generated glue: catches a broken
# optimiser or glue/wasm mismatch here rather than in the browser. (If a wasm start function
# ever needs browser globals, this check must be revisited.) Three ways, each in a fresh
# process: initSync with the bytes, init() with no argument (reads the file in Node), and the
# embedded variant's initSync().
for how in sync init inline; do
  node --input-type=module -e '
    import { readFileSync } from "node:fs";
    const [dir, name, how] = process.argv.slice(1);
    if (how === "sync") (await import(`${dir}/${name}.js`)).initSync({ module: readFileSync(`${dir}/${name}_bg.wasm`) });
    if (how === "init") await (await import(`${dir}/${name}.js`)).default();
    if (how === "inline") (await import(`${dir}/inline.js`)).initSync();
  ' "$(pwd)/$OUT" "$NAME" "$how" || { echo "build-pkg: the optimised module does not instantiate ($how; see above)" >&2; exit 1; }
done

if [ "$NAME" != "$MAIN" ]; then
  # Another entry: its files only; the main build adds it to package.json and checks the tarball.
  rm -f "$OUT/package.json"
  if [ -f "src/$NAME.d.ts" ]; then cp "src/$NAME.d.ts" "$OUT/$NAME.d.ts"; else cp src/steadysocket.d.ts "$OUT/$NAME.d.ts"; fi
  gz() { gzip -9c "$1" | wc -c; }
  log "$OUT/ ready: entry $NAME; gzip -9: wasm $(gz "$wasm") B + js $(gz "$OUT/$NAME.js") B"
  exit 0
fi

# The other entries (pay per protocol), each into pkg/<entry>/, exported as steadysocket/<entry>.
others=$(awk -v m="$MAIN" '$1 !~ /^#/ && NF && $1 != m { print $1 }' "$ENTRIES")
for e in $others; do ENTRY=$e scripts/build-pkg.sh; done
node - "$OUT/package.json" $others <<'JS'
const fs = require("fs");
const [file, ...entries] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
for (const e of entries) {
  pkg.exports[`./${e}`] = { types: `./${e}/${e}.d.ts`, import: `./${e}/${e}.js`, default: `./${e}/${e}.js` };
  pkg.exports[`./${e}/inline`] = { types: `./${e}/inline.d.ts`, import: `./${e}/inline.js`, default: `./${e}/inline.js` };
  // `import wasmUrl from "steadysocket/E/E_bg.wasm"` (esbuild's file loader, Rollup's url plugin):
  // typed as a default string export.
  pkg.exports[`./${e}/${e}_bg.wasm`] = { types: "./wasm-url.d.ts", default: `./${e}/${e}_bg.wasm` };
  pkg.files.push(`${e}/`);
}
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
JS

# A .gitignore inside pkg/ would also make npm skip files; the repo's .gitignore covers pkg/.
# The npm README: the user-facing part of the repo README (between the npm:start/end
# markers), under pkg-template/README-header.md. One source for the options table.
# Several npm:start/end pairs may mark parts of it (e.g. the wire protocol, further down); the
# marker lines themselves are left out.
{
  cat pkg-template/README-header.md
  awk '/<!-- npm:start -->/ { on = 1; next } /<!-- npm:end -->/ { on = 0; next } on' README.md
} > "$OUT/README.md"
grep -q "maxDelayMs" "$OUT/README.md" || { echo "build-pkg: pkg/README.md lacks the options table" >&2; exit 1; }
rm -f "$OUT/README-header.md"
# The licences (the crate is MIT OR Apache-2.0) and the React hook (`steadysocket/react`,
# src/react.js as is: it imports `react` and ./steadysocket.js, and bundles neither).
cp LICENSE-MIT LICENSE-APACHE "$OUT/"
cp src/react.js src/react.d.ts "$OUT/"

# Check the tarball npm would publish: the entry points must be in it, and so must every
# file we copied from pkg-template/ (catches a new file missing from "files").
pack_json=$(npm pack --dry-run --json --ignore-scripts "./$OUT" 2>/dev/null)
node -e '
const fs = require("fs"), path = require("path");
const [name, out, tpl, json] = process.argv.slice(1);
const packed = new Set(JSON.parse(json)[0].files.map(f => f.path));
const want = [`${name}.js`, `${name}_bg.wasm`, `${name}.d.ts`, `${name}_bg.wasm.d.ts`, "package.json",
  "inline.js", "inline.d.ts", "react.js", "react.d.ts", "LICENSE-MIT", "LICENSE-APACHE"];
const walk = (dir, rel = "") => fs.readdirSync(dir, { withFileTypes: true }).flatMap(e =>
  e.isDirectory() ? walk(path.join(dir, e.name), rel + e.name + "/") : [rel + e.name]);
want.push(...walk(tpl).filter(f => f !== "README-header.md"), "README.md");
const snippets = path.join(out, "snippets");
if (fs.existsSync(snippets)) want.push(...walk(snippets).map(f => "snippets/" + f));
const missing = [...new Set(want)].filter(f => !packed.has(f));
if (missing.length) {
  console.error(`[build-pkg] npm pack would leave out: ${missing.join(", ")} (fix "files" in pkg-template/package.json)`);
  process.exit(1);
}
console.log(`[build-pkg] npm pack: ${packed.size} files: ${[...packed].sort().join(", ")}`);
' "$NAME" "$OUT" pkg-template "$pack_json"

gz() { gzip -9c "$1" | wc -c; }
js="$OUT/$NAME.js"
wasm_gz=$(gz "$wasm"); js_gz=$(gz "$js")
log "$OUT/ ready: $NAME@$CARGO_VERSION; gzip -9: wasm $wasm_gz B + js $js_gz B = $((wasm_gz + js_gz)) B (raw: wasm $(wc -c <"$wasm") B, js $(wc -c <"$js") B)"
