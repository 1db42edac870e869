// The JS API of the built npm package (pkg/), as a JS user sees it, in headless Chromium
// against the reference server. What's tested:
// - every bad option in a table → the right exception type, naming the option path
// - bad URLs, bad close codes/reasons, unknown event names
// - typed send/onMessage, "message" events, requests (resolve, remote error, timeout),
//   sendRaw (text + binary), metrics, rtt
// - sends made inside an "open" handler go before the queued backlog (server log order);
//   each queued message gets one "sent" event
// - handler exceptions are reported as "error" events and the socket keeps working
// - close(): queued messages → "drop" (closed), pending requests reject "closed", send throws;
//   free() settles pending requests and the queue the same way
// - URL provider (sync and Promise) called before every attempt; reconnect(); unsubscribe
// - no leak across 1000 reconnects (JS heap and wasm memory before/after, forced GC)

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, control, pageRunner, serverUrl, tag } from "./helpers.mjs";

let browser;
let page;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [...CHROMIUM_ARGS, "--js-flags=--expose-gc", "--enable-precise-memory-info"],
  });
  page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(serverUrl() + "/harness.html");
  await page.waitForFunction(() => document.title === "ready", null, { timeout: 20_000 });
  inPage = pageRunner(page);
});
after(async () => {
  await browser?.close();
});

let inPage;

test("bad options throw the right error naming the option", async () => {
  const results = await inPage(({ SteadySocket }) => {
    const cases = [
      [{ reconnect: { maxDelayMs: "x" } }, "TypeError", "reconnect.maxDelayMs"],
      [{ reconnect: { maxDelayMs: 10 } }, "RangeError", "reconnect.maxDelayMs"],
      [{ reconnect: { minDelayMs: -1 } }, "RangeError", "reconnect.minDelayMs"],
      [{ reconnect: { minDelayMs: 0 } }, "RangeError", "reconnect.minDelayMs"],
      [{ reconnect: { maxRetryAfterMs: -1 } }, "RangeError", "reconnect.maxRetryAfterMs"],
      [{ reconnect: { maxRetryAfterMs: NaN } }, "RangeError", "reconnect.maxRetryAfterMs"],
      [{ protocols: "a b" }, "RangeError", "protocols[0]"],
      [{ protocols: ["x", "x"] }, "RangeError", "protocols[1]"],
      [{ protocols: [""] }, "RangeError", "protocols[0]"],
      [{ reconnect: { jitter: 2 } }, "RangeError", "reconnect.jitter"],
      [{ reconnect: { factor: 0.5 } }, "RangeError", "reconnect.factor"],
      [{ reconnect: { maxAttempts: -1 } }, "RangeError", "reconnect.maxAttempts"],
      [{ reconnect: { maxAttempts: 1.5 } }, "RangeError", "reconnect.maxAttempts"],
      [{ reconnect: { stableMs: Infinity } }, "RangeError", "reconnect.stableMs"],
      [{ reconnect: { stopOnCodes: "1008" } }, "TypeError", "reconnect.stopOnCodes"],
      [{ reconnect: { stopOnCodes: [[4000]] } }, "TypeError", "reconnect.stopOnCodes[0]"],
      [{ reconnect: { stopOnCodes: [1008, 999] } }, "RangeError", "reconnect.stopOnCodes[1]"],
      [{ reconnect: { stopOnCodes: [[4099, 4000]] } }, "RangeError", "reconnect.stopOnCodes[0]"],
      [{ reconnect: 5 }, "TypeError", "reconnect"],
      [{ reconnect: { minDelay: 5 } }, "TypeError", "reconnect.minDelay"],
      [{ heartbeat: { intervalMs: 0 } }, "RangeError", "heartbeat.intervalMs"],
      [{ heartbeat: { timeoutMs: -5 } }, "RangeError", "heartbeat.timeoutMs"],
      [{ heartbeat: { ping: 5 } }, "TypeError", "heartbeat.ping"],
      [{ heartbeat: { ping: "" } }, "RangeError", "heartbeat.ping"],
      [{ heartbeat: "yes" }, "TypeError", "heartbeat"],
      [{ queue: { maxMessages: -1 } }, "RangeError", "queue.maxMessages"],
      [{ queue: { maxMessages: 1.5 } }, "RangeError", "queue.maxMessages"],
      [{ queue: { maxBytes: "1" } }, "TypeError", "queue.maxBytes"],
      [{ queue: { overflow: "drop" } }, "RangeError", "queue.overflow"],
      [{ queue: { overflow: 1 } }, "TypeError", "queue.overflow"],
      [{ queue: { ttlMs: 0 } }, "RangeError", "queue.ttlMs"],
      [{ queue: [] }, "TypeError", "queue"],
      [{ connectTimeoutMs: NaN }, "RangeError", "connectTimeoutMs"],
      [{ requestTimeoutMs: "10" }, "TypeError", "requestTimeoutMs"],
      [{ maxMessageBytes: 0 }, "RangeError", "maxMessageBytes"],
      [{ protocols: 5 }, "TypeError", "protocols"],
      [{ protocols: ["a", 1] }, "TypeError", "protocols[1]"],
      [{ typo: 1 }, "TypeError", "typo"],
      ["options", "TypeError", "options"],
    ];
    return cases.map(([opts, type, path]) => {
      try {
        const s = new SteadySocket("ws://127.0.0.1:1/never", opts);
        s.free();
        return { path, ok: false, got: "no exception" };
      } catch (e) {
        const ok = e.constructor.name === type && e.message.includes("`" + path + "`");
        return { path, ok, got: `${e.constructor.name}: ${e.message}` };
      }
    });
  });
  const bad = results.filter((r) => !r.ok);
  assert.deepEqual(bad, [], JSON.stringify(bad, null, 2));
  assert.equal(results.length, 39);
});

