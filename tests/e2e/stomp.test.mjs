// steadysocket/stomp (StompClient) end to end: headless Chromium, the built package (pkg/stomp/,
// found through pkg/package.json's "./stomp" export) loaded from the reference server, against
// the real RabbitMQ 3.10.8 Web-STOMP broker of scripts/rabbitmq.sh. What's tested:
// - publish/subscribe on /topic and /queue: text bodies, header escaping, MESSAGE headers
// - ack modes auto / client (cumulative) / client-individual: un-acked messages come back
//   `redelivered` after the broker drops the connection (rabbitmq.sh close-all), acked ones do
//   not; m.ack() of a message from a dead connection returns false and sends nothing; nack()
// - receipts: publish/subscribe resolve; a receipt times out; one pending when the connection
//   dies rejects "connection-lost" (the broker frozen with rabbitmq.sh freeze, then reconnect())
// - a durable queue keeps what a second client published while the subscriber was closed
// - after close-all: subscriptions re-sent (same callbacks), publishes made while disconnected
//   flushed in order after the SUBSCRIBEs; connectHeaders as a function called per attempt
// - an ERROR frame (unknown destination) is an `error` event kind "server" with headers + body
// - 1 MiB text and binary bodies, all 256 byte values (NUL included), empty body: byte-exact
// - heart-beats 1000,1000: an idle connection stays open (the broker closes a silent client
//   after ~3 s, so this also proves our beats); a frozen broker is detected
//   ("heartbeat-timeout"), and the client reconnects after the thaw
// - close(): DISCONNECT on the wire, state "closed", no error events
// - transactions: abort delivers nothing, commit delivers
// - bad options throw TypeError/RangeError naming the option
// Outbound frames are observed with a spy on WebSocket.prototype.send (installed before any
// page script). Broker facts these tests rely on are checked with @stomp/stompjs by
// tests/peers/rabbitmq-stomp-assumptions.mjs. Without a reachable broker every broker test is
// skipped (scripts/test.sh starts one); without a stomp entry in pkg/ everything is skipped.
// Env: RMQ_WS_URL (default ws://127.0.0.1:$RMQ_WS_PORT/ws, port 15674); the RMQ_* variables of
// scripts/rabbitmq.sh pass through to its close-all / freeze / thaw / delete-queues.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { after, afterEach, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { launchBrowser, serverUrl } from "./helpers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BROKER = process.env.RMQ_WS_URL || `ws://127.0.0.1:${process.env.RMQ_WS_PORT || 15674}/ws`;
// Every queue this file makes starts with PREFIX (deleted in after(), stale ones included).
const PREFIX = "e2e-stomp-";
const RUN = `${PREFIX}${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
let serial = 0;
/** A fresh destination name: `/queue/e2e-stomp-<run>-<what>-<n>` etc. */
const dest = (kind, what) => `/${kind}/${RUN}-${what}-${++serial}`;

const execFileP = promisify(execFile);
/** scripts/rabbitmq.sh SUBCOMMAND ARGS (close-all, freeze, thaw, delete-queues); resolves to its run time (ms). */
async function rmq(...args) {
  const t = Date.now();
  await execFileP(path.join(root, "scripts/rabbitmq.sh"), args, { cwd: root, env: process.env, timeout: 20_000 });
  return Date.now() - t;
}

let browser;
let page;
let pageErrors = [];
let skipAll = ""; // no stomp entry in pkg/
let skipBroker = ""; // broker not reachable

/** node:test's test() with a deadline: every wait inside is bounded, this is the backstop. */
const stest = (name, fn) => test(name, { timeout: 60_000 }, fn);

/** Returns false (and skips `t` with the reason) when this test cannot run here. */
function canRun(t, { broker = true } = {}) {
  const why = skipAll || (broker && skipBroker);
  if (why) t.skip(why);
  return !why;
}

// Installed before any page script: records every outbound WebSocket frame as text.
function wireSpy() {
  window.__wire = [];
  const orig = WebSocket.prototype.send;
  const dec = new TextDecoder();
  WebSocket.prototype.send = function (d) {
    let text = "";
    try {
      if (typeof d === "string") text = d;
      else if (d instanceof ArrayBuffer) text = dec.decode(new Uint8Array(d));
      else if (ArrayBuffer.isView(d)) text = dec.decode(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      else text = `<${Object.prototype.toString.call(d)}>`;
    } catch (e) {
      text = `<undecodable: ${e}>`;
    }
    const nl = text.indexOf("\n");
    const cmd = nl < 0 ? text : text.slice(0, nl).replace(/\r$/, "");
    window.__wire.push({ sock: this, cmd, text: text.length > 4096 ? text.slice(0, 4096) : text, at: performance.now() });
    return orig.call(this, d);
  };
}

// Installed once in the page after the entry loaded: the helpers every test gets as `ctx`.
function installHelpers({ entry, broker }) {
  return (async () => {
    const mod = await import(entry);
    await mod.default();
    const { StompClient } = mod;
    const clients = [];
    const guest = { login: "guest", passcode: "guest", host: "/" };
    const EVENTS = ["open", "close", "state", "reconnecting", "error", "drop", "sent"];
    /**
     * A StompClient on the broker (guest login, fast reconnect unless overridden) whose events
     * are all recorded in `log` ({ev, e, at}). `until(ev, pred, ms, since)` resolves with the
     * first matching record at index >= since (already logged or future); `mark()` = log.length.
     */
    const connect = (opts = {}) => {
      const c = new StompClient(broker, { connectHeaders: guest, reconnect: { minDelayMs: 50, maxDelayMs: 500 }, ...opts });
      clients.push(c);
      const log = [];
      const waiters = new Set();
      for (const ev of EVENTS) {
        c.on(ev, (e) => {
          log.push({ ev, e, at: performance.now() });
          for (const w of [...waiters]) w();
        });
      }
      const until = (ev, pred = () => true, ms = 5000, since = 0) =>
        new Promise((resolve, reject) => {
          let timer;
          const check = () => {
            for (let i = since; i < log.length; i++) {
              if (log[i].ev === ev && pred(log[i].e)) {
                clearTimeout(timer);
                waiters.delete(check);
                resolve(log[i]);
                return;
              }
            }
          };
          timer = setTimeout(() => {
            waiters.delete(check);
            const seen = log.slice(since).map((r) => r.ev === "state" ? `state:${r.e.to}` : r.ev === "error" ? `error:${r.e.kind}` : r.ev);
            reject(new Error(`no ${ev} within ${ms} ms (events since: ${seen.join(", ") || "none"}; state ${c.state})`));
          }, ms);
          waiters.add(check);
          check();
        });
      const errors = (since = 0) => log.slice(since).filter((r) => r.ev === "error").map((r) => `${r.e.kind}: ${r.e.message}`);
      return { c, log, until, mark: () => log.length, errors };
    };
    /** Collects the messages of a subscription callback; `count(n, ms)` waits for n of them. */
    const inbox = () => {
      const msgs = [];
      let wake = () => {};
      const cb = (m) => { msgs.push(m); wake(); };
      const count = (n, ms = 5000) =>
        new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`only ${msgs.length}/${n} messages within ${ms} ms: ${JSON.stringify(msgs.map((m) => String(m.body).slice(0, 40)))}`)), ms);
          wake = () => { if (msgs.length >= n) { clearTimeout(t); wake = () => {}; resolve(msgs.slice(0, n)); } };
          wake();
        });
      return { msgs, cb, count };
    };
    /** Outbound frames recorded by the spy: all, or those of the socket that sent the last CONNECT/STOMP. */
    const wire = () => window.__wire;
    const lastSocket = () => [...window.__wire].reverse().find((w) => w.cmd === "CONNECT" || w.cmd === "STOMP")?.sock;
    const framesOf = (sock) => window.__wire.filter((w) => w.sock === sock && w.cmd.trim() !== "");
    /** `name: value` of a recorded frame's header (first occurrence), or undefined. */
    const header = (frame, name) => {
      const head = frame.text.slice(0, frame.text.indexOf("\n\n"));
      const line = head.split("\n").slice(1).find((l) => l.startsWith(name + ":"));
      return line === undefined ? undefined : line.slice(name.length + 1);
    };
    const rmq = (...a) => window.__rmq(...a);
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const catchKind = (p) => p.then(() => "resolved", (e) => (e && e.kind) || `no kind: ${e}`);
    window.__h = { StompClient, broker, guest, clients, connect, inbox, wire, lastSocket, framesOf, header, rmq, sleep, catchKind };
  })();
}

/** Runs `fn(ctx)` in the page: ctx = the helpers above + `args`. */
const inPage = (fn, args = {}) =>
  page.evaluate(
    async ([src, args]) => {
      const f = new Function("ctx", `return (${src})(ctx);`);
      return f({ ...window.__h, args });
    },
    [fn.toString(), args],
  );

before(async () => {
  // The stomp entry, as build-pkg.sh exports it (pkg/<entry>/<entry>.js).
  let entry;
  try {
    const res = await fetch(`${serverUrl()}/pkg/package.json`);
    const pkg = res.ok ? await res.json() : {};
    const exp = pkg.exports?.["./stomp"];
    const rel = typeof exp === "string" ? exp : exp?.import ?? exp?.default;
    if (rel) entry = new URL(rel, `${serverUrl()}/pkg/`).pathname;
  } catch {
    /* no package: skip below */
  }
  if (!entry) {
    skipAll = "pkg/ has no steadysocket/stomp entry (scripts/entries.txt; scripts/build-pkg.sh)";
    return;
  }
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on("pageerror", (e) => pageErrors.push(`pageerror: ${e.stack || e.message}`));
  // Chromium itself logs failed/abandoned WebSocket handshakes (the frozen-broker tests make some).
  page.on("console", (m) => {
    if (m.type() !== "error" || /^WebSocket connection to .* failed/.test(m.text())) return;
    if ((m.location()?.url ?? "").endsWith("/favicon.ico")) return;
    pageErrors.push(`console.error: ${m.text()}`);
  });
  await page.addInitScript(wireSpy);
  await page.exposeFunction("__rmq", (...args) => rmq(...args));
  // A real page of the server (the entry is imported from its origin). Not a page.route()-made
  // one: Chromium's local-network-access checks then block ws://127.0.0.1 (ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS).
  await page.goto(`${serverUrl()}/harness.html`);
  await page.evaluate(installHelpers, { entry, broker: BROKER }); // a broken entry fails here, loudly
  // Is Web-STOMP there? A raw CONNECT from the page (3 s).
  const reach = await page.evaluate(async (url) => {
    try {
      return await new Promise((resolve) => {
        const ws = new WebSocket(url, ["v12.stomp"]);
        ws.binaryType = "arraybuffer";
        const t = setTimeout(() => { ws.close(); resolve("no CONNECTED within 3 s"); }, 3000);
        ws.onopen = () => ws.send("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,0\n\n\0");
        ws.onmessage = (e) => {
          clearTimeout(t);
          const text = typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data);
          ws.close();
          resolve(text.startsWith("CONNECTED\n") ? "" : `got ${JSON.stringify(text.slice(0, 80))}`);
        };
        ws.onclose = (e) => { clearTimeout(t); resolve(`closed ${e.code}`); };
      });
    } catch (e) {
      return String(e);
    }
  }, BROKER);
  await page.evaluate(() => { window.__wire.length = 0; });
  if (reach) skipBroker = `RabbitMQ Web-STOMP not reachable at ${BROKER} (${reach}); start it with scripts/rabbitmq.sh start`;
});

afterEach(async () => {
  if (!page) return;
  await page.evaluate(() => {
    for (const c of window.__h?.clients ?? []) try { c.free(); } catch { /* already freed */ }
    if (window.__h) window.__h.clients.length = 0;
    window.__wire.length = 0;
  });
  const errs = pageErrors;
  pageErrors = [];
  assert.deepEqual(errs, [], "no page errors / console errors");
});

after(async () => {
  await browser?.close();
  if (!skipAll && !skipBroker) await rmq("thaw").then(() => rmq("delete-queues", PREFIX)).catch(() => {});
});

stest("bad options throw TypeError/RangeError naming the option", async (t) => {
  if (!canRun(t, { broker: false })) return;
  const cases = [
    [{ connectHeaders: 5 }, "TypeError", "connectHeaders"],
    [{ connectHeaders: "login:guest" }, "TypeError", "connectHeaders"],
    [{ conectHeaders: {} }, "TypeError", "conectHeaders"],
    [{ heartbeat: "yes" }, "TypeError", "heartbeat"],
    [{ heartbeat: { outgoingMs: "1000" } }, "TypeError", "heartbeat.outgoingMs"],
    [{ heartbeat: { incomingMs: -1 } }, "RangeError", "heartbeat.incomingMs"],
    [{ heartbeat: { intervalMs: 1000 } }, "TypeError", "heartbeat.intervalMs"], // SteadySocket's key, not StompClient's
    [{ reconnect: { maxDelayMs: "x" } }, "TypeError", "reconnect.maxDelayMs"],
    [{ protocols: 5 }, "TypeError", "protocols"],
  ];
  const results = await inPage(({ StompClient, broker, args }) =>
    args.cases.map(([opts]) => {
      try {
        new StompClient(broker, opts).free();
        return "no throw";
      } catch (e) {
        return `${e?.name}: ${e?.message}`;
      }
    }), { cases });
  cases.forEach(([opts, type, name], i) => {
    assert.ok(results[i].startsWith(`${type}: `), `${JSON.stringify(opts)} -> ${results[i]} (want ${type})`);
    assert.ok(results[i].includes(name), `${JSON.stringify(opts)} -> ${results[i]} (should name ${name})`);
  });
});

stest("publish/subscribe on /topic and /queue: bodies and headers round trip", async (t) => {
  if (!canRun(t)) return;
  const r = await inPage(async ({ connect, inbox, wire, header, args }) => {
    const sub = connect();
    const sub2 = connect();
    const pub = connect();
    await Promise.all([sub, sub2, pub].map((x) => x.until("open")));
    const tA = inbox(), tB = inbox(), q = inbox();
    const sA = sub.c.subscribe(args.topic, tA.cb, {}, { receipt: true });
    const sB = sub2.c.subscribe(args.topic, tB.cb, {}, { receipt: true });
    const sQ = sub.c.subscribe(args.queue, q.cb, {}, { receipt: true });
    await Promise.all([sA.receipt, sB.receipt, sQ.receipt]);
    // ":" "\" LF CR in a value: escaped on the wire (\c \\ \n \r) and back.
    const headers = { "x-custom": "a:b\\c\nd\re", "content-type": "text/plain;charset=utf-8" };
    const sent = [
      pub.c.publish({ destination: args.topic, body: "topic ☃ é\nline 2", headers }),
      pub.c.publish({ destination: args.queue, body: "queue ☃", headers }),
    ];
    const [[a], [b], [m]] = await Promise.all([tA.count(1), tB.count(1), q.count(1)]);
    const plain = (m, s) => ({
      command: m.command,
      body: m.body,
      utf8: Array.from(m.binaryBody ?? []).join() === Array.from(new TextEncoder().encode(m.body)).join(),
      headers: m.headers,
      subscribedAs: s.id,
    });
    sA.unsubscribe();
    const unsub = wire().find((w) => w.cmd === "UNSUBSCRIBE");
    return {
      sent,
      ids: [sA.id, sQ.id],
      topicA: plain(a, sA),
      topicB: plain(b, sB),
      queue: plain(m, sQ),
      unsubscribeId: unsub && header(unsub, "id"),
      states: [sub, sub2, pub].map((x) => x.c.state),
      errors: [sub, sub2, pub].flatMap((x) => x.errors()),
    };
  }, { topic: dest("topic", "pubsub"), queue: dest("queue", "pubsub") });
  assert.deepEqual(r.sent, ["sent", "sent"]);
  assert.notEqual(r.ids[0], r.ids[1], "subscription ids are distinct");
  for (const [name, m, d, body] of [
    ["topic A", r.topicA, "topic", "topic ☃ é\nline 2"],
    ["topic B", r.topicB, "topic", "topic ☃ é\nline 2"],
    ["queue", r.queue, "queue", "queue ☃"],
  ]) {
    assert.equal(m.command, "MESSAGE", name);
    assert.equal(m.body, body, name);
    assert.ok(m.utf8, `${name}: binaryBody is the UTF-8 of body`);
    assert.equal(m.headers["x-custom"], "a:b\\c\nd\re", `${name}: escaped header round trip`);
    assert.equal(m.headers["content-type"], "text/plain;charset=utf-8", name);
    assert.ok(m.headers.destination.startsWith(`/${d}/`), `${name}: destination ${m.headers.destination}`);
    assert.equal(String(m.headers.subscription), String(m.subscribedAs), `${name}: subscription header = sub.id`);
    assert.ok(m.headers["message-id"], `${name}: message-id`);
    assert.equal(m.headers.redelivered, "false", name);
  }
  assert.equal(String(r.unsubscribeId), String(r.ids[0]), "UNSUBSCRIBE names the subscription id");
  assert.deepEqual(r.states, ["open", "open", "open"]);
  assert.deepEqual(r.errors, []);
});

stest("ack modes: un-acked messages are redelivered after close-all, acked ones are not; stale ack() returns false", async (t) => {
  if (!canRun(t)) return;
  const r = await inPage(async ({ connect, inbox, rmq, wire, header, args }) => {
    // One connection per mode: RabbitMQ's `client` ACK is cumulative over the whole connection
    // (every subscription), and acking a message twice makes it close the connection.
    const MODES = ["auto", "client", "client-individual"];
    const xs = {}, boxes = {}, subs = {};
    for (const mode of MODES) {
      xs[mode] = connect();
      boxes[mode] = inbox();
    }
    await Promise.all(MODES.map((m) => xs[m].until("open")));
    for (const mode of MODES) subs[mode] = xs[mode].c.subscribe(args.q[mode], boxes[mode].cb, { ack: mode }, { receipt: true });
    await Promise.all(MODES.map((m) => subs[m].receipt));
    for (const mode of MODES) for (let i = 0; i < 3; i++) xs[mode].c.publish({ destination: args.q[mode], body: `m${i}` });
    const first = {};
    for (const mode of MODES) first[mode] = await boxes[mode].count(3);
    const ackHeader = Object.fromEntries(MODES.map((m) => [m, first[m][0].headers.ack]));
    // client: ack m1 (cumulative: m0 too); client-individual: ack m1 only.
    const acked = [first.client[1].ack(), first["client-individual"][1].ack()];
    // The broker handles a connection's frames in order: a receipt after the ACKs means they were processed.
    await Promise.all(MODES.map((m) => xs[m].c.publish({ destination: args.sink, body: "", receipt: true })));
    const marks = Object.fromEntries(MODES.map((m) => [m, xs[m].mark()]));
    const oldWire = wire().length;
    const t0 = performance.now();
    await rmq("close-all", "e2e ack test");
    const close = await xs.client.until("close", () => true, 5000, marks.client);
    const staleWhileDown = first.client[2].ack(); // connection gone, not yet back (or just back)
    const opens = await Promise.all(MODES.map((m) => xs[m].until("open", (e) => e.reconnected, 10_000, marks[m])));
    const staleAfter = [first.client[2].ack(), first["client-individual"][0].ack(), first["client-individual"][2].nack()];
    for (const mode of MODES) xs[mode].c.publish({ destination: args.q[mode], body: "sentinel" });
    const again = {};
    const want = { auto: 4, client: 5, "client-individual": 6 };
    for (const mode of MODES) again[mode] = (await boxes[mode].count(want[mode])).slice(3);
    const ackedAgain = [];
    for (const mode of ["client", "client-individual"]) for (const m of again[mode]) ackedAgain.push(m.ack());
    await Promise.all(MODES.map((m) => xs[m].c.publish({ destination: args.sink, body: "", receipt: true })));
    // Every ACK/NACK sent since close-all names a message delivered on the new connections.
    const acksAfter = wire().slice(oldWire).filter((f) => f.cmd === "ACK" || f.cmd === "NACK").map((f) => header(f, "id"));
    const idsNew = [...again.client, ...again["client-individual"]].map((m) => m.headers.ack);
    return {
      ackHeader,
      acked,
      close: { ...close.e, afterMs: Math.round(close.at - t0) },
      opens: opens.map((o) => o.e.reconnected),
      reopenMs: Math.round(opens[1].at - close.at),
      staleWhileDown,
      staleAfter,
      again: Object.fromEntries(MODES.map((k) => [k, again[k].map((m) => `${m.body}:${m.headers.redelivered}`)])),
      ackedAgain,
      acksAfter,
      idsNew,
      states: MODES.map((m) => xs[m].c.state),
      errors: MODES.flatMap((m) => xs[m].errors()),
    };
  }, {
    q: { auto: dest("queue", "ack-auto"), client: dest("queue", "ack-client"), "client-individual": dest("queue", "ack-ci") },
    sink: dest("topic", "sink"),
  });
  t.diagnostic(`close-all -> close ${r.close.afterMs} ms (code ${r.close.code} "${r.close.reason}"), reopened ${r.reopenMs} ms later`);
  assert.equal(r.ackHeader.auto, undefined, "no ack header in auto mode");
  assert.ok(r.ackHeader.client && r.ackHeader["client-individual"], "ack header in client modes");
  assert.deepEqual(r.acked, [true, true], "ack() on a live connection returns true");
  assert.equal(r.close.willReconnect, true);
  assert.deepEqual(r.opens, [true, true, true]);
  assert.equal(r.staleWhileDown, false, "ack() while disconnected returns false");
  assert.deepEqual(r.staleAfter, [false, false, false], "ack()/nack() of a message from the previous connection return false");
  assert.deepEqual(r.again, {
    auto: ["sentinel:false"],
    client: ["m2:true", "sentinel:false"], // m0 and m1 acked by the cumulative ack of m1
    "client-individual": ["m0:true", "m2:true", "sentinel:false"],
  });
  assert.ok(r.ackedAgain.every((v) => v === true), `acks on the new connection: ${r.ackedAgain}`);
  assert.deepEqual([...r.acksAfter].sort(), [...r.idsNew].sort(), "after the reconnect, only acks of messages delivered on the new connections");
  assert.deepEqual(r.states, ["open", "open", "open"], "no connection closed by a bad ACK");
  assert.deepEqual(r.errors, []);
});

stest("nack() in client-individual mode: the broker requeues and redelivers at once", async (t) => {
  if (!canRun(t)) return;
  const r = await inPage(async ({ connect, inbox, args }) => {
    const x = connect();
    await x.until("open");
    const box = inbox();
    const s = x.c.subscribe(args.queue, box.cb, { ack: "client-individual" }, { receipt: true });
    await s.receipt;
    x.c.publish({ destination: args.queue, body: "n" });
    const [m] = await box.count(1);
    const nacked = m.nack();
    const [, m2] = await box.count(2);
    return { nacked, first: m.headers.redelivered, second: m2.headers.redelivered, body: m2.body, acked: m2.ack(), errors: x.errors() };
  }, { queue: dest("queue", "nack") });
  assert.deepEqual(r, { nacked: true, first: "false", second: "true", body: "n", acked: true, errors: [] });
});

stest("a SUBSCRIBE the broker refuses on every connection (a quorum queue without x-queue-type): reported, no endless reconnects", async (t) => {
  if (!canRun(t)) return;
  const r = await inPage(async ({ connect, args }) => {
    // The quorum queue exists (declared with its header)...
    const a = connect();
    await a.until("open");
    await a.c.subscribe(args.queue, () => {}, { ack: "client-individual", "x-queue-type": "quorum", durable: "true", "auto-delete": "false" }, { receipt: true }).receipt;
    a.c.free();
    // ...and a client subscribes without it: Web-STOMP closes (1000 "STOMP died", no ERROR frame)
    // on every connection's SUBSCRIBE.
    const b = connect({ reconnect: { minDelayMs: 20, maxDelayMs: 50 } });
    b.c.subscribe(args.queue, () => {}, { ack: "client-individual" });
    await b.until("state", (e) => e.to == "closed", 20_000);
    return { errors: b.errors(), closes: b.log.filter((x) => x.ev == "close").map((x) => `${x.e.code} ${x.e.reason}`), state: b.c.state };
  }, { queue: dest("queue", "quorum-refused") });
  assert.equal(r.state, "closed");
  assert.deepEqual(r.closes, ["1000 STOMP died", "1000 STOMP died", "1000 STOMP died"], "three connections, then it stops");
  assert.ok(r.errors.some((e) => /3 times in a row.*no ERROR frame.*x-queue-type/.test(e)), `the error names the cause: ${JSON.stringify(r.errors)}`);
});

stest("receipts: publish and subscribe resolve; a receipt times out; one pending when the connection drops rejects connection-lost", async (t) => {
  if (!canRun(t)) return;
  const r = await inPage(async ({ connect, inbox, rmq, wire, header, catchKind, args }) => {
    const x = connect();
    await x.until("open");
    const box = inbox();
    const s = x.c.subscribe(args.queue, box.cb, {}, { receipt: true });
    const subReceipt = await s.receipt.then(() => "resolved");
    let t0 = performance.now();
    const p = x.c.publish({ destination: args.queue, body: "with receipt", receipt: true });
    const isPromise = p instanceof Promise;
    const pubReceipt = await p;
    const receiptMs = performance.now() - t0;
    const [m] = await box.count(1);
    const sendFrame = wire().find((w) => w.cmd === "SEND");
    const subFrame = wire().find((w) => w.cmd === "SUBSCRIBE");
    // A frozen broker answers nothing: one receipt times out, one is pending when we drop the connection.
    const mark = x.mark();
    await rmq("freeze");
    let timeout, lost, timeoutMs;
    try {
      t0 = performance.now();
      const pT = x.c.publish({ destination: args.topic, body: "t", receipt: true, timeoutMs: 300 });
      const pL = x.c.publish({ destination: args.topic, body: "l", receipt: true, timeoutMs: 20_000 });
      timeout = await catchKind(pT);
      timeoutMs = performance.now() - t0;
      x.c.reconnect();
      lost = await Promise.race([catchKind(pL), new Promise((r) => setTimeout(() => r("still pending 8 s after reconnect()"), 8000))]);
    } finally {
      await rmq("thaw");
    }
    const open = await x.until("open", (e) => e.reconnected, 10_000, mark);
    const after = await catchKind(x.c.publish({ destination: args.topic, body: "a", receipt: true }));
    return {
      subReceipt, isPromise, pubReceipt: pubReceipt === undefined ? "undefined" : pubReceipt, receiptMs, body: m.body,
      sendHasReceipt: !!header(sendFrame, "receipt"), subHasReceipt: !!header(subFrame, "receipt"),
      timeout, timeoutMs, lost, reopened: open.e.reconnected, after, errors: x.errors(),
    };
  }, { queue: dest("queue", "receipt"), topic: dest("topic", "receipt") });
  t.diagnostic(`publish receipt ${r.receiptMs.toFixed(1)} ms; receipt timeout fired after ${r.timeoutMs.toFixed(0)} ms (timeoutMs 300)`);
  assert.equal(r.subReceipt, "resolved");
  assert.ok(r.isPromise, "publish({receipt: true}) returns a Promise");
  assert.equal(r.pubReceipt, "undefined", "resolves to undefined");
  assert.equal(r.body, "with receipt");
  assert.ok(r.sendHasReceipt && r.subHasReceipt, "receipt headers on the wire");
  assert.equal(r.timeout, "timeout");
  assert.ok(r.timeoutMs >= 290 && r.timeoutMs < 3000, `timeout after ${r.timeoutMs} ms`);
  assert.equal(r.lost, "connection-lost");
  assert.equal(r.reopened, true);
  assert.equal(r.after, "resolved", "receipts work again after the thaw");
  assert.ok(r.errors.every((e) => /^connect/.test(e)), `only connect errors while frozen: ${r.errors}`);
});

stest("durable queue: messages published by another client while the subscriber was closed arrive on resubscribe", async (t) => {
  if (!canRun(t)) return;
  const r = await inPage(async ({ connect, inbox, args }) => {
    const a = connect();
    await a.until("open");
    const s = a.c.subscribe(args.queue, () => {}, { ack: "client-individual" }, { receipt: true });
    await s.receipt; // the queue exists now (durable, not auto-delete)
    const mark = a.mark();
    a.c.close();
    await a.until("state", (e) => e.to === "closed", 5000, mark);
    const b = connect();
    await b.until("open");
    b.c.publish({ destination: args.queue, body: "while away 1" });
    await b.c.publish({ destination: args.queue, body: "while away 2", headers: { "x-n": "2" }, receipt: true });
    b.c.close();
    const a2 = connect();
    await a2.until("open");
    const box = inbox();
    a2.c.subscribe(args.queue, box.cb, { ack: "client-individual" });
    const got = await box.count(2);
    return {
      got: got.map((m) => [m.body, m.headers.redelivered, m.headers["x-n"] ?? null]),
      acks: got.map((m) => m.ack()),
      errors: [...a.errors(), ...b.errors(), ...a2.errors()],
    };
  }, { queue: dest("queue", "durable") });
  assert.deepEqual(r.got, [["while away 1", "false", null], ["while away 2", "false", "2"]]);
  assert.deepEqual(r.acks, [true, true]);
  assert.deepEqual(r.errors, []);
});

stest("after close-all: subscriptions re-sent, publishes made while down flushed in order after them", async (t) => {
  if (!canRun(t)) return;
  const r = await inPage(async ({ connect, inbox, rmq, guest, lastSocket, framesOf, header, args }) => {
    let headerCalls = 0;
    const x = connect({ connectHeaders: () => { headerCalls++; return guest; } });
    await x.until("open");
    const tBox = inbox(), qBox = inbox();
    const sT = x.c.subscribe(args.topic, tBox.cb, {}, { receipt: true });
    const sQ = x.c.subscribe(args.queue, qBox.cb, { ack: "client-individual" }, { receipt: true });
    await Promise.all([sT.receipt, sQ.receipt]);
    x.c.publish({ destination: args.topic, body: "before" });
    await tBox.count(1);
    // Publishing from the close handler: the client is down, so these wait in the queue.
    const results = [];
    let queuedAtClose;
    const off = x.c.on("close", () => {
      off();
      for (let i = 0; i < 5; i++) results.push(x.c.publish({ destination: args.topic, body: `queued ${i}` }));
      queuedAtClose = x.c.queued;
    });
    const mark = x.mark();
    await rmq("close-all", "e2e resubscribe test");
    const close = await x.until("close", () => true, 5000, mark);
    const open = await x.until("open", (e) => e.reconnected, 10_000, mark);
    // A topic delivers only to subscriptions that exist: all five back means SUBSCRIBE went first.
    const flushed = (await tBox.count(6)).slice(1).map((m) => m.body);
    x.c.publish({ destination: args.queue, body: "after reconnect" });
    const [q] = await qBox.count(1);
    const frames = framesOf(lastSocket()).map((f) => ({ cmd: f.cmd, id: header(f, "id") ?? null, body: f.cmd === "SEND" ? f.text.slice(f.text.indexOf("\n\n") + 2).replace(/\0[\s\S]*$/, "") : null }));
    const sentEvents = x.log.slice(mark).filter((r) => r.ev === "sent").length;
    return {
      results, queuedAtClose, close: close.e, open: open.e, flushed, sentEvents, headerCalls,
      q: { body: q.body, sub: String(q.headers.subscription), want: String(sQ.id), ack: q.ack() },
      frames, subIds: [String(sT.id), String(sQ.id)], state: x.c.state, errors: x.errors(),
    };
  }, { topic: dest("topic", "resub"), queue: dest("queue", "resub") });
  assert.deepEqual(r.results, ["queued", "queued", "queued", "queued", "queued"]);
  assert.equal(r.queuedAtClose, 5);
  assert.equal(r.close.willReconnect, true);
  assert.equal(r.open.reconnected, true);
  assert.deepEqual(r.flushed, ["queued 0", "queued 1", "queued 2", "queued 3", "queued 4"]);
  assert.equal(r.sentEvents, 5, "one sent event per queued publish");
  assert.equal(r.headerCalls, 2, "connectHeaders function called once per attempt");
  assert.deepEqual(r.q, { body: "after reconnect", sub: r.q.want, want: r.q.want, ack: true });
  // On the new socket: CONNECT, both SUBSCRIBEs (same ids), then the five SENDs in order.
  const cmds = r.frames.map((f) => f.cmd);
  assert.ok(cmds[0] === "CONNECT" || cmds[0] === "STOMP", `first frame ${cmds[0]}`);
  const subs = r.frames.filter((f) => f.cmd === "SUBSCRIBE");
  assert.deepEqual(subs.map((f) => f.id).sort(), [...r.subIds].sort(), "re-subscribed with the same ids");
  const lastSub = cmds.lastIndexOf("SUBSCRIBE");
  const firstSend = cmds.indexOf("SEND");
  assert.ok(lastSub > 0 && firstSend > lastSub, `SUBSCRIBEs before the backlog: ${cmds.join(" ")}`);
  assert.deepEqual(r.frames.filter((f) => f.cmd === "SEND").slice(0, 5).map((f) => f.body), r.flushed);
  assert.equal(r.state, "open");
  assert.deepEqual(r.errors, []);
});

stest("an ERROR frame (unknown destination) is an error event of kind server with headers and body", async (t) => {
  if (!canRun(t)) return;
  const r = await inPage(async ({ connect, catchKind, args }) => {
    const x = connect();
    await x.until("open");
    const mark = x.mark();
    const sent = x.c.publish({ destination: "/foo/bar", body: "x" });
    const err = await x.until("error", () => true, 5000, mark);
    // RabbitMQ keeps the connection open after this ERROR (against the spec's "must close").
    const after = await catchKind(x.c.publish({ destination: args.topic, body: "y", receipt: true }));
    // Its ERROR frames never carry receipt-id, so a receipt on the bad SEND cannot be matched:
    // "remote" if the client ties the ERROR to it anyway, else "timeout".
    const withReceipt = await catchKind(x.c.publish({ destination: "/foo/bar", body: "z", receipt: true, timeoutMs: 1000 }));
    return {
      sent,
      kind: err.e.kind,
      message: err.e.message,
      headers: err.e.headers,
      body: err.e.body,
      after,
      withReceipt,
      closes: x.log.slice(mark).filter((r) => r.ev === "close").length,
      state: x.c.state,
      errorKinds: x.log.slice(mark).filter((r) => r.ev === "error").map((r) => r.e.kind),
    };
  }, { topic: dest("topic", "error") });
  t.diagnostic(`publish({receipt}) to /foo/bar rejected with kind ${r.withReceipt}`);
  assert.equal(r.sent, "sent");
  assert.equal(r.kind, "server");
  assert.equal(typeof r.message, "string");
  assert.ok(r.message.length > 0, "a message");
  assert.equal(r.headers?.message, "Unknown destination");
  assert.match(String(r.body), /'\/foo\/bar' is not a valid destination/);
  assert.equal(r.after, "resolved", "still usable after the ERROR");
  assert.ok(["remote", "timeout"].includes(r.withReceipt), `receipt for a refused SEND: ${r.withReceipt}`);
  assert.equal(r.closes, 0, "the broker does not close on this ERROR; neither should the client");
  assert.equal(r.state, "open");
  assert.ok(r.errorKinds.length >= 1 && r.errorKinds.every((k) => k === "server"), `error events: ${r.errorKinds}`);
});

stest("1 MiB text and binary bodies, all 256 byte values (NUL included), and an empty body round trip byte-exact", async (t) => {
  if (!canRun(t)) return;
  const r = await inPage(async ({ connect, inbox, args }) => {
    const x = connect();
    await x.until("open");
    const box = inbox();
    const s = x.c.subscribe(args.queue, box.cb, {}, { receipt: true });
    await s.receipt;
    const unit = "abcdefghij☃é\n"; // 1-, 3- and 2-byte UTF-8
    const big = unit.repeat(Math.ceil((1 << 20) / new TextEncoder().encode(unit).length));
    const bigBytes = new TextEncoder().encode(big);
    const all = new Uint8Array(512).map((_, i) => i % 256);
    let seed = 12345;
    const mib = new Uint8Array(1 << 20).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
    const sent = [
      x.c.publish({ destination: args.queue, body: big }),
      x.c.publish({ destination: args.queue, binaryBody: all, headers: { "content-type": "application/octet-stream" } }),
      x.c.publish({ destination: args.queue, binaryBody: mib }),
      x.c.publish({ destination: args.queue, body: "" }),
    ];
    const t0 = performance.now();
    const [m1, m2, m3, m4] = await box.count(4, 20_000);
    const ms = performance.now() - t0;
    const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
    return {
      sent, ms, bigBytes: bigBytes.length,
      text: { same: m1.body === big, len: m1.body.length, bytes: same(m1.binaryBody, bigBytes), cl: m1.headers["content-length"] },
      all: { same: same(m2.binaryBody, all), cl: m2.headers["content-length"], ct: m2.headers["content-type"], isU8: m2.binaryBody instanceof Uint8Array },
      mib: { same: same(m3.binaryBody, mib), len: m3.binaryBody.length },
      empty: { body: m4.body, len: m4.binaryBody.length },
      errors: x.errors(),
    };
  }, { queue: dest("queue", "big") });
  t.diagnostic(`4 messages (2 MiB) back in ${r.ms.toFixed(0)} ms`);
  assert.deepEqual(r.sent, ["sent", "sent", "sent", "sent"]);
  assert.ok(r.bigBytes >= 1 << 20);
  assert.deepEqual(r.text, { same: true, len: r.text.len, bytes: true, cl: String(r.bigBytes) });
  assert.deepEqual(r.all, { same: true, cl: "512", ct: "application/octet-stream", isU8: true });
  assert.deepEqual(r.mib, { same: true, len: 1 << 20 });
  assert.deepEqual(r.empty, { body: "", len: 0 });
  assert.deepEqual(r.errors, []);
});

stest("heart-beats 1000,1000: an idle connection stays open; a frozen broker is detected; reconnects after the thaw", async (t) => {
  if (!canRun(t)) return;
  const r = await inPage(async ({ connect, rmq, sleep, lastSocket, framesOf, wire, header, catchKind, args }) => {
    const x = connect({
      heartbeat: { outgoingMs: 1000, incomingMs: 1000 },
      connectTimeoutMs: 2000,
      reconnect: { minDelayMs: 100, maxDelayMs: 500 },
    });
    const open = await x.until("open");
    const sock = lastSocket();
    const connectFrame = wire().find((w) => w.sock === sock && (w.cmd === "CONNECT" || w.cmd === "STOMP"));
    // Idle for 5.5 s: an observation window, not a wait for an event. RabbitMQ closes a client
    // that declared 1000 ms beats and stays silent after ~3 s, so staying open proves our beats.
    const idleFrom = x.mark();
    await sleep(5500);
    const idle = { events: x.log.slice(idleFrom).map((r) => r.ev), state: x.c.state, sameSocket: lastSocket() === sock };
    const beats = window.__wire.filter((w) => w.sock === sock && w.text.trim() === "").length;
    const mark = x.mark();
    const t0 = performance.now();
    await rmq("freeze");
    let hb, close, tThaw;
    try {
      hb = await x.until("error", (e) => e.kind === "heartbeat-timeout", 8000, mark);
      close = await x.until("close", () => true, 3000, mark);
    } finally {
      tThaw = performance.now();
      await rmq("thaw");
    }
    const reopen = await x.until("open", (e) => e.reconnected, 15_000, mark);
    const after = await catchKind(x.c.publish({ destination: args.topic, body: "after thaw", receipt: true }));
    return {
      heartBeatHeader: header(connectFrame, "heart-beat"),
      openedFirst: open.e.reconnected,
      idle, beats,
      detectMs: hb.at - t0, hbMessage: hb.e.message,
      closeAfterHbMs: close.at - hb.at, close: close.e,
      reopenAfterThawMs: reopen.at - tThaw,
      after, state: x.c.state,
      otherErrors: x.errors(mark).filter((e) => !/^(heartbeat-timeout|connect)/.test(e)),
    };
  }, { topic: dest("topic", "hb") });
  t.diagnostic(`${r.beats} beats sent in 5.5 s idle; freeze detected after ${r.detectMs.toFixed(0)} ms, close +${r.closeAfterHbMs.toFixed(0)} ms; reopened ${r.reopenAfterThawMs.toFixed(0)} ms after thaw`);
  assert.equal(r.heartBeatHeader, "1000,1000", "CONNECT heart-beat header");
  assert.equal(r.openedFirst, false);
  assert.deepEqual(r.idle, { events: [], state: "open", sameSocket: true }, "no event while idle for 5.5 s");
  assert.ok(r.beats >= 3, `heart-beats sent while idle: ${r.beats}`);
  assert.ok(r.detectMs < 6000, `heartbeat-timeout after ${r.detectMs} ms (incoming 1000 ms)`);
  assert.equal(typeof r.hbMessage, "string");
  assert.ok(r.closeAfterHbMs < 2000, `close ${r.closeAfterHbMs} ms after the heartbeat-timeout`);
  assert.equal(r.close.willReconnect, true);
  assert.ok(r.reopenAfterThawMs < 5000, `reopened ${r.reopenAfterThawMs} ms after thaw`);
  assert.equal(r.after, "resolved");
  assert.equal(r.state, "open");
  assert.deepEqual(r.otherErrors, []);
});

stest("close(): DISCONNECT on the wire, state closed, no error events; publish afterwards throws kind closed", async (t) => {
  if (!canRun(t)) return;
  const r = await inPage(async ({ connect, lastSocket, framesOf, header, args }) => {
    const x = connect();
    await x.until("open");
    const s = x.c.subscribe(args.queue, () => {}, {}, { receipt: true });
    await s.receipt;
    const sock = lastSocket();
    const mark = x.mark();
    x.c.close();
    const closed = await x.until("state", (e) => e.to === "closed", 5000, mark);
    const frames = framesOf(sock);
    const disc = frames.find((f) => f.cmd === "DISCONNECT");
    let thrown;
    try {
      x.c.publish({ destination: args.queue, body: "late" });
      thrown = "no throw";
    } catch (e) {
      thrown = e.kind ?? `${e.name}: ${e.message}`;
    }
    const events = x.log.slice(mark).map((r) => (r.ev === "state" ? `state:${r.e.from}->${r.e.to}` : r.ev));
    return {
      state: x.c.state, closedAt: closed.e.to, lastFrame: frames.at(-1)?.cmd, disconnectReceipt: disc && header(disc, "receipt"),
      events, thrown, errors: x.errors(),
    };
  }, { queue: dest("queue", "close") });
  assert.equal(r.state, "closed");
  assert.equal(r.lastFrame, "DISCONNECT", "DISCONNECT is the last frame sent");
  assert.ok(r.disconnectReceipt, "DISCONNECT asks for a receipt");
  assert.deepEqual(r.errors, [], "no error events");
  assert.ok(r.events.includes("close"), `a close event: ${r.events}`);
  assert.equal(r.events.filter((e) => e.startsWith("state:")).at(-1), "state:closing->closed");
  assert.ok(!r.events.includes("reconnecting") && !r.events.includes("open"), `no reconnect: ${r.events}`);
  assert.equal(r.thrown, "closed");
});

stest("transactions: abort delivers nothing, commit delivers", async (t) => {
  if (!canRun(t)) return;
  const r = await inPage(async ({ connect, inbox, wire, header, args }) => {
    const x = connect();
    await x.until("open");
    const box = inbox();
    const s = x.c.subscribe(args.queue, box.cb, {}, { receipt: true });
    await s.receipt;
    const tx1 = x.c.begin();
    x.c.publish({ destination: args.queue, body: "aborted 1", headers: { transaction: tx1.id } });
    x.c.publish({ destination: args.queue, body: "aborted 2", headers: { transaction: tx1.id } });
    tx1.abort();
    const tx2 = x.c.begin();
    x.c.publish({ destination: args.queue, body: "committed", headers: { transaction: tx2.id } });
    // Processed by the broker (frames are handled in order), yet not delivered before COMMIT.
    await x.c.publish({ destination: args.sink, body: "", receipt: true });
    const beforeCommit = box.msgs.length;
    tx2.commit();
    // A sentinel after COMMIT: anything aborted that leaked would arrive before it.
    x.c.publish({ destination: args.queue, body: "sentinel" });
    await box.count(2);
    const txFrames = wire()
      .filter((w) => ["BEGIN", "COMMIT", "ABORT"].includes(w.cmd) || (w.cmd === "SEND" && header(w, "transaction")))
      .map((w) => `${w.cmd}:${header(w, "transaction") === String(tx1.id) ? "tx1" : header(w, "transaction") === String(tx2.id) ? "tx2" : "?"}`);
    return { ids: [String(tx1.id), String(tx2.id)], beforeCommit, got: box.msgs.map((m) => m.body), txFrames, errors: x.errors() };
  }, { queue: dest("queue", "tx"), sink: dest("topic", "tx-sink") });
  assert.notEqual(r.ids[0], r.ids[1], "distinct transaction ids");
  assert.equal(r.beforeCommit, 0, "nothing delivered before COMMIT");
  assert.deepEqual(r.got, ["committed", "sentinel"]);
  assert.deepEqual(r.txFrames, ["BEGIN:tx1", "SEND:tx1", "SEND:tx1", "ABORT:tx1", "BEGIN:tx2", "SEND:tx2", "COMMIT:tx2"]);
  assert.deepEqual(r.errors, []);
});

stest("WebSocket conventions on StompClient: readyState, url, protocol, DOM events, autoConnect, gating", async (t) => {
  if (!canRun(t)) return;
  const r = await inPage(async ({ StompClient, broker, guest, clients, inbox, args }) => {
    const c = new StompClient(broker, { connectHeaders: guest, autoConnect: false, reconnect: { minDelayMs: 50 } });
    clients.push(c);
    const out = { rs: [c.readyState], state: c.state, url: c.url, target: c instanceof EventTarget };
    const dom = [];
    c.addEventListener("open", (e) => dom.push(["open", e.reconnected]));
    c.onclose = (e) => dom.push(["close", e.code, e.willReconnect]);
    // An open handler's Promise holds the queued publishes (the subscription still goes first).
    let release;
    c.on("open", () => new Promise((r) => (release = r)));
    const box = inbox();
    c.subscribe(args.queue, box.cb, {}, {});
    out.queuedBefore = c.publish({ destination: args.queue, body: "one" });
    c.connect();
    out.rs.push(c.readyState);
    await new Promise((r) => { const i = setInterval(() => release && (clearInterval(i), r()), 5); });
    out.rs.push(c.readyState);
    out.protocol = c.protocol;
    out.during = [c.publish({ destination: args.queue, body: "two" }), c.queued];
    out.early = box.msgs.length;
    release();
    const got = await box.count(2);
    out.bodies = got.map((m) => m.body);
    c.close();
    await new Promise((r) => { const i = setInterval(() => c.state == "closed" && (clearInterval(i), r()), 5); });
    out.rs.push(c.readyState);
    out.dom = dom;
    return out;
  }, { queue: `/queue/conv-${Date.now()}` });
  assert.deepEqual(r.rs, [3, 0, 1, 3]);
  assert.equal(r.state, "closed");
  assert.match(r.url, /^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
  assert.equal(r.target, true);
  assert.equal(r.protocol, "v12.stomp");
  assert.deepEqual(r.during, ["queued", 2]);
  assert.equal(r.early, 0, "nothing published before the open handler's Promise settled");
  assert.deepEqual(r.bodies, ["one", "two"]);
  assert.deepEqual(r.dom, [["open", false], ["close", 1000, false]]);
});
