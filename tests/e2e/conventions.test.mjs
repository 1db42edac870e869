// Issue 12, items 1-4: the native WebSocket's conventions, ready-gating, requests from the
// server and lifecycle errors, end to end: the built package (pkg/) in headless Chromium
// against the reference server. What's tested:
// - readyState (+ the CONNECTING/OPEN/CLOSING/CLOSED constants on the class and instances)
//   through a whole life; url (relative, http:, URL objects, a provider's latest); protocol
//   (the server's selected subprotocol) and extensions, compared with a native WebSocket;
//   bufferedAmount = socket + queue (+ Blobs being read)
// - binaryType: DOM listeners get ArrayBuffer (default) or Blob, on() handlers Uint8Array;
//   Blob sends keep their order with the sends around them
// - EventTarget: instanceof, addEventListener/removeEventListener, {once}, {signal},
//   onopen/onmessage/onclose/onerror (one each, replaced in place, null removes), `this`,
//   DOM event shapes (MessageEvent, CloseEvent + willReconnect, ErrorEvent + kind,
//   CustomEvent detail); once(); a DOM listener that throws does not stop the others
// - autoConnect: false (closed, queues) + connect(); connect() is a no-op when not closed
// - shouldReconnect(closeEvent): false stops (reconnect-stopped), true/undefined keeps going,
//   a throw is a `handler` error and keeps going; stopOnCodes still wins
// - ready-gating against a server that refuses everything before `auth`: the backlog and new
//   sends wait for the open handler's Promise (nothing refused, order kept); a rejection or a
//   handshakeTimeoutMs timeout fails the connection (error kind handshake) and it retries;
//   onopen returning a Promise gates too
// - handle(): the server's requests are answered (value, Promise, throw, rejection with code,
//   no handler → no-handler, replaced handler, removed handler), with the codec too; the
//   `message` event carries the id
// - lifecycle: use after free() names free(); free() twice is a no-op; readyState after free

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage, pageRunner, serverUrl, tag } from "./helpers.mjs";

let browser;
let page;
let errors;
let inPage;

before(async () => {
  browser = await launchBrowser();
  ({ page, errors } = await openPage(browser, "/harness.html"));
  await page.waitForFunction(() => document.title === "ready", null, { timeout: 20_000 });
  inPage = pageRunner(page);
});
after(async () => {
  await browser?.close();
});

