// The published tarball, as `npm pack --dry-run --json ./pkg` describes it:
// - its files are exactly tests/pack/files.txt (nothing missing, nothing extra: no sources,
//   source maps, snippets or build leftovers);
// - every `exports` target of its package.json is in it;
// - the README carries the repository link, "Setup by environment" and the wire protocol with
//   its servers; the licences are the MIT and Apache-2.0 texts.
// Usage: node tests/pack/check.mjs [PKG_DIR]   (default pkg/)
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(process.argv[2] ?? path.join(here, "../../pkg"));
const [info] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts", dir], { encoding: "utf8" }));
const packed = info.files.map((f) => f.path).sort();
const want = readFileSync(path.join(here, "files.txt"), "utf8")
  .split("\n")
  .filter((l) => l && !l.startsWith("#"))
  .sort();
assert.deepEqual(packed, want, "the tarball's files differ from tests/pack/files.txt");
for (const f of packed) assert.doesNotMatch(f, /\.(map|rs|ts\.map)$|^src\/|^snippets\//, `unexpected file ${f}`);

const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
const targets = (v) => (typeof v === "string" ? [v] : Object.values(v).flatMap(targets));
for (const [sub, target] of Object.entries(pkg.exports)) {
  for (const t of targets(target)) assert.ok(packed.includes(t.replace(/^\.\//, "")), `exports["${sub}"] → ${t} is not in the tarball`);
}
assert.equal(pkg.license, "MIT OR Apache-2.0");
assert.ok(pkg.peerDependenciesMeta?.react?.optional, "react is an optional peer dependency");

const readme = readFileSync(path.join(dir, "README.md"), "utf8");
for (const needle of [
  "https://github.com/steadysocket/steadysocket",
  "## Setup by environment",
  "### Content-Security-Policy",
  "### React",
  "## Wire protocol v1",
  'from "ws"',
  "import websockets",
]) {
  assert.ok(readme.includes(needle), `pkg/README.md lacks ${JSON.stringify(needle)}`);
}
assert.doesNotMatch(readme, /<!-- npm:(start|end) -->/, "marker lines are left out");
assert.match(readFileSync(path.join(dir, "LICENSE-MIT"), "utf8"), /^MIT License\n\nCopyright \(c\) The steadysocket developers\n/);
assert.match(readFileSync(path.join(dir, "LICENSE-APACHE"), "utf8"), /Apache License\s+Version 2\.0, January 2004/);
console.log(`[pack] ${info.filename}: ${packed.length} files, ${info.size} B packed, ${info.unpackedSize} B unpacked: as expected`);
