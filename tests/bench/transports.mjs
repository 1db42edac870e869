// The transports benchmark (BENCHMARKS.md, "Transports: WebSocket vs SSE vs long polling vs naive
// polling"): drives www/transports.html in headless Chromium against the reference server, with
// the measured connections going through a byte-counting TCP proxy (tests/bench/wire-proxy.mjs;
// the page's own assets come from the server directly). Per round, every contender runs once in a
// fresh browser context (its own connection pool), the order rotated each round; medians over
// the rounds, ratios vs WebSocket taken within a round.
//
// Alone:   node tests/bench/transports.mjs        (needs pkg/ built and the server built:
//          scripts/build-pkg.sh; cargo build --release -p steadysocket-server; it starts one)
// In make bench: scripts/bench.sh sets BENCH_URL (its server) and runs this for BENCH_ONLY=T1.
// Env: BENCH_URL (a running reference server; else one is started), BENCH_ROUNDS (5),
//      BENCH_T_M (latency messages, 200), BENCH_T_RATE (their rate, msg/s, 20), BENCH_T_N
//      (throughput messages, 2000), BENCH_POLL_MS (the naive poller's interval, 100),
//      BENCH_T_IDLE_MS (an idle phase between the two, for its cost per second; 3000, 0: none),
//      BENCH_T_ONLY (contenders, default websocket,sse,long-polling,polling),
//      BENCH_T_OUTPUTS=0 (do not rewrite www/bench/transports-results.json and the screenshot).
// Writes target/bench/transports.json (every run), www/bench/transports-results.json (the medians,
// read by the page) and www/screenshots/transports.png; prints a table.
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS } from "../e2e/helpers.mjs";
import { diff, startProxy } from "./wire-proxy.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const M = Number(process.env.BENCH_T_M || 200);
const RATE = Number(process.env.BENCH_T_RATE || 20);
const N = Number(process.env.BENCH_T_N || 2000);
const INTERVAL = Number(process.env.BENCH_POLL_MS || 100);
const IDLE = Number(process.env.BENCH_T_IDLE_MS ?? 3000);
const ALL = ["websocket", "sse", "long-polling", "polling"];
const ONLY = (process.env.BENCH_T_ONLY || ALL.join(",")).split(",").filter((c) => ALL.includes(c));
const OUTPUTS = process.env.BENCH_T_OUTPUTS !== "0";
const OUT = path.join(root, "target/bench/transports.json");
const PAGE_JSON = path.join(root, "www/bench/transports-results.json");
const SHOT = path.join(root, "www/screenshots/transports.png");
const log = (...a) => console.error("[transports]", ...a);

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);

