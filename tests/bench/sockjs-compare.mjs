// steadysocket/sockjs vs sockjs-client 1.6.1, side by side against the same real SockJS server
// (npm sockjs 0.3.24: tests/e2e/sockjs-test-server.mjs, its `/echo` endpoint), in one headless
// Chromium page, per SockJS transport: websocket, xhr-streaming, eventsource, xhr-polling.
// `make bench` runs it as J1 (`SKIP_BUILD=1 BENCH_ONLY=J1 scripts/bench.sh` alone); by hand:
//   node tests/bench/bundle.mjs
//   target/debug/steadysocket-server --port 0 --port-file /tmp/p --root . &
//   STEADYSOCKET_SERVER=http://127.0.0.1:$(cat /tmp/p) node tests/bench/sockjs-compare.mjs
// STEADYSOCKET_SERVER serves the page (/harness.html), /pkg/sockjs/ and /bench/vendor/ (the
// esbuild bundle of sockjs-client, www/bench/vendor/sockjs-client.js); the SockJS server is
// started by this script (node tests/e2e/sockjs-test-server.mjs --port 0 --heartbeat-ms 25000:
// sockjs' default heartbeat_delay, not the tests' 1000) on a free loopback port and stopped at
// the end, unless SOCKJS_URL gives a running one. The page and the SockJS server are on
// different ports, so both clients work cross-origin (CORS), as a page and its SockJS backend
// usually do.
// Clients: ours `new SteadySocket(url + "/echo", { sockjs: true, protocol: "raw",
// transports: [t] })` (raw: no envelope, no heartbeat of our own), theirs `new SockJS(url + "/echo",
// null, { transports: [t] })`; each run checks that the transport opened is t.
// Every run opens its own connection, waits for it to open, sends 100 unrecorded echoes in a
// burst and waits 50 ms, then:
// - latency: 200 sequential round trips of a 100 B string (send, await its echo, next);
//   performance.now() around each; p50 and p99 of the 200 (p99: the 198th smallest);
// - throughput: `t0`, a synchronous loop of N = 2000 sends of a 100 B string, a Promise resolved
//   by the message handler at the Nth echo, `t1`; msg/s = N / (t1 − t0);
// - main-thread CPU of the throughput part, as sio-compare.mjs (and run.mjs's P3): CDP
//   `Performance.enable` with `timeDomain: "threadTicks"`, `Performance.getMetrics` read just
//   before and just after the timed `page.evaluate`; µs per echo = ΔTaskDuration / N (every task
//   on the renderer main thread: network dispatch, XHR/EventSource/WebSocket events, GC, …) and
//   ΔScriptDuration / N (JS + wasm, microtasks not counted);
// - HTTP requests to the SockJS server (Playwright `request` events) during the latency part and
//   during the throughput part plus the 50 ms after it (approximate: an event can land on either
//   side of a boundary);
// - then 50 ms of quiet: no message beyond the ones sent may have arrived (checked), and the
//   connection is closed (ours `free()`, theirs `close()`) and 100 ms given to it.
// One unrecorded warm-up run (50 round trips, 500 in the burst) per client and transport before
// the rounds; the clients' order alternates per round. Size: gzip -9 of
// pkg/sockjs/sockjs_bg.wasm + sockjs.js (BENCH_PKG_DIR, else pkg/) vs the esbuild --minify bundle
// of `export { default as SockJS } from "sockjs-client"` (tests/bench/bundle.mjs).
// Prints JSON and writes target/bench/sockjs-compare.json: per client and transport the median,
// min and max over BENCH_ROUNDS (default 3) rounds of p50, p99, msg/s, CPU and script µs per echo
// (and the connect time: new → open, and the HTTP request counts), every round; `ratios`: steadysocket ÷ sockjs-client per
// round, their median, min and max.
// Env: BENCH_ROUNDS, SOCKJS_URL, BENCH_SJ_N (2000), BENCH_SJ_K (200 round trips),
// BENCH_SJ_TRANSPORTS (a comma list of the transports above), BENCH_PKG_DIR.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { launchBrowser, serverUrl } from "../e2e/helpers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const N = Number(process.env.BENCH_SJ_N || 2000);
const K = Number(process.env.BENCH_SJ_K || 200);
const TRANSPORTS = (process.env.BENCH_SJ_TRANSPORTS || "websocket,xhr-streaming,eventsource,xhr-polling").split(",");
const CLIENTS = ["steadysocket", "sockjs-client"];
const PKG = process.env.BENCH_PKG_DIR || path.join(root, "pkg");
const gz = (f) => gzipSync(readFileSync(f), { level: 9 }).length;
const sizeOf = {
  steadysocket: { files: "pkg/sockjs/sockjs_bg.wasm + pkg/sockjs/sockjs.js", wasm: gz(path.join(PKG, "sockjs/sockjs_bg.wasm")), js: gz(path.join(PKG, "sockjs/sockjs.js")) },
  "sockjs-client": { files: "www/bench/vendor/sockjs-client.js (esbuild --bundle --minify)", js: gz(path.join(root, "www/bench/vendor/sockjs-client.js")) },
};
for (const v of Object.values(sizeOf)) v.gzip9 = (v.wasm || 0) + v.js;
const log = (...a) => console.error("[sockjs-compare]", ...a);

