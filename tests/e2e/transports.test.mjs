// HTTP transports (`transports` option; README "Transports") through the built package in
// headless Chromium against the reference server's HTTP side. What's tested, for `sse` and
// `long-polling` each:
// - messages both ways (text and binary), a request, the `transport` getter and event;
// - the queue across a reconnect (the server drops the session; sends made meanwhile arrive
//   once, in order, after the reconnect);
// - dead-peer detection (the server goes half-open) within interval + timeout + 1 s;
// - a server close code reaching the `close` event;
// then, for both: the fallback when WebSocket upgrades are refused (HTTP 403: two failed
// attempts, then the next transport) and the upgrade back to WebSocket once they are not,
// under load in reliable mode: each message processed once, in order, both ways; and the
// option checks.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { control, launchBrowser, pageRunner, serverUrl, tag } from "./helpers.mjs";

let browser;
let inPage;
const pageErrors = [];

before(async () => {
  browser = await launchBrowser();
  const page = await browser.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e.stack || e)));
  await page.goto(serverUrl() + "/harness.html");
  await page.waitForFunction(() => document.title === "ready", null, { timeout: 20_000 });
  inPage = pageRunner(page);
});
after(async () => {
  await browser?.close();
  assert.deepEqual(pageErrors, []);
});

async function serverLog(t, type) {
  const res = await fetch(`${serverUrl()}/control/log?type=${type}&tag=${t}`);
  assert.ok(res.ok);
  return (await res.json()).events;
}

for (const transport of ["sse", "long-polling"]) {
  test(`${transport}: both ways, binary, requests, the transport event`, async () => {
    const t = tag(transport);
    const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
      const s = new SteadySocket(ws(args.t), { transports: [args.transport] });
      const seen = until(s, "transport");
      await until(s, "open");
      const ev = await seen;
      const echo = until(s, "message", (e) => e.type == "hello");
      s.send("hello", { n: 1, text: "héllo ✓" });
      const got = (await echo).data;
      const reply = await s.request("echo", { x: [1, 2, 3] });
      const bin = until(s, "raw", (d) => d instanceof Uint8Array);
      s.sendRaw(new Uint8Array([0, 1, 2, 250, 255]));
      const back = Array.from(await bin);
      const out = { event: ev.transport, getter: s.transport, got, reply, back };
      s.close();
      await until(s, "close");
      return out;
    }, { t, transport });
    assert.equal(r.event, transport);
    assert.equal(r.getter, transport);
    assert.deepEqual(r.got, { n: 1, text: "héllo ✓" });
    assert.deepEqual(r.reply, { x: [1, 2, 3] });
    assert.deepEqual(r.back, [0, 1, 2, 250, 255]);
  });

  test(`${transport}: the queue across a reconnect, in order, once`, async () => {
    const t = tag(transport + "-q");
    const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
      const s = new SteadySocket(ws(args.t), { transports: [args.transport], reconnect: { minDelayMs: 50, maxDelayMs: 100 } });
      await until(s, "open");
      for (let i = 1; i <= 5; i++) s.send("q", i);
      await s.request("echo", "barrier");
      const closed = until(s, "close");
      await fetch(`/control/drop?tag=${args.t}`, { method: "POST" });
      await closed;
      const states = [];
      for (let i = 6; i <= 10; i++) states.push(s.send("q", i));
      await until(s, "open", () => true, 10000);
      await s.request("echo", "barrier");
      s.close();
      return { states };
    }, { t, transport });
    assert.deepEqual(r.states, Array(5).fill("queued"));
    const log = (await serverLog(t, "q")).map((e) => e.data);
    assert.deepEqual(log, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test(`${transport}: a half-open server is detected; a close code arrives`, async () => {
    const t = tag(transport + "-h");
    const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
      const s = new SteadySocket(ws(args.t), {
        transports: [args.transport],
        heartbeat: { intervalMs: 500, timeoutMs: 500 },
        reconnect: { minDelayMs: 50, maxDelayMs: 100 },
      });
      await until(s, "open");
      const t0 = performance.now();
      const closed = until(s, "close", () => true, 8000);
      await fetch(`/control/halfopen?tag=${args.t}&ms=5000`, { method: "POST" });
      const c1 = await closed;
      const detectMs = performance.now() - t0;
      await until(s, "open", () => true, 10000);
      const c2 = until(s, "close", () => true, 8000);
      await fetch(`/control/close?tag=${args.t}&code=4321&reason=bye`, { method: "POST" });
      const c = await c2;
      s.close();
      return { detectMs, c1: c1.code, code: c.code, reason: c.reason };
    }, { t, transport });
    assert.ok(r.detectMs <= 2000, `detected in ${r.detectMs} ms (interval 500 + timeout 500 + 1 s)`);
    assert.equal(r.code, 4321);
    assert.equal(r.reason, "bye");
  });
}

