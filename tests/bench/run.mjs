// The benchmark driver (make bench -> scripts/bench.sh -> here). Drives www/bench.html in
// headless Chromium (playwright-core) against the reference server (BENCH_URL) and the
// socket.io server (SIO_URL), repeats every measurement BENCH_ROUNDS times (default 5, at
// least 5 for the report), rotating the contender order each round, and reports medians of
// per-round RATIOS (each ratio taken between two runs of the same round, seconds apart).
// Writes target/bench/results.json and prints a table. Method: BENCHMARKS.md.
// S1-S3 (the STOMP comparison: steadysocket/stomp vs @stomp/stompjs) drive www/bench-stomp.html
// against the RabbitMQ Web-STOMP broker at BENCH_STOMP_URL (scripts/bench.sh starts one).
import { readFile, writeFile, mkdir, readdir } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS } from "../e2e/helpers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BASE = (process.env.BENCH_URL || "").replace(/\/+$/, "");
const SIO = (process.env.SIO_URL || "").replace(/\/+$/, "");
if (!BASE || !SIO) throw new Error("set BENCH_URL and SIO_URL (scripts/bench.sh does)");
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const PKG = process.env.BENCH_PKG_DIR || path.join(root, "pkg"); // bench.sh serves a snapshot
const OUT = path.join(root, "target/bench/results.json");
const ONLY = (process.env.BENCH_ONLY || "P1,P2,P3,P4,P5,P6,S1,S2,S3").split(",");
const STOMP_URL = process.env.BENCH_STOMP_URL || "";
if ((ONLY.includes("S1") || ONLY.includes("S2")) && !STOMP_URL) throw new Error("S1/S2 need BENCH_STOMP_URL (a RabbitMQ Web-STOMP ws:// URL; scripts/bench.sh starts one)");
const STOMP_N = Number(process.env.BENCH_STOMP_N || 5000); // S1 messages
const STOMP_K = Number(process.env.BENCH_STOMP_K || 500); // S2 sequential round trips
const STOMP_BYTES = Number(process.env.BENCH_STOMP_BYTES || 100); // body size, both
// Heart-beat settings (out,in ms), the same for both clients. S1 runs once per setting: the first
// (10000,10000) is the realistic one and meets RabbitMQ's heart-beat crash under bursts (PEERS.md),
// which is recorded, not retried; 0,0 gives throughput without that broker bug. S2 uses the first.
const STOMP_HBS = (process.env.BENCH_STOMP_HB || "10000,10000;0,0").split(";").map((h) => h.split(",").map(Number));
const STOMP_HB = STOMP_HBS[0];

const RAW = "raw";
const SS = "steadysocket";
const SIOC = "socket.io-client";
// BENCH_BASELINE_PKG (bench.sh serves it at /pkg/baseline/): an earlier steadysocket build run
// side by side as one more contender, so a change is judged by ratios within one run.
const BASELINE = process.env.BENCH_BASELINE ? ["steadysocket@baseline"] : [];
const ALL = [RAW, SS, ...BASELINE, "reconnecting-websocket", "partysocket", SIOC];
const LIBS = ALL.filter((c) => c !== RAW);

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** Nearest-rank quantile of an ascending array. */
const quantile = (s, q) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : null);
const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);
const log = (...a) => console.error("[bench]", ...a);
let tagSeq = 0;
const tag = (what) => `bench-${process.pid}-${what}-${++tagSeq}`;