test("readyState, constants, url, protocol, extensions, bufferedAmount", async () => {
  const t = tag("conv");
  const got = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const out = {};
    out.consts = [SteadySocket.CONNECTING, SteadySocket.OPEN, SteadySocket.CLOSING, SteadySocket.CLOSED];
    const s = new SteadySocket(`/ws?tag=${args.t}`, { protocols: ["steadysocket.v1"], reconnect: { minDelayMs: 50, jitter: 0 } });
    out.instConsts = [s.CONNECTING, s.OPEN, s.CLOSING, s.CLOSED];
    out.isTarget = s instanceof EventTarget;
    out.url = s.url;
    out.rs = [s.readyState];
    out.protoBefore = s.protocol;
    s.send("q", 1);
    out.bufferedQueued = s.bufferedAmount; // the queued frame's bytes
    await until(s, "open");
    out.rs.push(s.readyState);
    out.protocol = s.protocol;
    out.extensions = s.extensions;
    const native = new WebSocket(ws(args.t), ["steadysocket.v1"]);
    await new Promise((r) => (native.onopen = r));
    out.native = [native.protocol, native.extensions];
    native.close();
    out.bufferedOpen = s.bufferedAmount;
    // reconnecting is CONNECTING, as reconnecting-websocket reports it
    const rec = until(s, "state", (e) => e.to == "reconnecting");
    await fetch(`/control/drop?tag=${args.t}`, { method: "POST" });
    await rec;
    out.rs.push(s.readyState);
    await until(s, "open");
    s.close();
    out.rs.push(s.readyState);
    await until(s, "close");
    out.rs.push(s.readyState);
    s.free();
    out.rs.push(s.readyState);
    const h = new SteadySocket(ws(args.t).replace(/^ws/, "http"), { autoConnect: false });
    out.http = h.url;
    h.free();
    const u = new SteadySocket(new URL(ws(args.t)), { autoConnect: false });
    out.urlObj = u.url;
    u.free();
    let n = 0;
    const p = new SteadySocket(() => ws(args.t) + "&n=" + ++n);
    out.providerBefore = p.url;
    await until(p, "open");
    out.provider = p.url;
    p.free();
    return out;
  }, { t });
  const base = serverUrl().replace(/^http/, "ws");
  assert.deepEqual(got.consts, [0, 1, 2, 3]);
  assert.deepEqual(got.instConsts, [0, 1, 2, 3]);
  assert.equal(got.isTarget, true);
  assert.equal(got.url, `${base}/ws?tag=${t}`);
  assert.deepEqual(got.rs, [0, 1, 0, 2, 3, 3]);
  assert.equal(got.protoBefore, "");
  assert.equal(got.protocol, "steadysocket.v1");
  assert.deepEqual([got.protocol, got.extensions], got.native);
  assert.equal(got.bufferedQueued, JSON.stringify({ type: "q", data: 1 }).length);
  assert.equal(got.bufferedOpen, 0);
  assert.equal(got.http, `${base}/ws?tag=${t}`);
  assert.equal(got.urlObj, `${base}/ws?tag=${t}`);
  assert.equal(got.providerBefore, "");
  assert.equal(got.provider, `${base}/ws?tag=${t}&n=1`);
});

test("binaryType and Blob sends: DOM listeners get ArrayBuffer or Blob, order kept", async () => {
  const t = tag("bin");
  const got = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t, "/ws/raw"), { protocol: "raw" });
    const dom = [], raw = [];
    s.addEventListener("message", (e) => dom.push(e.data));
    s.on("raw", (d) => raw.push(d));
    const out = { bt: s.binaryType };
    // Queued before open: a Blob between two texts keeps its place.
    s.send("a");
    out.blobResult = s.send(new Blob([new Uint8Array([1, 2, 3])]));
    out.after = s.send("b");
    await until(s, "open");
    const seen = (n) => new Promise((r) => { const t = setInterval(() => { if (raw.length >= n) { clearInterval(t); r(); } }, 5); });
    await seen(3);
    s.binaryType = "nonsense"; // ignored, as the native setter does
    out.bt2 = s.binaryType;
    s.binaryType = "blob";
    s.send(new Uint8Array([9, 8]));
    await seen(4);
    const desc = (d) => typeof d == "string" ? d : d instanceof ArrayBuffer ? `ab:${[...new Uint8Array(d)]}` : d instanceof Blob ? "blob" : d instanceof Uint8Array ? `u8:${[...d]}` : typeof d;
    out.dom = dom.map(desc);
    out.raw = raw.map(desc);
    out.blobBytes = [...new Uint8Array(await dom[3].arrayBuffer())];
    s.free();
    return out;
  }, { t });
  assert.equal(got.bt, "arraybuffer");
  assert.equal(got.bt2, "arraybuffer");
  assert.equal(got.blobResult, "queued");
  assert.equal(got.after, "queued");
  assert.deepEqual(got.dom, ["a", "ab:1,2,3", "b", "blob"]);
  assert.deepEqual(got.raw, ["a", "u8:1,2,3", "b", "u8:9,8"]);
  assert.deepEqual(got.blobBytes, [9, 8]);
});