test("fallback when WebSocket is refused, then the upgrade back, in reliable mode under load", async (tc) => {
  const t = tag("fb");
  await control("block-ws", { ms: 60_000, tag: t });
  try {
    const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
      const s = new SteadySocket(ws(args.t), {
        transports: ["websocket", "sse", "long-polling"],
        delivery: "at-least-once",
        upgradeProbeMs: 300,
        reconnect: { minDelayMs: 50, maxDelayMs: 100 },
      });
      const events = [], errors = [];
      s.on("transport", (e) => events.push(e.transport));
      s.on("error", (e) => errors.push(e.kind));
      const echoes = [];
      s.on("message", (e) => e.type == "m" && echoes.push(e.data));
      await until(s, "open", () => true, 10000);
      const first = s.transport;
      // Load while the probe runs (it keeps failing: upgrades are refused).
      let n = 0;
      for (; n < 30; n++) s.send("m", n + 1);
      await fetch(`/control/block-ws?tag=${args.t}&ms=0`, { method: "POST" });
      const up = until(s, "transport", (e) => e.transport == "websocket", 10000);
      const timer = setInterval(() => s.send("m", ++n), 10);
      await up;
      await new Promise((k) => setTimeout(k, 200));
      clearInterval(timer);
      await s.send("m", ++n, { ack: true });
      const until2 = Date.now() + 5000;
      while (echoes.length < n && Date.now() < until2) await new Promise((k) => setTimeout(k, 20));
      s.close();
      return { first, events, errors, n, echoes };
    }, { t });
    tc.diagnostic(`fallback: ${JSON.stringify(r.events)}, ${r.n} messages across the upgrade`);
    assert.equal(r.first, "sse");
    assert.deepEqual(r.events, ["sse", "websocket"]);
    assert.deepEqual(r.errors, ["connect", "connect"], "two refused WebSocket attempts");
    const log = (await serverLog(t, "m")).map((e) => e.data);
    assert.deepEqual(log, Array.from({ length: r.n }, (_, i) => i + 1), "each once, in order, at the server");
    assert.deepEqual(r.echoes, Array.from({ length: r.n }, (_, i) => i + 1), "each echo once, in order");
  } finally {
    await control("block-ws", { ms: 0, tag: t });
  }
});

test("the upgrade waits for a slow request with one probe, not a storm; close() flushes pending POSTs", async () => {
  const t = tag("up");
  await control("block-ws", { ms: 60_000, tag: t });
  try {
    const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
      let made = 0;
      const WS = window.WebSocket;
      window.WebSocket = class extends WS {
        constructor(...a) {
          super(...a);
          made++;
        }
      };
      try {
        const s = new SteadySocket(ws(args.t), { transports: ["websocket", "sse"], upgradeProbeMs: 200, reconnect: { minDelayMs: 50, maxDelayMs: 100 } });
        await until(s, "open", () => true, 10000);
        const slow = s.request("slow", { ms: 1500, value: "done" }, { timeoutMs: 10000 });
        const before = made;
        await fetch(`/control/block-ws?tag=${args.t}&ms=0`, { method: "POST" });
        const up = until(s, "transport", (e) => e.transport == "websocket", 10000);
        const reply = await slow;
        await up;
        const probes = made - before;
        s.close();
        // Back on SSE: close() with a POST in flight and frames waiting behind it.
        const h = new SteadySocket(ws(args.t + "-c"), { transports: ["sse"] });
        await until(h, "open");
        await fetch(`/control/stall?tag=${args.t}-c&ms=300`, { method: "POST" });
        for (let i = 1; i <= 5; i++) h.send("c", i);
        await new Promise((k) => setTimeout(k, 0));
        for (let i = 6; i <= 8; i++) h.send("c", i);
        const closed = until(h, "close", () => true, 5000);
        h.close(4001, "bye");
        const c = await closed;
        return { reply, probes, code: c.code, reason: c.reason, clean: c.wasClean };
      } finally {
        window.WebSocket = WS;
      }
    }, { t });
    assert.equal(r.reply, "done", "the request in flight was answered before the switch");
    assert.ok(r.probes <= 3, `at most a probe and the new connection (+1 spare), got ${r.probes} WebSockets`);
    assert.deepEqual([r.code, r.reason, r.clean], [4001, "bye", true]);
    const log = (await serverLog(t + "-c", "c")).map((e) => e.data);
    assert.deepEqual(log, [1, 2, 3, 4, 5, 6, 7, 8], "every frame sent before close() arrived, once, in order");
  } finally {
    await control("block-ws", { ms: 0, tag: t });
  }
});

test("transports option checks", async () => {
  const r = await inPage(async ({ SteadySocket, ws }) => {
    const err = (o) => {
      try {
        new SteadySocket(ws("x"), o).free();
        return "no error";
      } catch (e) {
        return `${e.name}: ${e.message}`;
      }
    };
    return [
      err({ transports: "sse" }),
      err({ transports: [] }),
      err({ transports: ["sse", "sse"] }),
      err({ transports: ["polling"] }),
      err({ transports: [1] }),
      err({ upgradeProbeMs: -1 }),
      err({ upgradeProbeMs: "1" }),
    ];
  });
  assert.match(r[0], /^TypeError: .*transports/);
  assert.match(r[1], /^RangeError: .*transports/);
  assert.match(r[2], /^RangeError: .*transports\[1\].*duplicate/);
  assert.match(r[3], /^RangeError: .*transports\[0\]/);
  assert.match(r[4], /^TypeError: .*transports\[0\]/);
  assert.match(r[5], /^RangeError: .*upgradeProbeMs/);
  assert.match(r[6], /^TypeError: .*upgradeProbeMs/);
});
