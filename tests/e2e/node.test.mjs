// The package in Node (README "Setup by environment" → Node, and "Wire protocol v1" → the
// minimal servers), installed from its tarball (www/bundlers/node_modules/steadysocket, unpacked
// by www/bundlers/build.mjs). Each case runs in a fresh `node` process (a wasm instance per
// process), from build/node-app/ where `steadysocket` resolves to a copy of that install:
// - `await init()` with no argument (reads the wasm file), `initSync` with the bytes found by
//   `import.meta.resolve`, and `steadysocket/inline`'s `initSync()`; each then connects to the
//   reference server (global WebSocket from `ws`, or Node's own with --experimental-websocket),
//   gets an echo and a request's reply
// - the STOMP entry's `init()` and `steadysocket/stomp/inline`'s `initSync()` make a StompClient
// - server-side rendering: `renderToString` of a component using `useSteadySocket` renders
//   "connecting" and makes no WebSocket (effects do not run on the server)
// - the README's Node (`ws`) and Python (`websockets`) servers, extracted from README.md as
//   written: echo, requests (`add`, and an unknown one rejected as `remote` with its code),
//   heartbeat RTT. The Python one is skipped when no python3 has `websockets`.
// No fixed sleeps: the clients wait on events with timeouts (a server that is still starting is
// simply reconnected to).

import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { serverUrl, tag } from "./helpers.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const installed = path.join(repoRoot, "www/bundlers/node_modules/steadysocket");
const app = path.join(repoRoot, "build/node-app");
const skip = existsSync(installed) ? false : "www/bundlers/node_modules/steadysocket missing (run node www/bundlers/build.mjs)";

before(() => {
  if (skip) return;
  rmSync(app, { recursive: true, force: true });
  mkdirSync(path.join(app, "node_modules"), { recursive: true });
  cpSync(installed, path.join(app, "node_modules/steadysocket"), { recursive: true });
  writeFileSync(path.join(app, "package.json"), '{ "type": "module", "private": true }\n');
  // The client every case runs: INIT picks the recipe, WS the WebSocket. Prints one JSON line.
  writeFileSync(
    path.join(app, "client.mjs"),
    `import { readFileSync } from "node:fs";
const [how, wsImpl, url, extra] = process.argv.slice(2);
if (wsImpl === "ws") globalThis.WebSocket = (await import("ws")).WebSocket;
let SteadySocket;
if (how === "init") {
  const m = await import("steadysocket");
  await m.default();
  SteadySocket = m.SteadySocket;
} else if (how === "sync") {
  const m = await import("steadysocket");
  m.initSync({ module: readFileSync(new URL(import.meta.resolve("steadysocket/steadysocket_bg.wasm"))) });
  SteadySocket = m.SteadySocket;
} else if (how === "inline") {
  const m = await import("steadysocket/inline");
  m.initSync();
  SteadySocket = m.SteadySocket;
}
const s = new SteadySocket(url, { reconnect: { minDelayMs: 20, maxDelayMs: 100 }, heartbeat: { intervalMs: 100 } });
const timeout = (what) => new Promise((_, reject) => setTimeout(() => reject(new Error("no " + what + " within 10 s")), 10_000).unref());
const echo = new Promise((resolve) => s.onMessage("echo", resolve));
const rtt = new Promise((resolve) => s.on("rtt", ({ rtt }) => resolve(rtt)));
s.send("echo", { from: how });
const out = {
  echo: await Promise.race([echo, timeout("echo")]),
  sum: await Promise.race([s.request("add", { a: 2, b: 3 }), timeout("reply")]),
  rtt: typeof (await Promise.race([rtt, timeout("rtt")])),
  globalWebSocket: typeof globalThis.WebSocket,
};
if (extra === "unknown") {
  out.unknown = await s.request("nope", {}).then(() => "resolved", (e) => ({ kind: e.kind, code: e.code }));
}
s.close();
console.log(JSON.stringify(out));
`,
  );
});

after(() => {
  for (const p of children) p.kill();
});

