// steadysocket/socketio vs socket.io-client 4.8, side by side against the same socket.io 4.8
// server (tests/bench/sio-server.mjs: echo on "/" and "/mux" + drop control), in one headless
// Chromium page.
// `make bench` runs it as I1 (`SKIP_BUILD=1 BENCH_ONLY=I1 scripts/bench.sh` alone); by hand:
//   node tests/bench/bundle.mjs && node tests/bench/sio-server.mjs --port-file /tmp/p &
//   STEADYSOCKET_SERVER=http://127.0.0.1:18300 SIO_URL=http://127.0.0.1:$(cat /tmp/p) node tests/bench/sio-compare.mjs
// Cases, per client: "websocket" (transports ["websocket"]), "polling+websocket" (the default
// ["polling","websocket"], timed after the upgrade) and "mux websocket" (namespaces "/" and
// "/mux" on one connection: `io(url, {forceNew, transports: ["websocket"]})` and
// `socket.io.socket("/mux")`). Every run opens its own connection (forceNew), waits for
// `connect` (and the upgrade), does 200 unrecorded echoes and waits 50 ms, then:
// - timed part: N = 10000 echoes of a 100 B string: `t0`, a synchronous loop of N emits (mux:
//   alternating "/" and "/mux", N/2 each), a Promise resolved by the echo handler at the Nth
//   echo, `t1`; msg/s = N / (t1 − t0);
// - main-thread CPU of the timed part, as run.mjs's P3: CDP `Performance.enable` with
//   `timeDomain: "threadTicks"`, `Performance.getMetrics` read just before and just after the
//   timed `page.evaluate`; µs per echo = ΔTaskDuration / N (every task on the renderer main
//   thread: WebSocket dispatch, GC, …) and ΔScriptDuration / N (JS + wasm, but microtasks are
//   not counted: socket.io-client dispatches received packets in one, so its figure is a lower bound);
// - reconnect (not for mux): POST /control/drop (every TCP connection destroyed) →
//   `disconnect`, then `connect` (both clients: reconnectionDelay 100 ms, max 100 ms,
//   randomizationFactor 0).
// One unrecorded warm-up run (1000 echoes) per client and case before the rounds; the clients'
// order alternates per round. Size: gzip -9 of pkg/socketio/socketio_bg.wasm + socketio.js vs
// the esbuild --minify bundle of `export { io } from "socket.io-client"`
// (www/bench/vendor/socket.io-client.js).
// Prints JSON: per case, the median, min and max over BENCH_ROUNDS (default 3) rounds and every
// round; `ratios`: steadysocket ÷ socket.io-client per round (throughput, CPU, script), their median.
// Env: BENCH_ROUNDS, BENCH_SIO_N (10000), BENCH_SIO_CASES (a comma list of the case names above).
import { readFileSync } from "node:fs";
import os from "node:os";
import { gzipSync } from "node:zlib";
import { launchBrowser, serverUrl } from "../e2e/helpers.mjs";

const SIO = process.env.SIO_URL.replace(/\/+$/, "");
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const N = Number(process.env.BENCH_SIO_N || 10000);
const gz = (f) => gzipSync(readFileSync(f), { level: 9 }).length;
const size = {
  steadysocket: gz("pkg/socketio/socketio_bg.wasm") + gz("pkg/socketio/socketio.js"),
  "socket.io-client": gz("www/bench/vendor/socket.io-client.js"),
};
const CASES = {
  websocket: { transports: ["websocket"], mux: false },
  "polling+websocket": { transports: ["polling", "websocket"], mux: false },
  "mux websocket": { transports: ["websocket"], mux: true },
};
const ONLY = (process.env.BENCH_SIO_CASES || Object.keys(CASES).join(",")).split(",");
const CLIENTS = ["steadysocket", "socket.io-client"];

const startedAt = new Date().toISOString(), load0 = os.loadavg()[0];
const browser = await launchBrowser();
const page = await browser.newPage();
await page.goto(`${serverUrl()}/harness.html`);
await page.evaluate(async () => {
  const ss = await import("/pkg/socketio/socketio.js");
  await ss.default();
  const sc = await import("/bench/vendor/socket.io-client.js");
  window.IO = { steadysocket: ss.io, "socket.io-client": sc.io };
  window.until = (cond, ms, what) =>
    new Promise((res, rej) => {
      const t0 = performance.now();
      const tick = () => {
        if (cond()) return res();
        if (performance.now() - t0 > ms) return rej(new Error("timed out: " + what));
        setTimeout(tick, 1);
      };
      tick();
    });
});
const cdp = await page.context().newCDPSession(page);
// threadTicks: the durations are main-thread CPU time, not wall time (as run.mjs's P3)
await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
const cpu = async () => {
  const { metrics } = await cdp.send("Performance.getMetrics");
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  return { task: m.TaskDuration * 1000, script: m.ScriptDuration * 1000 };
};