test("bad URLs, close arguments and event names throw", async () => {
  const got = await inPage(({ SteadySocket }) => {
    const err = (f) => { try { f(); return "none"; } catch (e) { return `${e.constructor.name}: ${e.message}`; } };
    const s = new SteadySocket("ws://127.0.0.1:1/x", { reconnect: false });
    const out = {
      ftp: err(() => new SteadySocket("ftp://example.com/ws")),
      garbage: err(() => new SteadySocket("ws://[not-ipv6/")),
      number: err(() => new SteadySocket(42)),
      code: err(() => s.close(999)),
      codeString: err(() => s.close("1000")),
      codeNaN: err(() => s.close(NaN)),
      reasonType: err(() => s.close(1000, 5)),
      port: err(() => new SteadySocket("ws://127.0.0.1:99999/")),
      portText: err(() => new SteadySocket("ws://127.0.0.1:abc/")),
      port0: err(() => new SteadySocket("ws://127.0.0.1:0/")),
      getter: err(() => new SteadySocket("ws://127.0.0.1:1/x", { get reconnect() { throw new RangeError("from the getter"); } })),
      nestedGetter: err(() => new SteadySocket("ws://127.0.0.1:1/x", { queue: { get maxMessages() { throw new Error("nested getter"); } } })),
      timeoutNaN: err(() => s.request("x", 1, { timeoutMs: NaN })),
      reqOptKey: err(() => s.request("x", 1, { timeout: 5 })),
      reason: err(() => s.close(1000, "x".repeat(124))),
      event: err(() => s.on("nope", () => {})),
      handler: err(() => s.on("open", 5)),
      sendType: err(() => s.send(5, {})),
      bigint: err(() => s.send("x", { n: 1n })),
    };
    s.free();
    return out;
  });
  assert.match(got.ftp, /^SyntaxError: .*ftp:\/\/example\.com\/ws.*scheme must be ws:, wss:, http: or https:/);
  assert.match(got.garbage, /^SyntaxError: .*not-ipv6/);
  assert.match(got.number, /^TypeError/);
  assert.match(got.code, /^RangeError/);
  assert.match(got.codeString, /^TypeError: .*`code`/);
  assert.match(got.codeNaN, /^RangeError: .*`code`/);
  assert.match(got.reasonType, /^TypeError: .*`reason`/);
  assert.match(got.port, /^SyntaxError: .*99999/);
  assert.match(got.portText, /^SyntaxError/);
  assert.match(got.port0, /^SyntaxError: .*port 0/);
  assert.equal(got.getter, "RangeError: from the getter");
  assert.equal(got.nestedGetter, "Error: nested getter");
  assert.match(got.timeoutNaN, /^RangeError: .*timeoutMs/);
  assert.match(got.reqOptKey, /^TypeError: .*argument `options.timeout`/);
  assert.match(got.reason, /^RangeError/);
  assert.match(got.event, /^TypeError: .*"nope"/);
  assert.match(got.handler, /^TypeError/);
  assert.match(got.sendType, /^TypeError/);
  assert.match(got.bigint, /^TypeError: .*JSON/);
});

