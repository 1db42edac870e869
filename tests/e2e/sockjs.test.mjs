// The SockJS transport (`steadysocket/sockjs`, `sockjs: true`) in headless Chromium against the
// real npm `sockjs` 0.3.24 server (tests/e2e/sockjs-test-server.mjs, SOCKJS_TEST_SERVER):
// - every transport (websocket, xhr-streaming, eventsource, xhr-polling) both ways: queued
//   messages first, in order, text with escapes round-tripping exactly, v1 events;
// - /info "websocket": false: straight to the next transport (no failed attempts);
// - server heartbeats (`h`) keep an idle HTTP session up; a frozen server is detected by the
//   heartbeat and the socket reconnects on a new session;
// - server close codes (`c[code,"reason"]`) reach `close` and go through the close policy;
// - a server restart: messages queued meanwhile go on the new session, in order, once each;
// - STOMP over SockJS through the /stomp relay to RabbitMQ (as Spring's broker relay), over
//   websocket and over xhr-streaming;
// - SockJS carries text: a binary send arrives as its UTF-8 text.
// Env: STEADYSOCKET_SERVER (serves pkg/), SOCKJS_TEST_SERVER; RMQ_STOMP_PORT-backed /stomp.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, test } from "node:test";
import { launchBrowser, serverUrl } from "./helpers.mjs";

const SJ = (process.env.SOCKJS_TEST_SERVER || "").replace(/\/+$/, "");
let browser;
let page;
let skip = "";
const pageErrors = [];

const stest = (name, fn, timeout = 30_000) =>
  test(name, { timeout }, async (t) => {
    if (skip) return t.skip(skip);
    await fn(t);
  });

before(async () => {
  if (!SJ) {
    skip = "SOCKJS_TEST_SERVER is not set (scripts/test.sh starts tests/e2e/sockjs-test-server.mjs)";
    return;
  }
  const res = await fetch(`${serverUrl()}/pkg/package.json`).catch(() => null);
  const rel = res?.ok ? (await res.json()).exports?.["./sockjs"]?.import : null;
  if (!rel) {
    skip = "pkg/ has no steadysocket/sockjs entry (scripts/entries.txt; scripts/build-pkg.sh)";
    return;
  }
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(`${serverUrl()}/harness.html`);
  await page.evaluate(
    async ({ entry, sj }) => {
      const mod = await import(entry);
      await mod.default();
      Object.assign(window, { SteadySocket: mod.SteadySocket, StompClient: mod.StompClient, SJ: sj });
      window.until = (cond, ms = 8000, what = "condition") =>
        new Promise((res, rej) => {
          const t0 = performance.now();
          const tick = () => {
            let v;
            try { v = cond(); } catch (e) { return rej(e); }
            if (v) return res(v);
            if (performance.now() - t0 > ms) return rej(new Error(`timed out waiting for ${what}`));
            setTimeout(tick, 10);
          };
          tick();
        });
      // A raw SockJS socket whose messages, errors, closes and transports are logged.
      window.mk = (path, opts = {}) => {
        const s = new SteadySocket(SJ + path, { sockjs: true, protocol: "raw", reconnect: { minDelayMs: 50, maxDelayMs: 200 }, ...opts });
        s.got = [];
        s.errs = [];
        s.closes = [];
        s.addEventListener("message", (e) => s.got.push(e.data));
        s.on("error", (e) => s.errs.push(`${e.kind}: ${e.message}`));
        s.on("close", (e) => s.closes.push([e.code, e.reason, e.willReconnect]));
        return s;
      };
    },
    { entry: new URL(rel, `${serverUrl()}/pkg/`).pathname, sj: SJ },
  );
});

after(async () => {
  await browser?.close();
});

const TEXT = 'hé 100% \u2028 \u200d 😀 "q" \\ \n end';

