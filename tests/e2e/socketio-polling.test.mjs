// steadysocket/socketio over Engine.IO HTTP long-polling and its upgrade to WebSocket (src/eio.js),
// end to end: headless Chromium, the built entry (pkg/socketio/), against the REAL npm socket.io
// 4.8.4 server of tests/e2e/sio-test-server.mjs. What's tested:
// - the default transports (["polling", "websocket"]): opens over polling, then upgrades inside
//   the session (the server's `socket.conn.transport.name` is "websocket", same socket id);
//   `socket.io.transport`, `socket.io.engine.transport.name` and the `upgrade` event
// - polling only (`transports: ["polling"]`, and `upgrade: false`): events, acks both ways and
//   binary attachments over polling (b<base64> packets), and no upgrade
// - WebSocket only (`transports: ["websocket"]`): the server sees websocket from the start
// - a stream of numbered emits both ways across the upgrade: none lost, none duplicated, in order
// - a drop during the upgrade: the probe WebSocket refused, or killed after `3probe` (the client
//   is pausing polling): `upgradeError`, the session continues on polling, no disconnect
// - recovery over polling (`socket.conn.close()`): `recovered === true`, missed events delivered
// - a server restart while polling: reconnects (a new session) over polling
// - rememberUpgrade: after an upgrade, the next connection opens over WebSocket directly
// - bad input: `transports`/`upgrade`/`rememberUpgrade` errors name the option
// Env: STEADYSOCKET_SERVER, SIO_TEST_SERVER (as tests/e2e/socketio.test.mjs).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { SIO, openSioPage } from "./sio-helpers.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
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
      window.mk = (url = sio, opts = {}) => {
        const s = io(url, { reconnectionDelay: 50, reconnectionDelayMax: 200, forceNew: true, ...opts });
        s.log = [];
        for (const n of ["connect", "connect_error", "disconnect"]) s.on(n, (...a) => s.log.push([n, ...a]));
        s.io.on("upgrade", (n) => s.log.push(["upgrade", n]));
        s.io.on("upgradeError", (e) => s.log.push(["upgradeError", e.message]));
        s.io.on("error", (e) => s.log.push(["error", e.kind, e.message]));
        return s;
      };
      window.count = (s, n) => s.log.filter((x) => x[0] == n).length;
      // The server's view of a socket's Engine.IO transport.
      window.srvTransport = async (s, base = sio) => (await (await fetch(`${base}/control/transport?id=${encodeURIComponent(s.id)}`, { method: "POST" })).json()).name;
      window.probeMode = (mode) => fetch(`${sio}/control/probe?mode=${mode}`, { method: "POST" });
      // A round trip (echo) with a fresh value.
      let k = 0;
      window.roundTrip = (s) => {
        const v = ++k;
        return new Promise((res) => {
          const h = (x) => {
            if (x === v) {
              s.off("echo", h);
              res(x);
            }
          };
          s.on("echo", h);
          s.emit("echo", v);
        });
      };
    },
    { sio: SIO },
  );
});

after(async () => {
  if (page && !skip) await page.evaluate(() => probeMode("ok")).catch(() => {});
  await browser?.close();
});

stest("default transports: opens over polling, then upgrades to websocket in the same session", async () => {
  const r = await page.evaluate(async () => {
    const s = mk();
    const first = s.io.transport;
    await until(() => s.connected, 8000, "connect");
    const id = s.id;
    await until(() => count(s, "upgrade"), 8000, "upgrade");
    const after = { io: s.io.transport, engine: s.io.engine.transport.name, server: await srvTransport(s) };
    await roundTrip(s);
    const out = { first, id, sameId: s.id == id, after, log: s.log.slice() };
    s.disconnect();
    return out;
  });
  assert.equal(r.first, "polling");
  assert.equal(r.sameId, true);
  assert.deepEqual(r.after, { io: "websocket", engine: "websocket", server: "websocket" });
  assert.deepEqual(r.log.map((x) => x[0]), ["connect", "upgrade"]);
});