test("EventTarget surface: listeners, options, on<name> properties, event shapes, once()", async () => {
  const t = tag("et");
  const got = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t), { reconnect: { minDelayMs: 30, jitter: 0, stopOnCodes: [4001] } });
    const log = [];
    const ac = new AbortController();
    s.on("open", () => log.push("on:open"));
    s.addEventListener("open", function (e) { log.push(`dom:open:${e.constructor.name}:${e.reconnected}:${this === s}`); });
    s.addEventListener("open", () => log.push("dom:once"), { once: true });
    s.addEventListener("open", () => log.push("dom:signal"), { signal: ac.signal });
    const removed = () => log.push("removed");
    s.addEventListener("open", removed);
    s.removeEventListener("open", removed);
    s.onopen = () => log.push("onopen1");
    s.onopen = function () { log.push(`onopen2:${this === s}`); }; // replaced in place
    s.addEventListener("open", () => { throw new Error("dom listener throws"); });
    s.addEventListener("open", () => log.push("after-throw"));
    s.once("open", () => log.push("once"));
    const msgs = [];
    s.onmessage = (e) => msgs.push([e.constructor.name, e.data.type, e.data.data]);
    s.addEventListener("state", (e) => log.push(`state:${e.constructor.name}:${e.detail.to}`));
    const closes = [];
    s.onclose = (e) => closes.push([e.constructor.name, e.code, e.reason, e.wasClean, e.willReconnect]);
    const errs = [];
    s.onerror = (e) => errs.push([e.constructor.name, e.kind, e.message]);
    {
      await until(s, "open");
      ac.abort();
      s.send("hello", { x: 1 });
      await until(s, "message", (m) => m.type == "hello");
      const reopened = until(s, "open");
      await fetch(`/control/drop?tag=${args.t}`, { method: "POST" });
      await reopened;
      const closed = until(s, "state", (e) => e.to == "closed");
      await fetch(`/control/close?tag=${args.t}&code=4001&reason=bye`, { method: "POST" });
      await closed;
    }
    s.onmessage = null;
    const props = [s.onopen === null, s.onmessage === null];
    s.free();
    return { log, msgs, closes, errs, props };
  }, { t });
  // Order: on() handlers (and once) first, then the DOM listeners in registration order.
  const firstOpen = got.log.slice(got.log.indexOf("on:open"), got.log.indexOf("on:open") + 7);
  assert.deepEqual(firstOpen, ["on:open", "once", "dom:open:Event:false:true", "dom:once", "dom:signal", "onopen2:true", "after-throw"]);
  const second = got.log.slice(got.log.lastIndexOf("on:open"));
  assert.deepEqual(second.filter((x) => !x.startsWith("state:")), ["on:open", "dom:open:Event:true:true", "onopen2:true", "after-throw"]);
  assert.ok(!got.log.includes("removed") && !got.log.includes("onopen1"));
  assert.deepEqual(got.msgs, [["MessageEvent", "hello", { x: 1 }]]);
  assert.deepEqual(got.closes, [["CloseEvent", 1006, "", false, true], ["CloseEvent", 4001, "bye", true, false]]);
  assert.deepEqual(got.errs.map((e) => e.slice(0, 2)), [["ErrorEvent", "reconnect-stopped"]]);
  assert.deepEqual(got.props, [false, true]);
  // The throwing DOM listener was reported by the browser (as the native EventTarget does).
  assert.ok(errors.some((e) => e.includes("dom listener throws")), errors.join("\n"));
  errors.length = 0;
});

