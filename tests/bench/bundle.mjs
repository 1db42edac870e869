// Bundles each contender library into an ESM file the bench page can import
// (www/bench/vendor/<name>.js, git-ignored), with esbuild --minify (the pinned esbuild from
// package.json). The same minified bundles are what P1 (size) measures.
// Usage: node tests/bench/bundle.mjs   -> prints JSON {name: {file, bytes}}
import { build } from "esbuild";
import { mkdir, writeFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const outDir = path.join(root, "www/bench/vendor");

// What a user imports for "a reconnecting WebSocket" from each library.
export const ENTRIES = {
  "reconnecting-websocket": `export { default } from "reconnecting-websocket";`,
  partysocket: `export { default } from "partysocket/ws";`,
  "socket.io-client": `export { io } from "socket.io-client";`,
  // The STOMP comparison (S1-S3): what a user imports for a STOMP client. Only `Client`, so
  // esbuild drops the unused compatibility layer (CompatClient, Stomp).
  stompjs: `export { Client } from "@stomp/stompjs";`,
  // The SockJS comparison (J1): the SockJS constructor (its package's main, lib/entry.js, with
  // the package's "browser" field: browser WebSocket/XHR/EventSource drivers).
  "sockjs-client": `export { default as SockJS } from "sockjs-client";`,
};
// Extra esbuild `define`s per entry: sockjs-client (written for browserify) reads Node's
// `global` (global.crypto, global.document, global.location, ...); in a browser that is globalThis.
const DEFINES = {
  "sockjs-client": { global: "globalThis" },
};

await mkdir(outDir, { recursive: true });
const out = {};
for (const [name, contents] of Object.entries(ENTRIES)) {
  const outfile = path.join(outDir, `${name}.js`);
  await build({
    stdin: { contents, resolveDir: root, loader: "js" },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    minify: true,
    legalComments: "none",
    define: { "process.env.NODE_ENV": '"production"', ...DEFINES[name] },
    outfile,
    logLevel: "warning",
  });
  out[name] = { file: path.relative(root, outfile), bytes: (await stat(outfile)).size };
}
await writeFile(path.join(outDir, "bundles.json"), JSON.stringify(out, null, 2) + "\n");
console.log(JSON.stringify(out));