stest("polling only: events, acks both ways and binary over polling; no upgrade", async () => {
  const r = await page.evaluate(async () => {
    const s = mk(SIO, { transports: ["polling"] });
    s.on("question", (v, cb) => cb(v * 2));
    await until(() => s.connected, 8000, "connect");
    const got = new Promise((res) => s.once("echo", (...a) => res(a)));
    s.emit("echo", 1, "two", { three: [3] }, null);
    const echo = await got;
    const ack = await s.emitWithAck("ack", "a", 2);
    const ask = await s.emitWithAck("ask", 21);
    const bin = new Promise((res) => s.once("echo", (...a) => res(a)));
    s.emit("echo", { data: new Uint8Array([1, 2, 255]) }, new Uint16Array([513]).buffer, "x");
    const b = await bin;
    const binOut = [Array.from(new Uint8Array(b[0].data)), Array.from(new Uint8Array(b[1])), b[2]];
    for (let i = 0; i < 10; i++) await roundTrip(s);
    const out = { echo, ack, ask, binOut, io: s.io.transport, server: await srvTransport(s), log: s.log.slice() };
    s.disconnect();
    return out;
  });
  assert.deepEqual(r.echo, [1, "two", { three: [3] }, null]);
  assert.equal(r.ack, "a");
  assert.deepEqual(r.ask, { ok: 42 });
  assert.deepEqual(r.binOut, [[1, 2, 255], [1, 2], "x"]);
  assert.equal(r.io, "polling");
  assert.equal(r.server, "polling");
  assert.deepEqual(r.log.map((x) => x[0]), ["connect"]);
});

stest("an attachment whose base64 exceeds maxPayload over polling throws at emit; the connection stays up (review 2)", async () => {
  const r = await page.evaluate(async () => {
    const s = mk(SIO, { transports: ["polling"] });
    await until(() => s.connected, 8000, "connect");
    let err = null;
    try {
      s.emit("echo", new Uint8Array(800_000)); // 800 000 B raw, 1 066 668 B as base64: over 1e6
    } catch (e) {
      err = `${e.name}: ${e.message}`;
    }
    await roundTrip(s);
    const out = { err, connected: s.connected, log: s.log.map((x) => x[0]) };
    s.disconnect();
    return out;
  });
  assert.match(r.err ?? "", /^RangeError: .*maxPayload/);
  assert.equal(r.connected, true);
  assert.deepEqual(r.log, ["connect"], "no disconnect");
});

stest("upgrade: false stays on polling; transports: ['websocket'] is WebSocket from the start", async () => {
  const r = await page.evaluate(async () => {
    const a = mk(SIO, { upgrade: false });
    const b = mk(SIO, { transports: ["websocket"] });
    await until(() => a.connected && b.connected, 8000, "connect");
    for (let i = 0; i < 10; i++) await Promise.all([roundTrip(a), roundTrip(b)]);
    const out = { a: [a.io.transport, await srvTransport(a)], b: [b.io.transport, await srvTransport(b)], la: a.log.map((x) => x[0]), lb: b.log.map((x) => x[0]) };
    a.disconnect();
    b.disconnect();
    return out;
  });
  assert.deepEqual(r.a, ["polling", "polling"]);
  assert.deepEqual(r.b, ["websocket", "websocket"]);
  assert.deepEqual(r.la, ["connect"]);
  assert.deepEqual(r.lb, ["connect"]);
});