// ---- the SockJS server ----
let sjProc = null;
async function startSockjs() {
  if (process.env.SOCKJS_URL) return process.env.SOCKJS_URL.replace(/\/+$/, "");
  sjProc = spawn(process.execPath, [path.join(root, "tests/e2e/sockjs-test-server.mjs"), "--port", "0", "--heartbeat-ms", "25000"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((res, rej) => {
    let buf = "";
    const t = setTimeout(() => rej(new Error("sockjs server did not start within 15 s")), 15000);
    sjProc.on("exit", (c) => rej(new Error("sockjs server exited " + c)));
    sjProc.stdout.on("data", (d) => {
      buf += d;
      const m = buf.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(t);
        res(m[1]);
      }
    });
  });
}
function stopSockjs() {
  if (sjProc && sjProc.exitCode === null) sjProc.kill("SIGTERM");
}
process.on("exit", stopSockjs);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

const SJ = await startSockjs();
log("sockjs server", SJ, "page", serverUrl());
const sockjsVersion = JSON.parse(readFileSync(path.join(root, "node_modules/sockjs/package.json"), "utf8")).version;
const clientVersion = JSON.parse(readFileSync(path.join(root, "node_modules/sockjs-client/package.json"), "utf8")).version;

const startedAt = new Date().toISOString(), load0 = os.loadavg()[0];
const browser = await launchBrowser();
const page = await browser.newPage();
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));
// HTTP requests to the SockJS server (Playwright's request events: the browser's Network domain,
// which Playwright enables anyway), counted per phase; a WebSocket's upgrade is not one.
let requests = 0;
page.on("request", (r) => r.url().startsWith(SJ) && requests++);
await page.goto(`${serverUrl()}/harness.html`);
await page.evaluate(async () => {
  const ss = await import("/pkg/sockjs/sockjs.js");
  await ss.default();
  const sc = await import("/bench/vendor/sockjs-client.js");
  // Both clients behind one shape: open() resolves when open; send(text); onmsg(fn); close().
  window.MK = {
    steadysocket: (url, t) => {
      const s = new ss.SteadySocket(url, { sockjs: true, protocol: "raw", transports: [t] });
      return {
        opened: () => s.readyState === 1,
        transport: () => s.transport,
        send: (m) => s.send(m),
        onmsg: (f) => s.addEventListener("message", (e) => f(e.data)),
        close: () => s.free(),
      };
    },
    "sockjs-client": (url, t) => {
      const s = new sc.SockJS(url, null, { transports: [t] });
      let open = false, closed = null;
      s.onopen = () => (open = true);
      s.onclose = (e) => (closed = `${e.code} ${e.reason}`);
      return {
        opened: () => {
          if (closed) throw new Error("sockjs-client closed: " + closed);
          return open;
        },
        transport: () => s.transport,
        send: (m) => s.send(m),
        onmsg: (f) => (s.onmessage = (e) => f(e.data)),
        close: () => s.close(),
      };
    },
  };
  window.until = (cond, ms, what) =>
    new Promise((res, rej) => {
      const t0 = performance.now();
      const tick = () => {
        let v;
        try { v = cond(); } catch (e) { return rej(e); }
        if (v) return res();
        if (performance.now() - t0 > ms) return rej(new Error("timed out: " + what));
        setTimeout(tick, 1);
      };
      tick();
    });
});
const cdp = await page.context().newCDPSession(page);
await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
const cpu = async () => {
  const { metrics } = await cdp.send("Performance.getMetrics");
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  return { task: m.TaskDuration * 1000, script: m.ScriptDuration * 1000 };
};

// Opens, 100 unrecorded echoes, 50 ms. Returns the connect time (new → open).
const setup = (name, t) =>
  page.evaluate(
    async ({ name, t, url }) => {
      const c0 = performance.now();
      const s = MK[name](url, t);
      await until(() => s.opened(), 15000, `${name} ${t} open`);
      const connectMs = performance.now() - c0;
      if (s.transport() !== t) throw new Error(`${name}: opened on ${s.transport()}, not ${t}`);
      const cur = (window.cur = { s, got: 0, want: Infinity, done: null, bad: 0 });
      const msg = "x".repeat(100);
      s.onmsg((d) => {
        if (d !== msg) cur.bad++;
        if (++cur.got >= cur.want) cur.done();
      });
      cur.want = 100;
      const p = new Promise((res) => (cur.done = res));
      for (let i = 0; i < 100; i++) s.send(msg);
      await p;
      await new Promise((res) => setTimeout(res, 50));
      return connectMs;
    },
    { name, t, url: SJ + "/echo" },
  );

// The latency part: k sequential round trips (send, await the echo, next); their times in ms.
const latency = (k) =>
  page.evaluate(async (k) => {
    const cur = window.cur, s = cur.s, msg = "x".repeat(100), rtt = [];
    for (let i = 0; i < k; i++) {
      cur.got = 0;
      cur.want = 1;
      const p = new Promise((res) => (cur.done = res));
      const t0 = performance.now();
      s.send(msg);
      await p;
      rtt.push(performance.now() - t0);
    }
    return rtt;
  }, k);

