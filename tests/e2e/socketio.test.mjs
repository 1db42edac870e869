// steadysocket/socketio (io(), Socket, Manager) end to end: headless Chromium, the built entry
// (pkg/socketio/, found through pkg/package.json's "./socketio" export) loaded from the
// reference server, against the REAL npm socket.io 4.8.4 server of tests/e2e/sio-test-server.mjs
// (connectionStateRecovery on, pingInterval/pingTimeout 1000 ms). What's tested:
// - connect: `connect` event, `id`, `connected`; events both ways with several JSON args; onAny
// - acks both ways: emitWithAck, callback emits, timeout(ms).emit(…, (err, …)); the server's
//   `socket.timeout().emitWithAck` to a client listener answering through its callback
// - binary both ways: typed arrays / ArrayBuffers anywhere in the args (placeholders)
// - /admin with auth middleware: `auth` as a function called per attempt (recovery pid merged
//   in), CONNECT_ERROR → `connect_error` with the server's message and `data`, no reconnect
// - server disconnect (`kick`): "io server disconnect", no reconnect
// - a dropped connection with recovery: `recovered === true`, the events emitted to its room
//   while away delivered, the offset argument stripped
// - the queue: emits made while disconnected flushed, in order, after the reconnect
// - volatile: server volatile events (no offset) delivered as they are; a volatile emit while
//   disconnected is dropped, not queued
// - dead peer: the server stops pinging (freeze) → "ping timeout" within pingInterval +
//   pingTimeout (+ slack), then a reconnect
// - bad input: option and argument errors are TypeError/RangeError naming the option
// Env: STEADYSOCKET_SERVER (the reference server: serves pkg/), SIO_TEST_SERVER (the socket.io
// server, e.g. http://127.0.0.1:PORT; scripts/test.sh starts tests/e2e/sio-test-server.mjs).
// Without SIO_TEST_SERVER or a socketio entry in pkg/ every test is skipped.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SIO, openSioPage } from "./sio-helpers.mjs";

let browser;
let page;
let skip = "";
const pageErrors = [];

const stest = (name, fn) =>
  test(name, { timeout: 30_000 }, async (t) => {
    if (skip) return t.skip(skip);
    await fn();
  });

before(async () => {
  const o = await openSioPage(pageErrors);
  if (o.skip) {
    skip = o.skip;
    return;
  }
  ({ browser, page } = o);
  await page.evaluate(
    async ({ sio }) => {
      // A socket whose every event is logged: window.log = [[event, ...args]].
      window.mk = (path = "", opts = {}) => {
        const s = io(sio + path, { reconnectionDelay: 50, reconnectionDelayMax: 200, forceNew: true, ...opts });
        s.log = [];
        for (const n of ["connect", "connect_error", "disconnect"]) s.on(n, (...a) => s.log.push([n, ...a]));
        s.onAny((...a) => s.log.push(["any", ...a]));
        s.io.on("reconnect", (n) => s.log.push(["reconnect", n]));
        s.io.on("reconnect_attempt", (n) => s.log.push(["reconnect_attempt", n]));
        s.io.on("error", (e) => s.log.push(["error", e.kind, e.message]));
        return s;
      };
      window.count = (s, n) => s.log.filter((x) => x[0] == n).length;
    },
    { sio: SIO },
  );
});

after(async () => {
  await browser?.close();
});

stest("connect, then events both ways with several args", async () => {
  const r = await page.evaluate(async () => {
    const s = mk();
    await until(() => s.connected, 8000, "connect");
    const got = new Promise((res) => s.on("echo", (...a) => res(a)));
    s.emit("echo", 1, "two", { three: [3] }, null, true);
    const args = await got;
    const out = { id: s.id, connected: s.connected, args, any: s.log.find((x) => x[0] == "any"), errors: s.log.filter((x) => x[0] == "error") };
    s.disconnect();
    return out;
  });
  assert.equal(typeof r.id, "string");
  assert.ok(r.id.length > 0);
  assert.equal(r.connected, true);
  assert.deepEqual(r.args, [1, "two", { three: [3] }, null, true]);
  assert.deepEqual(r.any, ["any", "echo", 1, "two", { three: [3] }, null, true]);
  assert.deepEqual(r.errors, []);
});