stest("numbered emits both ways across the upgrade: none lost, none duplicated, in order", async () => {
  const r = await page.evaluate(async () => {
    // The probe is handled 300 ms late: the upgrade lands mid-stream.
    await probeMode("delay&ms=300");
    const s = mk();
    try {
      const key = "up-" + Math.random();
      const nums = [];
      s.on("num", (i) => nums.push(i));
      await until(() => s.connected, 8000, "connect");
      const N = 300;
      // Server → client: "num" 1..N every 3 ms; client → server: "log" 1..N, one per 3 ms
      // task; both span the upgrade (polling first, then the pause, then the WebSocket).
      s.emit("count", N, 3);
      let sentBefore = 0;
      for (let i = 1; i <= N; i++) {
        s.emit("log", key, i);
        if (!count(s, "upgrade")) sentBefore = i;
        await new Promise((res) => setTimeout(res, 3));
      }
      await until(() => nums.length >= N, 15000, "all nums");
      const logged = await s.emitWithAck("getlog", key);
      return { nums, logged, sentBefore, upgraded: count(s, "upgrade"), server: await srvTransport(s), log: s.log.map((x) => x[0]) };
    } finally {
      await probeMode("ok");
      s.disconnect();
    }
  });
  const want = Array.from({ length: 300 }, (_, i) => i + 1);
  assert.equal(r.upgraded, 1);
  assert.equal(r.server, "websocket");
  assert.ok(r.sentBefore > 0 && r.sentBefore < 300, `the upgrade happened mid-stream (after ${r.sentBefore} emits)`);
  assert.deepEqual(r.nums, want);
  assert.deepEqual(r.logged, want);
  assert.deepEqual(r.log, ["connect", "upgrade"]);
});

for (const mode of ["refuse", "kill"]) {
  stest(`a drop during the upgrade (probe ${mode === "refuse" ? "refused" : "killed after 3probe"}): the session continues on polling`, async () => {
    const r = await page.evaluate(async (mode) => {
      await probeMode(mode);
      const s = mk();
      const nums = [];
      s.on("num", (i) => nums.push(i));
      try {
        await until(() => s.connected, 8000, "connect");
        await until(() => count(s, "upgradeError"), 8000, "upgradeError");
        s.emit("count", 20, 2);
        for (let i = 0; i < 5; i++) await roundTrip(s);
        await until(() => nums.length >= 20, 8000, "nums");
        return { nums, io: s.io.transport, server: await srvTransport(s), connected: s.connected, log: s.log.slice() };
      } finally {
        await probeMode("ok");
        s.disconnect();
      }
    }, mode);
    assert.deepEqual(r.nums, Array.from({ length: 20 }, (_, i) => i + 1));
    assert.equal(r.io, "polling");
    assert.equal(r.server, "polling");
    assert.equal(r.connected, true);
    const events = r.log.map((x) => x[0]);
    if (mode === "refuse") assert.deepEqual(events.sort(), ["connect", "upgradeError"]);
    else {
      // Killed right after `3probe`: usually a poll is in flight, so the close comes before
      // the switch and the session stays on polling (upgradeError). When no poll is in flight
      // (a loaded machine) the client switches at once, sends `5` into the dying socket, and the
      // close is then a connection loss (README: once switched, the WebSocket's close is the
      // connection's): a reconnect, whose probe is killed the same way. Either way the socket
      // ends connected over polling with every event, and an upgradeError was reported.
      assert.ok(events.includes("upgradeError"), JSON.stringify(events));
      assert.equal(events.filter((e) => e == "connect").length, events.filter((e) => e == "disconnect").length + 1, JSON.stringify(events));
    }
  });
}

stest("recovery over polling: a dropped session is restored and the missed events delivered", async () => {
  const r = await page.evaluate(async () => {
    const s = mk(SIO, { transports: ["polling"] });
    const missed = [];
    s.on("missed", (i) => missed.push(i));
    await until(() => s.connected, 8000, "connect");
    const room = "r-" + Math.random();
    await s.emitWithAck("join", room);
    // A room event first: its offset is what the recovery resumes from.
    const got = new Promise((res) => s.once("room", res));
    s.emit("room", room, "hello");
    await got;
    const id = s.id;
    s.emit("drop", room, 3);
    await until(() => count(s, "disconnect") && s.connected, 8000, "reconnect");
    await until(() => missed.length >= 3, 8000, "missed");
    const out = { recovered: s.recovered, sameId: s.id == id, missed, io: s.io.transport, reason: s.log.find((x) => x[0] == "disconnect")[1] };
    s.disconnect();
    return out;
  });
  assert.equal(r.recovered, true);
  assert.equal(r.sameId, true);
  assert.deepEqual(r.missed, [1, 2, 3]);
  assert.equal(r.io, "polling");
  assert.equal(r.reason, "transport close");
});