/** Runs `node args…` in build/node-app/ and returns its last stdout line as JSON. */
function node(args, timeout = 20_000) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: app, timeout }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`node ${args.join(" ")}: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split("\n").at(-1)));
      } catch (e) {
        reject(new Error(`node ${args.join(" ")}: bad output ${JSON.stringify(stdout)} (${stderr})`));
      }
    });
  });
}

const wsUrl = (t) => `${serverUrl().replace(/^http/, "ws")}/ws?tag=${t}`;
const expected = (how) => ({ echo: { from: how }, sum: 5, rtt: "number", globalWebSocket: "function" });

for (const [how, wsImpl] of [["init", "ws"], ["sync", "native"], ["inline", "ws"]]) {
  const flag = wsImpl === "native" ? ["--experimental-websocket", "--no-warnings"] : [];
  test(`node: ${how === "init" ? "await init()" : how === "sync" ? "initSync(bytes)" : "steadysocket/inline initSync()"} then a socket (${wsImpl === "ws" ? "ws package" : "--experimental-websocket"}) to the reference server`, { skip, timeout: 30_000 }, async () => {
    assert.deepEqual(await node([...flag, "client.mjs", how, wsImpl, wsUrl(tag(`node-${how}`))]), expected(how));
  });
}

test("node: the STOMP entry's init() and steadysocket/stomp/inline's initSync()", { skip, timeout: 30_000 }, async () => {
  const script = (imp, call) =>
    `const m = await import("${imp}"); ${call}; const c = new m.StompClient("ws://127.0.0.1:9/ws", { reconnect: false }); const state = c.state; c.free(); console.log(JSON.stringify({ state }));`;
  assert.deepEqual(await node(["--input-type=module", "-e", script("steadysocket/stomp", "await m.default()")]), { state: "connecting" });
  assert.deepEqual(await node(["--input-type=module", "-e", script("steadysocket/stomp/inline", "m.initSync()")]), { state: "connecting" });
});

test("node: server-side rendering of useSteadySocket renders 'connecting' and opens nothing", { skip, timeout: 30_000 }, async () => {
  const script = `
    import { createElement as h } from "react";
    import { renderToString } from "react-dom/server";
    import { useSteadySocket } from "steadysocket/react";
    let made = 0;
    globalThis.WebSocket = class { constructor() { made++; } };
    function Status() { const { state, socket } = useSteadySocket("ws://127.0.0.1:9/ws"); return h("p", null, state + " " + (socket === null)); }
    console.log(JSON.stringify({ html: renderToString(h(Status)), made }));`;
  assert.deepEqual(await node(["--input-type=module", "-e", script]), { html: "<p>connecting true</p>", made: 0 });
});

// ---- the README's servers -------------------------------------------------------------------

const children = [];
// The code block after `<!-- test: NAME -->` in README.md.
function readmeBlock(name) {
  const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const m = readme.match(new RegExp(`<!-- test: ${name.replace(".", "\\.")} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\`\\n`));
  assert.ok(m, `README.md has a code block marked <!-- test: ${name} -->`);
  return m[1];
}
const freePort = () =>
  new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

async function readmeServer(file, cmd) {
  writeFileSync(path.join(app, file), readmeBlock(file));
  const port = await freePort();
  const child = spawn(cmd, [file], { cwd: app, env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  children.push(child);
  try {
    // The client reconnects until the server listens.
    const got = await node(["client.mjs", "init", "ws", `ws://127.0.0.1:${port}/`, "unknown"]);
    assert.deepEqual(got, { ...expected("init"), unknown: { kind: "remote", code: "unknown" } }, stderr);
  } finally {
    child.kill();
  }
}

test("README: the Node (ws) wire-protocol server works with the package", { skip, timeout: 30_000 }, async () => {
  await readmeServer("server.mjs", process.execPath);
});

const python = ["/usr/bin/python3", "python3"].find((p) => {
  try {
    execFileSync(p, ["-c", "import websockets"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
});
test("README: the Python (websockets) wire-protocol server works with the package", {
  skip: skip || (python ? false : "no python3 with the websockets module (Debian: python3-websockets)"),
  timeout: 30_000,
}, async () => {
  await readmeServer("server.py", python);
});