stest("an endpoint list: a dead first node is skipped, the second connects; io.url names it", async () => {
  const r = await page.evaluate(async ({ sio }) => {
    const s = io(["http://127.0.0.1:9", sio], { reconnectionDelay: 50, reconnectionDelayMax: 100, forceNew: true, transports: ["websocket"] });
    const eps = [];
    s.io.on("endpoint", (e) => eps.push(e.index));
    await until(() => s.connected, 8000, "connect");
    const got = new Promise((res) => s.on("echo", (...a) => res(a)));
    s.emit("echo", "via the list");
    const out = { args: await got, url: s.io.url, eps };
    s.disconnect();
    return out;
  }, { sio: SIO });
  assert.deepEqual(r.args, ["via the list"]);
  assert.deepEqual(r.eps, [1], "the Manager's endpoint event names the second node");
  assert.ok(r.url.startsWith(SIO.replace(/^http/, "ws")), `url names the second endpoint: ${r.url}`);
});

stest("acks both ways: emitWithAck, callbacks, timeout(), and the server's emitWithAck", async () => {
  const r = await page.evaluate(async () => {
    const s = mk();
    s.on("question", (v, cb) => cb(v * 2));
    const a = await s.emitWithAck("ack", "first", 2);
    const b = await new Promise((res) => s.emit("ack", "x", { y: 1 }, (...args) => res(args)));
    const c = await new Promise((res) => s.timeout(2000).emit("ack", 7, (err, v) => res([err, v])));
    const d = await s.timeout(3000).emitWithAck("ask", 21);
    // An event nobody acks: the timeout rejects with kind "timeout".
    const e = await s.timeout(200).emitWithAck("log", "noack", 1).then(() => "resolved", (err) => err.kind);
    s.disconnect();
    return { a, b, c, d, e };
  });
  assert.equal(r.a, "first");
  assert.deepEqual(r.b, ["x", { y: 1 }]);
  assert.deepEqual(r.c, [null, 7]);
  assert.deepEqual(r.d, { ok: 42 });
  assert.equal(r.e, "timeout");
});

stest("binary attachments both ways, anywhere in the args", async () => {
  const r = await page.evaluate(async () => {
    const s = mk();
    const got = new Promise((res) => s.on("echo", (...a) => res(a)));
    const u8 = new Uint8Array([0, 1, 2, 255]);
    const buf = new Uint16Array([1, 65535]).buffer;
    s.emit("echo", u8, { nested: [buf, "t"] }, "text");
    const a = await got;
    const bytes = (x) => (x instanceof ArrayBuffer ? [...new Uint8Array(x)] : String(x));
    // With an ack: a binary ACK back.
    const ack = await s.emitWithAck("ack", new Uint8Array([9, 8]));
    s.disconnect();
    return { first: bytes(a[0]), nested: bytes(a[1].nested[0]), t: a[1].nested[1], text: a[2], ack: bytes(ack) };
  });
  assert.deepEqual(r.first, [0, 1, 2, 255]);
  assert.deepEqual(r.nested, [1, 0, 255, 255]);
  assert.equal(r.t, "t");
  assert.equal(r.text, "text");
  assert.deepEqual(r.ack, [9, 8]);
});