// The throughput part: n sends in one synchronous loop, until the nth echo.
const timed = (n) =>
  page.evaluate(async (n) => {
    const cur = window.cur, s = cur.s, msg = "x".repeat(100);
    cur.got = 0;
    cur.want = n;
    const done = new Promise((res) => (cur.done = res));
    const t0 = performance.now();
    for (let i = 0; i < n; i++) s.send(msg);
    await done;
    return performance.now() - t0;
  }, n);

// 50 ms of quiet (no extra message may arrive), then closes.
const finish = (n) =>
  page.evaluate(async (n) => {
    const cur = window.cur;
    cur.want = Infinity;
    await new Promise((res) => setTimeout(res, 50));
    const extra = cur.got - n, bad = cur.bad;
    cur.s.close();
    window.cur = null;
    await new Promise((res) => setTimeout(res, 100));
    return { extra, bad };
  }, n);

const pct = (a, q) => {
  const s = a.slice().sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};
async function run(name, t, k, n) {
  const connectMs = await setup(name, t);
  const r0 = requests;
  const rtt = await latency(k);
  const r1 = requests;
  const c0 = await cpu();
  const ms = await timed(n);
  const c1 = await cpu();
  const { extra, bad } = await finish(n);
  const r2 = requests;
  if (extra || bad) throw new Error(`${name} ${t}: ${extra} extra and ${bad} wrong messages`);
  return {
    connectMs, p50: pct(rtt, 0.5), p99: pct(rtt, 0.99), ms, tput: n / (ms / 1000),
    cpuUs: ((c1.task - c0.task) / n) * 1000, scriptUs: ((c1.script - c0.script) / n) * 1000,
    reqLatency: r1 - r0, reqBurst: r2 - r1,
  };
}

const res = {};
try {
  for (const t of TRANSPORTS) for (const name of CLIENTS) await run(name, t, 50, 500); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const t of TRANSPORTS) {
      for (const name of r % 2 ? CLIENTS.slice().reverse() : CLIENTS) {
        (res[`${name} ${t}`] ??= []).push(await run(name, t, K, N));
      }
    }
    log(`round ${r + 1}/${ROUNDS} done`);
  }
} finally {
  await browser.close();
  stopSockjs();
}
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
const rnd = (x, d) => Math.round(x * 10 ** d) / 10 ** d;
const stat = (a, d = 0) => ({ median: rnd(med(a), d), min: rnd(Math.min(...a), d), max: rnd(Math.max(...a), d) });
const out = {
  startedAt, rounds: ROUNDS, n: N, k: K,
  versions: { sockjsServer: sockjsVersion, sockjsClient: clientVersion },
  machine: { cores: os.cpus().length, cpuModel: os.cpus()[0]?.model, chromium: browser.version(), loadAvg1m: [load0, os.loadavg()[0]].map((x) => rnd(x, 2)) },
  sizeGzip9: sizeOf, results: {}, ratios: {}, pageErrors,
};
for (const [key, v] of Object.entries(res)) {
  out.results[key] = {
    p50Ms: stat(v.map((x) => x.p50), 2),
    p99Ms: stat(v.map((x) => x.p99), 2),
    msgPerSec: stat(v.map((x) => x.tput)),
    cpuUsPerMsg: stat(v.map((x) => x.cpuUs), 1),
    scriptUsPerMsg: stat(v.map((x) => x.scriptUs), 1),
    connectMs: stat(v.map((x) => x.connectMs), 1),
    httpRequestsLatency: stat(v.map((x) => x.reqLatency)),
    httpRequestsBurst: stat(v.map((x) => x.reqBurst)),
    all: v.map((x) => ({ p50: rnd(x.p50, 2), p99: rnd(x.p99, 2), msgPerSec: Math.round(x.tput), cpuUs: rnd(x.cpuUs, 1), scriptUs: rnd(x.scriptUs, 1), connectMs: rnd(x.connectMs, 1), reqLatency: x.reqLatency, reqBurst: x.reqBurst })),
  };
}
// Per round ratios steadysocket / sockjs-client (same round and transport), medians.
for (const t of TRANSPORTS) {
  const a = res[`steadysocket ${t}`], b = res[`sockjs-client ${t}`];
  const ratio = (f) => stat(a.map((x, i) => f(x) / f(b[i])), 2);
  out.ratios[t] = { p50: ratio((x) => x.p50), p99: ratio((x) => x.p99), throughput: ratio((x) => x.tput), cpu: ratio((x) => x.cpuUs), script: ratio((x) => x.scriptUs) };
}
out.ratios.size = rnd(sizeOf.steadysocket.gzip9 / sizeOf["sockjs-client"].gzip9, 2);
const json = JSON.stringify(out, null, 1);
mkdirSync(path.join(root, "target/bench"), { recursive: true });
writeFileSync(path.join(root, "target/bench/sockjs-compare.json"), json + "\n");
console.log(json);
