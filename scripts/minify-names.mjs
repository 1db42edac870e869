// Short wasm import/export names: rewrites a wasm-bindgen `--target web` output in place.
//
//   node scripts/minify-names.mjs DIR NAME
//
// wasm-bindgen names every import `__wbg_<name>_<16 hex>` (in module "./<NAME>_bg.js") and
// exports closure shims by their full Rust path; both are written once in the wasm and once
// or twice in the glue. This renames them to `a`, `b`, … in DIR/<NAME>_bg.wasm and rewrites
// the unminified glue DIR/<NAME>.js (import keys, the import module's key, `wasm.<export>`
// uses) and the two .d.ts files to match. `memory` keeps its name. Run it on wasm-bindgen's
// output before esbuild (the glue must still say `wasm.<export>`). Every rewrite is checked
// (each import key found exactly once; no old name left anywhere); any surprise exits 1 and
// the build stops rather than ship a glue/wasm mismatch.
import fs from "node:fs";
import path from "node:path";

const [dir, name] = process.argv.slice(2);
if (!dir || !name) {
  console.error("usage: minify-names.mjs DIR NAME");
  process.exit(2);
}
const wasmFile = path.join(dir, `${name}_bg.wasm`);
const jsFile = path.join(dir, `${name}.js`);
const dtsFiles = [path.join(dir, `${name}.d.ts`), path.join(dir, `${name}_bg.wasm.d.ts`)];
const die = (msg) => {
  console.error(`minify-names: ${msg}`);
  process.exit(1);
};

// --- the wasm binary format: just enough to rebuild the import and export sections -------
const bytes = fs.readFileSync(wasmFile);
if (bytes.readUInt32LE(0) !== 0x6d736100 || bytes.readUInt32LE(4) !== 1) die(`${wasmFile} is not a wasm module`);
let pos = 8;
const u32 = () => {
  let result = 0, shift = 0, b;
  do {
    b = bytes[pos++];
    result |= (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  return result >>> 0;
};
const str = () => {
  const n = u32();
  const s = bytes.toString("utf8", pos, pos + n);
  pos += n;
  return s;
};
const leb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Buffer.from(out);
};
const encStr = (s) => {
  const b = Buffer.from(s, "utf8");
  return Buffer.concat([leb(b.length), b]);
};
const limits = () => {
  const flags = bytes[pos++];
  u32();
  if (flags & 1) u32();
};

// Short names: a..z, A..Z, then two characters; never `__proto__`.
const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const shortName = (i) => (i < alpha.length ? alpha[i] : alpha[Math.floor(i / alpha.length) - 1] + alpha[i % alpha.length]);

const sections = [];
const importRenames = []; // [oldModule, oldField, newModule, newField]
const exportRenames = []; // [old, new]
const modules = new Map(); // old module -> new module
while (pos < bytes.length) {
  const id = bytes[pos++];
  const size = u32();
  const start = pos, end = pos + size;
  if (id === 2) {
    const n = u32();
    const entries = [];
    for (let i = 0; i < n; i++) {
      const mod = str(), field = str();
      const descStart = pos;
      const kind = bytes[pos++];
      if (kind === 0) u32(); // func: type index
      else if (kind === 1) { pos++; limits(); } // table: reftype, limits
      else if (kind === 2) limits(); // memory
      else if (kind === 3) pos += 2; // global: valtype, mut
      else if (kind === 4) { pos++; u32(); } // tag: attribute, type index
      else die(`unknown import kind ${kind}`);
      if (!modules.has(mod)) modules.set(mod, shortName(modules.size));
      const newField = shortName(importRenames.length);
      importRenames.push([mod, field, modules.get(mod), newField]);
      entries.push(Buffer.concat([encStr(modules.get(mod)), encStr(newField), bytes.subarray(descStart, pos)]));
    }
    if (pos !== end) die("import section: trailing bytes");
    sections.push({ id, body: Buffer.concat([leb(n), ...entries]) });
  } else if (id === 7) {
    const n = u32();
    const entries = [];
    for (let i = 0; i < n; i++) {
      const old = str();
      const descStart = pos;
      pos++;
      u32();
      const neu = old === "memory" ? old : shortName(exportRenames.length);
      if (neu !== old) exportRenames.push([old, neu]);
      entries.push(Buffer.concat([encStr(neu), bytes.subarray(descStart, pos)]));
    }
    if (pos !== end) die("export section: trailing bytes");
    sections.push({ id, body: Buffer.concat([leb(n), ...entries]) });
  } else {
    sections.push({ id, body: bytes.subarray(start, end) });
  }
  pos = end;
}
if (exportRenames.some(([, n]) => n === "memory")) die("a short export name collides with memory");

// --- the glue ------------------------------------------------------------------------------
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
let js = fs.readFileSync(jsFile, "utf8");
const replaceExactlyOnce = (text, re, by, what) => {
  const hits = text.match(re);
  if (!hits || hits.length !== 1) die(`${what}: expected exactly one match of ${re} in ${jsFile}, found ${hits ? hits.length : 0}`);
  return text.replace(re, by);
};
for (const [oldMod, newMod] of modules) {
  js = replaceExactlyOnce(js, new RegExp(`(["'])${esc(oldMod)}\\1(?=\\s*:)`, "g"), `"${newMod}"`, `import module ${oldMod}`);
}
for (const [, oldField, , newField] of importRenames) {
  js = replaceExactlyOnce(js, new RegExp(`(?<=[\\s{,])${esc(oldField)}(?=\\s*:)`, "g"), newField, `import ${oldField}`);
}
for (const [old, neu] of exportRenames) {
  js = js.replace(new RegExp(`(?<=\\bwasm\\.)${esc(old)}\\b`, "g"), neu);
}
// No old name may be left where it could still be looked up (JS function names that merely
// repeat an export name are local and get minified; the `wasm.` uses are what matter).
for (const [old] of exportRenames) {
  if (new RegExp(`\\bwasm\\s*\\.\\s*${esc(old)}\\b|\\[\\s*["']${esc(old)}["']\\s*\\]`).test(js)) die(`export ${old} still used in ${jsFile}`);
}
for (const [, oldField] of importRenames) {
  if (new RegExp(`\\b${esc(oldField)}\\b`).test(js)) die(`import ${oldField} still named in ${jsFile}`);
}
fs.writeFileSync(jsFile, js);

// --- the .d.ts files: InitOutput and the raw-module declarations list the exports -------------
for (const file of dtsFiles) {
  if (!fs.existsSync(file)) continue;
  let d = fs.readFileSync(file, "utf8");
  for (const [old, neu] of exportRenames) {
    d = d.replace(new RegExp(`(?<=(?:readonly|export const|export function)\\s+)${esc(old)}\\b`, "g"), neu);
  }
  fs.writeFileSync(file, d);
}

const out = Buffer.concat([bytes.subarray(0, 8), ...sections.flatMap((s) => [Buffer.from([s.id]), leb(s.body.length), s.body])]);
fs.writeFileSync(wasmFile, out);
console.log(
  `[minify-names] ${importRenames.length} imports, ${exportRenames.length} exports renamed: wasm ${bytes.length} -> ${out.length} B`,
);
