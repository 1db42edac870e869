// What tests/e2e/stomp.test.mjs assumes of the broker, checked with a reference client
// (@stomp/stompjs 7.5.0) against the private RabbitMQ of scripts/rabbitmq.sh, so that a failing
// e2e test points at steadysocket, not at a wrong idea of RabbitMQ. Not a test of steadysocket.
// Each check prints `ok NAME (timings)`; the first failure exits 1.
// Usage: node --experimental-websocket --no-warnings tests/peers/rabbitmq-stomp-assumptions.mjs [--no-freeze]
// Env: RMQ_WS_URL (default ws://127.0.0.1:$RMQ_WS_PORT/ws, port 15674); the RMQ_* variables of
// scripts/rabbitmq.sh pass through to its close-all / freeze / thaw / delete-queues.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Client } from "@stomp/stompjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const URL_ = process.env.RMQ_WS_URL || `ws://127.0.0.1:${process.env.RMQ_WS_PORT || 15674}/ws`;
const PREFIX = `assume-${process.pid}-`;
const run = promisify(execFile);
const rmq = async (...args) => {
  const t = Date.now();
  await run(path.join(root, "scripts/rabbitmq.sh"), args, { cwd: root, env: process.env });
  return Date.now() - t;
};
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A stompjs client with event queues; `next(kind, pred, ms)` awaits the next matching event. */
function client({ hb = 0, reconnectDelay = 100, name = "c" } = {}) {
  const events = [];
  const waiters = [];
  const push = (kind, v) => {
    const ev = { kind, v, at: Date.now() };
    const i = waiters.findIndex((w) => w.kind === kind && w.pred(v));
    if (i >= 0) { const [w] = waiters.splice(i, 1); clearTimeout(w.timer); w.resolve(ev); } else events.push(ev);
  };
  const c = new Client({
    brokerURL: URL_,
    connectHeaders: { login: "guest", passcode: "guest", host: "/" },
    heartbeatIncoming: hb,
    heartbeatOutgoing: hb,
    reconnectDelay,
    discardWebsocketOnCommFailure: true,
    connectionTimeout: 3000,
    debug: process.env.DEBUG ? (s) => console.error(`[${name}] ${s}`) : () => {},
    onConnect: (f) => push("connect", f),
    onStompError: (f) => push("error", f),
    onWebSocketClose: (e) => push("wsclose", { code: e.code, reason: e.reason }),
    onUnhandledReceipt: (f) => push("receipt", f),
  });
  const next = (kind, pred = () => true, ms = 5000) => {
    const i = events.findIndex((e) => e.kind === kind && pred(e.v));
    if (i >= 0) return Promise.resolve(events.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = { kind, pred, resolve };
      w.timer = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); reject(new Error(`${name}: no ${kind} within ${ms} ms`)); }, ms);
      waiters.push(w);
    });
  };
  const none = (kind, pred = () => true) => assert.equal(events.filter((e) => e.kind === kind && pred(e.v)).length, 0, `${name}: unexpected ${kind}`);
  return { c, next, none, push, events };
}
/** Collects MESSAGE frames of one subscription. */
function inbox() {
  const msgs = [];
  let wake = () => {};
  const cb = (m) => { msgs.push(m); wake(); };
  const count = (n, ms = 5000) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`only ${msgs.length}/${n} messages within ${ms} ms`)), ms);
    wake = () => { if (msgs.length >= n) { clearTimeout(t); resolve(msgs.slice(0, n)); } };
    wake();
  });
  return { msgs, cb, count };
}
const started = async (h) => { const t = Date.now(); h.c.activate(); const ev = await h.next("connect"); return { t: ev.at - t, frame: ev.v }; };
const receipt = (h, id) => new Promise((resolve) => h.c.watchForReceipt(id, resolve));

const checks = [];
const check = (name, fn) => checks.push({ name, fn });

