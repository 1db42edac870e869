// Reliable mode (`delivery: "at-least-once"`, the protocol v1 extension) through the built
// package (pkg/) in headless Chromium against the reference server. What's tested:
// - numbered messages and requests sent while the server drops the connection again and
//   again (and goes half-open while send() returns "sent": the bug): the server's app log has each exactly once, in order; every request resolves;
//   server events pushed meanwhile reach the client once each, in order (no gap); the last
//   message's ack Promise resolves (figures reported as test diagnostics)
// - a replay buffer too small for what was missed: a `gap` event with the lost range, then
//   the messages after it
// - the ack Promise rejects with the drop reason ("closed") when the socket closes first
// - a server without the extension: the handshake fails with an error naming reliable mode
// - option checks: `delivery` with another protocol, an unknown value, `{ack: true}` without
//   reliable mode, `sendRaw` in reliable mode
// - the at-most-once default under the same drops: no message is processed twice, and no
//   message reported dropped reaches the server

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
  await control("session", { replay: 1000 });
  await browser?.close();
  assert.deepEqual(pageErrors, []);
});

async function serverLog(t, type) {
  const res = await fetch(`${serverUrl()}/control/log?type=${type}&tag=${t}`);
  assert.ok(res.ok);
  return (await res.json()).events;
}

const ROUNDS = 12, PER_ROUND = 50, PUSH = 20;

test("at-least-once under repeated drops: each message and request once, in order, both ways", async (tc) => {
  const t = tag("rel");
  const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t), {
      delivery: "at-least-once",
      reconnect: { minDelayMs: 10, maxDelayMs: 50 },
      queue: { maxMessages: 100000, maxBytes: 1 << 24 },
    });
    const got = [], echoes = [], gaps = [], drops = [];
    let closes = 0;
    // The server echoes "m" events back; pushed ones are "p<round>".
    s.on("message", (e) => (e.type == "m" ? echoes.push(e.data) : got.push(`${e.type}:${e.data.i}`)));
    s.on("gap", (g) => gaps.push(g));
    s.on("drop", (d) => drops.push(d.reason));
    s.on("close", () => closes++);
    await until(s, "open");
    const replies = [];
    let n = 0;
    let lostSent = 0;
    for (let round = 0; round < args.ROUNDS; round++) {
      if (round % 3 == 2) {
        // The bug: the server stops reading (then dies) while send() says "sent".
        if (s.state !== "open") await until(s, "open", () => true, 10000);
        await fetch(`/control/halfopen?tag=${args.t}&ms=100`, { method: "POST" });
        const closed = until(s, "close", () => true, 10000);
        for (let i = 0; i < args.PER_ROUND; i++) lostSent += s.send("m", ++n) == "sent";
        await closed;
      }
      for (let i = 0; i < args.PER_ROUND; i++) s.send("m", ++n);
      replies.push(s.request("echo", { round }, { timeoutMs: 20000 }));
      // The fault is in effect when the control answers: the socket was just dropped
      // (messages may be on the wire, or half-processed). Half the rounds drop at once
      // (messages still queued from the last drop), half on a live connection.
      if (round % 2 && s.state !== "open") await until(s, "open", () => true, 10000);
      await fetch(`/control/drop?tag=${args.t}`, { method: "POST" });
      await fetch(`/control/push?tag=${args.t}&count=${args.PUSH}&type=p${round}`, { method: "POST" });
    }
    const lastAck = s.send("m", ++n, { ack: true });
    await lastAck;
    const echoed = (await Promise.all(replies)).map((x) => x.round);
    const total = args.ROUNDS * args.PUSH;
    if (got.length < total || echoes.length < n) await until(s, "message", () => got.length >= total && echoes.length >= n, 15000);
    const m = s.metrics();
    s.free();
    return { n, got, echoes, gaps, drops, closes, echoed, metrics: m, lostSent };
  }, { t, ROUNDS, PER_ROUND, PUSH });
  const log = await serverLog(t, "m");
  const seen = log.map((e) => e.data);
  assert.equal(seen.length, r.n, `each message once (${seen.length} processed for ${r.n} sent)`);
  assert.deepEqual(seen, Array.from({ length: r.n }, (_, i) => i + 1), "in order, no duplicates");
  assert.deepEqual(r.echoed, Array.from({ length: ROUNDS }, (_, i) => i));
  const echoLog = await serverLog(t, "echo");
  assert.equal(echoLog.length, ROUNDS, "each request processed once");
  const want = [];
  for (let round = 0; round < ROUNDS; round++) for (let i = 1; i <= PUSH; i++) want.push(`p${round}:${i}`);
  assert.deepEqual(r.got, want, "each server event once, in order");
  assert.deepEqual(r.echoes, seen, "each echo once, in order");
  assert.deepEqual(r.gaps, []);
  assert.deepEqual(r.drops, []);
  assert.ok(r.closes >= ROUNDS / 2, `the connection was dropped ${r.closes} times`);
  assert.ok(r.lostSent >= PER_ROUND, `"sent" into a dead server: ${r.lostSent}`);
  assert.ok(r.metrics.resent >= r.lostSent, `re-sent ${r.metrics.resent} >= ${r.lostSent}`);
  tc.diagnostic(
    `sent ${r.n} messages + ${ROUNDS} requests across ${r.closes} drops (${r.lostSent} of them "sent" into a half-open server): server processed ${seen.length} ` +
      `(0 duplicates), client got ${r.got.length}/${want.length} pushed events and ${r.echoes.length}/${r.n} echoes; resent ${r.metrics.resent}, ` +
      `duplicates dropped by the client ${r.metrics.duplicates}`,
  );
});