test("typed messages, requests, raw frames, metrics", async () => {
  const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t), { heartbeat: { intervalMs: 200, timeoutMs: 2000 } });
    const first = s.send("echo", { n: 1 });
    await until(s, "open");
    const typed = new Promise((res) => s.onMessage("echo", res));
    const anyMsg = until(s, "message", (m) => m.type === "echo");
    const out = { first, state: s.state };
    out.again = s.send("echo", { n: 2 });
    out.typed = await typed;
    out.message = await anyMsg;
    out.sum = await s.request("add", { a: 2, b: 40 });
    try { await s.request("fail", { message: "nope", code: "E42" }); } catch (e) { out.remote = { kind: e.kind, code: e.code, message: e.message }; }
    try { await s.request("slow", { ms: 3000 }, { timeoutMs: 100 }); } catch (e) { out.timeout = e.kind; }
    const rawText = until(s, "raw");
    s.sendRaw("plain text");
    out.rawText = await rawText;
    const rawBin = until(s, "raw");
    s.sendRaw(new Uint8Array([1, 2, 3]));
    const bin = await rawBin;
    out.rawBin = [bin.constructor.name, Array.from(bin)];
    out.rttEvent = await until(s, "rtt");
    out.rtt = s.rtt;
    out.metrics = s.metrics();
    s.close();
    await until(s, "state", (e) => e.to === "closed");
    out.finalState = s.state;
    return out;
  }, { t: tag("api") });
  assert.equal(r.first, "queued");
  assert.equal(r.state, "open");
  assert.equal(r.again, "sent");
  assert.deepEqual(r.typed, { n: 1 });
  assert.deepEqual(r.message, { type: "echo", data: { n: 1 } });
  assert.equal(r.sum, 42);
  assert.deepEqual(r.remote, { kind: "remote", code: "E42", message: "nope" });
  assert.equal(r.timeout, "timeout");
  assert.equal(r.rawText, "plain text");
  assert.deepEqual(r.rawBin, ["Uint8Array", [1, 2, 3]]);
  assert.ok(r.rtt >= 0 && r.rtt < 1000, `rtt ${r.rtt}`);
  assert.equal(r.rttEvent.rtt, r.rtt, "the rtt event carries the latest sample");
  assert.equal(typeof r.rttEvent.srtt, "number");
  assert.equal(typeof r.rttEvent.jitter, "number");
  assert.ok(r.metrics.messagesOut >= 6 && r.metrics.messagesIn >= 5, JSON.stringify(r.metrics));
  assert.equal(typeof r.metrics.srtt, "number");
  assert.equal(r.finalState, "closed");
});

test("sends inside the open handler go before the queued backlog", async () => {
  const t = tag("openfirst");
  await control("refuse", { ms: 60000, tag: t });
  const pending = inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t), { reconnect: { minDelayMs: 50, maxDelayMs: 100 } });
    for (const n of ["a", "b", "c"]) s.send("q", n);
    window.__sentEvents = [];
    s.on("sent", (e) => window.__sentEvents.push(e.data));
    s.on("open", () => s.send("q", "first"));
    await until(s, "reconnecting");
    window.__openFirst = s;
    return s.queued;
  }, { t });
  assert.equal(await pending, 3);
  await control("refuse", { ms: 0, tag: t });
  const sentEvents = await inPage(async ({ until }) => {
    const s = window.__openFirst;
    if (s.state !== "open") await until(s, "open");
    await s.request("echo", 1);
    s.free();
    return window.__sentEvents;
  });
  const log = await (await fetch(`${serverUrl()}/control/log?type=q&tag=${t}`)).json();
  assert.deepEqual(log.events.map((e) => e.data), ["first", "a", "b", "c"]);
  assert.deepEqual(sentEvents, ["a", "b", "c"], "one sent event per queued message");
});

test("handler exceptions are reported and the socket keeps working", async () => {
  const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t));
    const errors = [];
    s.on("error", (e) => errors.push({ kind: e.kind, message: e.message }));
    s.on("open", () => { throw new Error("boom in open"); });
    s.onMessage("echo", () => { throw new TypeError("boom in onMessage"); });
    await until(s, "open");
    s.send("echo", 1);
    const v = await s.request("add", { a: 1, b: 1 });
    s.free();
    return { errors, v };
  }, { t: tag("throw") });
  assert.equal(r.v, 2);
  assert.equal(r.errors.length, 2, JSON.stringify(r.errors));
  assert.ok(r.errors.every((e) => e.kind === "handler"));
  assert.match(r.errors[0].message, /boom in open/);
  assert.match(r.errors[1].message, /boom in onMessage/);
});