test("autoConnect: false queues until connect(); shouldReconnect decides after a close", async () => {
  const t = tag("ac");
  const got = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const log = async () => (await (await fetch(`/control/log?tag=${args.t}`, { method: "POST" })).json()).events.map((e) => e.data);
    const asked = [];
    let verdict = true;
    const s = new SteadySocket(ws(args.t), {
      autoConnect: false,
      reconnect: { minDelayMs: 30, jitter: 0 },
      shouldReconnect: (e) => { asked.push([e.code, e.reason, e.wasClean]); if (verdict === "throw") throw new Error("nope"); return verdict; },
    });
    const out = { state: s.state, rs: s.readyState };
    out.sent = [s.send("m", 1), s.send("m", 2)];
    out.queued = s.queued;
    await new Promise((r) => setTimeout(r, 50));
    out.stillClosed = s.state;
    s.connect();
    await until(s, "open");
    s.connect(); // open: nothing
    s.send("m", 3);
    await until(s, "message", (m) => m.data === 3);
    out.log = await log();
    const errs = [];
    s.on("error", (e) => errs.push([e.kind, e.message]));
    // true, undefined and a throw keep reconnecting
    for (const v of [true, undefined, "throw"]) {
      verdict = v;
      const closed = until(s, "close"), reopened = until(s, "open");
      await fetch(`/control/close?tag=${args.t}&code=4500&reason=r`, { method: "POST" });
      out[`keep:${v}`] = (await closed).willReconnect;
      await reopened;
    }
    verdict = false;
    const last = until(s, "close");
    await fetch(`/control/close?tag=${args.t}&code=4500&reason=last`, { method: "POST" });
    const c = await last;
    out.stop = [c.willReconnect, s.state];
    out.errs = errs;
    out.asked = asked;
    // A closed socket can connect() again.
    s.connect();
    out.again = s.state;
    await until(s, "open");
    s.free();
    // close() before connect(): the queue is dropped as "closed".
    const q = new SteadySocket(ws(args.t), { autoConnect: false });
    const drops = [];
    q.on("drop", (d) => drops.push([d.type, d.reason]));
    q.send("x", 1);
    const req = q.request("echo", 1).catch((e) => e.kind);
    q.close();
    out.idleClose = [await req, drops];
    q.free();
    return out;
  }, { t });
  assert.equal(got.state, "closed");
  assert.equal(got.rs, 3);
  assert.deepEqual(got.sent, ["queued", "queued"]);
  assert.equal(got.queued, 2);
  assert.equal(got.stillClosed, "closed");
  assert.deepEqual(got.log, [1, 2, 3]);
  assert.equal(got["keep:true"], true);
  assert.equal(got["keep:undefined"], true);
  assert.equal(got["keep:throw"], true);
  assert.deepEqual(got.stop, [false, "closed"]);
  assert.deepEqual(got.asked, [[4500, "r", true], [4500, "r", true], [4500, "r", true], [4500, "last", true]]);
  assert.deepEqual(got.errs, [
    ["handler", "shouldReconnect threw: Error: nope"],
    ["reconnect-stopped", "server closed with code 4500, and shouldReconnect returned false"],
  ]);
  assert.equal(got.again, "connecting");
  assert.deepEqual(got.idleClose, ["closed", [["x", "closed"], ["echo", "closed"]]]);
});