// ---- P1: sizes (node zlib) ----------------------------------------------------------------
function sizes(buf) {
  return {
    raw: buf.length,
    gzip: zlib.gzipSync(buf, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(buf, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }).length,
  };
}
async function measureSizes() {
  const wasm = await readFile(path.join(PKG, "steadysocket_bg.wasm"));
  const glue = await readFile(path.join(PKG, "steadysocket.js"));
  const w = sizes(wasm), j = sizes(glue);
  const out = {
    [SS]: {
      files: "pkg/steadysocket_bg.wasm + pkg/steadysocket.js (as built, glue not minified)",
      wasm: w, js: j,
      raw: w.raw + j.raw, gzip: w.gzip + j.gzip, brotli: w.brotli + j.brotli,
    },
  };
  // the glue minified too, for a like-for-like view (a bundler would minify it)
  const { transform } = await import("esbuild");
  const min = Buffer.from((await transform(glue.toString(), { minify: true, format: "esm", loader: "js" })).code);
  const jm = sizes(min);
  out[`${SS} (glue minified)`] = { raw: w.raw + jm.raw, gzip: w.gzip + jm.gzip, brotli: w.brotli + jm.brotli };
  // Every other npm entry point (pay per protocol: size-budget.txt lists one per line; entry E
  // lives in pkg/E/), and the baseline build when one is measured.
  const budget = await readFile(path.join(root, "size-budget.txt"), "utf8");
  for (const e of budget.split("\n").map((l) => l.trim().split(/\s+/)[0]).filter((e) => e && !e.startsWith("#") && e !== SS)) {
    const [w2, j2] = [await readFile(path.join(PKG, e, `${e}_bg.wasm`)), await readFile(path.join(PKG, e, `${e}.js`))].map(sizes);
    out[`${SS}/${e}`] = { files: `pkg/${e}/`, raw: w2.raw + j2.raw, gzip: w2.gzip + j2.gzip, brotli: w2.brotli + j2.brotli };
  }
  if (BASELINE.length) {
    const [w2, j2] = [await readFile(path.join(PKG, "baseline", "steadysocket_bg.wasm")), await readFile(path.join(PKG, "baseline", "steadysocket.js"))].map(sizes);
    out[BASELINE[0]] = { files: "the baseline build", raw: w2.raw + j2.raw, gzip: w2.gzip + j2.gzip, brotli: w2.brotli + j2.brotli };
  }
  const bundles = JSON.parse(await readFile(path.join(root, "www/bench/vendor/bundles.json"), "utf8"));
  for (const [name, b] of Object.entries(bundles)) {
    out[name] = { files: `${b.file} (esbuild --bundle --minify)`, ...sizes(await readFile(path.join(root, b.file))) };
  }
  return out;
}

// ---- S3: what a STOMP user ships ----------------------------------------------------------
// steadysocket/stomp: pkg/stomp/stomp_bg.wasm + pkg/stomp/stomp.js (the build's glue and facade,
// already bundled and minified by scripts/build-pkg.sh); stompjs: `export { Client }` bundled and
// minified by esbuild (tests/bench/bundle.mjs). gzip -9 and brotli 11 of each file, summed.
async function stompSizes() {
  const out = {};
  const dir = path.join(PKG, "stomp");
  try {
    const [w, j] = [await readFile(path.join(dir, "stomp_bg.wasm")), await readFile(path.join(dir, "stomp.js"))].map(sizes);
    out[SS_STOMP] = { files: "pkg/stomp/stomp_bg.wasm + pkg/stomp/stomp.js", wasm: w, js: j, raw: w.raw + j.raw, gzip: w.gzip + j.gzip, brotli: w.brotli + j.brotli };
  } catch (e) {
    out[SS_STOMP] = { missing: `pkg/stomp/ not built (${e.code || e.message})` };
  }
  const bundles = JSON.parse(await readFile(path.join(root, "www/bench/vendor/bundles.json"), "utf8"));
  out["@stomp/stompjs"] = { files: `${bundles.stompjs.file} (esbuild --bundle --minify of \`export { Client }\`)`, ...sizes(await readFile(path.join(root, bundles.stompjs.file))) };
  return out;
}

// ---- browser ------------------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [...CHROMIUM_ARGS, "--js-flags=--expose-gc", "--enable-precise-memory-info"],
});
async function newPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (e) => log("pageerror:", e.message));
  // 503s (refused upgrades during P4/P5) and the favicon 404 are expected
  page.on("console", (m) => {
    if (m.type() === "error" && !/\b(503|404)\b/.test(m.text())) log("console.error:", m.text());
  });
  await page.goto(`${BASE}/bench.html`, { waitUntil: "load" });
  await page.waitForFunction(() => !!window.bench);
  const info = await page.evaluate((cfg) => window.bench.load(cfg), { sio: SIO, baseline: BASELINE.length > 0 });
  const cdp = await context.newCDPSession(page);
  // threadTicks: the durations below are main-thread CPU time, not wall time
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  const cpu = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    return { task: m.TaskDuration * 1000, script: m.ScriptDuration * 1000 };
  };
  return { context, page, info, cpu };
}

// ---- P2/P3/P6 -----------------------------------------------------------------------------
async function echoRun(p, cfg) {
  const setup = await p.page.evaluate((c) => window.bench.setupEcho(c), cfg);
  const c0 = await p.cpu();
  const r = await p.page.evaluate(() => window.bench.runEcho());
  const c1 = await p.cpu();
  await p.page.evaluate(() => window.bench.teardown());
  return { ...r, frameBytes: setup.frameBytes, cpuTaskMs: c1.task - c0.task, cpuScriptMs: c1.script - c0.script };
}

