// R2: a half-open peer (/control/halfopen: the server stops reading and answering, TCP stays
// open) is detected within heartbeat intervalMs + timeoutMs + 1 s, visible tab, over N trials
// (default 20): half with the socket idle, half while it sends 10 messages/s. Each trial has its
// own socket and tag; trials run `--parallel` at a time (default 10), each after a random
// 0-1000 ms phase so the fault lands anywhere in the heartbeat cycle. Detection time = from just
// before the control call to the `error` event of kind `heartbeat-timeout` (page clock); each
// socket must then reconnect (the half-open connection is abandoned, a new one opens).
// Also asserted: every send that returned "sent" after the server had stopped reading gets a
// `drop` or `lost` event (no silent loss).
// Usage: node tests/chaos/r2-halfopen.mjs [--trials 20] [--parallel 10]

import assert from "node:assert/strict";
import { launchBrowser, openPage } from "../e2e/helpers.mjs";
import { Server, cleanupOnExit, flags, freePort, pct, round, writeResult } from "./lib.mjs";

const opt = flags();
const TRIALS = Number(opt.trials ?? 20);
const PARALLEL = Number(opt.parallel ?? 10);
const HEARTBEAT = { intervalMs: 1000, timeoutMs: 1000 };
const BOUND = HEARTBEAT.intervalMs + HEARTBEAT.timeoutMs + 1000;

const server = new Server({ port: await freePort(), name: "r2" });
cleanupOnExit(server);
process.env.STEADYSOCKET_SERVER = server.url;
await server.start();
const browser = await launchBrowser();
const t0 = Date.now();
try {
  const { page, errors } = await openPage(browser, "/harness.html");
  await page.waitForFunction(() => document.title === "ready", null, { timeout: 20_000 });
  const trials = [];
  for (let first = 0; first < TRIALS; first += PARALLEL) {
    const batch = [];
    for (let i = first; i < Math.min(TRIALS, first + PARALLEL); i++) {
      batch.push({ i, sending: i % 2 === 1, tag: `r2-${t0}-${i}`, phaseMs: Math.floor(Math.random() * 1000) });
    }
    const got = await page.evaluate(
      async ([batch, heartbeat, wsBase]) => {
        const { SteadySocket } = window.steady;
        const next = (s, event, pred = () => true, ms = 10_000) =>
          new Promise((resolve, reject) => {
            const timer = setTimeout(() => (off(), reject(new Error(`no ${event} within ${ms} ms`))), ms);
            const off = s.on(event, (e) => pred(e) && (clearTimeout(timer), off(), resolve({ ...e, t: performance.now() })));
          });
        return Promise.all(
          batch.map(async (trial) => {
            const s = new SteadySocket(`${wsBase}/ws?tag=${trial.tag}`, { heartbeat });
            const errs = [];
            s.on("error", (e) => errs.push(e.kind));
            try {
              await next(s, "open");
              await next(s, "rtt"); // the heartbeat is beating (steady state)
              // Sends made once the server stopped reading (after the control's answer) cannot
              // arrive: each should end in a `drop` event, or it is an unreported loss.
              let n = 0;
              let frozenFrom = Infinity;
              const afterFault = { sent: 0, queued: 0, dropped: 0, dropEvents: 0, lostEvents: 0 };
              s.on("drop", (e) => e.data?.n >= frozenFrom && afterFault.dropEvents++);
              s.on("lost", (e) => e.data?.n >= frozenFrom && afterFault.lostEvents++);
              const sender = trial.sending
                ? setInterval(() => {
                    const r = s.send("num", { n: ++n });
                    if (n >= frozenFrom && s.state === "open") afterFault[r]++;
                  }, 100)
                : null;
              await new Promise((r) => setTimeout(r, trial.phaseMs)); // phase in the heartbeat cycle
              const dead = next(s, "error", (e) => e.kind === "heartbeat-timeout", 15_000);
              const reopened = next(s, "open", () => true, 20_000);
              const start = performance.now();
              const res = await fetch(`/control/halfopen?tag=${trial.tag}&ms=30000`, { method: "POST" });
              const body = await res.json();
              frozenFrom = n + 1;
              const detected = await dead;
              const open = await reopened;
              clearInterval(sender);
              return {
                ...trial, halfOpen: body.halfOpen, detectMs: detected.t - start,
                reconnectedAfterMs: open.t - detected.t, sent: n, errors: errs, afterFault,
              };
            } finally {
              s.free();
            }
          }),
        );
      },
      [batch, HEARTBEAT, server.url.replace(/^http/, "ws")],
    );
    trials.push(...got);
  }
  const summarize = (v) => ({ trials: v.length, p50Ms: round(pct(v, 50)), maxMs: round(Math.max(...v)) });
  const idle = trials.filter((t) => !t.sending).map((t) => t.detectMs);
  const sending = trials.filter((t) => t.sending).map((t) => t.detectMs);
  const all = trials.map((t) => t.detectMs);
  const result = {
    heartbeat: HEARTBEAT, boundMs: BOUND, parallel: PARALLEL, durationS: round((Date.now() - t0) / 1000, 1),
    detection: { all: summarize(all), idle: summarize(idle), sending: summarize(sending) },
    reconnectAfterDetection: { p50Ms: round(pct(trials.map((t) => t.reconnectedAfterMs), 50)), maxMs: round(Math.max(...trials.map((t) => t.reconnectedAfterMs))) },
    overBound: trials.filter((t) => t.detectMs > BOUND).length,
    // The bug: sends that returned "sent" to a peer that had stopped reading must each
    // get a `drop` or `lost` event (none silent; asserted below).
    halfOpenSends: (() => {
      const a = trials.filter((t) => t.sending).map((t) => t.afterFault);
      const sum = (k) => a.reduce((x, t) => x + t[k], 0);
      return { sentAfterFault: sum("sent"), dropEvents: sum("dropEvents"), lostEvents: sum("lostEvents"), unreported: sum("sent") - sum("dropEvents") - sum("lostEvents") };
    })(),
    trials: trials.map((t) => ({ ...t, detectMs: round(t.detectMs), reconnectedAfterMs: round(t.reconnectedAfterMs) })),
  };
  console.log(`[r2] ${JSON.stringify({ detection: result.detection, overBound: result.overBound, halfOpenSends: result.halfOpenSends })}`);
  writeResult("r2-halfopen", result);
  assert.deepEqual(errors, [], "no page errors");
  assert.equal(result.halfOpenSends.unreported, 0, "every send into the half-open peer is reported (drop or lost)");
  for (const t of trials) {
    assert.equal(t.halfOpen, 1, `trial ${t.i}: the control froze its connection`);
    assert.ok(t.detectMs <= BOUND, `trial ${t.i} (${t.sending ? "sending" : "idle"}): detected after ${round(t.detectMs)} ms > ${BOUND} ms`);
  }
} finally {
  await browser.close();
  await server.kill();
}