test("ready-gating: the backlog and new sends wait for the open handler's Promise", async () => {
  const t = tag("gate");
  const got = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const log = async () => (await (await fetch(`/control/log?tag=${args.t}`, { method: "POST" })).json()).events.filter((e) => e.type == "m").map((e) => e.data);
    const out = {};
    // Without the gate the server refuses what arrives before auth: the bug of the issue.
    const bare = new SteadySocket(ws(args.t) + "&auth=secret");
    const refused = [];
    bare.onMessage("error", (d) => refused.push(d.refused));
    bare.on("open", () => { bare.request("auth", { token: "secret", delayMs: 100 }).catch(() => {}); });
    bare.send("m", 0);
    await until(bare, "message", (m) => m.type == "error");
    out.bare = refused;
    bare.free();

    const s = new SteadySocket(ws(args.t) + "&auth=secret", { reconnect: { minDelayMs: 30, jitter: 0 } });
    const seen = [];
    s.onMessage("error", (d) => seen.push(d));
    let token = "wrong";
    const attempts = [];
    s.on("open", async (e) => {
      attempts.push(e.attempt);
      await e.request("auth", { token, delayMs: 150 });
      e.send("m", "handshake-done");
    });
    const errs = [];
    s.on("error", (e) => errs.push([e.kind, e.message]));
    s.send("m", 1);
    s.send("m", 2);
    // The first auth fails (wrong token): a failed attempt, then it retries with the right one.
    await until(s, "error", (e) => e.kind == "handshake");
    out.stateAfterReject = s.state;
    token = "secret";
    await until(s, "open");
    out.during = [s.send("m", 3), s.queued];
    await until(s, "sent", (e) => e.data === 3, 5000);
    s.send("m", 4);
    await until(s, "message", (m) => m.data === 4);
    out.log = await log();
    out.errs = errs;
    out.seen = seen;
    out.attempts = attempts;
    s.free();

    // A handler that never settles: handshakeTimeoutMs fails the attempt.
    const h = new SteadySocket(ws(args.t), { handshakeTimeoutMs: 200, reconnect: { minDelayMs: 30, jitter: 0 } });
    let first = true;
    h.onopen = () => first ? (first = false, new Promise(() => {})) : undefined;
    const herrP = until(h, "error", (e) => e.kind == "handshake"), closedP = until(h, "close");
    const herr = await herrP;
    out.timeout = herr.message;
    const closed = await closedP;
    out.timeoutClose = [closed.code, closed.reason, closed.willReconnect];
    await until(h, "open");
    out.timeoutRecovered = h.send("m", "after") ;
    h.free();
    return out;
  }, { t });
  assert.deepEqual(got.bare, ["m"]);
  assert.equal(got.stateAfterReject, "reconnecting");
  assert.deepEqual(got.errs.map((e) => e[0]), ["handshake"]);
  assert.match(got.errs[0][1], /^an open handler's Promise rejected: Error: .*bad token/);
  assert.deepEqual(got.during, ["queued", 3]);
  // Nothing refused; the handshake's own message first, then the backlog in order.
  assert.deepEqual(got.seen, []);
  assert.deepEqual(got.log, ["handshake-done", 1, 2, 3, 4]);
  assert.deepEqual(got.attempts, [0, 1]);
  assert.match(got.timeout, /did not settle within handshakeTimeoutMs \(200 ms\)/);
  assert.deepEqual(got.timeoutClose, [1006, "open handler failed", true]);
  assert.equal(got.timeoutRecovered, "sent");
});

