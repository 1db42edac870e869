// The event pump and the contracts of issue 9, through the built package (pkg/) in headless
// Chromium against the reference server, as a user who calls back into the socket from
// handlers would. What's tested (each case failed on the build before the pump):
// - a close handler that calls close(): state events chain, the last equals s.state
// - a send() from a `sent` handler goes after the backlog (server log order); sends from
//   `state`/`open` handlers go before it
// - free() from a `drop` handler fired by close(): no exception; a second free() is a
//   no-op; every method and getter afterwards throws an Error saying the socket was freed
// - getters inside handlers give real values (state, metrics() is an object)
// - a window `online` event dispatched from inside a handler is not lost
// - a server that accepts then drops at once: maxAttempts runs out with a
//   `reconnect-failed` error; a close code in stopOnCodes gives `reconnect-stopped`
// - rtt/srtt/rttJitter survive a reconnect
// - {"retryAfterMs":1e300} is clamped to reconnect.maxRetryAfterMs
// - request() serializes its data once (a toJSON that throws the second time is fine; one
//   that throws at once throws from request() and nothing is sent)
// - a frame the socket refuses (CLOSING) ends as `drop` "connection-lost", never `sent`

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, pageRunner, serverUrl, tag } from "./helpers.mjs";

let browser;
let page;
const pageErrors = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
  page = await browser.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e.stack || e)));
  await page.goto(serverUrl() + "/harness.html");
  await page.waitForFunction(() => document.title === "ready", null, { timeout: 20_000 });
  inPage = pageRunner(page);
});
after(async () => {
  await browser?.close();
});

let inPage;

/** The server's log of received events of `type` for `tag`, in arrival order. */
async function serverLog(t, type) {
  const res = await fetch(`${serverUrl()}/control/log?type=${type}&tag=${t}`);
  assert.ok(res.ok, `log: ${res.status}`);
  return (await res.json()).events;
}

const chained = (states) => states.every((s, i) => i === 0 || s.from === states[i - 1].to);

test("a close handler that calls close(): state events chain and end at s.state", async () => {
  const t = tag("closeclose");
  const r = await inPage(async ({ SteadySocket, ws, until, settle, args }) => {
    const s = new SteadySocket(ws(args.t), { reconnect: { minDelayMs: 50 } });
    const states = [];
    const events = [];
    s.on("state", (e) => { states.push(e); events.push(`state:${e.from}>${e.to}`); });
    s.on("reconnecting", () => events.push("reconnecting"));
    s.on("close", (e) => {
      events.push(`close:${e.willReconnect}`);
      if (e.willReconnect) s.close();
    });
    await until(s, "open");
    const closed = until(s, "state", (e) => e.to === "closed");
    await fetch(`/control/drop?tag=${args.t}`, { method: "POST" });
    await closed;
    await settle();
    const out = { states, events, final: s.state };
    s.free();
    return out;
  }, { t });
  assert.ok(chained(r.states), JSON.stringify(r.states));
  assert.equal(r.states.at(-1).to, "closed");
  assert.equal(r.final, "closed");
  // Nothing after the final state event.
  assert.equal(r.events.at(-1), "state:reconnecting>closed", r.events.join(" "));
});

test("send order: state/open handlers, then the backlog, then sends from sent handlers", async () => {
  const t = tag("order");
  await inPage(async ({ SteadySocket, ws, until, settle, args }) => {
    const s = new SteadySocket(ws(args.t));
    let first = true;
    s.on("state", (e) => { if (e.to === "open") s.send("m", "S"); });
    s.on("open", () => s.send("m", "O"));
    s.on("sent", () => { if (first) { first = false; s.send("m", "Y"); } });
    for (const x of ["a", "b", "c"]) s.send("m", x); // queued: not open yet
    await until(s, "sent", (e) => e.data === "c");
    s.send("m", "Z");
    await s.request("echo", "done");
    s.free();
  }, { t });
  const log = await serverLog(t, "m");
  assert.deepEqual(log.map((e) => e.data), ["S", "O", "a", "b", "c", "Y", "Z"]);
});