for (const transport of ["websocket", "xhr-streaming", "eventsource", "xhr-polling"]) {
  stest(`${transport}: both ways, queued first and in order, text exact, v1 events`, async () => {
    const r = await page.evaluate(async ({ transport, TEXT }) => {
      const s = mk("/echo", { transports: [transport] });
      s.send("queued-1");
      s.send("queued-2");
      await until(() => s.readyState == 1, 8000, "open");
      s.send(TEXT);
      for (let i = 0; i < 50; i++) s.send("n" + i);
      // Binary: sent as its UTF-8 text (SockJS carries text); invalid UTF-8 is not sent.
      s.send(new TextEncoder().encode("bytes ✓"));
      const drops = [];
      s.on("drop", (d) => drops.push(d.reason));
      s.send(new Uint8Array([0xff, 0xfe]));
      s.send("after");
      await until(() => s.got.length >= 55, 8000, "echoes");
      const raw = { transport: s.transport, got: s.got.slice(), errs: s.errs.slice(), drops, open: s.readyState };
      s.free();
      // v1 over SockJS: send(type, data) comes back from the echo server as the same event.
      const v = new SteadySocket(SJ + "/echo", { sockjs: true, transports: [transport] });
      const ev = new Promise((res) => v.onMessage("hello", res));
      v.send("hello", { a: [1, "ü"] });
      const data = await Promise.race([ev, new Promise((_, rej) => setTimeout(() => rej(new Error("no v1 echo")), 8000))]);
      v.free();
      return { ...raw, data };
    }, { transport, TEXT });
    assert.equal(r.transport, transport);
    assert.deepEqual(r.got.slice(0, 3), ["queued-1", "queued-2", TEXT]);
    assert.deepEqual(r.got.slice(3, 53), Array.from({ length: 50 }, (_, i) => "n" + i));
    assert.equal(r.got[53], "bytes ✓");
    assert.equal(r.got[54], "after");
    assert.deepEqual(r.drops, ["connection-lost"]);
    assert.equal(r.open, 1, "the session stays up");
    assert.deepEqual(r.errs, []);
    assert.deepEqual(r.data, { a: [1, "ü"] });
  });
}

stest("a custom codec over SockJS (xhr-polling): events and requests through the codec", async () => {
  const r = await page.evaluate(async () => {
    // Tab-separated: "type\tdata" events; "req\tid\tdata" requests; the echo server returns a
    // request as it is, which this codec decodes as the reply to that id.
    const codec = {
      encode: (m) => (m.id !== undefined ? `req\t${m.id}\t${JSON.stringify(m.data)}` : `${m.type}\t${JSON.stringify(m.data)}`),
      decode: (f) => {
        const [a, b, c] = String(f).split("\t");
        return a == "req" ? { type: "reply", replyTo: Number(b), data: JSON.parse(c) } : { type: a, data: JSON.parse(b) };
      },
    };
    const s = new SteadySocket(SJ + "/echo", { sockjs: true, transports: ["xhr-polling"], protocol: codec, heartbeat: false });
    const ev = new Promise((res) => s.onMessage("note", res));
    s.send("note", { n: 1 });
    const note = await ev;
    const reply = await s.request("sum", [1, 2], { timeoutMs: 5000 });
    const out = { note, reply, transport: s.transport };
    s.free();
    return out;
  });
  assert.deepEqual(r.note, { n: 1 });
  assert.deepEqual(r.reply, [1, 2]);
  assert.equal(r.transport, "xhr-polling");
});

stest('/info "websocket": false: the next transport at once, no failed attempt', async () => {
  const r = await page.evaluate(async () => {
    const t0 = performance.now();
    const s = mk("/echo-nows");
    await until(() => s.readyState == 1, 8000, "open");
    const ms = performance.now() - t0;
    const out = { ms, transport: s.transport, errs: s.errs.slice(), attempts: s.metrics().attempts, closes: s.closes.slice() };
    s.free();
    return out;
  });
  assert.equal(r.transport, "xhr-streaming");
  assert.ok(r.ms < 2000, `opened in ${r.ms} ms`);
  assert.equal(r.errs.length, 1);
  assert.match(r.errs[0], /^connect: SockJS: the server does not allow websocket/);
  assert.equal(r.attempts, 2, "the websocket attempt (skipped after /info) and the xhr-streaming one");
  assert.deepEqual(r.closes, []);
});

