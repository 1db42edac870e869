// R3: a truly hidden tab (raw CDP, Chromium's intensive wake-up throttling in force: the method
// of tests/e2e/hidden.test.mjs) for `--minutes` (default 10) against a healthy server with
// heartbeats (3 s + 2 s): 0 false disconnects, heartbeat cadence kept. Then, still hidden,
// `--trials` (default 3) dead peers (/control/halfopen): detection within interval + timeout
// + 2 s, and the next attempt within the announced delayMs + 1 s, reopened; and one server
// drop: the next attempt on time. The throttling is proven first (a page setTimeout(200) chain
// more than 3 s overdue), so the run cannot pass vacuously.
// Usage: node tests/chaos/r3-hidden.mjs [--minutes 10] [--trials 3]

import assert from "node:assert/strict";
import { evaluate, launchCdp } from "../e2e/cdp.mjs";
import { waitFor } from "../e2e/helpers.mjs";
import { Server, cleanupOnExit, flags, freePort, pct, round, writeResult } from "./lib.mjs";

const opt = flags();
const MINUTES = Number(opt.minutes ?? 10);
const TRIALS = Number(opt.trials ?? 3);
const HEARTBEAT = { intervalMs: 3000, timeoutMs: 2000 };
const DEAD_BOUND = HEARTBEAT.intervalMs + HEARTBEAT.timeoutMs + 2000;