const results = {
  startedAt: new Date().toISOString(),
  rounds: ROUNDS,
  machine: {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    node: process.version,
    chromium: browser.version(),
    os: `${os.type()} ${os.release()}`,
  },
  versions: {},
  raw: {},
  summary: {},
};
for (const name of ["reconnecting-websocket", "partysocket", "socket.io-client", "socket.io", "@stomp/stompjs", "esbuild", "playwright-core"]) {
  results.versions[name] = JSON.parse(await readFile(path.join(root, "node_modules", name, "package.json"), "utf8")).version;
}
if (process.env.BENCH_RABBITMQ_VERSION) results.versions.rabbitmq = process.env.BENCH_RABBITMQ_VERSION;
results.versions.steadysocket = JSON.parse(await readFile(path.join(PKG, "package.json"), "utf8")).version;
try { results.versions.steadysocketCommit = execFileSync("git", ["-C", root, "rev-parse", "--short", "HEAD"]).toString().trim(); } catch {}

const t0 = Date.now();
if (ONLY.includes("P1")) {
  results.raw.P1 = await measureSizes();
}

const main = await newPage();
results.page = main.info;
log("page:", JSON.stringify(main.info));
if (!main.info.crossOriginIsolated) log("WARNING: the bench page is NOT cross-origin isolated: timer resolution is coarse");

const N = Number(process.env.BENCH_N || 10000);
if (ONLY.includes("P2") || ONLY.includes("P3")) {
  results.raw.echo = {};
  for (const bytes of [100, 1000]) {
    const per = (results.raw.echo[bytes] = Object.fromEntries(ALL.map((c) => [c, []])));
    // one unrecorded warm-up pass (JIT, connection setup paths)
    for (const c of ALL) await echoRun(main, { contender: c, n: 1000, bytes, tag: tag("warm") });
    for (let r = 0; r < ROUNDS; r++) {
      for (const c of rotate(ALL, r)) per[c].push(await echoRun(main, { contender: c, n: N, bytes, tag: tag("echo") }));
      log(`echo ${bytes} B round ${r + 1}/${ROUNDS}:`, ALL.map((c) => `${c} ${per[c][r].ms.toFixed(0)} ms`).join(", "));
    }
  }
}
if (ONLY.includes("P6")) {
  const per = (results.raw.P6 = Object.fromEntries(ALL.map((c) => [c, []])));
  for (const c of ALL) await echoRun(main, { contender: c, n: 5, bytes: 100000, big: true, probed: true, tag: tag("warm6") });
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of rotate(ALL, r)) per[c].push(await echoRun(main, { contender: c, n: 20, bytes: 100000, big: true, probed: true, tag: tag("big") }));
    log(`P6 round ${r + 1}/${ROUNDS}:`, ALL.map((c) => `${c} ${(per[c][r].recvHandlerMs / per[c][r].n * 1000).toFixed(0)} µs/msg`).join(", "));
  }
}
if (ONLY.includes("P4")) {
  const DOWN = Number(process.env.BENCH_DOWN_MS || 1000);
  const per = (results.raw.P4 = Object.fromEntries(ALL.map((c) => [c, []])));
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of rotate(ALL, r)) {
      per[c].push(await main.page.evaluate((cfg) => window.bench.restart(cfg), { contender: c, backlog: 1000, downMs: DOWN, bytes: 100, tag: tag("restart") }));
    }
    log(`P4 round ${r + 1}/${ROUNDS}:`, ALL.map((c) => `${c} open ${per[c][r].openMs.toFixed(0)} / flushed ${per[c][r].flushMs.toFixed(0)} ms`).join(", "));
  }
}
await main.context.close();
if (ONLY.includes("P5")) {
  const per = (results.raw.P5 = Object.fromEntries(ALL.map((c) => [c, []])));
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of rotate(ALL, r)) {
      const p = await newPage(); // a fresh page (and wasm instance) per measurement
      const first = await p.page.evaluate((cfg) => window.bench.memory(cfg), { contender: c, n: 10000, bytes: 100, tag: tag("mem") });
      // the same again in the same page: does the freed (wasm) memory get reused?
      const again = await p.page.evaluate((cfg) => window.bench.memory(cfg), { contender: c, n: 10000, bytes: 100, tag: tag("mem") });
      per[c].push({ ...first, secondFillWasmGrowth: again.wasmQueued - again.wasmBefore, secondPerMsg: again.perMsg });
      await p.context.close();
    }
    log(`P5 round ${r + 1}/${ROUNDS}:`, ALL.map((c) => `${c} ${per[c][r].perMsg.toFixed(0)} B/msg (payload ${per[c][r].payloadBytes.toFixed(0)})`).join(", "));
  }
}