// ---- the reference server (BENCH_URL, or one started here) -------------------------------------
let serverProc = null, tmp = null;
let BASE = (process.env.BENCH_URL || "").replace(/\/+$/, "");
async function startServer() {
  let targetDir = process.env.CARGO_TARGET_DIR || path.join(root, "target");
  try {
    targetDir = JSON.parse(execFileSync("cargo", ["metadata", "--no-deps", "--format-version", "1", "--offline"], { cwd: root, stdio: ["ignore", "pipe", "ignore"] })).target_directory;
  } catch {}
  const bin = ["release", "debug"].map((p) => path.join(targetDir, p, "steadysocket-server")).find(existsSync);
  if (!bin) throw new Error("no steadysocket-server binary: cargo build --release -p steadysocket-server");
  if (!existsSync(path.join(root, "pkg/steadysocket.js"))) throw new Error("pkg/ is not built: scripts/build-pkg.sh");
  tmp = await mkdtemp(path.join(os.tmpdir(), "steadysocket-transports-"));
  const portFile = path.join(tmp, "port");
  serverProc = spawn(bin, ["--port", "0", "--port-file", portFile, "--root", root], { stdio: ["ignore", "ignore", "inherit"] });
  for (let i = 0; i < 300 && !existsSync(portFile); i++) {
    if (serverProc.exitCode != null) throw new Error(`${bin} exited (${serverProc.exitCode})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const port = (await readFile(portFile, "utf8")).trim();
  log(`started ${path.relative(root, bin)} on port ${port}`);
  return `http://127.0.0.1:${port}`;
}
async function stopServer() {
  if (serverProc && serverProc.exitCode == null) {
    serverProc.kill("SIGTERM");
    await new Promise((r) => { const t = setTimeout(() => { serverProc.kill("SIGKILL"); r(); }, 3000); serverProc.once("exit", () => { clearTimeout(t); r(); }); });
  }
  if (tmp) await rm(tmp, { recursive: true, force: true });
}

let browser = null, proxy = null;
try {
  if (!BASE) BASE = await startServer();
  const target = new URL(BASE);
  proxy = await startProxy({ host: target.hostname, port: Number(target.port) });
  const VIA = `http://127.0.0.1:${proxy.port}`;
  log(`server ${BASE}, measured connections via the proxy ${VIA}`);
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });

  /** One contender run in a fresh context, with the proxy's counters at each phase boundary. */
  async function run(cfg) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    page.on("console", (m) => { if (m.type() === "error" && !/404/.test(m.text())) errors.push(`console.error: ${m.text()}`); });
    const marks = {};
    await page.exposeFunction("__transportsMark", async (label) => {
      await new Promise((r) => setTimeout(r, 5)); // bytes the browser just wrote: read them first
      marks[label] = proxy.snapshot();
    });
    try {
      await page.goto(`${BASE}/transports.html?via=${encodeURIComponent(VIA)}&results=/none.json`, { waitUntil: "load" });
      await page.waitForFunction(() => window.transports?.ready === true, null, { timeout: 20000 });
      const r = await page.evaluate((c) => window.transports.runOne(c), cfg);
      const phase = (a, b) => (marks[a] && marks[b] ? diff(marks[a], marks[b]) : null);
      r.wire = {
        open: phase("open", "opened"), latency: phase("opened", "latency"), idle: cfg.idle > 0 ? phase("latency", "idle") : null,
        throughput: phase(cfg.idle > 0 ? "idle" : "latency", "throughput"), close: phase("throughput", "closed"),
      };
      r.pageErrors = errors;
      if (errors.length) log(`${cfg.contender}: page errors: ${errors.join("; ")}`);
      return r;
    } finally {
      await context.close();
    }
  }

  const results = {
    startedAt: new Date().toISOString(),
    rounds: ROUNDS,
    config: { m: M, rate: RATE, n: N, interval: INTERVAL, idleMs: IDLE, contenders: ONLY },
    machine: {
      cores: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version,
      chromium: browser.version(), os: `${os.type()} ${os.release()}`,
    },
    versions: {},
    runs: Object.fromEntries(ONLY.map((c) => [c, []])),
  };
  try { results.versions.commit = execFileSync("git", ["-C", root, "rev-parse", "--short", "HEAD"]).toString().trim(); } catch {}
  try { results.versions.steadysocket = JSON.parse(await readFile(path.join(process.env.BENCH_PKG_DIR || path.join(root, "pkg"), "package.json"), "utf8")).version; } catch {}
  results.versions["playwright-core"] = JSON.parse(await readFile(path.join(root, "node_modules/playwright-core/package.json"), "utf8")).version;

  const t0 = Date.now();
  // one unrecorded warm-up run each (JIT, the server's first sessions)
  for (const c of ONLY) {
    const w = await run({ contender: c, m: 20, rate: 50, n: 200, interval: INTERVAL });
    if (!w.ok) log(`warm-up ${c} failed: ${w.error}`);
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of rotate(ONLY, r)) results.runs[c].push(await run({ contender: c, m: M, rate: RATE, n: N, interval: INTERVAL, idle: IDLE, seed: r + 1 }));
    log(`round ${r + 1}/${ROUNDS}: ` + ONLY.map((c) => {
      const x = results.runs[c][r];
      return x.ok ? `${c} p50 ${x.p50.toFixed(2)} p99 ${x.p99.toFixed(2)} ms, ${Math.round(x.msgsPerS)} msg/s, ${(x.wire.latency.up.bytes / M).toFixed(0)}+${(x.wire.latency.down.bytes / M).toFixed(0)} B/msg`
        : `${c} FAILED (${x.error})`;
    }).join("; "));
  }
  results.elapsedS = (Date.now() - t0) / 1000;

  // ---- summary -------------------------------------------------------------------------------
  const per = (w, k) => ({
    upPerMsg: w.up.bytes / k, downPerMsg: w.down.bytes / k, totalPerMsg: (w.up.bytes + w.down.bytes) / k,
    reqPerMsg: w.up.heads / k,
    // by what the bytes were for (both directions): sending (POSTs and their answers, WebSocket
    // frames up) and receiving (polls and their answers, the SSE stream, WebSocket frames down)
    sendPerMsg: (w.up.k_up + w.down.k_up) / k, recvPerMsg: (w.up.k_down + w.down.k_down) / k,
    sendReqPerMsg: w.up.r_up / k, recvReqPerMsg: w.up.r_down / k,
    // the average HTTP request head and response head (NaN: none in the phase)
    requestHead: w.up.headBytes / w.up.heads, responseHead: w.down.headBytes / w.down.heads,
    // framing: HTTP heads, chunk-size lines, WebSocket frame headers
    upFramingPerMsg: (w.up.headBytes + w.up.chunkFramingBytes + w.up.wsHeaderBytes) / k,
    downFramingPerMsg: (w.down.headBytes + w.down.chunkFramingBytes + w.down.wsHeaderBytes) / k,
    wsFramesUpPerMsg: w.up.wsFrames / k, wsFramesDownPerMsg: w.down.wsFrames / k,
    connections: w.connections, unparsed: w.up.unparsedBytes + w.down.unparsedBytes,
  });
  const medianOf = (objs) => {
    const keys = Object.keys(objs[0] || {});
    return Object.fromEntries(keys.map((k) => [k, median(objs.map((o) => o[k]))]));
  };
  const S = {};
  for (const c of ONLY) {
    const ok = results.runs[c].filter((x) => x.ok && x.wire.latency && x.wire.throughput);
    const ws = results.runs.websocket;
    const pair = (f) => median(results.runs[c].map((x, i) => (x.ok && ws?.[i]?.ok ? f(x, ws[i]) : NaN)));
    S[c] = {
      label: ok[0]?.label ?? c,
      rounds: results.runs[c].length, completeRounds: ok.length,
      errors: results.runs[c].filter((x) => !x.ok).map((x) => x.error),
      p50: median(ok.map((x) => x.p50)), p90: median(ok.map((x) => x.p90)), p99: median(ok.map((x) => x.p99)), mean: median(ok.map((x) => x.mean)),
      max: median(ok.map((x) => x.max)),
      msgsPerS: median(ok.map((x) => x.msgsPerS)), openMs: median(ok.map((x) => x.openMs)),
      frameBytes: median(ok.map((x) => x.frameBytes)),
      wire: {
        latency: medianOf(ok.map((x) => per(x.wire.latency, M))),
        throughput: medianOf(ok.map((x) => per(x.wire.throughput, N))),
        idle: IDLE > 0 ? medianOf(ok.map((x) => ({
          bytesPerS: ((x.wire.idle.up.bytes + x.wire.idle.down.bytes) / IDLE) * 1000, requestsPerS: (x.wire.idle.up.heads / IDLE) * 1000,
        }))) : null,
        open: medianOf(ok.map((x) => ({ up: x.wire.open.up.bytes, down: x.wire.open.down.bytes, requests: x.wire.open.up.heads, connections: x.wire.open.connections }))),
        close: medianOf(ok.map((x) => ({ up: x.wire.close.up.bytes, down: x.wire.close.down.bytes, requests: x.wire.close.up.heads }))),
      },
      polls: c === "polling" ? medianOf(ok.map((x) => ({ polls: x.polls, emptyPolls: x.emptyPolls, skippedTicks: x.skippedTicks, posts: x.posts }))) : undefined,
      vsWebSocket: ws ? {
        p50: pair((x, w) => x.p50 / w.p50), p99: pair((x, w) => x.p99 / w.p99), msgsPerS: pair((x, w) => x.msgsPerS / w.msgsPerS),
        bytesPerMsg: pair((x, w) => (x.wire.latency.up.bytes + x.wire.latency.down.bytes) / (w.wire.latency.up.bytes + w.wire.latency.down.bytes)),
        upBytesPerMsg: pair((x, w) => x.wire.latency.up.bytes / w.wire.latency.up.bytes),
        downBytesPerMsg: pair((x, w) => x.wire.latency.down.bytes / w.wire.latency.down.bytes),
        p50MinusMs: pair((x, w) => x.p50 - w.p50), p99MinusMs: pair((x, w) => x.p99 - w.p99),
      } : undefined,
    };
  }
  results.summary = S;

  // ---- the seed's claims, checked against this run ---------------------------------------------
  const claims = [];
  const claim = (text, holds, measured) => claims.push({ claim: text, holds, measured });
  const f1 = (x) => (x == null ? "?" : x.toFixed(1)), f2 = (x) => (x == null ? "?" : x.toFixed(2));
  const [W, E, L, P] = ["websocket", "sse", "long-polling", "polling"].map((c) => S[c]);
  const B = (x) => (x == null ? "?" : `${Math.round(x)} B`);
  if (P && W) {
    const lat = P.wire.latency, idle = P.wire.idle;
    const emptyShare = P.polls ? P.polls.emptyPolls / P.polls.polls : null;
    claim("Naive polling wastes requests", idle ? idle.requestsPerS >= (0.8 * 1000) / INTERVAL && (W.wire.idle?.requestsPerS ?? 0) === 0 : null,
      (idle ? `idle: ${f1(idle.requestsPerS)} requests/s and ${B(idle.bytesPerS)}/s for nothing (WebSocket ${f1(W.wire.idle.requestsPerS)}/s, ${B(W.wire.idle.bytesPerS)}/s; long polling ${L ? `${f1(L.wire.idle.requestsPerS)}/s, ${B(L.wire.idle.bytesPerS)}/s` : "?"}); ` : "") +
      `at ${RATE} msg/s: ${emptyShare == null ? "?" : Math.round(100 * emptyShare)} % of polls empty, ${f2(lat.reqPerMsg)} requests/message (long polling ${L ? f2(L.wire.latency.reqPerMsg) : "?"})`);
    claim("Naive polling adds up to one interval of latency", P.vsWebSocket.p99MinusMs <= INTERVAL * 1.1 && P.vsWebSocket.p50MinusMs >= INTERVAL * 0.25,
      `p50 +${f1(P.vsWebSocket.p50MinusMs)} ms, p99 +${f1(P.vsWebSocket.p99MinusMs)} ms over WebSocket (interval ${INTERVAL} ms: about +${INTERVAL / 2} expected, at most +${INTERVAL})`);
  }
  if (L && P) {
    claim("Long polling cuts latency (vs naive polling)", L.p50 < P.p50,
      `p50 ${f2(L.p50)} ms vs ${f2(P.p50)} ms (${f1(P.p50 / L.p50)}× lower); p99 ${f2(L.p99)} vs ${f2(P.p99)} ms`);
  }
  if (L && W) {
    const l = L.wire.latency;
    claim("Long polling pays HTTP headers and a request per message", l.recvReqPerMsg >= 0.9 && l.sendReqPerMsg >= 0.9,
      `${f2(l.sendReqPerMsg)} POST + ${f2(l.recvReqPerMsg)} poll per message; ${B(l.totalPerMsg)}/msg on the wire, ${B(l.upFramingPerMsg + l.downFramingPerMsg)} of it HTTP heads and framing, ${f1(L.vsWebSocket.bytesPerMsg)}× WebSocket's ${B(W.wire.latency.totalPerMsg)}; receiving alone ${B(l.recvPerMsg)}/msg (WebSocket ${B(W.wire.latency.recvPerMsg)})`);
  }
  if (E && L && W) {
    const e = E.wire.latency;
    claim("SSE: the downstream is cheap (one response kept open)", e.recvPerMsg < L.wire.latency.recvPerMsg / 4 && e.recvReqPerMsg < 0.05,
      `receiving ${B(e.recvPerMsg)}/msg and ${f2(e.recvReqPerMsg)} requests/msg, vs long polling ${B(L.wire.latency.recvPerMsg)} and WebSocket ${B(W.wire.latency.recvPerMsg)}`);
    claim("SSE: the upstream still needs a request per message", e.sendReqPerMsg >= 0.9,
      `${f2(e.sendReqPerMsg)} POSTs per message; sending ${B(e.sendPerMsg)}/msg (request and answer) vs WebSocket ${B(W.wire.latency.sendPerMsg)}: ${f1(e.sendPerMsg / W.wire.latency.sendPerMsg)}×`);
  }
  if (W) {
    const w = W.wire.latency;
    const others = ONLY.filter((c) => c !== "websocket");
    claim("WebSocket has the least overhead per message (2-14 B framing)", others.every((c) => S[c].wire.latency.totalPerMsg > w.totalPerMsg),
      `framing ${f1(w.upFramingPerMsg)} B up (masked) + ${f1(w.downFramingPerMsg)} B down per message; ${B(w.totalPerMsg)}/msg in all for a ${f1(W.frameBytes)} B frame each way; the others: ${others.map((c) => `${S[c].label} ${f1(S[c].vsWebSocket.bytesPerMsg)}×`).join(", ")}`);
    claim("WebSocket has the lowest latency", others.every((c) => S[c].p50 >= W.p50),
      `p50 ${f2(W.p50)} ms, p99 ${f2(W.p99)} ms; p50 ${others.map((c) => `${S[c].label} ${f1(S[c].vsWebSocket.p50)}×`).join(", ")}`);
    claim("WebSocket (full duplex) has the highest throughput", others.every((c) => S[c].msgsPerS <= W.msgsPerS),
      `${Math.round(W.msgsPerS)} msg/s; ${others.map((c) => `${S[c].label} ${f2(S[c].vsWebSocket.msgsPerS)}×`).join(", ")} (${N} sends in one task: the HTTP transports put them in one POST)`);
  }
  results.claims = claims;

  await mkdir(path.dirname(OUT), { recursive: true });
  await writeFile(OUT, JSON.stringify(results, null, 2) + "\n");

  // ---- the page's JSON and the screenshot ------------------------------------------------------
  const pageJson = {
    generatedBy: "tests/bench/transports.mjs", date: results.startedAt, rounds: ROUNDS,
    config: { m: M, rate: RATE, n: N, interval: INTERVAL, idleMs: IDLE }, machine: results.machine, versions: results.versions,
    contenders: Object.fromEntries(ONLY.map((c) => [c, {
      label: S[c].label, completeRounds: S[c].completeRounds, p50: S[c].p50, p99: S[c].p99, msgsPerS: S[c].msgsPerS,
      wire: { latency: S[c].wire.latency, throughput: S[c].wire.throughput, idle: S[c].wire.idle, open: S[c].wire.open }, vsWebSocket: S[c].vsWebSocket,
    }])),
    claims,
  };
  if (OUTPUTS) {
    await writeFile(PAGE_JSON, JSON.stringify(pageJson, null, 2) + "\n");
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${BASE}/transports.html`, { waitUntil: "load" });
    await page.waitForFunction(() => window.transports?.ready === true, null, { timeout: 20000 });
    await mkdir(path.dirname(SHOT), { recursive: true });
    await page.locator("section:has(#chart-h)").screenshot({ path: SHOT }); // the results panel: chart and note
    await context.close();
  }

  // ---- the table ------------------------------------------------------------------------------
  const rows = [["contender", "p50 ms", "p99 ms", "msg/s", "B/msg up", "down", "total", "send", "recv", "req/msg", "idle B/s", "idle req/s", "vs WS: p50", "msg/s", "bytes", "rounds"]];
  for (const c of ONLY) {
    const s = S[c], w = s.wire.latency, v = s.vsWebSocket || {}, i = s.wire.idle || {};
    rows.push([s.label, f2(s.p50), f2(s.p99), String(Math.round(s.msgsPerS ?? NaN)), f1(w.upPerMsg), f1(w.downPerMsg), f1(w.totalPerMsg),
      f1(w.sendPerMsg), f1(w.recvPerMsg), f2(w.reqPerMsg), f1(i.bytesPerS), f2(i.requestsPerS),
      `${f2(v.p50)}×`, `${f2(v.msgsPerS)}×`, `${f2(v.bytesPerMsg)}×`, `${s.completeRounds}/${s.rounds}`]);
  }
  const wd = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) => "| " + r.map((v, i) => v.padEnd(wd[i])).join(" | ") + " |";
  console.log(`\ntransports: ${ROUNDS} rounds (medians), latency ${M} msgs at ${RATE}/s, throughput ${N} msgs, naive poll every ${INTERVAL} ms, idle ${IDLE} ms; bytes per message in the steady-rate phase (send: POSTs + answers / frames up; recv: polls + answers, the stream / frames down); ${results.elapsedS.toFixed(0)} s`);
  console.log(line(rows[0]));
  console.log("|" + wd.map((n) => "-".repeat(n + 2)).join("|") + "|");
  for (const r of rows.slice(1)) console.log(line(r));
  console.log("\nthroughput phase, bytes per message (up + down): " + ONLY.map((c) => `${S[c].label} ${f1(S[c].wire.throughput.upPerMsg)} + ${f1(S[c].wire.throughput.downPerMsg)}, ${f2(S[c].wire.throughput.reqPerMsg)} req/msg`).join("; "));
  console.log("open (bytes up + down, requests, connections): " + ONLY.map((c) => `${S[c].label} ${S[c].wire.open.up} + ${S[c].wire.open.down}, ${S[c].wire.open.requests}, ${S[c].wire.open.connections}`).join("; "));
  console.log("\nclaims:");
  for (const c of claims) console.log(`- ${c.holds == null ? "?" : c.holds ? "holds" : "DOES NOT HOLD"}: ${c.claim}: ${c.measured}`);
  const failed = ONLY.flatMap((c) => S[c].errors.map((e) => `${c}: ${e}`));
  if (failed.length) console.log(`\nfailed runs: ${failed.join("; ")}`);
  console.log(`\nwrote ${path.relative(root, OUT)}${OUTPUTS ? `, ${path.relative(root, PAGE_JSON)}, ${path.relative(root, SHOT)}` : ""}`);
} finally {
  await browser?.close();
  await proxy?.close();
  await stopServer();
}