stest("auth function called per attempt; CONNECT_ERROR gives message + data and no reconnect", async () => {
  const r = await page.evaluate(async () => {
    let n = 0;
    const s = mk("/admin", { auth: (cb) => cb({ token: "good", n: ++n }) });
    await until(() => s.connected, 8000, "connect");
    const first = await s.emitWithAck("whoami");
    await fetch(`${SIO}/control/drop?id=${encodeURIComponent(first.id)}`, { method: "POST" });
    await until(() => count(s, "connect") == 2, 8000, "reconnect");
    const second = await s.emitWithAck("whoami");
    s.disconnect();

    const bad = mk("/admin", { auth: { token: "bad" } });
    const err = await new Promise((res) => bad.on("connect_error", res));
    await until(() => bad.io.state == "closed", 4000, "closed");
    return {
      first: first.auth, second: second.auth, recovered: second.recovered,
      msg: err.message, data: err.data, active: bad.active, attempts: bad.io.metrics().attempts,
      errors: count(bad, "connect_error"), connects: count(bad, "connect"),
    };
  });
  assert.deepEqual(r.first, { token: "good", n: 1 });
  assert.equal(r.second.token, "good");
  assert.equal(r.second.n, 2);
  assert.equal(typeof r.second.pid, "string"); // recovery: pid (and offset) merged into auth
  assert.equal(r.msg, "bad token");
  assert.deepEqual(r.data, { code: 401, token: "bad" });
  assert.equal(r.active, false);
  assert.equal(r.attempts, 1);
  assert.equal(r.errors, 1);
  assert.equal(r.connects, 0);
});

stest("server disconnect: 'io server disconnect', no reconnect", async () => {
  const r = await page.evaluate(async () => {
    const s = mk();
    await until(() => s.connected, 8000, "connect");
    s.emit("kick");
    await until(() => count(s, "disconnect") == 1, 8000, "disconnect");
    await until(() => s.io.state == "closed", 4000, "closed");
    return { d: s.log.find((x) => x[0] == "disconnect"), active: s.active, connected: s.connected, id: s.id };
  });
  assert.equal(r.d[1], "io server disconnect");
  assert.equal(r.active, false);
  assert.equal(r.connected, false);
  assert.equal(r.id, undefined);
});

stest("a dropped connection recovers: recovered === true, missed room events delivered (offset stripped)", async () => {
  const r = await page.evaluate(async () => {
    const s = mk();
    const missed = [];
    s.on("missed", (...a) => missed.push(a));
    await until(() => s.connected, 8000, "connect");
    const id1 = s.id;
    await s.emitWithAck("join", "room-r");
    const room = new Promise((res) => s.on("room", (...a) => res(a)));
    s.emit("room", "room-r", "hello", 2);
    const roomArgs = await room; // with recovery on, the server adds an offset: stripped
    s.emit("drop", "room-r", 3);
    await until(() => count(s, "connect") == 2, 8000, "reconnect");
    await until(() => missed.length == 3, 4000, "missed events");
    const out = { id1, id2: s.id, recovered: s.recovered, missed, roomArgs, d: s.log.find((x) => x[0] == "disconnect")?.[1] };
    s.disconnect();
    return out;
  });
  assert.equal(r.d, "transport close");
  assert.equal(r.recovered, true);
  assert.equal(r.id2, r.id1); // a restored session keeps its id
  assert.deepEqual(r.missed, [[1], [2], [3]]);
  assert.deepEqual(r.roomArgs, ["hello", 2]);
});

stest("emits made while disconnected are queued and flushed in order after the reconnect", async () => {
  const key = "q-" + Math.random().toString(36).slice(2);
  const r = await page.evaluate(async (key) => {
    const s = mk();
    await until(() => s.connected, 8000, "connect");
    let queued = -1;
    s.once("disconnect", () => {
      for (let i = 1; i <= 5; i++) s.emit("log", key, i);
      s.volatile.emit("log", key, "volatile"); // dropped: not connected
      queued = s.io.queued;
    });
    s.emit("drop");
    await until(() => count(s, "connect") == 2, 8000, "reconnect");
    const log = await s.emitWithAck("getlog", key);
    s.disconnect();
    return { queued, log };
  }, key);
  assert.equal(r.queued, 5);
  assert.deepEqual(r.log, [1, 2, 3, 4, 5]);
});