check("pub/sub /topic and /queue: text bodies and custom headers round trip", async () => {
  const h = client();
  await started(h);
  for (const dest of [`/topic/${PREFIX}t1`, `/queue/${PREFIX}q1`]) {
    const box = inbox();
    const rid = `sub-${dest}`;
    const r = receipt(h, rid);
    h.c.subscribe(dest, box.cb, { receipt: rid });
    await r; // the subscription exists before the send
    // (Not "a:b\\c": stompjs 7.5.0 unescapes `\\\\c` wrongly to `\\:`; the raw check below covers it.)
    h.c.publish({ destination: dest, body: "héllo ☃", headers: { "x-colon": "a:b", "x-backslash": "c\\d", "content-type": "text/plain" } });
    const [m] = await box.count(1);
    assert.equal(m.body, "héllo ☃");
    assert.equal(m.headers["x-colon"], "a:b");
    assert.equal(m.headers["x-backslash"], "c\\d");
    assert.equal(m.headers["content-type"], "text/plain");
    assert.equal(m.headers.destination, dest);
    for (const k of ["message-id", "subscription", "content-length", "redelivered"]) assert.ok(k in m.headers, `${k} in ${JSON.stringify(m.headers)}`);
    assert.equal(m.headers.redelivered, "false");
  }
  await h.c.deactivate();
  return "";
});

