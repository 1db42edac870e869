// Socket.IO namespaces multiplexed on one connection (the Manager), in headless Chromium
// against the real socket.io 4.8 server (tests/e2e/sio-test-server.mjs):
// - io(url) and io(url + "/chat") share one Manager and one Engine.IO connection (the
//   server's `eid`); events, acks and rooms stay in their namespace;
// - a namespace's emits queued before its own CONNECT (a slow middleware) go after it, in
//   order, while the other namespace works meanwhile (the server closes a connection that
//   sends to a namespace before its CONNECT was answered);
// - a refusal (CONNECT_ERROR), a server-side leave, or disconnect() of one namespace leave the others
//   connected; disconnect() of the last closes the connection; connect() reopens it;
// - a dropped connection: every namespace gets "transport close", reconnects and recovers
//   its own missed events;
// - forceNew / multiplex: false / the same namespace twice open new connections;
//   manager.socket(nsp) returns the namespace's Socket; free() of one keeps the others.
// Env: STEADYSOCKET_SERVER (serves pkg/), SIO_TEST_SERVER (the socket.io server).

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
  await page.evaluate(() => {
    // Logs every socket event: s.log = [[event, ...args]]. `q` makes each test's URLs unique
    // (a `query` of its own), so its Managers are not shared with another test's.
    window.watch = (s) => {
      s.log = [];
      for (const n of ["connect", "connect_error", "disconnect"]) s.on(n, (...a) => s.log.push([n, ...a]));
      s.onAny((...a) => s.log.push(["any", ...a]));
      return s;
    };
    window.mux = (nsp, opts = {}) =>
      watch(io(SIO + nsp, { reconnectionDelay: 50, reconnectionDelayMax: 200, ...opts }));
    window.count = (s, n) => s.log.filter((x) => x[0] == n).length;
  });
});

after(async () => {
  await browser?.close();
});

stest("io(url) and io(url + '/chat') share one connection; events, acks and rooms stay in their namespace", async () => {
  const r = await page.evaluate(async () => {
    const query = { t: "share" };
    const a = mux("/", { query });
    const b = mux("/chat", { query });
    const c = mux("/admin", { query, auth: { token: "good" } });
    await until(() => a.connected && b.connected && c.connected, 8000, "three connects");
    const who = await Promise.all([a, b, c].map((s) => s.emitWithAck("whoami")));
    // Acks in flight on two namespaces at once (request ids are the connection's).
    const acks = await Promise.all([a.emitWithAck("ack", "A"), b.emitWithAck("ack", "B"), c.emitWithAck("ack", "C"), b.emitWithAck("ack", "B2")]);
    a.emit("echo", "to-a");
    b.emit("echo", "to-b", new Uint8Array([7, 8]));
    await until(() => a.log.some((x) => x[1] == "echo") && b.log.some((x) => x[1] == "echo"), 4000, "echoes");
    await a.emitWithAck("join", "r");
    await b.emitWithAck("join", "r");
    b.emit("room", "r", "only-chat");
    await until(() => b.log.some((x) => x[1] == "room"), 4000, "room in /chat");
    await a.emitWithAck("ack", "barrier");
    const out = {
      same: a.io === b.io && b.io === c.io,
      eids: who.map((w) => w.eid), nsps: who.map((w) => w.nsp), ids: [a.id, b.id, c.id], whoIds: who.map((w) => w.id),
      acks,
      aAny: a.log.filter((x) => x[0] == "any").map((x) => x.slice(1)),
      bAny: b.log.filter((x) => x[0] == "any").map((x) => [x[1], x[2], x[3] instanceof ArrayBuffer ? [...new Uint8Array(x[3])] : x[3]]),
      cAny: c.log.filter((x) => x[0] == "any").length,
      attempts: a.io.metrics().attempts,
    };
    for (const s of [a, b, c]) s.disconnect();
    return out;
  });
  assert.equal(r.same, true);
  assert.equal(new Set(r.eids).size, 1, `one Engine.IO connection: ${r.eids}`);
  assert.deepEqual(r.nsps, ["/", "/chat", "/admin"]);
  assert.deepEqual(r.ids, r.whoIds);
  assert.equal(new Set(r.ids).size, 3);
  assert.deepEqual(r.acks, ["A", "B", "C", "B2"]);
  assert.deepEqual(r.aAny, [["echo", "to-a"]]);
  assert.deepEqual(r.bAny, [["echo", "to-b", [7, 8]], ["room", "only-chat", undefined]]);
  assert.equal(r.cAny, 0);
  assert.equal(r.attempts, 1);
});