test("handle(): the server's requests get replies (value, Promise, errors, unhandled types stay events, bad ids, codec)", async () => {
  const t = tag("ask");
  const got = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t));
    const msgs = [];
    s.on("message", (m) => m.type != "answer" && msgs.push([m.type, m.id ?? null]));
    const typed = [];
    s.onMessage("add", (d) => typed.push(d));
    s.onMessage("unknown", (d) => typed.push(["unknown", d]));
    s.onMessage("gone", (d) => typed.push(["gone", d]));
    s.handle("add", ([a, b]) => a + b);
    s.handle("later", async (d, req) => { await new Promise((r) => setTimeout(r, 20)); return { got: d, req }; });
    s.handle("boom", () => { throw Object.assign(new Error("no way"), { code: "E_NO" }); });
    s.handle("reject", () => Promise.reject("plain string"));
    s.handle("gone", () => 1)(); // removed at once
    s.handle("twice", () => "first");
    s.handle("twice", () => "second");
    s.handle("circ", () => { const o = {}; o.o = o; return o; });
    const evil = new Proxy({}, { get() { throw new Error("trap"); }, getPrototypeOf() { throw new Error("trap"); } });
    s.handle("proxy", () => evil); // reading its `then` throws
    s.handle("thrownProxy", () => { throw evil; });
    s.handle("fn", () => () => 1);
    s.handle("sym", () => Symbol("x"));
    const handlerErrs = [];
    s.on("error", (e) => handlerErrs.push(e.kind == "protocol" ? e.message : e.kind));
    await until(s, "open");
    const answers = [];
    s.onMessage("answer", (a) => answers.push(a));
    const ask = (type, data, id) => s.send("ask", { type, data, id });
    ask("add", [2, 3]);
    ask("later", "x");
    ask("boom", null);
    ask("reject", null);
    ask("gone", "g");
    ask("twice", null);
    ask("unknown", "u");
    ask("circ", null);
    ask("proxy", null);
    ask("thrownProxy", null);
    ask("fn", null);
    ask("sym", null);
    ask("add", [1, 1], 2 ** 53); // not a safe integer: a protocol error, not delivered
    ask("add", [1, 1], 1.5);
    ask("add", [1, 1], -1);
    ask("add", [4, 4], 0);
    await new Promise((r) => { const i = setInterval(() => answers.length >= 11 && (clearInterval(i), r()), 5); });
    s.free();

    // A codec: decode gives {type, id, data}; the reply is encode({replyTo, data}).
    const codec = {
      encode: (m) => JSON.stringify("replyTo" in m ? { answer: m.replyTo, ...("error" in m ? { error: m.error } : { result: m.data }) } : m),
      decode: (f) => { const o = JSON.parse(f); return "answer" in o ? null : o; },
    };
    const c = new SteadySocket(ws(args.t, "/ws/raw"), { protocol: codec, heartbeat: false });
    c.handle("mul", ([a, b]) => a * b);
    const raws = [];
    c.on("raw", (r) => raws.push(JSON.parse(r)));
    await until(c, "open");
    c.sendRaw(JSON.stringify({ type: "mul", id: 7, data: [6, 7] }));
    await until(c, "raw");
    c.free();
    return { answers: answers.sort((a, b) => a.replyTo - b.replyTo), msgs, typed, raws, handlerErrs };
  }, { t });
  const bad = { code: "bad-reply", message: "the handler's result could not be encoded" };
  assert.deepEqual(got.answers, [
    { replyTo: 0, data: 8 },
    { replyTo: 1, data: 5 },
    { replyTo: 2, data: { got: "x", req: { type: "later", id: 2 } } },
    { replyTo: 3, error: { message: "no way", code: "E_NO" } },
    { replyTo: 4, error: { message: "plain string" } },
    { replyTo: 6, data: "second" },
    { replyTo: 8, error: bad },
    { replyTo: 9, error: { message: "trap" } },
    { replyTo: 10, error: { message: "unknown error" } },
    { replyTo: 11, error: bad },
    { replyTo: 12, error: bad },
  ]);
  assert.deepEqual(got.handlerErrs, [
    "handler", "handler", "handler",
    'malformed frame: the id of a "add" request must be an integer from 0 to 2^53-1, got 9007199254740992',
    'malformed frame: the id of a "add" request must be an integer from 0 to 2^53-1, got 1.5',
    'malformed frame: the id of a "add" request must be an integer from 0 to 2^53-1, got -1',
  ]);
  assert.deepEqual(got.msgs.filter((m) => m[0] != "ask"), [["add", 1], ["later", 2], ["boom", 3], ["reject", 4], ["gone", 5], ["twice", 6], ["unknown", 7], ["circ", 8], ["proxy", 9], ["thrownProxy", 10], ["fn", 11], ["sym", 12], ["add", 0]]);
  // Unhandled types (none registered, or removed) stay ordinary events, unanswered.
  assert.deepEqual(got.typed, [["gone", "g"], ["unknown", "u"]], "requests go to handle(), not to onMessage handlers");
  assert.deepEqual(got.raws, [{ answer: 7, result: 42 }]);
});