stest("WebSocket blocked: falls back to xhr-streaming after 2 failed attempts, then upgrades back when it works again", async () => {
  // A server of this test's own (the block is server-wide).
  const r = await page.evaluate(async () => {
    await fetch(`${SJ}/control/block-ws?on=1`, { method: "POST" });
    try {
      const s = mk("/echo", { upgradeProbeMs: 300 });
      const tr = [];
      s.on("transport", (e) => tr.push(e.transport));
      await until(() => s.readyState == 1, 8000, "open");
      const first = s.transport;
      s.send("on-streaming");
      await until(() => s.got.includes("on-streaming"), 4000, "echo 1");
      await fetch(`${SJ}/control/block-ws?on=0`, { method: "POST" });
      await until(() => s.transport == "websocket" && s.readyState == 1, 10000, "upgrade");
      s.send("on-websocket");
      await until(() => s.got.includes("on-websocket"), 4000, "echo 2");
      const out = { first, tr, got: s.got.slice(), attempts: s.metrics().attempts };
      s.free();
      return out;
    } finally {
      await fetch(`${SJ}/control/block-ws?on=0`, { method: "POST" });
    }
  });
  assert.equal(r.first, "xhr-streaming");
  assert.deepEqual(r.tr, ["xhr-streaming", "websocket"]);
  assert.deepEqual(r.got, ["on-streaming", "on-websocket"]);
});

stest("server heartbeats keep an idle HTTP session up; a frozen server is detected and the socket reconnects", async () => {
  const r = await page.evaluate(async () => {
    // v1 with a 600 ms heartbeat: the echo server answers our pings (echoed back, then our pong
    // is echoed: a pong), so it is alive; then it freezes (no frame at all, TCP open).
    const s = new SteadySocket(SJ + "/echo", { sockjs: true, transports: ["xhr-streaming"], heartbeat: { intervalMs: 600, timeoutMs: 600 }, reconnect: { minDelayMs: 50, maxDelayMs: 100 } });
    const errs = [], opens = [];
    s.on("error", (e) => errs.push(e.kind));
    s.on("open", () => opens.push(performance.now()));
    await until(() => s.readyState == 1, 8000, "open");
    // 3 s idle: the server's `h` frames (every 1 s) and our pings keep it open.
    const idleFrom = performance.now();
    await until(() => performance.now() - idleFrom > 3000, 5000, "idle");
    const idleOk = s.readyState == 1 && opens.length == 1 && errs.length == 0;
    const bytesIn = s.metrics().bytesIn;
    const t0 = performance.now();
    await fetch(`${SJ}/control/freeze?prefix=/echo`, { method: "POST" });
    await until(() => errs.includes("heartbeat-timeout"), 8000, "heartbeat timeout");
    const detectMs = performance.now() - t0;
    await until(() => opens.length == 2 && s.readyState == 1, 8000, "reopen");
    const out = { idleOk, bytesIn, detectMs, opens: opens.length };
    s.free();
    return out;
  });
  assert.equal(r.idleOk, true);
  assert.ok(r.bytesIn > 0);
  assert.ok(r.detectMs < 3000, `detected in ${r.detectMs} ms`);
  assert.equal(r.opens, 2);
});

stest("server close codes: c[3000,\"Go away!\"] reaches close and the close policy; a code sent by the app", async () => {
  const r = await page.evaluate(async () => {
    const a = mk("/close", { reconnect: { minDelayMs: 50, maxDelayMs: 100, stopOnCodes: [3000] } });
    await until(() => a.closes.length == 1 && a.state == "closed", 8000, "closed");
    const stopped = { closes: a.closes.slice(), state: a.state, errs: a.errs.slice() };
    a.free();
    const b = mk("/echo");
    await until(() => b.readyState == 1, 8000, "open");
    b.send(JSON.stringify({ close: [3001, "bye now"] })); // (4000-4099 would stop: the default stopOnCodes)
    await until(() => b.closes.length == 1, 8000, "close");
    await until(() => b.readyState == 1, 8000, "reopen");
    const again = { closes: b.closes.slice(), attempts: b.metrics().attempts };
    b.free();
    // shouldReconnect judges a SockJS close as a WebSocket close (review: it was skipped).
    const calls = [];
    const c = mk("/echo", { transports: ["xhr-streaming"], shouldReconnect: (e) => (calls.push([e.code, e.reason, e.wasClean]), false) });
    await until(() => c.readyState == 1, 8000, "open");
    c.send(JSON.stringify({ close: [3002, "no more"] }));
    await until(() => c.state == "closed", 8000, "stopped");
    const judged = { calls, closes: c.closes.slice(), errs: c.errs.slice() };
    c.free();
    return { stopped, again, judged };
  });
  assert.deepEqual(r.stopped.closes, [[3000, "Go away!", false]]);
  assert.equal(r.stopped.state, "closed");
  assert.deepEqual(r.again.closes, [[3001, "bye now", true]]);
  assert.equal(r.again.attempts, 2);
  assert.deepEqual(r.judged.calls, [[3002, "no more", true]]);
  assert.deepEqual(r.judged.closes, [[3002, "no more", false]]);
  assert.match(r.judged.errs.at(-1), /^reconnect-stopped: .*shouldReconnect returned false/);
});