stest("emits queued for a slow namespace go after its CONNECT, in order; the other namespace works meanwhile", async () => {
  const r = await page.evaluate(async () => {
    const query = { t: "slow" }, key = "k" + Math.random();
    const a = mux("/", { query });
    const s = mux("/slow", { query, auth: { ms: 1500 } });
    for (let i = 1; i <= 5; i++) s.emit("log", key, i);
    const acked = s.emitWithAck("ack", "slow-ack");
    await until(() => a.connected, 8000, "/ connects");
    // "/" is usable while /slow's middleware runs.
    const t0 = performance.now();
    const fast = await a.emitWithAck("ack", "fast");
    const fastMs = performance.now() - t0;
    const slowConnectedThen = s.connected;
    await until(() => s.connected, 8000, "/slow connects");
    for (let i = 6; i <= 8; i++) s.emit("log", key, i);
    const log = await s.emitWithAck("getlog", key);
    const out = { fast, fastMs, slowConnectedThen, log, slowAck: await acked, aDisc: count(a, "disconnect"), sameEid: (await a.emitWithAck("whoami")).eid == (await s.emitWithAck("whoami")).eid };
    a.disconnect();
    s.disconnect();
    return out;
  });
  assert.equal(r.fast, "fast");
  assert.equal(r.slowConnectedThen, false, "/slow was still waiting for its middleware");
  assert.ok(r.fastMs < 1000, `"/" answered in ${r.fastMs} ms`);
  assert.deepEqual(r.log, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(r.slowAck, "slow-ack");
  assert.equal(r.aDisc, 0, "the connection never dropped");
  assert.equal(r.sameEid, true);
});

stest("a refusal, a server-side leave or disconnect() of one namespace leaves the others connected; the last one closes the connection", async () => {
  const r = await page.evaluate(async () => {
    const query = { t: "leave" };
    const a = mux("/", { query });
    const bad = mux("/admin", { query, auth: { token: "bad" } });
    const chat = mux("/chat", { query });
    const err = await new Promise((res) => bad.on("connect_error", res));
    await until(() => a.connected && chat.connected, 8000, "connects");
    const afterRefusal = { state: a.io.state, badActive: bad.active, aActive: a.active };
    chat.emit("leave"); // the server's socket.disconnect(): this namespace only
    await until(() => count(chat, "disconnect") == 1, 4000, "kick");
    const kickReason = chat.log.find((x) => x[0] == "disconnect")[1];
    const stillA = await a.emitWithAck("ack", "still");
    // disconnect() of /chat's socket again (already kicked): nothing happens.
    chat.disconnect();
    // connect() after the kick: joins again on the same connection.
    chat.connect();
    await until(() => chat.connected, 4000, "chat again");
    const eids = [(await a.emitWithAck("whoami")).eid, (await chat.emitWithAck("whoami")).eid];
    chat.disconnect();
    const chatDisc = chat.log.filter((x) => x[0] == "disconnect").map((x) => x[1]);
    const open1 = a.io.state;
    const aliveAck = await a.emitWithAck("ack", "alive");
    a.disconnect();
    const closed = a.io.state;
    // Queued while every namespace is disconnected; connect() reopens.
    a.emit("echo", "queued");
    a.connect();
    await until(() => a.log.some((x) => x[0] == "any" && x[2] == "queued"), 8000, "queued echo");
    const reopened = { state: a.io.state, attempts: a.io.metrics().attempts, badConnects: count(bad, "connect") };
    a.disconnect();
    return { msg: err.message, data: err.data, afterRefusal, kickReason, stillA, eids, chatDisc, open1, aliveAck, closed, reopened, aDisc: a.log.filter((x) => x[0] == "disconnect").map((x) => x[1]) };
  });
  assert.equal(r.msg, "bad token");
  assert.deepEqual(r.data, { code: 401, token: "bad" });
  assert.deepEqual(r.afterRefusal, { state: "open", badActive: false, aActive: true });
  assert.equal(r.kickReason, "io server disconnect");
  assert.equal(r.stillA, "still");
  assert.equal(r.eids[0], r.eids[1]);
  assert.deepEqual(r.chatDisc, ["io server disconnect", "io client disconnect"]);
  assert.equal(r.open1, "open");
  assert.equal(r.aliveAck, "alive");
  assert.equal(r.closed, "closed");
  assert.equal(r.reopened.state, "open");
  assert.equal(r.reopened.attempts, 2);
  assert.equal(r.reopened.badConnects, 0, "a refused namespace stays out until its own connect()");
  assert.deepEqual(r.aDisc, ["io client disconnect", "io client disconnect"]);
});

stest("a dropped connection: every namespace gets 'transport close', reconnects and recovers its own missed events", async () => {
  const r = await page.evaluate(async () => {
    const query = { t: "drop" };
    const a = mux("/", { query });
    const b = mux("/chat", { query });
    const missed = { a: [], b: [] };
    a.on("missed", (n) => missed.a.push(n));
    b.on("missed", (n) => missed.b.push(n));
    await until(() => a.connected && b.connected, 8000, "connects");
    const ids = [a.id, b.id];
    await a.emitWithAck("join", "ra");
    await b.emitWithAck("join", "rb");
    // An event with an offset in each namespace (recovery needs one: pid + offset).
    a.emit("room", "ra", "hi");
    b.emit("room", "rb", "hi");
    await until(() => a.log.some((x) => x[1] == "room") && b.log.some((x) => x[1] == "room"), 4000, "room events");
    // Each namespace's server socket emits `missed` to its room once it saw the disconnect.
    await b.emitWithAck("arm", "rb", 2);
    a.emit("drop", "ra", 3);
    await until(() => count(a, "connect") == 2 && count(b, "connect") == 2, 8000, "reconnects");
    await until(() => missed.a.length == 3 && missed.b.length == 2, 4000, "missed events");
    const out = {
      reasons: [a, b].map((s) => s.log.find((x) => x[0] == "disconnect")?.[1]),
      recovered: [a.recovered, b.recovered], same: [a.id == ids[0], b.id == ids[1]], missed,
      order: a.log.filter((x) => x[0] == "connect" || x[1] == "missed").map((x) => x[0] == "connect" ? "connect" : x[2]),
    };
    a.disconnect();
    b.disconnect();
    return out;
  });
  assert.deepEqual(r.reasons, ["transport close", "transport close"]);
  assert.deepEqual(r.recovered, [true, true]);
  assert.deepEqual(r.same, [true, true]);
  assert.deepEqual(r.missed, { a: [1, 2, 3], b: [1, 2] });
  // A restored session's missed events come after its `connect` (as socket.io-client).
  assert.deepEqual(r.order, ["connect", "connect", 1, 2, 3]);
});

stest("forceNew, multiplex: false and a namespace twice open new connections; manager.socket(nsp); free() of one keeps the others", async () => {
  const r = await page.evaluate(async () => {
    const query = { t: "managers" };
    const t = (f) => {
      try {
        f();
        return "no error";
      } catch (e) {
        return `${e.constructor.name}: ${e.message}`;
      }
    };
    const a = mux("/", { query });
    const a2 = mux("/", { query }); // "/" is on a's Manager already: a new one
    const f = mux("/chat", { query, forceNew: true });
    const m = mux("/chat", { query, multiplex: false });
    const chat = a.io.socket("/chat");
    const same = a.io.socket("/chat") === chat;
    watch(chat);
    await until(() => [a, a2, f, m, chat].every((s) => s.connected), 8000, "connects");
    const eids = await Promise.all([a, a2, f, m, chat].map(async (s) => (await s.emitWithAck("whoami")).eid));
    const errs = {
      twice: t(() => new a.constructor(a.io, "/chat")), // new Socket(manager, nsp): "/chat" has one
      type: t(() => a.io.socket(5)),
      bad: t(() => a.io.socket("chat")),
      comma: t(() => a.io.socket("/a,b")),
      auth: t(() => a.io.socket("/x", { auth: 5 })),
    };
    a.free();
    const chatAfter = await chat.emitWithAck("ack", "still-here");
    const st = { aConnected: a.connected, chatConnected: chat.connected, state: chat.io.state };
    chat.free();
    const freed = t(() => chat.io.state);
    for (const s of [a2, f, m]) s.free();
    return { same, eids, errs, chatAfter, st, freed, mgrs: [a.io === a2.io, a.io === f.io, a.io === m.io, a.io === chat.io] };
  });
  assert.equal(r.same, true);
  assert.equal(r.eids[0], r.eids[4], "manager.socket shares a's connection");
  assert.equal(new Set(r.eids.slice(0, 4)).size, 4, `four connections: ${r.eids}`);
  assert.deepEqual(r.mgrs, [false, false, false, true]);
  assert.match(r.errs.twice, /^RangeError: .*`nsp`.*already/);
  assert.match(r.errs.type, /^TypeError: .*`nsp`/);
  assert.match(r.errs.bad, /^RangeError: .*`nsp`/);
  assert.match(r.errs.comma, /^RangeError: .*`nsp`/);
  assert.match(r.errs.auth, /^TypeError: .*`auth`/);
  assert.equal(r.chatAfter, "still-here");
  assert.deepEqual(r.st, { aConnected: false, chatConnected: true, state: "open" });
  assert.match(r.freed, /freed/);
});

stest("review fixes: leave and rejoin at once, leave during CONNECT, free() then io(), freed emits, acks of a leaving namespace, Manager.free", async () => {
  const r = await page.evaluate(async () => {
    const t = (f) => {
      try {
        f();
        return "no error";
      } catch (e) {
        return `${e.constructor.name}: ${e.message}`;
      }
    };
    const query = { t: "review" };
    const root = mux("/", { query });
    const a = mux("/chat", { query });
    await until(() => root.connected && a.connected, 8000, "connects");
    // An ack in flight on /chat when it leaves: rejects at once (not after ackTimeout).
    const t0 = performance.now();
    const pending = a.timeout(5000).emitWithAck("ack-never").then(() => "resolved", (e) => [e.kind, performance.now() - t0]);
    // Leave and rejoin in the same task: the server must not close the shared connection.
    a.disconnect();
    a.connect();
    const ackFail = await pending;
    await until(() => a.connected, 8000, "rejoined");
    // Leave while the CONNECT is still unanswered (a slow middleware), then join again.
    const slow = mux("/slow", { query, auth: { ms: 300 } });
    slow.disconnect();
    await new Promise((res) => setTimeout(res, 600)); // the late answer came and was met with a DISCONNECT
    slow.connect();
    await until(() => slow.connected, 8000, "slow joins");
    // free() then io() for the same namespace (React StrictMode): a new connection, the old one untouched.
    a.emit("echo", "before-free");
    a.free();
    const again = mux("/chat", { query });
    const freedEmit = t(() => a.emit("echo", "after-free"));
    await until(() => again.connected, 8000, "again");
    const echo = await again.emitWithAck("ack", "fresh");
    const rootAck = await root.emitWithAck("ack", "root-alive");
    const sameMgr = again.io === root.io;
    // A freed socket's queued emits are dropped (drop events name the namespace).
    const drops = [];
    root.io.on("drop", (d) => drops.push([d.type, d.nsp, d.reason]));
    const q = root.io.socket("/queued");
    q.disconnect(); // inactive: its emits queue
    q.emit("later", 1);
    q.free();
    // Manager.free: every socket of it is freed.
    const m = root.io;
    m.free();
    const after = { rootConnected: root.connected, rootActive: t(() => root.active), slowId: slow.id };
    for (const s of [again, slow]) s.free?.();
    return { ackFail, freedEmit, echo, rootAck, sameMgr, drops, after, rootDisc: root.log.filter((x) => x[0] == "disconnect").map((x) => x[1]) };
  });
  assert.equal(r.ackFail[0], "closed");
  assert.ok(r.ackFail[1] < 1000, `rejected after ${r.ackFail[1]} ms`);
  assert.match(r.freedEmit, /freed/);
  assert.equal(r.echo, "fresh");
  assert.equal(r.rootAck, "root-alive");
  assert.equal(r.sameMgr, false, "io() after free() of that namespace: a new connection");
  assert.deepEqual(r.drops, [["later", "/queued", "closed"]]);
  assert.deepEqual(r.after, { rootConnected: false, rootActive: "no error", slowId: undefined });
  assert.deepEqual(r.rootDisc, [], "the shared connection never dropped");
});

test("no uncaught page errors", (t) => {
  if (skip) return t.skip(skip);
  assert.deepEqual(pageErrors, []);
});