// Connects (both namespaces for mux), waits for the upgrade, 200 unrecorded echoes.
const setup = (name, c) =>
  page.evaluate(
    async ({ name, c, sio }) => {
      const o = { forceNew: true, transports: c.transports, reconnectionDelay: 100, reconnectionDelayMax: 100, randomizationFactor: 0 };
      const s = IO[name](sio, o);
      const socks = c.mux ? [s, s.io.socket("/mux")] : [s];
      let up = false;
      s.io.on("upgrade", () => (up = true));
      s.io.engine?.on?.("upgrade", () => (up = true));
      await until(() => socks.every((x) => x.connected), 10000, "connect");
      if (c.transports.length > 1) await until(() => up, 10000, "upgrade");
      const cur = (window.cur = { s, socks, got: 0, want: Infinity, done: null });
      for (const x of socks) x.on("echo", () => ++cur.got >= cur.want && cur.done());
      const msg = "x".repeat(100);
      cur.want = 200;
      await new Promise((res) => {
        cur.done = res;
        for (let i = 0; i < 200; i++) socks[i % socks.length].emit("echo", msg);
      });
      await new Promise((res) => setTimeout(res, 50));
    },
    { name, c, sio: SIO },
  );

// The timed part: n emits in one synchronous loop, until the nth echo.
const timed = (n) =>
  page.evaluate(async (n) => {
    const cur = window.cur, socks = cur.socks, k = socks.length, msg = "x".repeat(100);
    cur.got = 0;
    cur.want = n;
    const done = new Promise((res) => (cur.done = res));
    const t0 = performance.now();
    for (let i = 0; i < n; i++) socks[i % k].emit("echo", msg);
    await done;
    return performance.now() - t0;
  }, n);

// Drop → disconnect → connect, then closes the connection.
const reconnect = (drop) =>
  page.evaluate(
    async ({ sio, drop }) => {
      const s = window.cur.s;
      let r = null;
      if (drop) {
        let tDisc = 0, tConn = 0;
        s.once("disconnect", () => (tDisc = performance.now()));
        const t1 = performance.now();
        await fetch(`${sio}/control/drop`, { method: "POST" });
        await until(() => tDisc, 60000, "disconnect");
        s.once("connect", () => (tConn = performance.now()));
        await until(() => tConn, 60000, "reconnect");
        r = { detectMs: tDisc - t1, reconnectMs: tConn - t1 };
      }
      for (const x of window.cur.socks) x.disconnect();
      window.cur = null;
      await new Promise((res) => setTimeout(res, 20));
      return r;
    },
    { sio: SIO, drop },
  );

async function run(name, c, n, measureReconnect = true) {
  await setup(name, c);
  const c0 = await cpu();
  const ms = await timed(n);
  const c1 = await cpu();
  const r = await reconnect(measureReconnect && !c.mux);
  return { n, ms, tput: n / (ms / 1000), cpuUs: ((c1.task - c0.task) / n) * 1000, scriptUs: ((c1.script - c0.script) / n) * 1000, ...r };
}

const res = {};
for (const cn of ONLY) for (const name of CLIENTS) await run(name, CASES[cn], 1000, false); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const cn of ONLY) {
    for (const name of r % 2 ? CLIENTS.slice().reverse() : CLIENTS) {
      (res[`${name} ${cn}`] ??= []).push(await run(name, CASES[cn], N));
    }
  }
}
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
const rnd = (x, d) => Math.round(x * 10 ** d) / 10 ** d;
const stat = (a, d = 0) => ({ median: rnd(med(a), d), min: rnd(Math.min(...a), d), max: rnd(Math.max(...a), d) });
const out = {
  startedAt, rounds: ROUNDS, n: N,
  machine: { cores: os.cpus().length, cpuModel: os.cpus()[0]?.model, chromium: browser.version(), loadAvg1m: [load0, os.loadavg()[0]].map((x) => rnd(x, 2)) },
  sizeGzip9: size, results: {}, ratios: {},
};
for (const [k, v] of Object.entries(res)) {
  const o = (out.results[k] = {
    msgPerSec: stat(v.map((x) => x.tput)),
    cpuUsPerMsg: stat(v.map((x) => x.cpuUs), 2),
    scriptUsPerMsg: stat(v.map((x) => x.scriptUs), 2),
  });
  if (v[0].detectMs !== undefined) {
    o.detectMs = stat(v.map((x) => x.detectMs));
    o.reconnectMs = stat(v.map((x) => x.reconnectMs));
  }
  o.all = v.map((x) => ({ msgPerSec: Math.round(x.tput), cpuUs: rnd(x.cpuUs, 2), scriptUs: rnd(x.scriptUs, 2), detectMs: x.detectMs && rnd(x.detectMs, 1), reconnectMs: x.reconnectMs && rnd(x.reconnectMs, 1) }));
}
// Per round ratios steadysocket / socket.io-client (same round), medians.
for (const cn of ONLY) {
  const a = res[`steadysocket ${cn}`], b = res[`socket.io-client ${cn}`];
  out.ratios[cn] = {
    throughput: stat(a.map((x, i) => x.tput / b[i].tput), 2),
    cpu: stat(a.map((x, i) => x.cpuUs / b[i].cpuUs), 2),
    script: stat(a.map((x, i) => x.scriptUs / b[i].scriptUs), 2),
  };
}
console.log(JSON.stringify(out, null, 1));
await browser.close();