// ---- S1/S2: STOMP through RabbitMQ (www/bench-stomp.html) ------------------------------------
async function newStompPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (e) => log("stomp pageerror:", e.message));
  // a 404 is pkg/stomp/ not built yet: reported once, below
  page.on("console", (m) => { if (m.type() === "error" && !/\b404\b/.test(m.text())) log("stomp console.error:", m.text()); });
  await page.goto(`${BASE}/bench-stomp.html`, { waitUntil: "load" });
  await page.waitForFunction(() => !!window.stompBench);
  const info = await page.evaluate((cfg) => window.stompBench.load(cfg), { broker: STOMP_URL });
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  const cpu = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    return { task: m.TaskDuration * 1000, script: m.ScriptDuration * 1000 };
  };
  return { context, page, info, cpu };
}
async function stompThroughput(p, cfg) {
  await p.page.evaluate((c) => window.stompBench.setupThroughput(c), cfg);
  const c0 = await p.cpu();
  const r = await p.page.evaluate(() => window.stompBench.runThroughput());
  const c1 = await p.cpu();
  await p.page.evaluate(() => window.stompBench.teardown());
  return { ...r, cpuTaskMs: c1.task - c0.task, cpuScriptMs: c1.script - c0.script };
}
async function stompLatency(p, cfg) {
  await p.page.evaluate((c) => window.stompBench.connect(c), cfg);
  const r = await p.page.evaluate((c) => window.stompBench.runLatency(c), cfg);
  await p.page.evaluate(() => window.stompBench.teardown());
  return r;
}
const dropNote = (x) => (x.drops.length ? ` [broker dropped: ${x.drops.map((d) => `${d.code}${d.reason ? ` ${d.reason}` : ""}`).join(", ")}; reopened ${x.reopened}]` : "");
const SS_STOMP = "steadysocket/stomp";
const STOMP_ALL = ["steadysocket", "stompjs"]; // page names
const stompName = (c) => (c === "steadysocket" ? SS_STOMP : "@stomp/stompjs");
if (ONLY.includes("S1") || ONLY.includes("S2")) {
  const sp = await newStompPage();
  results.stompPage = sp.info;
  const SC = sp.info.contenders;
  if (sp.info.steadysocketMissing) log(`WARNING: steadysocket/stomp not measured (${sp.info.steadysocketMissing}); stompjs only`);
  const hb = STOMP_HB;
  if (ONLY.includes("S1")) results.raw.S1 = {};
  for (const hb of ONLY.includes("S1") ? STOMP_HBS : []) {
    const per = (results.raw.S1[hb] = Object.fromEntries(SC.map((c) => [c, []])));
    for (const c of SC) await stompThroughput(sp, { contender: c, n: 500, bytes: STOMP_BYTES, hb, tag: tag("swarm") });
    for (let r = 0; r < ROUNDS; r++) {
      for (const c of rotate(SC, r)) per[c].push(await stompThroughput(sp, { contender: c, n: STOMP_N, bytes: STOMP_BYTES, hb, tag: tag("s1") }));
      log(`S1 hb ${hb} round ${r + 1}/${ROUNDS}:`, SC.map((c) => {
        const x = per[c][r];
        return `${c} ${x.complete ? `${x.ms.toFixed(0)} ms` : `INCOMPLETE ${x.received}/${x.n}`}${x.notSent ? ` (${x.notSent} not sent)` : ""}${dropNote(x)}`;
      }).join(", "));
    }
  }
  if (ONLY.includes("S2")) {
    const per = (results.raw.S2 = Object.fromEntries(SC.map((c) => [c, []])));
    for (const c of SC) await stompLatency(sp, { contender: c, k: 50, bytes: STOMP_BYTES, hb, tag: tag("s2warm") });
    for (let r = 0; r < ROUNDS; r++) {
      for (const c of rotate(SC, r)) {
        const x = await stompLatency(sp, { contender: c, k: STOMP_K, bytes: STOMP_BYTES, hb, tag: tag("s2") });
        const s = [...x.lat].sort((a, b) => a - b);
        per[c].push({ ...x, lat: undefined, latencies: x.lat, p50: quantile(s, 0.5), p99: quantile(s, 0.99), mean: s.reduce((a, b) => a + b, 0) / (s.length || 1) });
      }
      log(`S2 round ${r + 1}/${ROUNDS}:`, SC.map((c) => {
        const x = per[c][r];
        return `${c} p50 ${x.p50?.toFixed(2)} ms p99 ${x.p99?.toFixed(2)} ms${x.timeouts ? ` (${x.timeouts} lost)` : ""}${dropNote(x)}`;
      }).join(", "));
    }
  }
  await sp.context.close();
}
if (ONLY.includes("S3")) results.raw.S3 = await stompSizes();