stest("volatile events from the server (no offset) arrive as they are", async () => {
  const r = await page.evaluate(async () => {
    const s = mk();
    const got = [];
    s.on("v", (...a) => got.push(a));
    await until(() => s.connected, 8000, "connect");
    s.emit("volatile", 3);
    await until(() => got.length == 3, 4000, "volatile events");
    s.disconnect();
    return got;
  });
  assert.deepEqual(r, [[1], [2], [3]]);
});

stest("dead peer: a server that stops pinging is detected ('ping timeout'), then a reconnect", async () => {
  const r = await page.evaluate(async () => {
    const s = mk();
    let pings = 0;
    s.io.on("ping", () => pings++);
    await until(() => s.connected && pings >= 1, 8000, "a ping");
    const t0 = performance.now();
    s.emit("freeze");
    await until(() => count(s, "disconnect") == 1, 6000, "disconnect");
    const ms = performance.now() - t0;
    await until(() => count(s, "connect") == 2, 8000, "reconnect");
    const out = { reason: s.log.find((x) => x[0] == "disconnect")[1], ms, pings, kinds: s.log.filter((x) => x[0] == "error").map((x) => x[1]) };
    s.disconnect();
    return out;
  });
  assert.equal(r.reason, "ping timeout");
  assert.ok(r.ms < 2000 + 1500, `detected after ${r.ms} ms`);
  assert.ok(r.pings >= 1);
  assert.ok(r.kinds.includes("heartbeat-timeout"));
});

stest("bad input: TypeError/RangeError naming the option or argument", async () => {
  const r = await page.evaluate(() => {
    const t = (f) => {
      try {
        f();
        return "no error";
      } catch (e) {
        return `${e.constructor.name}: ${e.message}`;
      }
    };
    const s = io(SIO, { autoConnect: false });
    const out = {
      url: t(() => io(42)),
      unknown: t(() => io(SIO, { bogus: 1 })),
      delay: t(() => io(SIO, { reconnectionDelay: "x" })),
      factor: t(() => io(SIO, { randomizationFactor: 2 })),
      transports: t(() => io(SIO, { transports: ["carrier-pigeon"] })),
      auth: t(() => io(SIO, { auth: 5 })),
      queue: t(() => io(SIO, { queue: { maxMessages: -1 } })),
      reserved: t(() => s.emit("connect")),
      name: t(() => s.emit(5)),
      timeout: t(() => s.timeout(-1)),
      listener: t(() => s.on("x", 1)),
      bigint: t(() => s.emit("x", 1n)),
    };
    s.free();
    return out;
  });
  assert.match(r.url, /^TypeError: .*url/);
  assert.match(r.unknown, /^TypeError: .*`bogus`/);
  assert.match(r.delay, /^TypeError: .*`reconnectionDelay`/);
  assert.match(r.factor, /^RangeError: .*`randomizationFactor`/);
  assert.match(r.transports, /^RangeError: .*`transports`/);
  assert.match(r.auth, /^TypeError: .*`auth`/);
  assert.match(r.queue, /^RangeError: .*queue\.maxMessages/);
  assert.match(r.reserved, /^RangeError: .*`event`.*reserved/);
  assert.match(r.name, /^TypeError: .*`event`/);
  assert.match(r.timeout, /^RangeError: .*`timeout`/);
  assert.match(r.listener, /^TypeError: .*`listener`/);
  assert.match(r.bigint, /^TypeError: .*`args`/);
});