test("close() drops the queue, rejects requests, and send throws afterwards", async () => {
  const t = tag("close");
  await control("refuse", { ms: 60000, tag: t });
  const r = await inPage(async ({ SteadySocket, ws, args }) => {
    const s = new SteadySocket(ws(args.t));
    const drops = [];
    s.on("drop", (d) => drops.push(d));
    s.send("q", 1);
    s.sendRaw("raw!");
    const req = s.request("echo", 5).catch((e) => e.kind);
    s.close(4001, "bye");
    const out = { drops, reqKind: await req, state: s.state };
    try { s.send("q", 2); } catch (e) { out.sendErr = e.kind; }
    out.reqAfter = await s.request("echo", 1).catch((e) => e.kind);
    s.free();
    // free() settles what is pending: requests reject "closed", queued messages are dropped.
    const t = new SteadySocket(ws(args.t));
    const freedDrops = [];
    t.on("drop", (d) => freedDrops.push(d.reason));
    const pending = t.request("echo", 9).catch((e) => e.kind);
    t.free();
    out.freed = { kind: await pending, drops: freedDrops };
    return out;
  }, { t });
  await control("refuse", { ms: 0, tag: t });
  assert.equal(r.state, "closed");
  assert.equal(r.reqKind, "closed");
  assert.equal(r.sendErr, "closed");
  assert.equal(r.reqAfter, "closed");
  assert.deepEqual(r.drops.map((d) => [d.type, d.data, d.reason]), [["q", 1, "closed"], [null, "raw!", "closed"], ["echo", 5, "closed"]]);
  assert.deepEqual(r.freed, { kind: "closed", drops: ["closed"] });
});

test("URL provider is called before every attempt; reconnect(); unsubscribe", async () => {
  const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
    let calls = 0;
    const s = new SteadySocket(async () => { calls += 1; return ws(args.t); });
    let opens = 0;
    const off = s.on("open", () => { opens += 1; });
    await until(s, "open");
    s.reconnect();
    await until(s, "open");
    off();
    s.reconnect();
    await until(s, "open");
    const out = { calls, opens, state: s.state };
    const bad = new SteadySocket(() => { throw new Error("no token"); }, { reconnect: { maxAttempts: 0 } });
    out.badErr = await until(bad, "error");
    bad.free();
    s.free();
    return out;
  }, { t: tag("provider") });
  assert.equal(r.calls, 3);
  assert.equal(r.opens, 2, "the unsubscribed handler is not called");
  assert.equal(r.state, "open");
  assert.equal(r.badErr.kind, "url");
  assert.match(r.badErr.message, /no token/);
});

test("no leak across 1000 reconnects (JS heap and wasm memory)", { timeout: 120_000 }, async () => {
  const t = tag("leak");
  const r = await inPage(async ({ SteadySocket, wasm, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t), { heartbeat: false });
    await until(s, "open");
    const cycle = async (n) => { for (let i = 0; i < n; i++) { s.reconnect(); await until(s, "open"); } };
    await cycle(100); // warm up allocator and JIT
    const measure = () => { gc(); gc(); return { heap: performance.memory.usedJSHeapSize, wasm: wasm.memory.buffer.byteLength }; };
    const before = measure();
    const t0 = performance.now();
    await cycle(1000);
    const ms = performance.now() - t0;
    const afterM = measure();
    const metrics = s.metrics();
    s.free();
    return { before, after: afterM, ms, reconnects: metrics.reconnects };
  }, { t });
  const stats = await (await fetch(`${serverUrl()}/control/stats?tag=${t}`)).json();
  const heapGrowth = r.after.heap - r.before.heap;
  const wasmGrowth = r.after.wasm - r.before.wasm;
  console.log(`1000 reconnects in ${r.ms.toFixed(0)} ms; JS heap ${r.before.heap} → ${r.after.heap} (${heapGrowth} B); wasm ${r.before.wasm} → ${r.after.wasm} (${wasmGrowth} B)`);
  assert.equal(r.reconnects, 1100);
  assert.ok(wasmGrowth <= 65536, `wasm memory grew by ${wasmGrowth} B`);
  assert.ok(heapGrowth < 1_000_000, `JS heap grew by ${heapGrowth} B over 1000 reconnects`);
  assert.equal(stats.connections, 0, "free() closed the socket; no stale sockets left open");
});