await browser.close();
results.elapsedS = (Date.now() - t0) / 1000;

// ---- summary ------------------------------------------------------------------------------
const S = results.summary;
const rows = [];
const row = (id, metric, contender, value, ratio, goal, pass) => rows.push({ id, metric, contender, value, ratio, goal, pass });
const fmtB = (b) => `${(b / 1024).toFixed(1)} KiB`;
if (results.raw.P1) {
  S.P1 = results.raw.P1;
  const ss = S.P1[SS];
  row("P1", "gzip -9 (brotli)", SS, `${fmtB(ss.gzip)} (${fmtB(ss.brotli)})`, "", "≤ 35 000 B gzip now (25 KiB later)", ss.gzip <= 35000);
  for (const [k, v] of Object.entries(S.P1).filter(([k]) => k.startsWith(`${SS}/`))) {
    row("P1", "gzip -9 (brotli), entry point", k, `${fmtB(v.gzip)} (${fmtB(v.brotli)})`, "", "its line in size-budget.txt", null);
  }
  for (const c of LIBS.filter((c) => c !== SS)) {
    const b = S.P1[c];
    row("P1", "gzip -9 (brotli)", c, `${fmtB(b.gzip)} (${fmtB(b.brotli)})`, `steadysocket is ${(ss.gzip / b.gzip).toFixed(2)}× gzip`, "", null);
  }
}
if (results.raw.echo) {
  S.P2 = {}; S.P3 = {};
  for (const [bytes, per] of Object.entries(results.raw.echo)) {
    S.P2[bytes] = {}; S.P3[bytes] = {};
    for (const c of ALL) {
      const rs = per[c];
      const vsRaw = rs.map((x, i) => per[RAW][i].ms / x.ms); // throughput ratio
      const vsSio = rs.map((x, i) => per[SIOC][i].ms / x.ms);
      S.P2[bytes][c] = {
        msgPerS: median(rs.map((x) => x.n / x.ms * 1000)),
        ms: median(rs.map((x) => x.ms)),
        throughputVsRaw: median(vsRaw),
        throughputVsSocketIo: median(vsSio),
        notSent: rs.reduce((a, x) => a + x.notSent, 0),
      };
      S.P3[bytes][c] = {
        cpuUsPerMsgAboveRaw: median(rs.map((x, i) => (x.cpuTaskMs - per[RAW][i].cpuTaskMs) / x.n * 1000)),
        scriptUsPerMsgAboveRaw: median(rs.map((x, i) => (x.cpuScriptMs - per[RAW][i].cpuScriptMs) / x.n * 1000)),
        wallUsPerMsgAboveRaw: median(rs.map((x, i) => (x.ms - per[RAW][i].ms) / x.n * 1000)),
        cpuUsPerMsg: median(rs.map((x) => x.cpuTaskMs / x.n * 1000)),
        cpuVsRaw: median(rs.map((x, i) => x.cpuTaskMs / per[RAW][i].cpuTaskMs)),
      };
    }
    for (const c of LIBS) {
      const p2 = S.P2[bytes][c];
      const isSS = c === SS;
      row("P2", `echo ${bytes} B ×${N}`, c, `${Math.round(p2.msgPerS)} msg/s`,
        `${p2.throughputVsRaw.toFixed(2)}× raw, ${p2.throughputVsSocketIo.toFixed(2)}× socket.io`,
        isSS ? "≥ 0.9× raw; ≥ 1.2× socket.io" : "", isSS ? p2.throughputVsRaw >= 0.9 && p2.throughputVsSocketIo >= 1.2 : null);
    }
    row("P2", `echo ${bytes} B ×${N}`, RAW, `${Math.round(S.P2[bytes][RAW].msgPerS)} msg/s`, "1.00×", "", null);
    for (const c of LIBS) {
      const p3 = S.P3[bytes][c];
      const isSS = c === SS;
      row("P3", `CPU above raw, ${bytes} B`, c, `${p3.cpuUsPerMsgAboveRaw.toFixed(2)} µs/msg`,
        `${p3.cpuVsRaw.toFixed(2)}× raw CPU; wall ${p3.wallUsPerMsgAboveRaw.toFixed(2)} µs/msg`,
        isSS ? "≤ 5 µs/msg" : "", isSS ? p3.cpuUsPerMsgAboveRaw <= 5 : null);
    }
  }
}
if (results.raw.P6) {
  S.P6 = {};
  const per = results.raw.P6;
  for (const c of ALL) {
    S.P6[c] = {
      frameBytes: per[c][0].frameBytes,
      recvUsPerMsg: median(per[c].map((x) => x.recvHandlerMs / x.n * 1000)),
      vsRaw: median(per[c].map((x, i) => (x.recvHandlerMs / x.n) / (per[RAW][i].recvHandlerMs / per[RAW][i].n))),
      handlerCalls: per[c].map((x) => x.handlerCalls),
    };
  }
  row("P6", `decode ${(S.P6[RAW].frameBytes / 1024).toFixed(0)} KiB event`, RAW, `${S.P6[RAW].recvUsPerMsg.toFixed(0)} µs/msg`, "1.00×", "", null);
  for (const c of LIBS) {
    const isSS = c === SS;
    row("P6", `decode ${(S.P6[RAW].frameBytes / 1024).toFixed(0)} KiB event`, c, `${S.P6[c].recvUsPerMsg.toFixed(0)} µs/msg`, `${S.P6[c].vsRaw.toFixed(2)}× raw`, isSS ? "≤ 1.2× JSON.parse" : "", isSS ? S.P6[c].vsRaw <= 1.2 : null);
  }
}
if (results.raw.P4) {
  S.P4 = {};
  const per = results.raw.P4;
  for (const c of ALL) {
    S.P4[c] = {
      openP50: median(per[c].map((x) => x.openMs)),
      flushP50: median(per[c].map((x) => x.flushMs)),
      flushMin: Math.min(...per[c].map((x) => x.flushMs)),
      flushMax: Math.max(...per[c].map((x) => x.flushMs)),
      flushVsRawIdeal: median(per[c].map((x, i) => x.flushMs / per[RAW][i].flushMs)),
      downMs: per[c][0].downMs,
    };
  }
  for (const c of ALL) {
    const isSS = c === SS;
    const s = S.P4[c];
    row("P4", `restart (down ${s.downMs} ms), 1k backlog`, c === RAW ? "raw (ideal: reconnect at once)" : c,
      `open ${s.openP50.toFixed(0)} ms, flushed ${s.flushP50.toFixed(0)} ms (${s.flushMin.toFixed(0)}–${s.flushMax.toFixed(0)})`,
      c === RAW ? "1.00×" : `${s.flushVsRawIdeal.toFixed(1)}× ideal`, isSS ? "p50 ≤ 500 ms" : "", isSS ? s.flushP50 <= 500 : null);
  }
}
if (results.raw.P5) {
  S.P5 = {};
  const per = results.raw.P5;
  for (const c of ALL) {
    const xs = per[c];
    const grown = median(xs.map((x) => x.perMsg * x.n));
    S.P5[c] = {
      payloadBytes: median(xs.map((x) => x.payloadBytes)),
      perMsg: median(xs.map((x) => x.perMsg)),
      heapPerMsg: median(xs.map((x) => x.heapPerMsg)),
      wasmPerMsg: median(xs.map((x) => x.wasmPerMsg)),
      overheadPerMsg: median(xs.map((x) => x.overheadPerMsg)),
      afterFlushHeapDelta: median(xs.map((x) => x.afterFlushHeapDelta)),
      afterFlushWasmDelta: median(xs.map((x) => x.afterFlushWasmDelta)),
      secondFillWasmGrowth: median(xs.map((x) => x.secondFillWasmGrowth)),
      secondPerMsg: median(xs.map((x) => x.secondPerMsg)),
      vsRaw: median(xs.map((x, i) => x.perMsg / per[RAW][i].perMsg)),
      queuedGrowth: grown,
    };
  }
  for (const c of ALL) {
    const s = S.P5[c];
    const isSS = c === SS;
    const back = s.afterFlushHeapDelta <= 0.1 * s.queuedGrowth;
    row("P5", "memory / queued msg (10k × ~100 B)", c === RAW ? "raw (app array of strings)" : c,
      `${s.perMsg.toFixed(0)} B (payload ${s.payloadBytes.toFixed(0)} B: +${s.overheadPerMsg.toFixed(0)}; heap ${s.heapPerMsg.toFixed(0)} + wasm ${s.wasmPerMsg.toFixed(0)})`,
      `${s.vsRaw.toFixed(2)}× raw`, isSS ? "payload + ≤ 64 B" : "", isSS ? s.overheadPerMsg <= 64 : null);
    row("P5", "after flush vs before", c === RAW ? "raw (app array of strings)" : c,
      `heap ${(s.afterFlushHeapDelta / 1024).toFixed(0)} KiB, wasm ${(s.afterFlushWasmDelta / 1024).toFixed(0)} KiB (refill grows wasm ${(s.secondFillWasmGrowth / 1024).toFixed(0)} KiB)`,
      "", isSS ? "returns to baseline (JS heap ≤ 10% of growth)" : "", isSS ? back : null);
  }
}
if (results.raw.S1) {
  S.S1 = {};
  for (const [hb, per] of Object.entries(results.raw.S1)) {
    const out = (S.S1[hb] = {});
    for (const c of Object.keys(per)) {
      const xs = per[c];
      const ok = xs.filter((x) => x.complete);
      out[stompName(c)] = {
        msgPerS: median(ok.map((x) => x.n / x.ms * 1000)),
        ms: median(ok.map((x) => x.ms)),
        cpuUsPerMsg: median(ok.map((x) => x.cpuTaskMs / x.n * 1000)),
        completeRounds: ok.length, rounds: xs.length,
        roundsWithBrokerDrop: xs.filter((x) => x.drops.length).length,
        lost: xs.reduce((a, x) => a + x.lost, 0), notSent: xs.reduce((a, x) => a + x.notSent, 0),
        dupes: xs.reduce((a, x) => a + x.dupes, 0),
        dropCodes: xs.flatMap((x) => x.drops.map((d) => d.code)),
      };
    }
    const both = per.steadysocket ? per.stompjs.map((x, i) => [per.steadysocket[i], x]).filter(([a, b]) => a.complete && b.complete) : [];
    const ratio = median(both.map(([a, b]) => b.ms / a.ms));
    const cpuRatio = median(both.map(([a, b]) => a.cpuTaskMs / b.cpuTaskMs));
    if (per.steadysocket) Object.assign(out, { throughputVsStompjs: ratio, cpuVsStompjs: cpuRatio, roundsBothComplete: both.length });
    for (const c of STOMP_ALL) {
      const s = out[stompName(c)];
      const metric = `STOMP publish→receive ${STOMP_N} × ${STOMP_BYTES} B, hb ${hb}`;
      if (!s) { row("S1", metric, stompName(c), `not measured: ${results.stompPage?.steadysocketMissing ?? "?"}`, "", "", null); continue; }
      const notSent = s.notSent ? `; ${s.notSent} publishes refused while disconnected` : "";
      const drops = s.roundsWithBrokerDrop ? `; broker dropped the connection in ${s.roundsWithBrokerDrop}/${s.rounds} rounds (codes ${s.dropCodes.join(",")}), ${s.lost} msgs lost${notSent}` : "";
      const dupes = s.dupes ? `; ${s.dupes} duplicates` : "";
      const value = s.completeRounds
        ? `${Math.round(s.msgPerS)} msg/s, ${s.cpuUsPerMsg.toFixed(1)} µs CPU/msg (${s.completeRounds}/${s.rounds} rounds complete${drops}${dupes})`
        : `no complete round${drops}${dupes}`;
      const r = c !== "steadysocket" ? "1.00×"
        : ratio == null ? "n/a (no round where both completed)"
        : `${ratio.toFixed(2)}× stompjs throughput, ${cpuRatio.toFixed(2)}× its CPU (${both.length} rounds)`;
      row("S1", metric, stompName(c), value, r, "", null);
    }
  }
}
if (results.raw.S2) {
  S.S2 = {};
  const per = results.raw.S2;
  for (const c of Object.keys(per)) {
    const xs = per[c];
    S.S2[stompName(c)] = {
      p50: median(xs.map((x) => x.p50)), p99: median(xs.map((x) => x.p99)), mean: median(xs.map((x) => x.mean)),
      timeouts: xs.reduce((a, x) => a + x.timeouts, 0),
      roundsWithBrokerDrop: xs.filter((x) => x.drops.length).length, rounds: xs.length,
    };
  }
  const r50 = per.steadysocket ? median(per.stompjs.map((x, i) => per.steadysocket[i].p50 / x.p50)) : null;
  const r99 = per.steadysocket ? median(per.stompjs.map((x, i) => per.steadysocket[i].p99 / x.p99)) : null;
  if (per.steadysocket) Object.assign(S.S2, { p50VsStompjs: r50, p99VsStompjs: r99 });
  for (const c of STOMP_ALL) {
    const s = S.S2[stompName(c)];
    const metric = `STOMP round trip (${STOMP_K} sequential, ${STOMP_BYTES} B, hb ${STOMP_HB})`;
    if (!s) { row("S2", metric, stompName(c), `not measured: ${results.stompPage?.steadysocketMissing ?? "?"}`, "", "", null); continue; }
    const extra = (s.timeouts ? `; ${s.timeouts} lost` : "") + (s.roundsWithBrokerDrop ? `; broker drop in ${s.roundsWithBrokerDrop}/${s.rounds} rounds` : "");
    row("S2", metric, stompName(c), `p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms${extra}`,
      c === "steadysocket" ? `p50 ${r50.toFixed(2)}×, p99 ${r99.toFixed(2)}× stompjs` : "1.00×", "", null);
  }
}
if (results.raw.S3) {
  S.S3 = results.raw.S3;
  const b = S.S3["@stomp/stompjs"], ss = S.S3[SS_STOMP];
  row("S3", "STOMP client shipped, gzip -9 (brotli)", "@stomp/stompjs", `${fmtB(b.gzip)} (${fmtB(b.brotli)})`, "1.00×", "", null);
  row("S3", "STOMP client shipped, gzip -9 (brotli)", SS_STOMP, ss.missing ? `not measured: ${ss.missing}` : `${fmtB(ss.gzip)} (${fmtB(ss.brotli)}): wasm ${fmtB(ss.wasm.gzip)} + js ${fmtB(ss.js.gzip)}`,
    ss.missing ? "" : `${(ss.gzip / b.gzip).toFixed(2)}× stompjs gzip`, "", null);
}
// The broker's side of any drop: RabbitMQ logs each heart-beat monitor crash (PEERS.md) as a
// `crasher` with initial call rabbit_heartbeat:... (seen: exit {unexpected_message,resume}).
if (process.env.BENCH_RMQ_LOG_DIR) {
  let text = "";
  try {
    for (const f of await readdir(process.env.BENCH_RMQ_LOG_DIR)) if (f.endsWith(".log")) text += await readFile(path.join(process.env.BENCH_RMQ_LOG_DIR, f), "utf8");
  } catch {}
  const crashes = (text.match(/initial call: rabbit_heartbeat:/g) || []).length;
  const reasons = [...new Set([...text.matchAll(/initial call: rabbit_heartbeat:[^\n]*\n(?:[^\n]*\n){2}[^\n]*exception exit: ([^\n]*)/g)].map((m) => m[1].trim()))];
  results.broker = { heartbeatCrashes: crashes, reasons };
  if (results.raw.S1 || results.raw.S2) {
    row("S*", "broker log (RabbitMQ)", "", `${crashes} heart-beat monitor crash(es)${reasons.length ? `: ${reasons.join("; ")}` : ""}`, "", "", null);
  }
}
results.table = rows;
await mkdir(path.dirname(OUT), { recursive: true });
await writeFile(OUT, JSON.stringify(results, null, 2) + "\n");

const cols = ["id", "metric", "contender", "value", "ratio", "goal", "pass"];
const cell = (r, k) => (k === "pass" ? (r.pass === null ? "" : r.pass ? "PASS" : "FAIL") : String(r[k] ?? ""));
const w = cols.map((k) => Math.max(k.length, ...rows.map((r) => cell(r, k).length)));
const line = (vals) => "| " + vals.map((v, i) => v.padEnd(w[i])).join(" | ") + " |";
console.log(`\ncrossOriginIsolated=${main.info.crossOriginIsolated}, timer resolution ${main.info.timerResolutionUs.toFixed(1)} µs, ${ROUNDS} rounds, ${results.elapsedS.toFixed(0)} s`);
console.log(line(cols));
console.log("|" + w.map((n) => "-".repeat(n + 2)).join("|") + "|");
for (const r of rows) console.log(line(cols.map((k) => cell(r, k))));
console.log(`\nwrote ${path.relative(root, OUT)}`);