const server = new Server({ port: await freePort(), name: "r3" });
cleanupOnExit(server);
await server.start();
const tag = `r3-${Date.now()}`;
const cdp = launchCdp();
const t0 = Date.now();
try {
  const { targetId } = await cdp.send("Target.createTarget", { url: `${server.url}/harness.html` });
  const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true });
  const ev = (expr) => evaluate(cdp, sessionId, expr);
  await waitFor(() => ev("document.title === 'ready'"), 20_000, { interval: 100, message: "harness ready" });
  const url = `${server.url.replace(/^http/, "ws")}/ws?tag=${tag}`;
  await ev(`(async () => {
    const { SteadySocket } = window.steady;
    const log = (window.__log = []);
    const chain = (window.__chain = { last: performance.now(), gaps: [] });
    (function tick() {
      const now = performance.now();
      chain.gaps.push(now - chain.last);
      chain.last = now;
      setTimeout(tick, 200);
    })();
    const s = (window.__s = new SteadySocket(${JSON.stringify(url)}, { heartbeat: ${JSON.stringify(HEARTBEAT)} }));
    for (const ev of ["state", "reconnecting", "open", "close", "error", "rtt"]) {
      s.on(ev, (e) => log.push({ ev, t: performance.now(), ...e }));
    }
    await new Promise((resolve) => s.on("open", resolve));
    return true;
  })()`);
  await cdp.send("Target.createTarget", { url: "about:blank", newWindow: false }); // hides the page
  await waitFor(async () => (await ev("document.visibilityState")) === "hidden", 10_000, { interval: 100, message: "hidden" });
  const hiddenAt = await ev("performance.now()");
  const overdue = await waitFor(
    async () => {
      const o = await ev("performance.now() - __chain.last");
      return o > 3000 && o;
    },
    40_000,
    { interval: 250, message: "page timers throttled (setTimeout(200) chain > 3 s overdue)" },
  );
  const results = { minutes: MINUTES, heartbeat: HEARTBEAT, throttledAfterHiddenS: round(((await ev("performance.now()")) - hiddenAt) / 1000, 1), chainOverdueS: round(overdue / 1000, 1) };

  // --- healthy server for MINUTES: no disconnect, heartbeats on time ------------------------
  const m0 = await ev("__log.length");
  const start = await ev("performance.now()");
  const end = start + MINUTES * 60_000;
  let falseDisconnects = [];
  // Watch (not sleep-assert): stop early on the first disconnect event.
  await waitFor(
    async () => {
      const r = await ev(`({ now: performance.now(), bad: __log.slice(${m0}).filter((e) => e.ev === "close" || e.ev === "reconnecting") })`);
      falseDisconnects = r.bad;
      return r.bad.length > 0 || r.now >= end;
    },
    MINUTES * 60_000 + 30_000,
    { interval: 2000, message: "healthy phase" },
  );
  const healthy = await ev(`__log.slice(${m0})`);
  const rtts = healthy.filter((e) => e.ev === "rtt");
  const gaps = rtts.slice(1).map((e, i) => e.t - rtts[i].t);
  results.healthy = {
    observedS: round(((await ev("performance.now()")) - start) / 1000, 1),
    falseDisconnects: falseDisconnects.length,
    heartbeats: rtts.length,
    heartbeatGapP50Ms: round(pct(gaps, 50)),
    heartbeatGapMaxMs: gaps.length ? round(Math.max(...gaps)) : null,
    rttP50Ms: round(pct(rtts.map((e) => e.rtt), 50), 1),
  };
  console.log(`[r3] healthy: ${JSON.stringify(results.healthy)}`);

  // --- dead peers and a drop, still hidden ------------------------------------------------------
  const after = (m, find, limitMs) =>
    waitFor(async () => find(await ev(`__log.slice(${m})`)), limitMs, { interval: 100 }).catch(() => null);
  const reconnectTiming = async (m) => {
    const found = await after(m, (log) => {
      const r = log.findIndex((e) => e.ev === "reconnecting");
      const a = r >= 0 && log.slice(r + 1).find((e) => e.ev === "state" && e.to === "connecting");
      const o = r >= 0 && log.slice(r + 1).find((e) => e.ev === "open");
      return a && o && { rec: log[r], attempt: a, open: o };
    }, 20_000);
    return found && { delayMs: round(found.rec.delayMs), attemptAfterMs: round(found.attempt.t - found.rec.t), reopenedAfterMs: round(found.open.t - found.rec.t) };
  };
  results.deadPeer = [];
  for (let i = 0; i < TRIALS; i++) {
    // a fresh steady state: a few beats since the last reopen
    const mb = await ev("__log.length");
    await after(mb, (log) => log.filter((e) => e.ev === "rtt").length >= 3, 30_000);
    const m = await ev("__log.length");
    const tc = await ev("performance.now()");
    await server.control("halfopen", { tag, ms: 120_000 });
    const closed = await after(m, (log) => log.find((e) => e.ev === "close"), DEAD_BOUND + 10_000);
    const reconnect = await reconnectTiming(m);
    results.deadPeer.push({ detectMs: closed ? round(closed.t - tc) : null, reason: closed?.reason, reconnect });
  }
  {
    const m = await ev("__log.length");
    await server.control("drop", { tag });
    results.drop = await reconnectTiming(m);
  }
  const endState = await ev(`({ vis: document.visibilityState, now: performance.now(), overdue: performance.now() - __chain.last })`);
  results.hiddenForS = round((endState.now - hiddenAt) / 1000, 1);
  results.chainOverdueAtEndS = round(endState.overdue / 1000, 1);
  results.durationS = round((Date.now() - t0) / 1000, 1);
  console.log(`[r3] ${JSON.stringify({ deadPeer: results.deadPeer, drop: results.drop })}`);
  writeResult("r3-hidden", results);

  assert.equal(endState.vis, "hidden", "the page stayed hidden");
  assert.equal(results.healthy.falseDisconnects, 0, "no false disconnects with a healthy server");
  const wantBeats = Math.floor((MINUTES * 60_000) / (HEARTBEAT.intervalMs + 1000));
  assert.ok(rtts.length >= wantBeats, `heartbeats kept their cadence: ${rtts.length} >= ${wantBeats}`);
  for (const [i, d] of results.deadPeer.entries()) {
    assert.ok(d.detectMs !== null && d.detectMs <= DEAD_BOUND, `dead peer ${i}: detected in ${d.detectMs} ms (bound ${DEAD_BOUND})`);
    assert.ok(d.reconnect && d.reconnect.attemptAfterMs <= d.reconnect.delayMs + 1000, `dead peer ${i}: next attempt on time ${JSON.stringify(d.reconnect)}`);
  }
  assert.ok(results.drop && results.drop.attemptAfterMs <= results.drop.delayMs + 1000, `drop: next attempt on time ${JSON.stringify(results.drop)}`);
} finally {
  await cdp.close();
  await server.kill();
}