test("free() from a drop handler fired by close(): safe, idempotent, then 'freed' errors", async () => {
  const t = tag("freedrop");
  const r = await inPage(async ({ SteadySocket, ws, until, settle, args }) => {
    const s = new SteadySocket(ws(args.t), { reconnect: false });
    const drops = [];
    s.on("drop", (e) => { drops.push(e.reason); s.free(); s.free(); });
    s.send("m", 1);
    s.send("m", 2);
    let threw = "none";
    try { s.close(); } catch (e) { threw = String(e); }
    await settle();
    const err = (f) => { try { f(); return "none"; } catch (e) { return `${e.constructor.name}: ${e.message}`; } };
    return {
      threw,
      drops,
      state: err(() => s.state),
      send: err(() => s.send("m", 3)),
      metrics: err(() => s.metrics()),
      on: err(() => s.on("open", () => {})),
      close: err(() => s.close()),
      free: err(() => s.free()),
    };
  }, { t });
  assert.equal(r.threw, "none");
  assert.deepEqual(r.drops, ["closed", "closed"]);
  for (const k of ["state", "send", "metrics", "on", "close"]) {
    assert.match(r[k], /^Error: .*freed/, `${k}: ${r[k]}`);
  }
  assert.equal(r.free, "none");
});

test("after free() from a handler only outcomes arrive; off() during a dispatch is honoured", async () => {
  const t = tag("freeopen");
  const r = await inPage(async ({ SteadySocket, ws, until, settle, args }) => {
    const out = {};
    // free() in a `state` (to open) handler: the already-queued `open` event is not delivered,
    // queued messages still get their `drop`, requests reject "closed".
    const a = new SteadySocket(ws(args.t));
    const seenA = [];
    for (const ev of ["open", "close", "state", "error", "drop", "sent", "reconnecting"]) a.on(ev, (e) => seenA.push(ev));
    a.send("m", "q1");
    const req = a.request("echo", 1).then(() => "resolved", (e) => e.kind);
    a.on("state", (e) => { if (e.to === "open") a.free(); });
    out.req = await req;
    await settle();
    out.seenA = seenA;
    // free() in the first of two `open` handlers: the second is not called.
    const b = new SteadySocket(ws(args.t));
    const seenB = [];
    b.on("open", () => { seenB.push("first"); b.free(); });
    b.on("open", () => { seenB.push("second"); });
    b.on("error", (e) => seenB.push("error:" + e.kind));
    await new Promise((res) => setTimeout(res, 300));
    out.seenB = seenB;
    // off() inside a handler: the removed handler does not get the current event.
    const c = new SteadySocket(ws(args.t));
    const seenC = [];
    const second = () => seenC.push("second");
    c.on("open", () => { seenC.push("first"); c.off("open", second); });
    c.on("open", second);
    await until(c, "open");
    await settle();
    out.seenC = seenC;
    c.free();
    return out;
  }, { t });
  assert.equal(r.req, "closed");
  // The queued message and the queued request each end in one `drop`.
  assert.deepEqual(r.seenA, ["state", "drop", "drop"], JSON.stringify(r.seenA));
  assert.deepEqual(r.seenB, ["first"]);
  assert.deepEqual(r.seenC, ["first"]);
});

test("odd thrown values never wedge the socket; free() skips typed handlers and later handler errors", async () => {
  const t = tag("oddthrow");
  const r = await inPage(async ({ SteadySocket, ws, until, settle, args }) => {
    const out = {};
    const evil = new Proxy({}, { getPrototypeOf() { throw new Error("proto trap"); } });
    const a = new SteadySocket(ws(args.t));
    const errors = [];
    a.on("error", (e) => errors.push(e.kind));
    a.on("open", () => { throw evil; });
    let second = false;
    a.on("open", () => { second = true; });
    await until(a, "open");
    out.reply = await a.request("echo", 7, { timeoutMs: 3000 });
    out.errors = errors;
    out.second = second;
    let threw;
    try { a.send("f", { toJSON() { throw evil; } }); } catch (e) { threw = `${e.constructor.name}: ${e.message}`; }
    out.threw = threw;
    a.free();
    // free() in a `message` handler: the typed handlers of that message do not run; a handler
    // that throws after free() is logged, not turned into an `error` event.
    const b = new SteadySocket(ws(args.t));
    const log = [];
    b.on("error", (e) => log.push("error:" + e.kind));
    b.on("message", (m) => { log.push("message"); b.free(); throw new Error("after free"); });
    b.onMessage("x", () => log.push("typed"));
    await until(b, "open");
    b.send("x", 1);
    await new Promise((res) => setTimeout(res, 300));
    out.log = log;
    return out;
  }, { t });
  assert.equal(r.reply, 7);
  assert.deepEqual(r.errors, ["handler"]);
  assert.equal(r.second, true);
  assert.match(r.threw, /^TypeError: .*JSON-serializable/);
  assert.deepEqual(r.log, ["message"]);
});