test("lifecycle: use after free() says so, free() twice is a no-op", async () => {
  const got = await inPage(async ({ SteadySocket, ws }) => {
    const err = (f) => { try { f(); return "none"; } catch (e) { return `${e.constructor.name}: ${e.message}`; } };
    const s = new SteadySocket(ws("life"), { autoConnect: false });
    s.free();
    return {
      twice: err(() => s.free()),
      send: err(() => s.send("x", 1)),
      state: err(() => s.state),
      connect: err(() => s.connect()),
      handle: err(() => s.handle("x", () => 1)),
      rs: s.readyState,
      props: [s.url, s.protocol, s.extensions, s.binaryType, s.onopen],
      badAuto: err(() => new SteadySocket(ws("life"), { autoConnect: "no" })),
      badShould: err(() => new SteadySocket(ws("life"), { shouldReconnect: true })),
      rawHandle: err(() => { const r = new SteadySocket(ws("life"), { protocol: "raw", autoConnect: false }); try { r.handle("x", () => 1); } finally { r.free(); } }),
      dispose: typeof s[Symbol.dispose],
    };
  });
  assert.equal(got.twice, "none");
  for (const k of ["send", "state", "connect", "handle"]) assert.match(got[k], /^Error: steadysocket: the socket was freed \(free\(\) was called\)/, k);
  assert.equal(got.rs, 3);
  assert.deepEqual(got.props.slice(1), ["", "", "arraybuffer", null]);
  assert.match(got.props[0], /\/ws\?tag=life$/);
  assert.match(got.badAuto, /^TypeError: steadysocket: option `autoConnect` must be a boolean, got string/);
  assert.match(got.badShould, /^TypeError: steadysocket: option `shouldReconnect` must be a function, got boolean/);
  assert.match(got.rawHandle, /^TypeError: .*handle\(\) needs requests/);
  assert.equal(got.dispose, "function");
});

test("before init(): the error says to call init() first", async () => {
  const p2 = await browser.newPage();
  try {
    await p2.goto(`${serverUrl()}/harness.html?noinit`, { waitUntil: "load" });
    const msg = await p2.evaluate(async () => {
      const m = await import(`/pkg/steadysocket.js?fresh=${Date.now()}`);
      try { new m.SteadySocket("ws://127.0.0.1:1/"); return "none"; } catch (e) { return `${e.constructor.name}: ${e.message}`; }
    });
    assert.match(msg, /^Error: steadysocket: the WebAssembly module is not loaded: call `await init\(\)`/);
  } finally {
    await p2.close();
  }
});

