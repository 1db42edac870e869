// Where the wasm bytes go, by origin: `node scripts/size-report.mjs FILE.wasm [TOP]`.
//
// Reads a module that still has its "name" section (scripts/size.sh builds one: the npm
// build's flags, wasm-opt -Oz with -g) and sums each function body by the crate/module path
// its (demangled) name starts with: `steadysocket::core::machine`, `core::fmt`, `alloc`,
// `wasm_bindgen`, … Functions with no path (wasm-bindgen's export wrappers, with the facade
// inlined into them) are "exports (wrappers)". Also prints the data segments, the import and
// export names, and the TOP (default 15) largest functions. Sizes are raw bytes before gzip:
// use them to see what a change added, the gzip total for budgets.
import fs from "node:fs";

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: size-report.mjs FILE.wasm [TOP]");
  process.exit(2);
}
const TOP = Number(topArg || 15);
const b = fs.readFileSync(file);
let pos = 8;
const u32 = () => {
  let r = 0, s = 0, x;
  do { x = b[pos++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80);
  return r >>> 0;
};
const str = () => { const n = u32(); const s = b.toString("utf8", pos, pos + n); pos += n; return s; };

let nImports = 0, importNameBytes = 0, exportNameBytes = 0, dataBytes = 0;
const bodies = []; // size of each defined function body, in order
const names = new Map(); // function index -> name
const sectionBytes = {};
while (pos < b.length) {
  const id = b[pos++];
  const size = u32();
  const end = pos + size;
  const key = id === 0 ? `custom:${(() => { const p = pos; const s = str(); pos = p; return s; })()}` : `section ${id}`;
  sectionBytes[key] = (sectionBytes[key] || 0) + size;
  if (id === 2) {
    const n = u32();
    for (let i = 0; i < n; i++) {
      const p0 = pos;
      str(); str();
      importNameBytes += pos - p0;
      const kind = b[pos++];
      if (kind === 0) { u32(); nImports++; } else if (kind === 1) { pos++; const f = b[pos++]; u32(); if (f & 1) u32(); } else if (kind === 2) { const f = b[pos++]; u32(); if (f & 1) u32(); } else if (kind === 3) pos += 2; else { pos++; u32(); }
    }
  } else if (id === 7) {
    const n = u32();
    for (let i = 0; i < n; i++) { const p0 = pos; str(); exportNameBytes += pos - p0; pos++; u32(); }
  } else if (id === 10) {
    const n = u32();
    for (let i = 0; i < n; i++) { const sz = u32(); bodies.push(sz); pos += sz; }
  } else if (id === 11) {
    dataBytes += size;
  } else if (id === 0) {
    const name = str();
    if (name === "name") {
      while (pos < end) {
        const sub = b[pos++];
        const subSize = u32();
        const subEnd = pos + subSize;
        if (sub === 1) {
          const n = u32();
          for (let i = 0; i < n; i++) { const idx = u32(); names.set(idx, str()); }
        }
        pos = subEnd;
      }
    }
  }
  pos = end;
}
if (names.size === 0) console.error("size-report: no name section: every function counts as unknown (build with names: scripts/size.sh)");

// The origin of a demangled name: the leading path, hashes (`[0123abcd]`) dropped. Trait
// impls `<A as B>::f` count for A. Our crate is split one level deeper (core::machine, web, js).
const origin = (name) => {
  if (!name) return "(unnamed)";
  const n = name.replace(/\[[0-9a-f]+\]/g, "").replace(/^<+/, "");
  const m = n.match(/^([A-Za-z_][A-Za-z0-9_]*)(?:::([A-Za-z_][A-Za-z0-9_]*))?(?:::([A-Za-z_][A-Za-z0-9_]*))?/);
  if (!m || !n.includes("::")) return n.startsWith("dlmalloc") ? "dlmalloc" : "exports (wrappers) and unnamed";
  const [, crate, a, c] = m;
  if (crate === "steadysocket") return a === "core" && c ? `steadysocket::core::${c}` : `steadysocket::${a || ""}`;
  if (crate === "core" || crate === "alloc" || crate === "std") return a ? `${crate}::${a}` : crate;
  return crate;
};

const groups = new Map();
const fns = [];
bodies.forEach((sz, i) => {
  const name = names.get(nImports + i);
  const o = origin(name);
  groups.set(o, (groups.get(o) || 0) + sz);
  fns.push([sz, name || `func ${nImports + i}`]);
});
const code = bodies.reduce((a, x) => a + x, 0);
const rows = [...groups].sort((x, y) => y[1] - x[1]);
rows.push(["data segments (strings, tables)", dataBytes], ["import names", importNameBytes], ["export names", exportNameBytes]);
const total = b.length - (sectionBytes["custom:name"] || 0);
const pad = (s, n) => String(s).padEnd(n);
console.log(`${file}: ${total} B without the name section (code ${code} B in ${bodies.length} functions, ${nImports} imported)`);
console.log(`| ${pad("origin", 40)} | ${pad("bytes", 7)} | share |`);
console.log(`|${"-".repeat(42)}|${"-".repeat(9)}|-------|`);
for (const [o, sz] of rows) console.log(`| ${pad(o, 40)} | ${pad(sz, 7)} | ${(100 * sz / total).toFixed(1).padStart(4)}% |`);
console.log(`\nlargest ${TOP} functions:`);
fns.sort((x, y) => y[0] - x[0]).slice(0, TOP).forEach(([sz, n]) => console.log(`${String(sz).padStart(7)}  ${n.length > 150 ? n.slice(0, 147) + "..." : n}`));