stest("rememberUpgrade: after an upgrade, the next connection opens over WebSocket", async () => {
  const r = await page.evaluate(async () => {
    const s = mk(SIO, { rememberUpgrade: true });
    await until(() => s.connected, 8000, "connect");
    await until(() => count(s, "upgrade"), 8000, "upgrade");
    s.emit("drop");
    await until(() => count(s, "disconnect") && s.connected, 8000, "reconnect");
    const out = { io: s.io.transport, server: await srvTransport(s), upgrades: count(s, "upgrade") };
    s.disconnect();
    return out;
  });
  assert.deepEqual(r, { io: "websocket", server: "websocket", upgrades: 1 });
});

stest("bad input: transports, upgrade, rememberUpgrade errors name the option", async () => {
  const r = await page.evaluate(() => {
    const err = (o) => {
      try {
        io(SIO, { autoConnect: false, ...o });
        return null;
      } catch (e) {
        return [e.name, e.message];
      }
    };
    return [err({ transports: "polling" }), err({ transports: ["carrier-pigeon"] }), err({ transports: ["webtransport"] }), err({ upgrade: 1 }), err({ rememberUpgrade: "yes" })];
  });
  assert.equal(r[0][0], "TypeError");
  assert.match(r[0][1], /`transports`/);
  assert.equal(r[1][0], "RangeError");
  assert.match(r[1][1], /`transports`.*carrier-pigeon/);
  assert.equal(r[2][0], "RangeError");
  assert.equal(r[3][0], "TypeError");
  assert.match(r[3][1], /`upgrade`/);
  assert.equal(r[4][0], "TypeError");
  assert.match(r[4][1], /`rememberUpgrade`/);
});

// A server of its own (restarted on the same port): the shared one keeps serving the others.
stest("a server restart while polling: reconnects over polling (a new session)", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "sio-restart-"));
  const portFile = path.join(dir, "port");
  const start = async (port) => {
    const p = spawn(process.execPath, [path.join(here, "sio-test-server.mjs"), "--port", String(port), "--port-file", portFile], { stdio: "ignore" });
    const t0 = Date.now();
    for (;;) {
      try {
        const v = readFileSync(portFile, "utf8").trim();
        if (v) return [p, Number(v)];
      } catch { /* not yet */ }
      if (Date.now() - t0 > 10_000) throw new Error("the socket.io server did not start");
      await new Promise((res) => setTimeout(res, 20));
    }
  };
  let [proc, port] = await start(0);
  try {
    const url = `http://127.0.0.1:${port}`;
    await page.evaluate(async (url) => {
      window.rs = mk(url, { transports: ["polling"] });
      await until(() => rs.connected, 8000, "connect");
      window.rsId = rs.id;
    }, url);
    proc.kill("SIGKILL");
    await new Promise((res) => proc.once("exit", res));
    rmSync(portFile, { force: true });
    await page.evaluate(() => until(() => count(rs, "disconnect"), 8000, "disconnect"));
    [proc] = await start(port);
    const r = await page.evaluate(async (url) => {
      await until(() => rs.connected, 10000, "reconnect");
      await roundTrip(rs);
      const out = { newId: rs.id != rsId, recovered: rs.recovered, io: rs.io.transport, server: await srvTransport(rs, url), log: rs.log.map((x) => x[0]).filter((n) => n == "connect" || n == "disconnect") };
      rs.disconnect();
      return out;
    }, url);
    assert.deepEqual(r, { newId: true, recovered: false, io: "polling", server: "polling", log: ["connect", "disconnect", "connect"] });
  } finally {
    proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("no page errors", () => {
  assert.deepEqual(pageErrors, []);
});