/** A raw Web-STOMP connection: `frame(cmd, pred?, ms?)` awaits the next received frame (text) of `cmd`. */
async function raw(heartBeat = "0,0") {
  const ws = new WebSocket(URL_, ["v12.stomp"]);
  ws.binaryType = "arraybuffer";
  const got = [];
  let wake = () => {};
  let closed;
  const closedP = new Promise((r) => (closed = r));
  const t0 = Date.now();
  ws.onmessage = (e) => { got.push(typeof e.data === "string" ? e.data : dec.decode(e.data)); wake(); };
  ws.onclose = (e) => { closed({ code: e.code, reason: e.reason, at: Date.now() - t0 }); wake(); };
  const frame = (cmd, pred = () => true, ms = 3000) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${cmd} within ${ms} ms: ${JSON.stringify(got)}`)), ms);
    wake = () => {
      const i = got.findIndex((g) => g.startsWith(cmd + "\n") && pred(g));
      if (i >= 0) { clearTimeout(t); resolve(got.splice(i, 1)[0]); }
    };
    wake();
  });
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  ws.send(`CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:${heartBeat}\n\n\0`);
  await frame("CONNECTED");
  return { ws, got, frame, closed: closedP, t0 };
}

check("raw frames: header escapes (\\c \\\\ \\n \\r) round trip verbatim; MESSAGE frames end with NUL + \\n", async () => {
  const r = await raw();
  const dest = `/topic/${PREFIX}raw`;
  r.ws.send(`SUBSCRIBE\nid:0\ndestination:${dest}\nreceipt:r0\n\n\0`);
  await r.frame("RECEIPT");
  r.ws.send(`SEND\ndestination:${dest}\nx-custom:a\\cb\\\\c\\nd\\re\n\nbody\0`);
  const m = await r.frame("MESSAGE");
  assert.ok(m.includes("\nx-custom:a\\cb\\\\c\\nd\\re\n"), JSON.stringify(m));
  assert.ok(m.endsWith("body\0\n"), JSON.stringify(m));
  r.ws.close();
  return "";
});

check("raw frames: ERROR frames never carry receipt-id (not for a SEND or SUBSCRIBE that asked for a receipt), and do not close", async () => {
  const r = await raw();
  r.ws.send("SEND\ndestination:/foo/bar\nreceipt:bad1\n\nx\0");
  r.ws.send("SUBSCRIBE\nid:0\ndestination:/foo/bar\nreceipt:bad2\n\n\0");
  r.ws.send("SEND\ndestination:/topic/ok\nreceipt:good\n\nx\0");
  const e1 = await r.frame("ERROR");
  const e2 = await r.frame("ERROR");
  await r.frame("RECEIPT", (f) => f.includes("receipt-id:good"));
  for (const e of [e1, e2]) assert.ok(!e.includes("receipt-id"), e);
  assert.ok(!r.got.some((f) => f.includes("receipt-id:bad")), "no RECEIPT for a refused frame");
  r.ws.close();
  return `ERROR: ${JSON.stringify(e1.slice(0, e1.indexOf("\n\n")))}`;
});

check("raw frames: NACK (client-individual) requeues at once: the same body comes back redelivered:true with a new message-id", async () => {
  const r = await raw();
  const dest = `/queue/${PREFIX}nack`;
  r.ws.send(`SUBSCRIBE\nid:0\ndestination:${dest}\nack:client-individual\n\n\0`);
  r.ws.send(`SEND\ndestination:${dest}\n\nn1\0`);
  const m1 = await r.frame("MESSAGE");
  const t = Date.now();
  r.ws.send(`NACK\nid:${m1.match(/\nack:([^\n]*)\n/)[1]}\n\n\0`);
  const m2 = await r.frame("MESSAGE");
  assert.ok(m1.includes("\nredelivered:false\n") && m2.includes("\nredelivered:true\n") && m2.includes("\n\nn1\0"), m2);
  assert.notEqual(m1.match(/message-id:(.*)/)[1], m2.match(/message-id:(.*)/)[1]);
  r.ws.send(`ACK\nid:${m2.match(/\nack:([^\n]*)\n/)[1]}\n\n\0`);
  r.ws.close();
  return `redelivered ${Date.now() - t} ms after NACK`;
});

check("raw frames: a `client` ACK is cumulative over the whole connection (other subscriptions too); acking twice closes the connection", async () => {
  const r = await raw();
  const q = `${PREFIX}xmode`;
  r.ws.send(`SUBSCRIBE\nid:B\ndestination:/queue/${q}-b\nack:client-individual\n\n\0`);
  r.ws.send(`SUBSCRIBE\nid:A\ndestination:/queue/${q}-a\nack:client\nreceipt:s\n\n\0`);
  await r.frame("RECEIPT");
  r.ws.send(`SEND\ndestination:/queue/${q}-b\n\nB1\0`);
  const b = await r.frame("MESSAGE");
  r.ws.send(`SEND\ndestination:/queue/${q}-a\n\nA1\0`);
  const a = await r.frame("MESSAGE");
  const id = (m) => m.match(/\nack:([^\n]*)\n/)[1];
  r.ws.send(`ACK\nid:${id(a)}\nreceipt:a\n\n\0`); // also acks B1 (basic.ack multiple on the shared channel)
  await r.frame("RECEIPT");
  r.ws.send(`ACK\nid:${id(b)}\n\n\0`); // B1 again: PRECONDITION_FAILED "unknown delivery tag"
  const c = await Promise.race([r.closed, new Promise((res) => setTimeout(() => res(null), 3000))]);
  assert.ok(c, "the connection is closed after a second ACK of B1");
  return `closed ${c.code} "${c.reason}"; ERROR frame before it: ${r.got.some((g) => g.startsWith("ERROR"))}`;
});

check("raw frames: the broker enforces the client's heart-beat: silent after CONNECT heart-beat:1000,1000 -> closed", async () => {
  const r = await raw("1000,1000");
  const c = await r.closed;
  const beats = r.got.filter((g) => g === "\n").length;
  return `closed ${c.code} "${c.reason}" ${c.at} ms after connecting; ${beats} broker beats (bare \\n) meanwhile`;
});

check("SUBSCRIBE then SEND in the same tick: a topic message reaches the subscription (order on one connection)", async () => {
  const h = client();
  await started(h);
  const box = inbox();
  const dest = `/topic/${PREFIX}order`;
  h.c.subscribe(dest, box.cb);
  for (let i = 0; i < 20; i++) h.c.publish({ destination: dest, body: `m${i}` });
  const got = await box.count(20);
  assert.deepEqual(got.map((m) => m.body), Array.from({ length: 20 }, (_, i) => `m${i}`));
  await h.c.deactivate();
  return "";
});

check("ack modes: auto never redelivers; client is cumulative; client-individual is not; un-acked ones come back redelivered after close-all", async () => {
  const h = client();
  await started(h);
  const out = [];
  for (const [mode, ackIdx, wantBack] of [["auto", [], []], ["client", [0], [1, 2]], ["client", [1], [2]], ["client-individual", [1], [0, 2]]]) {
    const dest = `/queue/${PREFIX}ack-${mode}-${ackIdx.join("")}`;
    const box = inbox();
    const rid = `r-${dest}`;
    const r = receipt(h, rid);
    h.c.subscribe(dest, box.cb, { ack: mode, id: "s1", receipt: rid });
    await r;
    for (let i = 0; i < 3; i++) h.c.publish({ destination: dest, body: `m${i}` });
    const got = await box.count(3);
    assert.deepEqual(got.map((m) => m.body), ["m0", "m1", "m2"]);
    if (mode === "auto") assert.equal(got[0].headers.ack, undefined);
    else assert.ok(got[0].headers.ack, "an ack header in client modes");
    for (const i of ackIdx) got[i].ack();
    // ACK has no reply; a receipt-bearing frame after it proves the broker processed it.
    const rid2 = `r2-${dest}`;
    const r2 = receipt(h, rid2);
    h.c.publish({ destination: `/topic/${PREFIX}sink`, body: "x", headers: { receipt: rid2 } });
    await r2;
    const t = Date.now();
    const closeMs = await rmq("close-all", "assumption check");
    const cl = await h.next("wsclose");
    const conn = await h.next("connect", () => true, 5000);
    const box2 = inbox();
    const rid3 = `r3-${dest}`;
    const r3 = receipt(h, rid3);
    h.c.subscribe(dest, box2.cb, { ack: "client-individual", id: "s2", receipt: rid3 });
    await r3;
    // Sentinel: published after the resubscription, it comes after every redelivery.
    h.c.publish({ destination: dest, body: "sentinel" });
    const back = await box2.count(wantBack.length + 1);
    assert.deepEqual(back.map((m) => m.body), [...wantBack.map((i) => `m${i}`), "sentinel"], `${mode} ack ${ackIdx}`);
    for (const m of back.slice(0, -1)) assert.equal(m.headers.redelivered, "true");
    assert.equal(back.at(-1).headers.redelivered, "false");
    for (const m of back) m.ack();
    h.c.unsubscribe("s2");
    out.push(`${mode}[ack ${ackIdx}]: close ${cl.v.code} "${cl.v.reason}" ${cl.at - t} ms after close-all (rabbitmqctl ${closeMs} ms), reconnected +${conn.at - cl.at} ms`);
  }
  await h.c.deactivate();
  return out.join("; ");
});

check("receipts: SEND and SUBSCRIBE with a receipt header get RECEIPT; a SEND's receipt header leaks into the MESSAGE", async () => {
  const h = client();
  await started(h);
  const dest = `/queue/${PREFIX}rcpt`;
  const box = inbox();
  let t = Date.now();
  const r1 = receipt(h, "sub-1");
  h.c.subscribe(dest, box.cb, { receipt: "sub-1" });
  const f1 = await r1;
  const subMs = Date.now() - t;
  assert.equal(f1.headers["receipt-id"], "sub-1");
  t = Date.now();
  const r2 = receipt(h, "send-1");
  h.c.publish({ destination: dest, body: "r", headers: { receipt: "send-1" } });
  await r2;
  const sendMs = Date.now() - t;
  const [m] = await box.count(1);
  await h.c.deactivate();
  return `subscribe receipt ${subMs} ms, send receipt ${sendMs} ms; MESSAGE receipt header: ${JSON.stringify(m.headers.receipt)}`;
});

check("durable queue: messages sent (by another client) while no subscriber is connected wait, delivered in order on resubscribe", async () => {
  const dest = `/queue/${PREFIX}durable`;
  const a = client({ name: "a" });
  await started(a);
  const box = inbox();
  const r = receipt(a, "s");
  a.c.subscribe(dest, box.cb, { receipt: "s", ack: "client-individual" });
  await r;
  await a.c.deactivate(); // subscriber gone
  const b = client({ name: "b" });
  await started(b);
  const r2 = receipt(b, "p");
  b.c.publish({ destination: dest, body: "while-away-1" });
  b.c.publish({ destination: dest, body: "while-away-2", headers: { receipt: "p" } });
  await r2;
  await b.c.deactivate();
  const a2 = client({ name: "a2" });
  await started(a2);
  const box2 = inbox();
  a2.c.subscribe(dest, box2.cb, { ack: "client-individual" });
  const got = await box2.count(2);
  assert.deepEqual(got.map((m) => m.body), ["while-away-1", "while-away-2"]);
  assert.equal(got[0].headers.redelivered, "false");
  for (const m of got) m.ack();
  await a2.c.deactivate();
  return "";
});

check("ERROR for a bad destination (/foo/bar): message header + body, and the connection stays open", async () => {
  const h = client();
  await started(h);
  const t = Date.now();
  h.c.publish({ destination: "/foo/bar", body: "x" });
  const e = await h.next("error");
  const errMs = e.at - t;
  assert.equal(e.v.command, "ERROR");
  assert.ok(e.v.headers.message, "an ERROR message header");
  // Still usable afterwards: a receipt comes back on the same connection, no close.
  const r = receipt(h, "after");
  h.c.publish({ destination: `/topic/${PREFIX}after-error`, body: "y", headers: { receipt: "after" } });
  await r;
  h.none("wsclose");
  const sub = client();
  await started(sub);
  sub.c.subscribe("/foo/bar", () => {});
  const e2 = await sub.next("error");
  await h.c.deactivate();
  await sub.c.deactivate();
  return `${errMs} ms; SEND: message=${JSON.stringify(e.v.headers.message)} body=${JSON.stringify(e.v.body)} headers=${Object.keys(e.v.headers)}; SUBSCRIBE: message=${JSON.stringify(e2.v.headers.message)}`;
});

check("1 MiB text body and a binary body of all 256 byte values (NUL included) round trip byte-exact", async () => {
  const h = client();
  await started(h);
  const dest = `/queue/${PREFIX}big`;
  const box = inbox();
  h.c.subscribe(dest, box.cb);
  const big = Array.from({ length: 1 << 20 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
  const bin = new Uint8Array(512).map((_, i) => i % 256);
  const t = Date.now();
  h.c.publish({ destination: dest, body: big });
  h.c.publish({ destination: dest, binaryBody: bin, headers: { "content-type": "application/octet-stream" } });
  const [m1, m2] = await box.count(2, 10_000);
  const ms = Date.now() - t;
  assert.equal(m1.body.length, big.length);
  assert.ok(m1.body === big);
  assert.deepEqual([...m2.binaryBody], [...bin]);
  assert.equal(m2.headers["content-length"], "512");
  await h.c.deactivate();
  return `both back in ${ms} ms`;
});

check("transactions: ABORT delivers nothing, COMMIT delivers; nothing before COMMIT", async () => {
  const h = client();
  await started(h);
  const dest = `/queue/${PREFIX}tx`;
  const box = inbox();
  const r = receipt(h, "s");
  h.c.subscribe(dest, box.cb, { receipt: "s" });
  await r;
  const tx1 = h.c.begin();
  h.c.publish({ destination: dest, body: "aborted-1", headers: { transaction: tx1.id } });
  h.c.publish({ destination: dest, body: "aborted-2", headers: { transaction: tx1.id } });
  tx1.abort();
  const tx2 = h.c.begin();
  h.c.publish({ destination: dest, body: "committed", headers: { transaction: tx2.id } });
  // A receipt on a non-transactional frame proves the SENDs above were processed, yet not delivered.
  const r2 = receipt(h, "mid");
  h.c.publish({ destination: `/topic/${PREFIX}sink`, body: "x", headers: { receipt: "mid" } });
  await r2;
  assert.equal(box.msgs.length, 0, "nothing delivered before COMMIT");
  tx2.commit();
  h.c.publish({ destination: dest, body: "sentinel" });
  const got = await box.count(2);
  assert.deepEqual(got.map((m) => m.body), ["committed", "sentinel"]);
  await h.c.deactivate();
  return "";
});

check("DISCONNECT with a receipt: the broker closes (code, receipt?)", async () => {
  const h = client();
  await started(h);
  const t = Date.now();
  await h.c.deactivate(); // stompjs sends DISCONNECT with a receipt
  const cl = await h.next("wsclose");
  const gotReceipt = h.events.some((e) => e.kind === "receipt");
  return `close ${cl.v.code} "${cl.v.reason}" ${cl.at - t} ms after DISCONNECT; RECEIPT frame: ${gotReceipt}`;
});

check("heart-beats 1000,1000: negotiated, idle connection stays open 5.5 s", async () => {
  const h = client({ hb: 1000 });
  const { frame } = await started(h);
  assert.equal(frame.headers["heart-beat"], "1000,1000");
  const t = Date.now();
  await new Promise((r) => setTimeout(r, 5500)); // an idle period is the point of this check
  h.none("wsclose");
  h.none("error");
  await h.c.deactivate();
  return `CONNECTED heart-beat ${frame.headers["heart-beat"]}; idle ${Date.now() - t} ms, no close`;
});

if (!process.argv.includes("--no-freeze")) check("frozen broker (SIGSTOP): heart-beat loss noticed; reconnect after thaw", async () => {
  const h = client({ hb: 1000, reconnectDelay: 200 });
  await started(h);
  const t0 = Date.now();
  await rmq("freeze");
  let cl, tThaw;
  try {
    cl = await h.next("wsclose", () => true, 8000);
  } finally {
    tThaw = Date.now();
    await rmq("thaw");
  }
  const conn = await h.next("connect", () => true, 15_000);
  // stompjs does not resubscribe by itself. A topic, not a queue: the broker may still hold the
  // old connection's consumer for a while, which would take a share of a queue's messages.
  const box = inbox();
  const dest = `/topic/${PREFIX}freeze`;
  const r = receipt(h, "s");
  h.c.subscribe(dest, box.cb, { receipt: "s" });
  await r;
  h.c.publish({ destination: dest, body: "after-thaw" });
  const [m] = await box.count(1, 5000);
  assert.equal(m.body, "after-thaw");
  await h.c.deactivate();
  return `close (${cl.v.code}) ${cl.at - t0} ms after freeze (stompjs: 2 x 1000 ms tolerance, checked every 1000 ms); CONNECTED again ${conn.at - tThaw} ms after thaw`;
});

let failed = 0;
const T = Date.now();
for (const { name, fn } of checks) {
  const t = Date.now();
  try {
    const info = await fn();
    console.log(`ok ${name} [${Date.now() - t} ms]${info ? `: ${info}` : ""}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name} [${Date.now() - t} ms]: ${e.stack || e}`);
    break;
  }
}
await rmq("delete-queues", PREFIX).catch((e) => console.error(`delete-queues: ${e.message}`));
console.log(`${failed ? "FAIL" : "ok"}: ${checks.length} checks in ${Date.now() - T} ms`);
process.exit(failed ? 1 : 0);