test("Blobs in flight: checks at the call, close/free outcomes, counts, e.send(Blob) through the gate", async () => {
  const t = tag("blob2");
  const got = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const out = {};
    const err = (f) => { try { return f(); } catch (e) { return `${e.constructor.name}:${e.kind ?? ""}`; } };
    // v1, open: request() behind a Blob checks and serializes at the call
    const s = new SteadySocket(ws(args.t));
    await until(s, "open");
    s.sendRaw(new Blob(["x"]));
    const obj = { v: "at-call" };
    const p = s.request("echo", obj);
    obj.v = "mutated-later";
    out.snapshot = await p;
    s.sendRaw(new Blob(["x"]));
    out.badType = err(() => s.request(123));
    out.badOpt = err(() => s.request("echo", 1, { bogus: 1 }));
    out.badJson = err(() => s.request("echo", { toJSON() { throw new Error("nope"); } }));
    // counted while waiting
    s.sendRaw(new Blob([new Uint8Array(10)]));
    s.send("x", "y".repeat(20));
    out.counts = [s.queued >= 2, s.bufferedAmount >= 10 + 20];
    await new Promise((r) => { const i = setInterval(() => s.queued == 0 && (clearInterval(i), r()), 5); });
    // close() while a Blob is read: later sends throw closed; the waiting ones get drop events
    const drops = [];
    s.on("drop", (d) => drops.push([d.type, d.reason]));
    s.sendRaw(new Blob([new Uint8Array(1 << 20)]));
    s.send("chat", { text: "hi" });
    s.close();
    out.afterClose = [err(() => s.send("z", 1)), err(() => s.sendRaw(new Blob(["q"])))];
    await new Promise((r) => { const i = setInterval(() => drops.length >= 2 && (clearInterval(i), r()), 5); });
    out.closeDrops = drops;
    s.free();

    // free() while a Blob is read: every waiting send ends in a drop, the request rejects closed
    const f = new SteadySocket(ws(args.t));
    await until(f, "open");
    const fdrops = [];
    f.on("drop", (d) => fdrops.push([d.type, d.reason]));
    f.sendRaw(new Blob([new Uint8Array(1 << 20)]));
    f.send("after", 1);
    const fr = f.request("echo", 1).catch((e) => e.kind);
    f.free();
    out.freeReq = await fr;
    await new Promise((r) => { const i = setInterval(() => fdrops.length >= 2 && (clearInterval(i), r()), 5); });
    out.freeDrops = fdrops;

    // raw: e.send(Blob) in a gated open handler goes through the gate
    const g = new SteadySocket(ws(args.t, "/ws/raw"), { protocol: "raw", handshakeTimeoutMs: 2000 });
    const frames = [];
    g.binaryType = "arraybuffer";
    g.onmessage = (e) => frames.push(typeof e.data == "string" ? e.data : `bin:${e.data.byteLength}`);
    g.send("backlog");
    g.on("open", async (e) => {
      const echoed = new Promise((r) => g.once("raw", r));
      out.viaBlob = e.send(new Blob(["hello-blob"]));
      await echoed;
    });
    await new Promise((r) => { const i = setInterval(() => frames.length >= 2 && (clearInterval(i), r()), 5); });
    out.gateOrder = frames;
    g.free();

    // on<name> = null removes the listener; a later handler comes after the others (native order)
    const h = new SteadySocket(ws(args.t, "/ws/raw"), { protocol: "raw" });
    const order = [];
    h.onmessage = () => order.push("f");
    h.addEventListener("message", () => order.push("g"));
    h.onmessage = null;
    h.onmessage = () => order.push("f2");
    await until(h, "open");
    h.send("ping!");
    await until(h, "raw");
    out.onOrder = order;
    h.free();
    return out;
  }, { t });
  assert.deepEqual(got.snapshot, { v: "at-call" });
  assert.equal(got.badType, "TypeError:");
  assert.equal(got.badOpt, "TypeError:");
  assert.equal(got.badJson, "TypeError:");
  assert.deepEqual(got.counts, [true, true]);
  assert.deepEqual(got.afterClose, ["Error:closed", "Error:closed"]);
  assert.deepEqual(got.closeDrops, [[null, "closed"], ["chat", "closed"]]);
  assert.equal(got.freeReq, "closed");
  assert.deepEqual(got.freeDrops.slice(0, 2), [[null, "closed"], ["after", "closed"]]);
  assert.equal(got.viaBlob, "queued");
  assert.deepEqual(got.gateOrder, ["bin:10", "backlog"]);
  assert.deepEqual(got.onOrder, ["g", "f2"]);
});

test("free() inside an async open handler: outcomes delivered, nothing thrown", async () => {
  const t = tag("freeopen");
  errors.length = 0;
  const got = await inPage(async ({ SteadySocket, ws, args }) => {
    const s = new SteadySocket(ws(args.t));
    const log = [];
    s.on("drop", (e) => log.push(`drop ${e.type} ${e.reason}`));
    s.on("open", async () => { s.free(); });
    s.send("b", 1);
    const p = s.request("echo", 1).catch((e) => `rejected ${e.kind}`);
    log.push(await Promise.race([p, new Promise((r) => setTimeout(() => r("PENDING"), 2000))]));
    return log;
  }, { t });
  assert.deepEqual(got, ["drop b closed", "drop echo closed", "rejected closed"]);
  assert.deepEqual(errors, [], errors.join("\n"));
});
