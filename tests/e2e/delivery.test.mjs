// Issue 13, items 2 and 3 (v1 subscriptions and backpressure), end to end: the built package in
// headless Chromium against the reference server. What's tested:
// - subscribe(): sent on every open after the open handlers (and the open gate), before the
//   backlog, in registration order (the server's log); at once when registered on an open
//   connection; unsubscribe() stops it and sends the leave message
// - highWaterMark/lowWaterMark: against a server that stops reading (/control/stall), the
//   socket's buffer crosses the high mark, `writable` turns false, sends return "queued" and
//   wait in the queue (bounded by its limits), then `drain` fires (writable again) when the
//   server reads again, and everything accepted arrives once, in order

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage, pageRunner, tag } from "./helpers.mjs";

let browser;
let page;
let inPage;

before(async () => {
  browser = await launchBrowser();
  ({ page } = await openPage(browser, "/harness.html"));
  await page.waitForFunction(() => document.title === "ready", null, { timeout: 20_000 });
  inPage = pageRunner(page);
});
after(async () => {
  await browser?.close();
});

test("subscribe(): re-sent on every open, after the open handlers, before the backlog", async () => {
  const t = tag("subs");
  const got = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const log = async () => (await (await fetch(`/control/log?tag=${args.t}`, { method: "POST" })).json()).events.map((e) => `${e.type}:${JSON.stringify(e.data)}`);
    const s = new SteadySocket(ws(args.t), { reconnect: { minDelayMs: 30, jitter: 0 } });
    s.on("open", (e) => { s.send("hello", e.reconnected ? 2 : 1); });
    const a = s.subscribe("watch", { room: "a" });
    s.send("m", 1); // queued: the backlog
    await until(s, "open");
    await until(s, "message", (m) => m.type == "m");
    const b = s.subscribe("watch", { room: "b" }); // open: goes now
    await until(s, "message", (m) => m.type == "watch" && m.data.room == "b");
    const reopened = until(s, "open");
    await fetch(`/control/drop?tag=${args.t}`, { method: "POST" });
    await reopened;
    s.send("m", 2);
    await until(s, "message", (m) => m.type == "m" && m.data == 2);
    const first = await log();
    const left = [a.unsubscribe("unwatch", { room: "a" }), a.unsubscribe()];
    await until(s, "message", (m) => m.type == "unwatch");
    const reopened2 = until(s, "open");
    await fetch(`/control/drop?tag=${args.t}`, { method: "POST" });
    await reopened2;
    s.send("m", 3);
    await until(s, "message", (m) => m.type == "m" && m.data == 3);
    const all = await log();
    s.free();
    void b;
    return { first, left, rest: all.slice(first.length) };
  }, { t });
  assert.deepEqual(got.first, [
    "hello:1", 'watch:{"room":"a"}', "m:1", // open handler, subscription, backlog
    'watch:{"room":"b"}', // registered while open: at once
    "hello:2", 'watch:{"room":"a"}', 'watch:{"room":"b"}', // reconnect: handler, both subscriptions
    "m:2",
  ]);
  assert.deepEqual(got.left, [true, false]);
  assert.deepEqual(got.rest, ['unwatch:{"room":"a"}', "hello:2", 'watch:{"room":"b"}', "m:3"]);
});

test("backpressure: a stalled server fills the socket, sends wait in the bounded queue, drain resumes", async () => {
  const t = tag("bp");
  const got = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t, "/ws/raw"), {
      protocol: "raw",
      highWaterMark: 256 * 1024,
      lowWaterMark: 64 * 1024,
      queue: { maxBytes: 4 * 1024 * 1024, maxMessages: 100000 },
    });
    await until(s, "open");
    const out = { writable0: s.writable };
    await fetch(`/control/stall?tag=${args.t}&ms=1500`, { method: "POST" });
    const chunk = "x".repeat(16 * 1024);
    let n = 0, firstQueued = -1;
    const drains = [];
    s.on("drain", () => drains.push(s.writable)); // writable again when drain fires
    // A fast producer: until the socket's buffer passes the high mark and sends are held.
    while (n < 2000) {
      const r = s.send(`${n}:` + chunk);
      n++;
      if (r == "queued") { firstQueued = n - 1; break; }
      if (n % 50 == 0) await new Promise((r) => setTimeout(r, 0));
    }
    out.crossed = firstQueued >= 0;
    out.writable1 = s.writable;
    out.buffered = s.bufferedAmount;
    for (let i = 0; i < 20; i++) out.more = s.send(`${n++}:` + chunk);
    out.queued = s.queued;
    // The server reads again: drain, then everything arrives once, in order.
    const echoes = [];
    s.on("raw", (d) => echoes.push(Number(d.slice(0, d.indexOf(":")))));
    await until(s, "drain", () => true, 10000);
    await new Promise((r) => { const i = setInterval(() => echoes.length >= n && (clearInterval(i), r()), 20); });
    out.n = n;
    out.inOrder = echoes.every((v, i) => v === i);
    out.drains = drains;
    s.free();
    return out;
  }, { t });
  assert.equal(got.writable0, true);
  assert.equal(got.crossed, true, "the socket's buffer passed the high water mark");
  assert.equal(got.writable1, false);
  assert.ok(got.buffered > 256 * 1024, `${got.buffered}`);
  assert.equal(got.more, "queued");
  assert.ok(got.queued >= 21, `${got.queued}`);
  assert.equal(got.inOrder, true);
  assert.ok(got.drains.length >= 1 && got.drains.every((w) => w === true), JSON.stringify(got.drains));
});

test("default mode: every send the server never read is reported (lost events), none silent", async () => {
  const t = tag("lost");
  const got = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const log = async () => (await (await fetch(`/control/log?tag=${args.t}`, { method: "POST" })).json()).events.filter((e) => e.type == "m").map((e) => e.data);
    const s = new SteadySocket(ws(args.t), { heartbeat: { intervalMs: 400, timeoutMs: 600 }, reconnect: { minDelayMs: 50, jitter: 0 } });
    const lost = [], results = [];
    s.on("lost", (e) => lost.push(e.data));
    await until(s, "open");
    let n = 0;
    const send = () => results.push([++n, s.send("m", n)]);
    for (let i = 0; i < 5; i++) send();
    await until(s, "rtt"); // a pong: 1-5 confirmed
    await fetch(`/control/halfopen?tag=${args.t}&ms=5000`, { method: "POST" });
    const closed = until(s, "close", () => true, 5000);
    const timer = setInterval(send, 50); // "sent" into a server that no longer reads
    await closed;
    clearInterval(timer);
    const seen = await log();
    s.free();
    return { lost, seen, results };
  }, { t });
  const sent = got.results.filter(([, r]) => r == "sent").map(([i]) => i);
  const unread = sent.filter((i) => !got.seen.includes(i));
  assert.ok(unread.length > 0, "some sends went into the half-open server");
  const silent = unread.filter((i) => !got.lost.includes(i));
  assert.deepEqual(silent, [], `every unread send is reported lost (lost: ${got.lost}, seen: ${got.seen})`);
  assert.ok(got.lost.every((i) => i > 5), "confirmed sends are not reported");
});