stest("without an auth option: drops fire `drop` and dropped/freed acks settle (review bug 1)", async () => {
  const r = await page.evaluate(async () => {
    const s = mk("", { autoConnect: false, queue: { maxMessages: 2 } });
    const drops = [];
    s.io.on("drop", (d) => drops.push(`${d.reason}:${d.type}`));
    const p1 = s.emitWithAck("ack", 1).then(() => "ok", (e) => e.kind);
    s.emit("log", "x", 1);
    s.emit("log", "x", 2); // evicts the ack (drop-oldest)
    const r1 = await p1;
    const p2 = s.emitWithAck("ack", 2).then(() => "ok", (e) => e.kind);
    s.free();
    const r2 = await p2;
    return { drops, r1, r2, connected: s.connected };
  });
  assert.equal(r.r1, "dropped");
  assert.equal(r.r2, "closed");
  assert.equal(r.drops[0], "overflow:ack");
  assert.ok(r.drops.includes("closed:log"), JSON.stringify(r.drops));
  assert.equal(r.connected, false);
});

stest("disconnect(); connect() reconnects; emits after disconnect() queue until connect() (review bugs 2, 3)", async () => {
  const r = await page.evaluate(async () => {
    const key = "dc" + Math.random();
    const s = mk();
    await until(() => s.connected, 8000, "connect");
    s.disconnect();
    const c0 = s.connected, id0 = s.id;
    s.emit("log", key, "after-disconnect"); // queued, not thrown
    s.connect(); // while closing: takes effect
    await until(() => count(s, "connect") == 2, 8000, "reconnect");
    s.disconnect();
    await until(() => s.io.state == "closed", 4000, "closed");
    const drops = [];
    s.io.on("drop", (d) => drops.push(d.reason));
    s.emit("log", key, "while-closed");
    const acked = s.emitWithAck("ack", "queued-ack");
    const queued = s.io.queued;
    s.connect();
    await until(() => count(s, "connect") == 3, 8000, "connect again");
    const ack = await acked;
    const got = await s.emitWithAck("getlog", key);
    s.disconnect();
    return { c0, id0, got, queued, ack, drops, d: s.log.filter((x) => x[0] == "disconnect").map((x) => x[1]) };
  });
  assert.equal(r.c0, false);
  assert.equal(r.id0, undefined);
  assert.deepEqual(r.got, ["after-disconnect", "while-closed"]);
  assert.equal(r.queued, 2);
  assert.equal(r.ack, "queued-ack");
  assert.deepEqual(r.drops, []);
  // disconnect() fires `disconnect` at once (as socket.io-client): three, the last before the return.
  assert.deepEqual(r.d, ["io client disconnect", "io client disconnect", "io client disconnect"]);
});

stest("a slow namespace middleware (longer than pingInterval + pingTimeout): pings answered, connects (review bug 4)", async () => {
  const r = await page.evaluate(async () => {
    const s = mk("/slow", { auth: { ms: 3000 }, reconnection: false });
    let pings = 0;
    s.io.on("ping", () => pings++);
    await until(() => s.connected || count(s, "connect_error") || count(s, "disconnect"), 8000, "connect");
    const who = s.connected ? await s.emitWithAck("whoami") : null;
    s.disconnect();
    return { connected: !!who, pings, errors: s.log.filter((x) => x[0] == "connect_error" || x[0] == "error").map((x) => String(x[1]?.message ?? x[2])) };
  });
  assert.deepEqual(r.errors, []);
  assert.equal(r.connected, true);
  assert.ok(r.pings >= 1, `pings ${r.pings}`);
});

stest("emits queued before the connection go before the `connect` listener's (review bug 5)", async () => {
  const r = await page.evaluate(async () => {
    const key = "order" + Math.random();
    const s = mk("", { autoConnect: false });
    s.on("connect", () => s.emit("log", key, "in-connect"));
    s.emit("log", key, "queued-1");
    s.emit("log", key, "queued-2");
    s.connect();
    await until(() => s.connected, 8000, "connect");
    const got = await s.emitWithAck("getlog", key);
    s.disconnect();
    return got;
  });
  assert.deepEqual(r, ["queued-1", "queued-2", "in-connect"]);
});

