// K1: the `shared: "name"` option (README "One connection for all tabs"): what sharing one
// connection between tabs costs and saves, in headless Chromium (playwright-core), every tab a
// page of ONE browser context (BroadcastChannel and Web Locks are per context), against the
// reference server. `make bench` runs it as K1 (`SKIP_BUILD=1 BENCH_ONLY=K1 scripts/bench.sh`
// alone); by hand:
//   target/debug/steadysocket-server --port 0 --port-file /tmp/p --root . &
//   STEADYSOCKET_SERVER=http://127.0.0.1:$(cat /tmp/p) node tests/bench/shared-compare.mjs
// STEADYSOCKET_SERVER serves the pages (/harness.html: pkg/steadysocket.js), the SharedWorker
// script (/bench/shared-sw.js: www/bench/shared-sw.js) and speaks protocol v1 on /ws (request
// `add`, events echoed) and plain echo on /ws/raw; GET /control/stats?tag=T counts connections.
// Four parts; 1–3 every round (BENCH_ROUNDS, default 3), medians (and min–max) over the rounds:
// 1. channel: the raw mechanisms, no library. K = 2000 sequential round trips of a 100 B string
//    (post, await the answer, next; performance.now() around each; p50, p99 (the 1980th
//    smallest) and the mean), from tab A:
//    - "broadcastchannel": A posts on a BroadcastChannel, tab B's channel posts it back;
//    - "sharedworker": A posts on its SharedWorker MessagePort, the worker
//      (www/bench/shared-sw.js) posts it back;
//    - "websocket": A's own `new WebSocket(ws/raw)` echo (for scale: one trip to the server);
//    - "bc relay → websocket": A → BroadcastChannel → B, B's WebSocket (/ws/raw) → echo → B →
//      BroadcastChannel → A (the hops of a follower's frame in the library's design, no library);
//    - "sharedworker relay → websocket": A → port → the worker's WebSocket → echo → worker →
//      port → A (the hops of a SharedWorker-held connection).
//    The order of the five rotates per round; 200 unrecorded round trips of each first (once).
// 2. library: tabs A, B and C share one socket (`shared: T`, /ws?tag=T), created in that order
//    (B, A, C in odd rounds); the first leads (checked with `s._t.ld`), the second is "the
//    follower", C a bystander follower that only listens (every tab hears every server event);
//    a fourth tab P has a plain socket (no `shared`, its own tag) as the baseline. Timed:
//    - request: R = 500 sequential `await s.request("add", {a: 1, b: 2})` from the leader, the
//      follower and the plain socket: p50, p99 (the 495th smallest), mean;
//    - burst: `t0` → a synchronous loop of N = 2000 `s.send("e", x)` (x a 100-char string) → a
//      Promise resolved by the sender's `message` handler at the Nth "e" echo → `t1`;
//      msg/s = N / (t1 − t0); from the follower, from the leader, from the plain socket. In
//      shared mode every tab hears every echo: the other tabs' counts are checked (N, none extra);
//    - main-thread CPU of each burst in every shared tab (sender, the other one, bystander): CDP
//      `Performance.enable` with `timeDomain: "threadTicks"`, `Performance.getMetrics` in each
//      page just before the burst
//      and after every tab got its N echoes; µs per message = ΔTaskDuration / N (every task on
//      that renderer's main thread) and ΔScriptDuration / N (JS + wasm, no microtasks).
//    100 requests and a burst of 500 unrecorded first (once).
// 3. connections: N = 1, 2, 5, 10 tabs (a fresh context each), every tab a socket on
//    /ws?tag=T, with `shared: T` and without; once every tab is `open` and again 1 s later:
//    GET /control/stats?tag=T `connections` (and how many tabs lead). Idle heartbeat pings the
//    server gets per minute follow: connections × 60 s / 25 s (heartbeat.intervalMs' default:
//    a ping after 25 s of silence).
// 4. takeover: BENCH_K1_TAKEOVERS (default 5) times, a fresh context with 5 shared tabs, all
//    open; `closeWallMs = Date.now()`, then the leader's `page.close()`; in each follower page
//    `t0 = closeWallMs + performance.now() - Date.now()` (the close on that page's clock) and
//    the time to its first `open` (and `close`) event after t0, once every follower is open;
//    then how many lead and the server's count (waited for to reach 1, up to 5 s).
// The pages are cross-origin isolated (the server sends COOP/COEP): fine-grained timers.
// Prints JSON and writes target/bench/shared-compare.json (every round's figures too).
// Env: STEADYSOCKET_SERVER, BENCH_ROUNDS (3), BENCH_K1_K (2000), BENCH_K1_R (500),
// BENCH_K1_N (2000), BENCH_K1_TABS ("1,2,5,10"), BENCH_K1_TAKEOVERS (5).
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowser, serverUrl } from "../e2e/helpers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const K = Number(process.env.BENCH_K1_K || 2000);
const R = Number(process.env.BENCH_K1_R || 500);
const N = Number(process.env.BENCH_K1_N || 2000);
const TABS = (process.env.BENCH_K1_TABS || "1,2,5,10").split(",").map(Number);
const TAKEOVERS = Number(process.env.BENCH_K1_TAKEOVERS || 5);
const BASE = serverUrl();
const WS = BASE.replace(/^http/, "ws");
const log = (...a) => console.error("[shared-compare]", ...a);
let seq = 0;
const tag = (what) => `k1-${process.pid}-${what}-${++seq}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

async function stats(t) {
  const res = await fetch(`${BASE}/control/stats?tag=${encodeURIComponent(t)}`);
  if (!res.ok) throw new Error(`GET /control/stats: ${res.status}`);
  return (await res.json()).connections;
}
async function waitFor(pred, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > end) throw new Error("timed out: " + what);
    await sleep(20);
  }
}

const startedAt = new Date().toISOString(), load0 = os.loadavg()[0], T0 = Date.now();
const browser = await launchBrowser();
const pageErrors = [];

/** A tab: a page of `ctx` on /harness.html (the package loaded), with `until` and a CDP CPU reader. */
async function openTab(ctx, name) {
  const page = await ctx.newPage();
  page.on("pageerror", (e) => pageErrors.push(`${name}: ${e.stack || e}`));
  await page.goto(`${BASE}/harness.html`);
  await page.waitForFunction(() => document.title === "ready", null, { timeout: 20_000 });
  await page.evaluate(() => {
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
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  const cpu = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    return { task: m.TaskDuration * 1000, script: m.ScriptDuration * 1000 };
  };
  return { page, cpu, name };
}

// ---------------------------------------------------------------- 1. channel
const CHANNELS = ["broadcastchannel", "sharedworker", "websocket", "bc relay → websocket", "sharedworker relay → websocket"];

/** Sets up the five mechanisms in tabs A and B (A asks, B answers / relays). */
async function setupChannels(A, B) {
  const bcName = tag("bc"), relayName = tag("bcrelay"), wsUrl = `${WS}/ws/raw?tag=${tag("raw")}`;
  await B.page.evaluate(async ({ bcName, relayName, wsUrl }) => {
    const bc = new BroadcastChannel(bcName);
    bc.onmessage = (e) => bc.postMessage(e.data);
    // The relay: B holds a WebSocket; what A posts goes out on it, what comes back goes to A.
    const rc = new BroadcastChannel(relayName);
    const ws = new WebSocket(wsUrl);
    await new Promise((res, rej) => ((ws.onopen = res), (ws.onerror = rej)));
    rc.onmessage = (e) => ws.send(e.data);
    ws.onmessage = (e) => rc.postMessage(e.data);
    window.k1b = { bc, rc, ws };
  }, { bcName, relayName, wsUrl });
  await A.page.evaluate(async ({ bcName, relayName, wsUrl }) => {
    const mk = (post, on) => {
      let done = null;
      on((d) => done?.(d));
      return { post, next: () => new Promise((r) => (done = r)) };
    };
    const bc = new BroadcastChannel(bcName);
    const rc = new BroadcastChannel(relayName);
    const sw = new SharedWorker("/bench/shared-sw.js", { name: "k1-echo" });
    const sw2 = new SharedWorker("/bench/shared-sw.js", { name: "k1-relay" });
    sw.port.start();
    sw2.port.start();
    const ws = new WebSocket(wsUrl);
    await new Promise((res, rej) => ((ws.onopen = res), (ws.onerror = rej)));
    // The relaying worker opens its WebSocket first.
    await new Promise((res, rej) => {
      sw2.port.onmessage = (e) => (e.data?.open ? res() : rej(new Error(JSON.stringify(e.data))));
      sw2.port.postMessage({ ws: wsUrl });
    });
    window.k1 = {
      broadcastchannel: mk((d) => bc.postMessage(d), (f) => (bc.onmessage = (e) => f(e.data))),
      sharedworker: mk((d) => sw.port.postMessage(d), (f) => (sw.port.onmessage = (e) => f(e.data))),
      websocket: mk((d) => ws.send(d), (f) => (ws.onmessage = (e) => f(e.data))),
      "bc relay → websocket": mk((d) => rc.postMessage(d), (f) => (rc.onmessage = (e) => f(e.data))),
      "sharedworker relay → websocket": mk((d) => sw2.port.postMessage(d), (f) => (sw2.port.onmessage = (e) => f(e.data))),
    };
  }, { bcName, relayName, wsUrl });
}

/** k sequential round trips over mechanism `m` from tab A; their times (ms). */
const roundTrips = (A, m, k) =>
  A.page.evaluate(async ({ m, k }) => {
    const c = window.k1[m], msg = "x".repeat(100), rtt = [];
    for (let i = 0; i < k; i++) {
      const p = c.next();
      const t0 = performance.now();
      c.post(msg);
      const d = await p;
      rtt.push(performance.now() - t0);
      if (d !== msg) throw new Error(`${m}: got ${JSON.stringify(d).slice(0, 80)}`);
    }
    return rtt;
  }, { m, k });

// ---------------------------------------------------------------- 2. library
/** A socket in tab `x` as `window.s` (shared if `shared`), open, counting "e" echoes in `window.cur`. */
const mkSocket = (x, url, shared) =>
  x.page.evaluate(async ({ url, shared }) => {
    const s = (window.s = new window.steady.SteadySocket(url, shared ? { shared } : {}));
    const cur = (window.cur = { got: 0, want: Infinity, done: null, bad: 0 });
    const msg = "x".repeat(100);
    s.on("message", (m) => {
      if (m.type !== "e") return;
      if (m.data !== msg) cur.bad++;
      if (++cur.got >= cur.want) cur.done?.();
    });
    await until(() => s.state === "open", 15000, "open");
    return { leads: !!s._t?.ld };
  }, { url, shared });

const requests = (x, r) =>
  x.page.evaluate(async (r) => {
    const s = window.s, rtt = [];
    for (let i = 0; i < r; i++) {
      const t0 = performance.now();
      const v = await s.request("add", { a: 1, b: 2 });
      rtt.push(performance.now() - t0);
      if (v !== 3) throw new Error("add gave " + v);
    }
    return rtt;
  }, r);

/** Resets the echo counters of the tabs `xs` (expecting n each). */
const expect = (xs, n) =>
  Promise.all(xs.map((x) => x.page.evaluate((n) => {
    const cur = window.cur;
    cur.got = 0;
    cur.bad = 0;
    cur.want = n;
    window.allIn = new Promise((res) => (cur.done = res));
  }, n)));

/** The burst from `x`: n sends in one loop, until x's nth echo; ms. */
const burst = (x, n) =>
  x.page.evaluate(async (n) => {
    const s = window.s, msg = "x".repeat(100);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) s.send("e", msg);
    await window.allIn;
    return performance.now() - t0;
  }, n);

/** 50 ms of quiet, then each tab's count beyond n (must be 0) and wrong payloads. */
const settle = async (xs, n) => {
  await Promise.all(xs.map((x) => x.page.evaluate(() => window.allIn)));
  await sleep(50);
  return Promise.all(xs.map((x) => x.page.evaluate((n) => ({ extra: window.cur.got - n, bad: window.cur.bad }), n)));
};

async function burstRun(from, listeners, n) {
  await expect(listeners, n);
  const c0 = await Promise.all(listeners.map((x) => x.cpu()));
  const ms = await burst(from, n);
  await Promise.all(listeners.map((x) => x.page.evaluate(() => window.allIn)));
  const c1 = await Promise.all(listeners.map((x) => x.cpu()));
  const chk = await settle(listeners, n);
  chk.forEach((c, i) => {
    if (c.extra || c.bad) throw new Error(`burst from ${from.name}: ${listeners[i].name} got ${c.extra} extra, ${c.bad} wrong`);
  });
  const cpu = {};
  listeners.forEach((x, i) => (cpu[x.role] = { cpuUs: ((c1[i].task - c0[i].task) / n) * 1000, scriptUs: ((c1[i].script - c0[i].script) / n) * 1000 }));
  return { ms, tput: n / (ms / 1000), cpu };
}

const freeAll = (xs) => Promise.all(xs.map((x) => x.page.evaluate(() => { window.s?.free(); window.s = null; })));

// ---------------------------------------------------------------- 3, 4: fresh contexts
async function tabsWith(n, t, shared, ctx) {
  ctx ??= await browser.newContext();
  const tabs = [];
  for (let i = 0; i < n; i++) {
    const x = await openTab(ctx, `tab${i}`);
    await x.page.evaluate(({ url, shared, i }) => {
      const s = (window.s = new window.steady.SteadySocket(url, shared ? { shared, reconnect: { minDelayMs: 200 } } : {}));
      window.tabNo = i;
      window.evlog = [];
      for (const e of ["open", "close"]) s.on(e, () => window.evlog.push([e, performance.now()]));
    }, { url: `${WS}/ws?tag=${t}`, shared: shared ? t : null, i });
    tabs.push(x);
  }
  await Promise.all(tabs.map((x) => x.page.waitForFunction(() => window.s.state === "open", null, { timeout: 15_000 })));
  return { ctx, tabs };
}
const leaderCount = async (tabs) => (await Promise.all(tabs.map((x) => x.page.evaluate(() => !!window.s._t?.ld)))).filter(Boolean).length;

async function connections(n, shared) {
  const t = tag(`conn${n}${shared ? "s" : "p"}`);
  const { ctx, tabs } = await tabsWith(n, t, shared);
  try {
    const open = await stats(t);
    const leaders = shared ? await leaderCount(tabs) : null;
    await sleep(1000);
    const later = await stats(t);
    return { open, later, leaders };
  } finally {
    await ctx.close();
    await waitFor(async () => (await stats(t)) === 0, 10_000, `tag ${t} closed`).catch((e) => log(e.message));
  }
}

async function takeover() {
  const t = tag("takeover");
  const { ctx, tabs } = await tabsWith(5, t, true);
  try {
    const lead = (await Promise.all(tabs.map((x) => x.page.evaluate(() => !!window.s._t?.ld)))).indexOf(true);
    if (lead < 0) throw new Error("no leader");
    const followers = tabs.filter((_, i) => i !== lead);
    const closeWallMs = Date.now();
    await tabs[lead].page.close({ runBeforeUnload: false });
    await Promise.all(followers.map((x) => x.page.waitForFunction((at) => {
      const t0 = at + performance.now() - Date.now();
      return window.s.state === "open" && window.evlog.some((e) => e[0] === "open" && e[1] > t0);
    }, closeWallMs, { timeout: 15_000 })));
    const leaders = await leaderCount(followers);
    await waitFor(async () => (await stats(t)) === 1, 5000, "one connection after the takeover").catch((e) => log(e.message));
    const connsAfter = await stats(t);
    const per = await Promise.all(followers.map((x) => x.page.evaluate((at) => {
      const t0 = at + performance.now() - Date.now();
      const after = (n) => window.evlog.find((e) => e[0] === n && e[1] > t0);
      return { leads: !!window.s._t?.ld, openMs: after("open")[1] - t0, closeMs: after("close") ? after("close")[1] - t0 : null };
    }, closeWallMs)));
    return { followers: per, leaders, connsAfter };
  } finally {
    await ctx.close();
  }
}

// ---------------------------------------------------------------- run
const pct = (a, q) => {
  const s = a.slice().sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const summary = (rtt) => ({ p50: pct(rtt, 0.5), p99: pct(rtt, 0.99), mean: mean(rtt) });

const raw = { channel: {}, request: {}, burst: {}, connections: {}, takeover: [] };
const roles = {};
let chromium = null;
try {
  chromium = browser.version();
  const ctx = await browser.newContext();
  const A = await openTab(ctx, "A"), B = await openTab(ctx, "B"), C = await openTab(ctx, "C"), P = await openTab(ctx, "P");
  await setupChannels(A, B);
  for (const m of CHANNELS) await roundTrips(A, m, 200); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    // 1. channel
    for (let i = 0; i < CHANNELS.length; i++) {
      const m = CHANNELS[(i + r) % CHANNELS.length];
      (raw.channel[m] ??= []).push(summary(await roundTrips(A, m, K)));
    }
    // 2. library: a fresh shared name and plain socket every round; A or B leads.
    const t = tag("lib");
    const [first, second] = r % 2 ? [B, A] : [A, B];
    const l1 = await mkSocket(first, `${WS}/ws?tag=${t}`, t);
    const l2 = await mkSocket(second, `${WS}/ws?tag=${t}`, t);
    const l3 = await mkSocket(C, `${WS}/ws?tag=${t}`, t);
    await mkSocket(P, `${WS}/ws?tag=${tag("plain")}`, null);
    if (!l1.leads || l2.leads || l3.leads) throw new Error(`round ${r}: the first tab should lead (${JSON.stringify([l1, l2])})`);
    const L = Object.assign(first, { role: "leader" }), F = Object.assign(second, { role: "follower" });
    P.role = "plain";
    C.role = "bystander";
    if ((await stats(t)) !== 1) throw new Error("the shared socket has more than one connection");
    if (r === 0) {
      for (const x of [L, F, P]) await requests(x, 100);
      await burstRun(F, [F, L, C], 500);
      await burstRun(L, [L, F, C], 500);
      await burstRun(P, [P], 500);
    }
    const who = [L, F, P];
    for (let i = 0; i < 3; i++) {
      const x = who[(i + r) % 3];
      (raw.request[x.role] ??= []).push(summary(await requests(x, R)));
    }
    for (let i = 0; i < 3; i++) {
      const x = who[(i + r) % 3];
      const res = x === P ? await burstRun(P, [P], N) : await burstRun(x, [x, x === L ? F : L, C], N);
      (raw.burst[`from ${x.role}`] ??= []).push(res);
    }
    roles[r] = { leader: L.name, follower: F.name };
    await freeAll([F, C, L, P]);
    await sleep(200);
    log(`round ${r + 1}/${ROUNDS}: channel + library done`);
    // 3. connections
    for (const n of TABS) {
      for (const shared of [true, false]) (raw.connections[`${n} ${shared ? "shared" : "plain"}`] ??= []).push(await connections(n, shared));
    }
    log(`round ${r + 1}/${ROUNDS}: connections done`);
  }
  await ctx.close();
  // 4. takeover
  for (let i = 0; i < TAKEOVERS; i++) {
    raw.takeover.push(await takeover());
    log(`takeover ${i + 1}/${TAKEOVERS}:`, JSON.stringify(raw.takeover.at(-1).followers.map((f) => Math.round(f.openMs))));
  }
} finally {
  await browser.close();
}

// ---------------------------------------------------------------- report
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
const rnd = (x, d) => Math.round(x * 10 ** d) / 10 ** d;
const stat = (a, d = 0) => ({ median: rnd(med(a), d), min: rnd(Math.min(...a), d), max: rnd(Math.max(...a), d) });
const lat = (v) => ({ p50Ms: stat(v.map((x) => x.p50), 3), p99Ms: stat(v.map((x) => x.p99), 3), meanMs: stat(v.map((x) => x.mean), 3) });
const out = {
  startedAt, seconds: Math.round((Date.now() - T0) / 1000), rounds: ROUNDS, k: K, r: R, n: N, takeovers: TAKEOVERS,
  machine: { cores: os.cpus().length, cpuModel: os.cpus()[0]?.model, chromium, loadAvg1m: [load0, os.loadavg()[0]].map((x) => rnd(x, 2)) },
  channel: {}, request: {}, burst: {}, connections: {}, takeover: {}, ratios: {}, roles, pageErrors, all: raw,
};
for (const [m, v] of Object.entries(raw.channel)) out.channel[m] = lat(v);
for (const [m, v] of Object.entries(raw.request)) out.request[m] = lat(v);
for (const [m, v] of Object.entries(raw.burst)) {
  out.burst[m] = { msgPerSec: stat(v.map((x) => x.tput)), cpuUsPerMsg: {}, scriptUsPerMsg: {} };
  for (const role of Object.keys(v[0].cpu)) {
    out.burst[m].cpuUsPerMsg[role] = stat(v.map((x) => x.cpu[role].cpuUs), 1);
    out.burst[m].scriptUsPerMsg[role] = stat(v.map((x) => x.cpu[role].scriptUs), 1);
  }
}
for (const [m, v] of Object.entries(raw.connections)) {
  const n = Number(m.split(" ")[0]);
  out.connections[m] = { tabs: n, connections: stat(v.map((x) => x.open)), after1s: stat(v.map((x) => x.later)), leaders: v[0].leaders === null ? null : stat(v.map((x) => x.leaders)) };
  out.connections[m].idlePingsPerMin = rnd(out.connections[m].after1s.median * (60 / 25), 1);
}
const fo = raw.takeover.flatMap((x) => x.followers);
out.takeover = {
  tabs: 5,
  openMs: { ...stat(fo.map((f) => f.openMs), 1), n: fo.length },
  newLeaderOpenMs: stat(fo.filter((f) => f.leads).map((f) => f.openMs), 1),
  otherFollowersOpenMs: stat(fo.filter((f) => !f.leads).map((f) => f.openMs), 1),
  closeEventMs: stat(fo.filter((f) => f.closeMs !== null).map((f) => f.closeMs), 1),
  perRound: raw.takeover.map((x) => ({ openMs: x.followers.map((f) => rnd(f.openMs, 1)), leaders: x.leaders, connectionsAfter: x.connsAfter })),
};
// Per round ratios.
const rat = (a, b, f) => stat(a.map((x, i) => f(x) / f(b[i])), 2);
out.ratios = {
  "sharedworker ÷ broadcastchannel p50": rat(raw.channel.sharedworker, raw.channel.broadcastchannel, (x) => x.p50),
  "sharedworker ÷ broadcastchannel mean": rat(raw.channel.sharedworker, raw.channel.broadcastchannel, (x) => x.mean),
  "sharedworker relay ÷ bc relay p50": rat(raw.channel["sharedworker relay → websocket"], raw.channel["bc relay → websocket"], (x) => x.p50),
  "request follower ÷ leader p50": rat(raw.request.follower, raw.request.leader, (x) => x.p50),
  "request leader ÷ plain p50": rat(raw.request.leader, raw.request.plain, (x) => x.p50),
  "burst follower ÷ leader msg/s": rat(raw.burst["from follower"], raw.burst["from leader"], (x) => x.tput),
  "burst leader ÷ plain msg/s": rat(raw.burst["from leader"], raw.burst["from plain"], (x) => x.tput),
};
const json = JSON.stringify(out, null, 1);
mkdirSync(path.join(root, "target/bench"), { recursive: true });
writeFileSync(path.join(root, "target/bench/shared-compare.json"), json + "\n");
console.log(json);