test("getters inside handlers and toJSON are real; a nested window event is not lost", async () => {
  const t = tag("getters");
  const r = await inPage(async ({ SteadySocket, ws, until, settle, args }) => {
    const s = new SteadySocket(ws(args.t), { reconnect: { minDelayMs: 20_000, maxDelayMs: 20_000, jitter: 0 } });
    const seen = [];
    const look = (name) => {
      const m = s.metrics();
      seen.push({ name, state: s.state, queued: s.queued, metrics: typeof m === "object" && m !== null && typeof m.attempts === "number" });
    };
    for (const ev of ["state", "open", "close", "reconnecting", "message"]) s.on(ev, () => look(ev));
    await until(s, "open");
    // User code that runs inside a method call (toJSON during request/send) reads getters.
    await s.request("echo", { toJSON() { look("toJSON:request"); return 1; } });
    s.send("echo-me", { toJSON() { look("toJSON:send"); return 2; } });
    await until(s, "message");
    // Waiting 20 s for the retry: `offline` (a window event) makes the engine announce
    // "waiting for the network"; that handler dispatches `online` from inside it: the nested
    // window event must trigger the attempt now.
    s.on("reconnecting", (e) => { if (e.delayMs === null) window.dispatchEvent(new Event("online")); });
    const waiting = until(s, "reconnecting", (e) => e.delayMs === 20_000);
    const reopened = until(s, "open", () => true, 5000);
    await fetch(`/control/drop?tag=${args.t}`, { method: "POST" });
    await waiting;
    const t0 = performance.now();
    window.dispatchEvent(new Event("offline"));
    await reopened;
    const reopenMs = performance.now() - t0;
    s.free();
    return { seen, reopenMs };
  }, { t });
  assert.ok(r.seen.length >= 7, JSON.stringify(r.seen));
  for (const x of r.seen) {
    assert.ok(x.metrics, `metrics() in ${x.name}: ${JSON.stringify(x)}`);
    assert.ok(["connecting", "open", "reconnecting", "closing", "closed"].includes(x.state), JSON.stringify(x));
  }
  assert.ok(r.seen.some((x) => x.name === "toJSON:request" && x.state === "open"), JSON.stringify(r.seen));
  assert.ok(r.reopenMs < 5000, `reopened after ${r.reopenMs} ms`);
});

test("give-up is reported: accept-then-drop exhausts maxAttempts; stopOnCodes stops", async () => {
  const r = await inPage(async ({ SteadySocket, until, wsBase }) => {
    const s = new SteadySocket(`${wsBase}/ws/slam`, { reconnect: { minDelayMs: 10, maxDelayMs: 20, maxAttempts: 3 }, heartbeat: false });
    const errors = [];
    let opens = 0;
    s.on("open", () => opens++);
    s.on("error", (e) => errors.push(e.kind));
    await until(s, "state", (e) => e.to === "closed", 10_000);
    const slam = { errors, opens, state: s.state };
    s.free();
    return slam;
  });
  assert.equal(r.state, "closed");
  assert.ok(r.opens >= 1, `opens ${r.opens}`);
  assert.ok(r.errors.includes("reconnect-failed"), JSON.stringify(r));

  const t = tag("stop");
  const p = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t));
    const errors = [];
    s.on("error", (e) => errors.push(e));
    await until(s, "open");
    const closed = until(s, "state", (e) => e.to === "closed");
    await fetch(`/control/close?tag=${args.t}&code=1008&reason=no`, { method: "POST" });
    await closed;
    s.free();
    return errors.map((e) => [e.kind, e.message]);
  }, { t });
  assert.equal(p.length, 1, JSON.stringify(p));
  assert.equal(p[0][0], "reconnect-stopped");
  assert.match(p[0][1], /1008/);
});