stest("an emit queued before the first connection over maxPayload: `drop` too-big + error, the rest goes (review bug 6)", async () => {
  const r = await page.evaluate(async () => {
    const key = "big" + Math.random();
    const s = mk("", { autoConnect: false, queue: { maxBytes: 4e6 } });
    const drops = [];
    s.io.on("drop", (d) => drops.push(`${d.reason}:${d.type}`));
    s.emit("log", key, "a".repeat(1_100_000)); // maxHttpBufferSize 1e6
    const big = s.emitWithAck("ack", "é".repeat(600_000)).then(() => "ok", (e) => e.kind);
    s.emit("log", key, "small");
    s.connect();
    await until(() => s.connected, 8000, "connect");
    const kind = await big;
    const got = await s.emitWithAck("getlog", key);
    const out = { drops, kind, got, connects: count(s, "connect"), disconnects: count(s, "disconnect"), errors: s.log.filter((x) => x[0] == "error").map((x) => x[1]) };
    s.disconnect();
    return out;
  });
  assert.deepEqual(r.drops, ["too-big:log", "too-big:ack"]);
  assert.equal(r.kind, "too-big");
  assert.deepEqual(r.got, ["small"]);
  assert.equal(r.connects, 1);
  assert.equal(r.disconnects, 0);
  assert.deepEqual(r.errors, ["message-too-big"]);
});

stest("an ack after timeout() expired is ignored: no Manager error (review bug 7)", async () => {
  const r = await page.evaluate(async () => {
    const s = mk();
    await until(() => s.connected, 8000, "connect");
    const kind = await s.timeout(100).emitWithAck("slowack", 400).then(() => "ok", (e) => e.kind);
    await new Promise((res) => setTimeout(res, 600));
    const after = await s.emitWithAck("ack", "still");
    s.disconnect();
    return { kind, after, errors: s.log.filter((x) => x[0] == "error") };
  });
  assert.equal(r.kind, "timeout");
  assert.equal(r.after, "still");
  assert.deepEqual(r.errors, []);
});

stest("minor: timeout(0) times out, free() leaves connected false, delay option names, ignored options, Blob", async () => {
  const r = await page.evaluate(async () => {
    const t = (f) => {
      try {
        f();
        return "no error";
      } catch (e) {
        return `${e.constructor.name}: ${e.message}`;
      }
    };
    const s = mk();
    await until(() => s.connected, 8000, "connect");
    const zero = await s.timeout(0).emitWithAck("ack", 1).then(() => "ok", (e) => e.kind);
    const blob = t(() => s.emit("x", new Blob(["a"])));
    s.free();
    const authErr = [];
    const a = io(SIO, { auth: () => { throw new Error("nope"); }, reconnection: false });
    a.on("connect_error", (e) => authErr.push(e.message));
    await until(() => authErr.length, 8000, "connect_error");
    a.free();
    return {
      zero, blob, connected: s.connected, authErr: authErr[0],
      delay: t(() => io(SIO, { reconnectionDelay: 9000, reconnectionDelayMax: 100, autoConnect: false })),
      ignored: t(() => io(SIO, { withCredentials: true, extraHeaders: { a: "b" }, autoConnect: false }).free()),
    };
  });
  assert.equal(r.zero, "timeout");
  assert.match(r.blob, /^TypeError: .*`args`.*Blob/);
  assert.equal(r.connected, false);
  assert.match(r.delay, /^RangeError: .*`reconnectionDelay`/);
  assert.equal(r.ignored, "no error");
  assert.ok(!/Error: .*Error:/.test(r.authErr), r.authErr);
  assert.match(r.authErr, /auth threw: Error: nope/);
});

test("no uncaught page errors", (t) => {
  if (skip) return t.skip(skip);
  assert.deepEqual(pageErrors, []);
});
