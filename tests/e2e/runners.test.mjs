// The package under the test runners users run in Node (README "Node: SSR, tests, scripts"):
// Vitest and Jest, each started as a user would on tests/node-runners/ (copied into
// build/runners-app/, where `steadysocket` resolves to the package installed from its tarball,
// www/bundlers/node_modules/steadysocket, unpacked by www/bundlers/build.mjs), with that
// directory's vitest.config.mjs / jest.config.mjs (the README's, as written). In each runner,
// three test files:
// - `await init()` (the wasm file read from the package), a global WebSocket from `ws`
// - `initSync({ module: bytes })`, Node's own WebSocket (--experimental-websocket on Node 20)
// - `steadysocket/inline`'s `initSync()`, a global WebSocket from `ws`
// each opens a SteadySocket to the reference server, gets a request's reply and an event echoed
// back, and frees the socket. Here: the runner exits 0 and its JSON report shows 3 of 3 passed.
// Jest runs as native ESM (NODE_OPTIONS=--experimental-vm-modules, `transform: {}`); a check
// shows that without that flag Jest on Node 20 refuses the ES-module tests. The runners are
// taken from the repo's node_modules (devDependencies vitest and jest, pinned).

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { before, test } from "node:test";
import { serverUrl } from "./helpers.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const installed = path.join(repoRoot, "www/bundlers/node_modules/steadysocket");
const app = path.join(repoRoot, "build/runners-app");
const skip = existsSync(installed) ? false : "www/bundlers/node_modules/steadysocket missing (run node www/bundlers/build.mjs)";
const vitest = path.join(repoRoot, "node_modules/vitest/vitest.mjs");
const jest = path.join(repoRoot, "node_modules/jest/bin/jest.js");

before(() => {
  if (skip) return;
  rmSync(app, { recursive: true, force: true });
  mkdirSync(path.join(app, "node_modules"), { recursive: true });
  cpSync(installed, path.join(app, "node_modules/steadysocket"), { recursive: true });
  cpSync(path.join(repoRoot, "tests/node-runners"), app, { recursive: true });
  writeFileSync(path.join(app, "package.json"), '{ "type": "module", "private": true }\n');
});

/** Runs `node args…` in build/runners-app/ with NODE_OPTIONS; resolves { code, out }. */
function run(args, nodeOptions) {
  return new Promise((resolve) => {
    const env = { ...process.env, NODE_OPTIONS: nodeOptions, STEADYSOCKET_SERVER: serverUrl(), CI: "1", NO_COLOR: "1" };
    execFile(process.execPath, args, { cwd: app, env, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? err.signal) : 0, out: `${stdout}\n${stderr}` }),
    );
  });
}

const files = ["init", "sync", "inline"];
const report = (file) => JSON.parse(readFileSync(path.join(app, file), "utf8"));

test("vitest: await init(), initSync(bytes), steadysocket/inline in Node, each a round trip with the reference server", { skip, timeout: 90_000 }, async () => {
  const { code, out } = await run([vitest, "run", "vitest/", "--reporter=json", "--outputFile=vitest-report.json"], "--experimental-websocket --no-warnings");
  assert.equal(code, 0, out);
  const r = report("vitest-report.json");
  assert.equal(r.numPassedTests, 3, out);
  assert.equal(r.numFailedTests, 0, out);
  assert.deepEqual(r.testResults.map((t) => path.basename(t.name)).sort(), files.map((f) => `${f}.test.mjs`).sort());
});

test("jest (native ESM): await init(), initSync(bytes), steadysocket/inline in Node, each a round trip with the reference server", { skip, timeout: 90_000 }, async () => {
  const { code, out } = await run([jest, "jest/", "--json", "--outputFile=jest-report.json"], "--experimental-vm-modules --experimental-websocket --no-warnings");
  assert.equal(code, 0, out);
  const r = report("jest-report.json");
  assert.equal(r.numPassedTests, 3, out);
  assert.equal(r.numFailedTests, 0, out);
  assert.deepEqual(r.testResults.map((t) => path.basename(t.name)).sort(), files.map((f) => `${f}.test.mjs`).sort());
});

// The caveat as seen on Node 20 (newer Node has require(esm), which Jest may use instead).
const node20 = process.versions.node.startsWith("20.") ? false : "Node 20 only";
test("jest without --experimental-vm-modules refuses the ES-module tests (Node 20)", { skip: skip || node20, timeout: 90_000 }, async () => {
  const { code, out } = await run([jest, "jest/init.test.mjs"], "--no-warnings");
  assert.notEqual(code, 0, out);
  assert.match(out, /Must use import to load ES Module/);
});