stest("a server restart: messages queued while it is down go on the new session, in order, once each", async () => {
  // A server of this test's own, killed and started again on the same port.
  const port = 18000 + Math.floor(Math.random() * 2000);
  const start = async () => {
    const p = spawn(process.execPath, ["tests/e2e/sockjs-test-server.mjs", "--port", String(port)], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise((res, rej) => {
      p.stdout.on("data", (d) => String(d).includes("listening") && res());
      p.on("exit", (c) => rej(new Error("sockjs server exited " + c)));
    });
    return p;
  };
  let srv = await start();
  try {
    for (const transport of ["websocket", "xhr-streaming"]) {
      const id = await page.evaluate(async ({ port, transport }) => {
        window.rs = new SteadySocket(`http://127.0.0.1:${port}/echo`, { sockjs: true, protocol: "raw", transports: [transport], reconnect: { minDelayMs: 100, maxDelayMs: 300 } });
        rs.got = [];
        rs.addEventListener("message", (e) => rs.got.push(e.data));
        await until(() => rs.readyState == 1, 8000, "open");
        return transport;
      }, { port, transport });
      srv.kill("SIGKILL");
      await once(srv, "exit");
      await page.evaluate(async () => {
        await until(() => rs.readyState != 1, 8000, "down");
        for (let i = 1; i <= 20; i++) rs.send("q" + i);
      });
      srv = await start();
      const r = await page.evaluate(async () => {
        await until(() => rs.got.length >= 20, 15000, "flushed");
        const out = { got: rs.got.slice(), state: rs.state, transport: rs.transport };
        rs.free();
        return out;
      });
      assert.equal(r.transport, id);
      assert.deepEqual(r.got, Array.from({ length: 20 }, (_, i) => "q" + (i + 1)), id);
    }
  } finally {
    srv.kill("SIGKILL");
  }
}, 60_000);

for (const transport of ["websocket", "xhr-streaming"]) {
  stest(`STOMP over SockJS (${transport}) through the /stomp relay to RabbitMQ: subscribe, publish, receipt, receive`, async (t) => {
    const r = await page.evaluate(async (transport) => {
      const c = new StompClient(SJ + "/stomp", { sockjs: true, transports: [transport], connectHeaders: { login: "guest", passcode: "guest", host: "/" }, heartbeat: { outgoingMs: 1000, incomingMs: 1000 }, reconnect: { minDelayMs: 100, maxDelayMs: 300 } });
      const errs = [];
      c.on("error", (e) => errs.push(`${e.kind}: ${e.message}`));
      try {
        await until(() => c.state == "open", 10000, "CONNECTED");
      } catch (e) {
        return { skip: errs.join("; ") || String(e) };
      }
      const q = "/queue/sockjs-e2e-" + Math.random().toString(36).slice(2);
      const got = [];
      c.subscribe(q, (m) => got.push(m.body), { "auto-delete": "true" });
      for (let i = 1; i <= 10; i++) await c.publish({ destination: q, body: "m" + i + " ✓", receipt: true });
      await until(() => got.length >= 10, 8000, "messages");
      const out = { got, transport: c.transport, errs };
      c.free();
      return out;
    }, transport);
    if (r.skip) return t.skip("no STOMP broker behind the relay: " + r.skip);
    assert.equal(r.transport, transport);
    assert.deepEqual(r.got, Array.from({ length: 10 }, (_, i) => `m${i + 1} ✓`));
    assert.deepEqual(r.errs, []);
  });
}

test("no uncaught page errors", (t) => {
  if (skip) return t.skip(skip);
  assert.deepEqual(pageErrors, []);
});