test("a replay buffer too small: a gap event, then the messages after it", async () => {
  const t = tag("relgap");
  await control("session", { replay: 3 });
  try {
    const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
      const s = new SteadySocket(ws(args.t), { delivery: "at-least-once", reconnect: { minDelayMs: 10, maxDelayMs: 50 } });
      const seq = [];
      s.on("gap", (g) => seq.push(["gap", g.from, g.to, g.count]));
      s.onMessage("n", (d) => seq.push(["n", d.i]));
      await until(s, "open");
      await fetch(`/control/push?tag=${args.t}&count=1&type=n`, { method: "POST" });
      await until(s, "message");
      // Away (refused) while 10 more are sent: the buffer keeps the last 3.
      await fetch(`/control/refuse?tag=${args.t}&ms=60000&drop=1`, { method: "POST" });
      await fetch(`/control/push?tag=${args.t}&count=10&type=n`, { method: "POST" });
      const back = until(s, "message", (e) => e.data.i === 10, 10000);
      await fetch(`/control/refuse?tag=${args.t}&ms=0`, { method: "POST" });
      await back;
      s.free();
      return seq;
    }, { t });
    assert.deepEqual(r, [["n", 1], ["gap", 2, 8, 7], ["n", 8], ["n", 9], ["n", 10]]);
  } finally {
    await control("session", { replay: 1000 });
  }
});

test("the ack Promise rejects with the drop reason when the socket closes first", async () => {
  const t = tag("relclose");
  const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
    await fetch(`/control/refuse?tag=${args.t}&ms=60000`, { method: "POST" });
    const s = new SteadySocket(ws(args.t), { delivery: "at-least-once", reconnect: { minDelayMs: 10 } });
    const p = s.send("m", 1, { ack: true });
    s.close();
    const out = await p.then(() => "resolved", (e) => e.kind);
    await fetch(`/control/refuse?tag=${args.t}&ms=0`, { method: "POST" });
    s.free();
    return out;
  }, { t });
  assert.equal(r, "closed");
});

test("a server without the extension: the handshake error names reliable mode", async () => {
  const r = await inPage(async ({ SteadySocket, wsBase, until }) => {
    const s = new SteadySocket(`${wsBase}/ws/silent`, { delivery: "at-least-once", handshakeTimeoutMs: 300, reconnect: false, heartbeat: false });
    const e = await until(s, "error", () => true, 5000);
    s.free();
    return e;
  });
  assert.equal(r.kind, "handshake");
  assert.match(r.message, /reliable mode/);
});

test("option checks", async () => {
  const r = await inPage(async ({ SteadySocket, ws }) => {
    const err = (f) => {
      try {
        f();
        return "no error";
      } catch (e) {
        return `${e.constructor.name}: ${e.message}`;
      }
    };
    const plain = new SteadySocket(ws("relopts"), { autoConnect: false });
    const rel = new SteadySocket(ws("relopts"), { autoConnect: false, delivery: "at-least-once" });
    const out = [
      err(() => new SteadySocket(ws("relopts"), { protocol: "raw", delivery: "at-least-once" })),
      err(() => new SteadySocket(ws("relopts"), { delivery: "exactly-once" })),
      err(() => plain.send("m", 1, { ack: true })),
      err(() => rel.sendRaw("x")),
    ];
    plain.free();
    rel.free();
    return out;
  });
  assert.match(r[0], /^TypeError: .*`delivery`.*v1/);
  assert.match(r[1], /^RangeError: .*`delivery`/);
  assert.match(r[2], /^TypeError: .*`options.ack`/);
  assert.match(r[3], /^TypeError: .*sendRaw/);
});

test("at-most-once (the default) under drops: nothing twice, nothing reported dropped arrives", async () => {
  const t = tag("amo");
  const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t), { reconnect: { minDelayMs: 10, maxDelayMs: 50 } });
    const dropped = [];
    s.on("drop", (d) => dropped.push(d.data));
    await until(s, "open");
    let n = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 50; i++) s.send("m", ++n);
      await fetch(`/control/drop?tag=${args.t}`, { method: "POST" });
    }
    await s.request("echo", "done", { timeoutMs: 10000 }).catch(() => s.request("echo", "again", { timeoutMs: 10000 }));
    s.free();
    return { n, dropped };
  }, { t });
  const seen = (await serverLog(t, "m")).map((e) => e.data);
  assert.equal(new Set(seen).size, seen.length, "no message processed twice");
  for (const d of r.dropped) assert.ok(!seen.includes(d), `message ${d} reported dropped but processed`);
  assert.ok(seen.length + r.dropped.length <= r.n);
});