test("rtt, srtt and rttJitter survive a reconnect", async () => {
  const t = tag("rtt");
  const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t), { heartbeat: { intervalMs: 100, timeoutMs: 2000 }, reconnect: { minDelayMs: 20 } });
    await until(s, "rtt");
    const before = s.metrics();
    const reopened = until(s, "open", (e) => e.reconnected);
    await fetch(`/control/drop?tag=${args.t}`, { method: "POST" });
    await reopened;
    const m = s.metrics();
    const out = { rtt: s.rtt, m: [m.rtt, m.srtt, m.rttJitter], before: [before.rtt, before.srtt, before.rttJitter] };
    s.free();
    return out;
  }, { t });
  assert.equal(typeof r.rtt, "number");
  for (const v of r.m) assert.equal(typeof v, "number", JSON.stringify(r));
});

test("server retryAfterMs advice is clamped (1e300 → maxRetryAfterMs)", async () => {
  const t = tag("retryafter");
  const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const out = {};
    const s = new SteadySocket(ws(args.t), { reconnect: { minDelayMs: 10, maxRetryAfterMs: 300 } });
    await until(s, "open");
    const reason = encodeURIComponent('{"retryAfterMs":1e300}');
    const rec = until(s, "reconnecting");
    const reopened = until(s, "open", () => true, 3000);
    await fetch(`/control/close?tag=${args.t}&code=4500&reason=${reason}`, { method: "POST" });
    out.delay = (await rec).delayMs;
    await reopened;
    s.free();
    const d = new SteadySocket(ws(args.t));
    await until(d, "open");
    const rec2 = until(d, "reconnecting");
    await fetch(`/control/close?tag=${args.t}&code=4500&reason=${reason}`, { method: "POST" });
    out.defaultDelay = (await rec2).delayMs;
    d.free();
    return out;
  }, { t });
  assert.equal(r.delay, 300);
  assert.equal(r.defaultDelay, 300_000);
});

test("request() serializes once; a throwing toJSON throws and sends nothing", async () => {
  const t = tag("tojson");
  const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t));
    await until(s, "open");
    let calls = 0;
    const once = { toJSON() { if (calls++) throw new Error("second call"); return { a: 1 }; } };
    const reply = await s.request("echo", once);
    let threw = "none";
    try {
      s.request("echo", { toJSON() { throw new Error("nope"); } });
    } catch (e) { threw = `${e.constructor.name}: ${e.message}`; }
    let threwSend = "none";
    try { s.send("m", { toJSON() { throw new Error("nope"); } }); } catch (e) { threwSend = e.constructor.name; }
    await s.request("echo", "barrier");
    const m = s.metrics();
    s.free();
    return { reply, calls, threw, threwSend, out: m.messagesOut };
  }, { t });
  assert.deepEqual(r.reply, { a: 1 });
  assert.equal(r.calls, 1);
  assert.match(r.threw, /^TypeError: .*nope/);
  assert.equal(r.threwSend, "TypeError");
  assert.equal(r.out, 2, "only the two good requests went out");
});

test("a frame the socket refuses ends as drop 'connection-lost', never sent", async () => {
  const t = tag("refused");
  const r = await inPage(async ({ SteadySocket, ws, until, settle, args }) => {
    const s = new SteadySocket(ws(args.t), { heartbeat: false });
    await until(s, "open");
    // Make every WebSocket report CLOSING, as one does between the server's close frame and
    // the close event: the browser would silently discard a send.
    const desc = Object.getOwnPropertyDescriptor(WebSocket.prototype, "readyState");
    Object.defineProperty(WebSocket.prototype, "readyState", { configurable: true, get() { return 2; } });
    const drops = [];
    const sent = [];
    s.on("drop", (e) => drops.push([e.type, e.data, e.reason]));
    s.on("sent", (e) => sent.push(e.data));
    const result = s.send("m", "lost");
    const req = s.request("echo", 1).then(() => "resolved", (e) => e.kind);
    await settle();
    Object.defineProperty(WebSocket.prototype, "readyState", desc);
    const kind = await req;
    s.free();
    return { result, drops, sent, kind };
  }, { t });
  assert.equal(r.result, "sent");
  assert.deepEqual(r.drops[0], ["m", "lost", "connection-lost"]);
  assert.deepEqual(r.sent, []);
  assert.equal(r.kind, "connection-lost");
});

test("no uncaught page errors", () => {
  assert.deepEqual(pageErrors, []);
});
