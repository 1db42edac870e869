// steadysocket/socketio vs socket.io-client 4.8, side by side against the same socket.io 4.8
// server (tests/bench/sio-server.mjs: echo + drop control), in one headless Chromium page.
// `make bench` runs it as I1 (`SKIP_BUILD=1 BENCH_ONLY=I1 scripts/bench.sh` alone); by hand:
//   node tests/bench/bundle.mjs && node tests/bench/sio-server.mjs --port-file /tmp/p &
//   STEADYSOCKET_SERVER=http://127.0.0.1:18300 SIO_URL=http://127.0.0.1:$(cat /tmp/p) node tests/bench/sio-compare.mjs
// Per round and per client, for transports ["websocket"] and the default ["polling","websocket"]:
// - throughput: 10000 emits of a 100 B string, each echoed; msg/s from the first emit to the
//   10000th echo (one batch, timed with performance.now());
// - reconnect: POST /control/drop (every TCP connection destroyed) → `disconnect`, then
//   `connect` (both clients: reconnectionDelay 100 ms, max 100 ms, randomizationFactor 0).
// Size: gzip -9 of pkg/socketio/socketio_bg.wasm + socketio.js vs the esbuild --minify bundle of
// `export { io } from "socket.io-client"` (www/bench/vendor/socket.io-client.js).
// Prints JSON: medians over BENCH_ROUNDS (default 3) rounds.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { launchBrowser, serverUrl } from "../e2e/helpers.mjs";

const SIO = process.env.SIO_URL.replace(/\/+$/, "");
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const gz = (f) => gzipSync(readFileSync(f), { level: 9 }).length;
const size = {
  steadysocket: gz("pkg/socketio/socketio_bg.wasm") + gz("pkg/socketio/socketio.js"),
  "socket.io-client": gz("www/bench/vendor/socket.io-client.js"),
};

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

const run = (name, transports) =>
  page.evaluate(
    async ({ name, transports, sio }) => {
      const s = IO[name](sio, { transports, reconnectionDelay: 100, reconnectionDelayMax: 100, randomizationFactor: 0 });
      let up = false;
      s.io.on("upgrade", () => (up = true));
      s.io.engine?.on?.("upgrade", () => (up = true));
      await until(() => s.connected, 10000, "connect");
      if (transports.length > 1) await until(() => up, 10000, "upgrade");
      const N = 10000, msg = "x".repeat(100);
      let got = 0;
      s.on("echo", () => got++);
      const t0 = performance.now();
      for (let i = 0; i < N; i++) s.emit("echo", msg);
      await until(() => got >= N, 60000, "echoes");
      const tput = N / ((performance.now() - t0) / 1000);
      let tDisc = 0, tConn = 0;
      s.once("disconnect", () => (tDisc = performance.now()));
      const t1 = performance.now();
      await fetch(`${sio}/control/drop`, { method: "POST" });
      await until(() => tDisc, 60000, "disconnect");
      s.once("connect", () => (tConn = performance.now()));
      await until(() => tConn, 60000, "reconnect");
      s.disconnect();
      return { tput, detectMs: tDisc - t1, reconnectMs: tConn - t1 };
    },
    { name, transports, sio: SIO },
  );

const res = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const transports of [["websocket"], ["polling", "websocket"]]) {
    for (const name of ["steadysocket", "socket.io-client"]) {
      const k = `${name} ${transports.join("+")}`;
      (res[k] ??= []).push(await run(name, transports));
    }
  }
}
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
const out = { rounds: ROUNDS, sizeGzip9: size, results: {} };
for (const [k, v] of Object.entries(res)) {
  out.results[k] = {
    msgPerSec: Math.round(med(v.map((x) => x.tput))),
    detectMs: Math.round(med(v.map((x) => x.detectMs))),
    reconnectMs: Math.round(med(v.map((x) => x.reconnectMs))),
    all: v.map((x) => [Math.round(x.tput), Math.round(x.detectMs), Math.round(x.reconnectMs)]),
  };
}
console.log(JSON.stringify(out, null, 1));
await browser.close();
