// The SockJS server behaviour our SockJS client relies on, pinned against the real server:
// npm `sockjs` 0.3.24 in tests/e2e/sockjs-test-server.mjs (start it, then set
// SOCKJS_TEST_SERVER=http://127.0.0.1:PORT; every test is skipped when it is unset). No browser:
// the protocol is driven with Node's fetch / node:http and the `ws` package, one fact per test.
// The facts, with their numbers, are written up in the notes (sockjs-facts.md); a failing test
// here means a fact there changed. Also: sockjs-client 1.6.1 (the reference client, which runs
// in Node) talks to the server over websocket, xhr-streaming, xhr-polling and eventsource.
// The /stomp tests need a STOMP broker at the server's --stomp-port (RabbitMQ, 61613): skipped
// when none answers; they only make an auto-deleted /topic subscription.
// The restart tests start their own server (same file) on a port of their own.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, afterEach, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.SOCKJS_TEST_SERVER || "").replace(/\/+$/, "");
const WSBASE = BASE.replace(/^http/, "ws");
const SKIP = BASE ? false : "SOCKJS_TEST_SERVER is not set (start tests/e2e/sockjs-test-server.mjs)";

let cfg = { heartbeatMs: 1000, disconnectMs: 5000, responseLimit: 131072, stompPort: 61613 };
let stompSkip = "no STOMP broker";
const PRELUDE = "h".repeat(2048) + "\n";

/** node:test's test() with a deadline; skipped without a server. */
const fact = (name, fn, timeout = 30_000) => test(name, { skip: SKIP, timeout }, fn);

const cleanups = [];
afterEach(() => {
  for (const f of cleanups.splice(0)) {
    try { f(); } catch { /* already gone */ }
  }
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Polls `cond` every 5 ms; resolves to its first truthy value, rejects after `ms`. */
async function until(cond, ms = 5000, what = "condition") {
  const t0 = Date.now();
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

let serial = 0;
/** A fresh session id (letters and digits, as sockjs-client makes them). */
const sid = () => `f${Date.now().toString(36)}${(++serial).toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const turl = (prefix, session, transport, base = BASE) => `${base}${prefix}/000/${session}/${transport}`;

/** A WebSocket that records messages (strings), pings (times) and its close. */
function openWs(url, opts = {}) {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
  const c = { ws, msgs: [], times: [], pings: [], closed: null, error: null, opened: Date.now() };
  ws.on("message", (d, bin) => {
    c.msgs.push(bin ? d : d.toString());
    c.times.push(Date.now());
  });
  ws.on("ping", () => c.pings.push(Date.now()));
  ws.on("close", (code, reason) => (c.closed = { code, reason: reason.toString(), at: Date.now() }));
  ws.on("error", (e) => (c.error = e));
  c.send = (s) => ws.send(s);
  c.wait = (n, ms = 5000) => until(() => c.msgs.length >= n, ms, `${n} WebSocket messages (have ${JSON.stringify(c.msgs).slice(0, 200)})`);
  c.waitClose = (ms = 5000) => until(() => c.closed, ms, "the WebSocket close");
  cleanups.push(() => ws.terminate());
  return c;
}

/** A streaming HTTP request (own socket): .text grows; .done once the response ended or failed. */
function stream(url, { method = "POST", headers = {} } = {}) {
  const s = { status: 0, headers: null, text: "", ended: false, failed: null, done: false, chunks: [] };
  const req = http.request(url, { method, headers, agent: false });
  req.on("response", (res) => {
    s.status = res.statusCode;
    s.headers = res.headers;
    res.setEncoding("utf8");
    res.on("data", (d) => {
      s.text += d;
      s.chunks.push([Date.now(), d]);
    });
    res.on("end", () => (s.ended = true));
    res.on("error", (e) => (s.failed = e));
    res.on("close", () => {
      if (!res.complete && !s.failed) s.failed = new Error("aborted");
      s.done = true;
    });
  });
  req.on("error", (e) => {
    s.failed = e;
    s.done = true;
  });
  req.end();
  s.abort = () => req.destroy();
  s.waitFor = (str, ms = 5000) => until(() => s.text.includes(str), ms, `${JSON.stringify(str)} in ${JSON.stringify(s.text.slice(-200))}`);
  s.waitDone = (ms = 5000) => until(() => s.done, ms, "the response's end");
  /** The frames after the xhr_streaming prelude (each ends with "\n"; the last may be partial). */
  s.frames = () => s.text.slice(s.text.startsWith(PRELUDE) ? PRELUDE.length : 0).split("\n").slice(0, -1);
  cleanups.push(() => req.destroy());
  return s;
}

/** POST `body` (a string; `type` its content-type, null: none) → {status, text, headers}. */
async function post(url, body = "", type = "text/plain") {
  const headers = type ? { "content-type": type } : {};
  const res = await fetch(url, { method: "POST", body: type ? body : new TextEncoder().encode(body), headers });
  return { status: res.status, text: await res.text(), headers: res.headers };
}
const control = async (what) => (await fetch(`${BASE}/control/${what}`, { method: "POST" })).json();

/** One xhr-polling request: the whole response text. */
const poll = async (prefix, session, base = BASE) => (await post(turl(prefix, session, "xhr", base), "")).text;

/** An xhr_streaming session on `prefix` that got its `o`. */
async function streaming(prefix = "/echo", session = sid()) {
  const s = stream(turl(prefix, session, "xhr_streaming"));
  await s.waitFor(PRELUDE + "o\n");
  s.session = session;
  s.send = (msgs) => post(turl(prefix, session, "xhr_send"), JSON.stringify(msgs));
  return s;
}

/** A WebSocket session on `prefix` that got its `o`. */
async function wsSession(prefix = "/echo", opts) {
  const c = openWs(turl(prefix, sid(), "websocket", WSBASE), opts);
  await c.wait(1);
  assert.equal(c.msgs[0], "o");
  return c;
}

function canConnect(port, host = "127.0.0.1") {
  return new Promise((res) => {
    const s = net.connect({ port, host });
    s.setTimeout(1000, () => (s.destroy(), res(false)));
    s.on("connect", () => (s.destroy(), res(true)));
    s.on("error", () => res(false));
  });
}

before(async () => {
  if (SKIP) return;
  cfg = await control("config");
  if (await canConnect(cfg.stompPort, cfg.stompHost)) stompSkip = false;
  else stompSkip = `no STOMP broker at ${cfg.stompHost}:${cfg.stompPort}`;
});

// ---------------------------------------------------------------- /info and the URL space

fact("/info: 200 JSON with exactly websocket, origins ['*:*'], cookie_needed false, entropy (uint32)", async () => {
  const res = await fetch(`${BASE}/echo/info`);
  assert.equal(res.status, 200);
  const info = await res.json();
  assert.deepEqual(Object.keys(info).sort(), ["cookie_needed", "entropy", "origins", "websocket"]);
  assert.equal(info.websocket, true);
  assert.deepEqual(info.origins, ["*:*"]);
  assert.equal(info.cookie_needed, false);
  assert.ok(Number.isInteger(info.entropy) && info.entropy >= 0 && info.entropy < 2 ** 32);
});

fact("/info: a new random entropy on every request", async () => {
  const a = await (await fetch(`${BASE}/echo/info`)).json();
  const b = await (await fetch(`${BASE}/echo/info`)).json();
  assert.notEqual(a.entropy, b.entropy);
});

fact("/info: content-type application/json; charset=UTF-8, no-cache, ACAO * without an Origin", async () => {
  const res = await fetch(`${BASE}/echo/info`);
  await res.text();
  assert.equal(res.headers.get("content-type"), "application/json; charset=UTF-8");
  assert.equal(res.headers.get("cache-control"), "no-store, no-cache, no-transform, must-revalidate, max-age=0");
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.equal(res.headers.get("access-control-allow-credentials"), null);
});

fact("/info with an Origin: ACAO is that origin, Allow-Credentials true, Vary: Origin", async () => {
  const res = await fetch(`${BASE}/echo/info`, { headers: { origin: "http://page.test:8080" } });
  await res.text();
  assert.equal(res.headers.get("access-control-allow-origin"), "http://page.test:8080");
  assert.equal(res.headers.get("access-control-allow-credentials"), "true");
  assert.equal(res.headers.get("vary"), "Origin");
});

fact("OPTIONS /info: 204, Allow-Methods 'OPTIONS, GET', Max-Age one year, requested headers allowed", async () => {
  const res = await fetch(`${BASE}/echo/info`, {
    method: "OPTIONS",
    headers: { origin: "http://page.test", "access-control-request-headers": "x-a" },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-methods"), "OPTIONS, GET");
  assert.equal(res.headers.get("access-control-max-age"), "31536000");
  assert.equal(res.headers.get("access-control-allow-origin"), "http://page.test");
  assert.equal(res.headers.get("access-control-allow-headers"), "x-a");
});

fact("websocket: false → /info says so, and both WebSocket URLs are 404", async () => {
  const info = await (await fetch(`${BASE}/echo-nows/info`)).json();
  assert.equal(info.websocket, false);
  for (const u of [turl("/echo-nows", sid(), "websocket", WSBASE), `${WSBASE}/echo-nows/websocket`]) {
    const c = openWs(u);
    const status = await new Promise((res) => {
      c.ws.on("unexpected-response", (_req, r) => res(r.statusCode));
      c.ws.on("open", () => res("open"));
    });
    assert.equal(status, 404, u);
  }
});

fact("GET <prefix> and <prefix>/ → 'Welcome to SockJS!\\n'", async () => {
  for (const u of [`${BASE}/echo`, `${BASE}/echo/`]) {
    const res = await fetch(u);
    assert.equal(await res.text(), "Welcome to SockJS!\n");
  }
});

fact("/info with POST → 405 (Allow: OPTIONS, GET)", async () => {
  const res = await fetch(`${BASE}/echo/info`, { method: "POST" });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "OPTIONS, GET");
});

fact("server and session ids: any characters but '/' and '.' (a '.' → 404)", async () => {
  assert.equal((await post(`${BASE}/echo/a_b-c/x~y!z_${sid()}/xhr`, "")).text, "o\n");
  assert.equal((await post(`${BASE}/echo/000/a.b/xhr`, "")).status, 404);
  assert.equal((await post(`${BASE}/echo/0.0/ab/xhr`, "")).status, 404);
});

// ---------------------------------------------------------------- websocket transport

fact("websocket: /<prefix>/<server>/<session>/websocket; the first message is 'o'", async () => {
  const c = openWs(turl("/echo", sid(), "websocket", WSBASE));
  await c.wait(1);
  assert.deepEqual(c.msgs, ["o"]);
});

fact("websocket: the client sends a JSON array of strings; each message comes back as a[\"...\"]", async () => {
  const c = await wsSession();
  c.send(JSON.stringify(["hello"]));
  await c.wait(2);
  assert.equal(c.msgs[1], 'a["hello"]');
});

fact("websocket: an array of 2 → 2 separate a-frames (each server write is its own frame)", async () => {
  const c = await wsSession();
  c.send(JSON.stringify(["a", "b"]));
  await c.wait(3);
  assert.deepEqual(c.msgs.slice(1), ['a["a"]', 'a["b"]']);
});

fact("websocket: 3 synchronous server writes → 3 frames (never batched while a receiver is there)", async () => {
  const c = await wsSession();
  c.send(JSON.stringify([JSON.stringify({ burst: [3, "t"] })]));
  await c.wait(4);
  await sleep(100);
  assert.deepEqual(c.msgs.slice(1), ['a["t"]', 'a["t"]', 'a["t"]']);
});

fact("websocket: a bare JSON string (no array) is accepted as one message", async () => {
  const c = await wsSession();
  c.send('"hi"');
  await c.wait(2);
  assert.equal(c.msgs[1], 'a["hi"]');
});

fact("websocket: non-string array elements reach the app as JS values (echo writes '' + v)", async () => {
  const c = await wsSession();
  c.send("[1,null]");
  await c.wait(3);
  assert.deepEqual(c.msgs.slice(1), ['a["1"]', 'a["null"]']);
});

fact("websocket: an empty WebSocket message is ignored (the session stays open)", async () => {
  const c = await wsSession();
  c.send("");
  c.send('["after"]');
  await c.wait(2);
  assert.equal(c.msgs[1], 'a["after"]');
});

fact("websocket: invalid JSON → no c-frame; the WebSocket closes 3000 'Broken framing.'", async () => {
  const c = await wsSession();
  c.send("hello");
  await c.waitClose();
  assert.deepEqual([c.msgs, c.closed.code, c.closed.reason], [["o"], 3000, "Broken framing."]);
});

fact("websocket: no 'h' frames; the heartbeat is a WebSocket ping every heartbeat_delay", async (t) => {
  const c = await wsSession();
  await sleep(cfg.heartbeatMs * 3.5);
  assert.deepEqual(c.msgs, ["o"]);
  assert.ok(c.pings.length >= 3, `pings: ${c.pings.length}`);
  const gaps = c.pings.slice(1).map((x, i) => x - c.pings[i]);
  t.diagnostic(`first ping ${c.pings[0] - c.opened} ms after the open; gaps ${gaps}`);
  for (const g of gaps) assert.ok(g > cfg.heartbeatMs * 0.8 && g < cfg.heartbeatMs * 1.5, `ping gaps ${gaps}`);
});

fact("websocket: no pong within 10 s of a ping → c[3000,\"No response from heartbeat\"], then close 1000", async (t) => {
  const c = await wsSession("/echo", { autoPong: false });
  await c.waitClose(cfg.heartbeatMs + 14_000);
  const took = c.times[1] - c.opened;
  t.diagnostic(`c-frame ${took} ms after the open; ${c.pings.length} pings unanswered`);
  assert.deepEqual([c.msgs[1], c.closed.code], ['c[3000,"No response from heartbeat"]', 1000]);
  assert.ok(took > cfg.heartbeatMs + 9_500 && took < cfg.heartbeatMs + 11_500, `closed after ${took} ms`);
}, 40_000);

fact("websocket: a server close → c[3000,\"Go away!\"], then the WebSocket closes 1000 'Normal closure'", async () => {
  const c = openWs(turl("/close", sid(), "websocket", WSBASE));
  await c.waitClose();
  assert.deepEqual(c.msgs, ["o", 'c[3000,"Go away!"]']);
  assert.deepEqual([c.closed.code, c.closed.reason], [1000, "Normal closure"]);
});

fact("websocket: any close code/reason is carried by the c-frame only ({\"close\":[4001,\"bye\"]})", async () => {
  const c = await wsSession();
  c.send(JSON.stringify([JSON.stringify({ close: [4001, "bye"] })]));
  await c.waitClose();
  assert.deepEqual([c.msgs[1], c.closed.code], ['c[4001,"bye"]', 1000]);
});

fact("websocket: the session id in the URL is not looked up (two WebSockets, one id: two sessions)", async () => {
  const id = sid();
  const a = openWs(turl("/echo", id, "websocket", WSBASE));
  const b = openWs(turl("/echo", id, "websocket", WSBASE));
  await a.wait(1);
  await b.wait(1);
  a.send('["to-a"]');
  b.send('["to-b"]');
  await a.wait(2);
  await b.wait(2);
  assert.deepEqual([a.msgs, b.msgs], [["o", 'a["to-a"]'], ["o", 'a["to-b"]']]);
});

fact("websocket: a WebSocket session is not reachable over xhr_send (404)", async () => {
  const id = sid();
  await (openWs(turl("/echo", id, "websocket", WSBASE))).wait(1);
  assert.equal((await post(turl("/echo", id, "xhr_send"), '["x"]')).status, 404);
});

fact("raw /<prefix>/websocket: no SockJS framing at all (no 'o'; text in, text out)", async () => {
  const c = openWs(`${WSBASE}/echo/websocket`);
  await new Promise((r) => c.ws.on("open", r));
  c.send("plain text");
  await c.wait(1);
  assert.deepEqual(c.msgs, ["plain text"]);
});

fact("websocket: a 1 MiB message echoes in one frame", async () => {
  const c = await wsSession();
  const big = "x".repeat(1 << 20);
  c.send(JSON.stringify([big]));
  await c.wait(2);
  assert.equal(c.msgs[1], `a["${big}"]`);
});

fact("websocket: a frame over 64 MiB - 1 bytes → the server closes (1009, or 1006 if the client is still writing)", async (t) => {
  const c = await wsSession();
  c.send(JSON.stringify(["y".repeat(0x3ffffff)])); // + 4 bytes of framing
  await c.waitClose(15_000);
  t.diagnostic(`close ${c.closed.code} ${c.closed.reason}`);
  assert.ok(c.msgs.length == 1 && [1009, 1006].includes(c.closed.code), `${c.msgs.length} messages, close ${c.closed.code}`);
}, 40_000);

// ---------------------------------------------------------------- xhr-streaming + xhr_send

fact("xhr_streaming: 200, application/javascript, prelude of 2048 'h' + '\\n', then 'o\\n'", async () => {
  const s = stream(turl("/echo", sid(), "xhr_streaming"));
  await s.waitFor("o\n");
  assert.equal(s.status, 200);
  assert.equal(s.headers["content-type"], "application/javascript; charset=UTF-8");
  assert.equal(s.text, PRELUDE + "o\n");
});

fact("xhr_streaming: CORS like /info (ACAO echoes the Origin, credentials true)", async () => {
  const s = stream(turl("/echo", sid(), "xhr_streaming"), { headers: { origin: "http://page.test" } });
  await s.waitFor("o\n");
  assert.equal(s.headers["access-control-allow-origin"], "http://page.test");
  assert.equal(s.headers["access-control-allow-credentials"], "true");
});

fact("xhr_send: 204 with an empty body; the message arrives on the stream as a[...] + '\\n'", async () => {
  const s = await streaming();
  const r = await s.send(["x"]);
  assert.deepEqual([r.status, r.text], [204, ""]);
  await s.waitFor('a["x"]\n');
  assert.deepEqual(s.frames(), ["o", 'a["x"]']);
});

fact("OPTIONS xhr_send / xhr_streaming / xhr: 204, Allow-Methods 'OPTIONS, POST'", async () => {
  for (const t of ["xhr_send", "xhr_streaming", "xhr"]) {
    const res = await fetch(turl("/echo", sid(), t), { method: "OPTIONS", headers: { origin: "http://page.test" } });
    assert.deepEqual([res.status, res.headers.get("access-control-allow-methods")], [204, "OPTIONS, POST"], t);
  }
});

fact("xhr_streaming: an 'h\\n' every heartbeat_delay", async (t) => {
  const s = await streaming();
  const t0 = Date.now();
  await until(() => s.frames().filter((f) => f == "h").length >= 3, cfg.heartbeatMs * 5, "3 heartbeats");
  const took = Date.now() - t0;
  t.diagnostic(`3 heartbeats in ${took} ms`);
  assert.ok(took > cfg.heartbeatMs * 2.5 && took < cfg.heartbeatMs * 3.6, `3 heartbeats in ${took} ms`);
});

fact("xhr_streaming: 3 synchronous server writes → 3 a-frames", async () => {
  const s = await streaming();
  await s.send([JSON.stringify({ burst: [3, "t"] })]);
  await until(() => s.frames().length >= 4, 3000, "3 frames");
  assert.deepEqual(s.frames().filter((f) => f != "h"), ["o", 'a["t"]', 'a["t"]', 'a["t"]']);
});

fact("xhr_streaming: the response ends once its frames reach response_limit; reopening resumes the session", async () => {
  const s = await streaming();
  const chunk = "z".repeat(50_000);
  // Frames counted: 'o\n' (2) + 3 × a["…"]\n (50_005) ≥ 131072 after the third.
  for (let i = 0; i < 3; i++) await s.send([chunk]);
  await s.waitDone();
  assert.equal(s.ended, true);
  assert.equal(s.frames().length, 4);
  await s.send(["between"]); // echoed while no receiver is open: queued
  const s2 = stream(turl("/echo", s.session, "xhr_streaming"));
  await s2.waitFor(PRELUDE);
  await post(turl("/echo", s.session, "xhr_send"), '["again"]');
  await s2.waitFor('a["again"]\n');
  assert.deepEqual(s2.frames().filter((f) => f != "h"), ['a["between"]', 'a["again"]']); // no second 'o'
});

fact("xhr_streaming: response_limit counts frame characters (UTF-16 units), not the prelude", async () => {
  const s = await streaming();
  // 'o\n' = 2; each a["…"]\n frame = n + 7. Stop just below the limit: the response stays open.
  const n = cfg.responseLimit - 2 - 7 - 1;
  await s.send(["é".repeat(n)]); // 2 UTF-8 bytes each: twice the limit in bytes
  await s.waitFor('"]\n', 10_000);
  await sleep(200);
  assert.equal(s.done, false);
});

fact("xhr_streaming: a second receiving request on the session gets c[2010,\"Another connection still open\"] and ends", async () => {
  const s = await streaming();
  const s2 = stream(turl("/echo", s.session, "xhr_streaming"));
  await s2.waitDone();
  assert.equal(s2.text, PRELUDE + 'c[2010,"Another connection still open"]\n');
  await s.send(["still"]);
  await s.waitFor('a["still"]\n');
});

fact("xhr_streaming: aborting the receiving request ends the session at once (xhr_send → 404)", async () => {
  const s = await streaming();
  s.abort();
  await sleep(100);
  assert.equal((await s.send(["x"])).status, 404);
});

fact("xhr_send: an unknown session → 404", async () => {
  assert.equal((await post(turl("/echo", sid(), "xhr_send"), '["x"]')).status, 404);
});

fact("xhr_send: the body is checked before the session: empty → 500 'Payload expected.'", async () => {
  const r = await post(turl("/echo", sid(), "xhr_send"), "");
  assert.deepEqual([r.status, r.text], [500, "Payload expected."]);
});

fact("xhr_send: invalid JSON → 500 'Broken JSON encoding.'", async () => {
  const s = await streaming();
  const r = await post(turl("/echo", s.session, "xhr_send"), "[x");
  assert.deepEqual([r.status, r.text], [500, "Broken JSON encoding."]);
});

fact("xhr_send: a bare JSON string (not an array) → 500 'Payload expected.' (unlike websocket)", async () => {
  const s = await streaming();
  const r = await post(turl("/echo", s.session, "xhr_send"), '"x"');
  assert.deepEqual([r.status, r.text], [500, "Payload expected."]);
});

fact("xhr_send: content-type text/plain, application/json, text/xml or none work; form-urlencoded → 500", async () => {
  const s = await streaming();
  for (const type of ["text/plain;charset=UTF-8", "application/json", "text/xml", null]) {
    assert.equal((await post(turl("/echo", s.session, "xhr_send"), '["t"]', type)).status, 204, String(type));
  }
  const r = await post(turl("/echo", s.session, "xhr_send"), '["t"]', "application/x-www-form-urlencoded");
  assert.deepEqual([r.status, r.text], [500, "Payload expected."]);
});

fact("xhr_send: '[]' is accepted (204) and delivers nothing", async () => {
  const s = await streaming();
  assert.equal((await s.send([])).status, 204);
  await s.send(["marker"]);
  await s.waitFor('a["marker"]\n');
  assert.deepEqual(s.frames().filter((f) => f != "h"), ["o", 'a["marker"]']);
});

fact("xhr_send: a 1 MiB message is delivered (and echoed, ending the stream past response_limit)", async () => {
  const s = await streaming();
  const big = "m".repeat(1 << 20);
  assert.equal((await s.send([big])).status, 204);
  await s.waitDone(10_000);
  assert.equal(s.frames()[1], `a["${big}"]`);
});

// ---------------------------------------------------------------- xhr-polling

fact("xhr (polling): the first request returns 'o\\n' and ends", async () => {
  assert.equal(await poll("/echo", sid()), "o\n");
});

fact("xhr (polling): with nothing to send, a poll returns 'h\\n' after heartbeat_delay", async (t) => {
  const id = sid();
  await poll("/echo", id);
  const t0 = Date.now();
  assert.equal(await poll("/echo", id), "h\n");
  const took = Date.now() - t0;
  t.diagnostic(`h after ${took} ms`);
  assert.ok(took > cfg.heartbeatMs * 0.8 && took < cfg.heartbeatMs * 1.5, `h after ${took} ms`);
});

fact("xhr (polling): messages queued between polls come in ONE frame a[\"m1\",\"m2\"]", async () => {
  const id = sid();
  await poll("/echo", id);
  await post(turl("/echo", id, "xhr_send"), '["m1","m2"]');
  assert.equal(await poll("/echo", id), 'a["m1","m2"]\n');
});

fact("xhr (polling): a concurrent second poll gets c[2010,\"Another connection still open\"]", async () => {
  const id = sid();
  await poll("/echo", id);
  const first = stream(turl("/echo", id, "xhr"));
  await sleep(100);
  assert.equal(await poll("/echo", id), 'c[2010,"Another connection still open"]\n');
  await first.waitDone();
  assert.equal(first.text, "h\n");
});

fact("session timeout: no receiving request for disconnect_delay → the session is gone (xhr_send 404)", async (t) => {
  const id = sid();
  await poll("/echo", id);
  const t0 = Date.now();
  // xhr_send does not keep the session alive; only a receiving request does.
  while ((await post(turl("/echo", id, "xhr_send"), "[]")).status == 204) await sleep(50);
  const took = Date.now() - t0;
  t.diagnostic(`gone ${took} ms after the poll's end`);
  assert.ok(took > cfg.disconnectMs - 100 && took < cfg.disconnectMs + 600, `gone after ${took} ms`);
}, 20_000);

fact("a closed session answers every later poll with its c-frame (xhr_send: 204, dropped) until disconnect_delay", async () => {
  const id = sid();
  assert.equal(await poll("/close", id), "o\n");
  assert.equal(await poll("/close", id), 'c[3000,"Go away!"]\n');
  assert.equal(await poll("/close", id), 'c[3000,"Go away!"]\n');
  assert.equal((await post(turl("/close", id, "xhr_send"), '["x"]')).status, 204);
});

fact("after the session timed out, a poll with the same session id opens a NEW session ('o')", async () => {
  const id = sid();
  await poll("/echo", id);
  await sleep(cfg.disconnectMs + 500);
  assert.equal(await poll("/echo", id), "o\n");
}, 20_000);

fact("session ids are global to the server: an /echo session is reachable under /echo-nows", async () => {
  const id = sid();
  await poll("/echo", id);
  await post(turl("/echo-nows", id, "xhr_send"), '["cross"]');
  assert.equal(await poll("/echo", id), 'a["cross"]\n');
});

// ---------------------------------------------------------------- eventsource

fact("eventsource: GET, text/event-stream, body '\\r\\n' then 'data: o\\r\\n\\r\\n', frames 'data: <frame>\\r\\n\\r\\n'", async () => {
  const id = sid();
  const s = stream(turl("/echo", id, "eventsource"), { method: "GET" });
  await s.waitFor("data: o\r\n\r\n");
  assert.equal(s.headers["content-type"], "text/event-stream");
  await post(turl("/echo", id, "xhr_send"), '["e"]');
  await s.waitFor('data: a["e"]\r\n\r\n');
  assert.equal(s.text.replace(/data: h\r\n\r\n/g, ""), '\r\ndata: o\r\n\r\ndata: a["e"]\r\n\r\n');
});

fact("eventsource: '%' in a frame is sent as %25 (a client must decodeURI the data, as sockjs-client does)", async () => {
  const id = sid();
  const s = stream(turl("/echo", id, "eventsource"), { method: "GET" });
  await s.waitFor("data: o\r\n\r\n");
  await post(turl("/echo", id, "xhr_send"), '["100%"]');
  await s.waitFor("100");
  await s.waitFor("\r\n\r\n");
  assert.ok(s.text.includes('data: a["100%25"]\r\n\r\n'), JSON.stringify(s.text));
});

fact("eventsource: heartbeats 'data: h' and the response_limit end apply as on xhr_streaming", async () => {
  const id = sid();
  const s = stream(turl("/echo", id, "eventsource"), { method: "GET" });
  await s.waitFor("data: o\r\n\r\n");
  await s.waitFor("data: h\r\n\r\n", cfg.heartbeatMs * 2);
  for (let i = 0; i < 3; i++) await post(turl("/echo", id, "xhr_send"), JSON.stringify(["q".repeat(50_000)]));
  await s.waitDone();
  assert.equal(s.ended, true);
});

// ---------------------------------------------------------------- escaping

/** Echoes `text` (sent JSON-escaped) over a WebSocket session: the raw a-frame. */
async function echoFrame(text) {
  const c = await wsSession();
  c.send(JSON.stringify([text]));
  await c.wait(2);
  return c.msgs[1];
}

fact("escaping: U+2028, U+200C, U+2060, U+FFF0 arrive as ASCII \\uXXXX escapes; JSON.parse restores them", async () => {
  const text = "a\u2028b\u200cc\u2060d\ufff0";
  const frame = await echoFrame(text);
  assert.equal(frame, 'a["a\\u2028b\\u200cc\\u2060d\\ufff0"]');
  assert.equal(JSON.parse(frame.slice(1))[0], text);
});

fact("escaping: astral characters arrive as two escaped surrogates (\\ud83d\\ude00)", async () => {
  assert.equal(await echoFrame("😀"), 'a["\\ud83d\\ude00"]');
});

fact("escaping: a lone surrogate sent JSON-escaped round-trips as a lone surrogate", async () => {
  const frame = await echoFrame("x\ud800y");
  assert.equal(frame, 'a["x\\ud800y"]');
  assert.equal(JSON.parse(frame.slice(1))[0], "x\ud800y");
});

fact("escaping: a lone surrogate sent raw (UTF-8 on the wire) becomes U+FFFD", async () => {
  const c = await wsSession();
  c.send('["x\ud800y"]'); // ws encodes the unpaired surrogate as EF BF BD
  await c.wait(2);
  assert.equal(c.msgs[1], 'a["x\\ufffdy"]');
});

fact("escaping: other non-ASCII (é, 中) stays raw UTF-8; control characters use JSON escapes", async () => {
  assert.equal(await echoFrame("é中\n\u0001\"\\"), 'a["é中\\n\\u0001\\"\\\\"]');
});

// ---------------------------------------------------------------- test server controls

fact("control drop (websocket): the WebSocket dies without a c-frame (1006), the session ends", async () => {
  const c = await wsSession();
  const r = await control("drop?prefix=/echo");
  assert.ok(r.dropped >= 1);
  await c.waitClose();
  assert.deepEqual([c.msgs, c.closed.code], [["o"], 1006]);
});

fact("control drop (xhr_streaming): the response fails mid-way; the session is gone (xhr_send 404)", async () => {
  const s = await streaming();
  await control(`drop?prefix=/echo&session=${s.session}`);
  await s.waitDone();
  assert.ok(s.failed && !s.ended);
  await sleep(50);
  assert.equal((await s.send(["x"])).status, 404);
});

fact("control freeze (websocket): no pings and no messages; the TCP connection stays open", async () => {
  const c = await wsSession();
  const before = (await control("sessions?prefix=/echo")).counts["/echo"];
  assert.ok(before >= 1);
  await control("freeze?prefix=/echo");
  const pings = c.pings.length;
  c.send('["lost"]');
  await sleep(cfg.heartbeatMs * 3);
  assert.deepEqual([c.msgs, c.pings.length, c.closed], [["o"], pings, null]);
});

fact("control freeze what=heartbeat (xhr_streaming): no 'h' any more, messages still flow", async () => {
  const s = await streaming();
  await control(`freeze?prefix=/echo&session=${s.session}&what=heartbeat`);
  await s.send(["m"]);
  await s.waitFor('a["m"]\n');
  await sleep(cfg.heartbeatMs * 2.5);
  assert.deepEqual(s.frames(), ["o", 'a["m"]']);
});

fact("control send / close: a server push, then a server close with any code", async () => {
  const s = await streaming();
  await control(`send?prefix=/echo&session=${s.session}&text=pushed`);
  await control(`close?prefix=/echo&session=${s.session}&code=4500&reason=later`);
  await s.waitDone();
  assert.deepEqual(s.frames().filter((f) => f != "h"), ["o", 'a["pushed"]', 'c[4500,"later"]']);
});

fact("control sessions: counts per prefix and the session's transport", async () => {
  const s = await streaming();
  const r = await control(`sessions?session=${s.session}`);
  assert.deepEqual(r.sessions, [{ prefix: "/echo", session: s.session, protocol: "xhr-streaming", readyState: 1 }]);
});

// ---------------------------------------------------------------- a server restart

/** A server process of our own; resolves once listening. */
async function ownServer(port, extra = []) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sockjs-facts-"));
  const portFile = path.join(dir, "port");
  const child = spawn(process.execPath, [path.join(here, "sockjs-test-server.mjs"), "--port", String(port), "--port-file", portFile, ...extra], { stdio: "ignore" });
  cleanups.push(() => child.kill("SIGKILL"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  await until(() => {
    try {
      return readFileSync(portFile, "utf8").trim();
    } catch {
      return null;
    }
  }, 10_000, "the server's port file");
  const p = Number(readFileSync(portFile, "utf8"));
  return { child, port: p, base: `http://127.0.0.1:${p}` };
}
const freePort = () =>
  new Promise((res) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

fact("restart: the WebSocket dies (1006); HTTP: the old session is 404 on xhr_send and a poll gets a new 'o'", async () => {
  const port = await freePort();
  const one = await ownServer(port);
  const base = one.base;
  const c = openWs(turl("/echo", sid(), "websocket", base.replace(/^http/, "ws")));
  await c.wait(1);
  const id = sid();
  const s = stream(turl("/echo", id, "xhr_streaming", base));
  await s.waitFor("o\n");
  one.child.kill("SIGKILL");
  await c.waitClose();
  await s.waitDone();
  assert.equal(c.closed.code, 1006);
  assert.ok(s.failed && !s.ended, "the streaming response fails");
  await ownServer(port); // same port, at once
  assert.equal((await post(turl("/echo", id, "xhr_send", base), '["x"]')).status, 404);
  assert.equal(await poll("/echo", id, base), "o\n");
});

fact("/stomp without a broker: o, then c[1011,\"STOMP broker unreachable: ECONNREFUSED\"]", async () => {
  const dead = await freePort();
  const srv = await ownServer(0, ["--stomp-port", String(dead)]);
  const c = openWs(turl("/stomp", sid(), "websocket", srv.base.replace(/^http/, "ws")));
  await c.waitClose();
  assert.deepEqual(c.msgs, ["o", 'c[1011,"STOMP broker unreachable: ECONNREFUSED"]']);
});

// ---------------------------------------------------------------- /stomp relay, fake broker

/**
 * A scripted STOMP "broker" on a port of its own: CONNECT → CONNECTED then 3 heart-beat EOLs;
 * SEND → 3 MESSAGE frames cut badly over 3 TCP writes (2 frames and an EOL in the first, the
 * third frame and a UTF-8 "é" split across writes); DISCONNECT → RECEIPT, then the TCP close.
 * `got` collects what the relay wrote to it.
 */
async function fakeBroker() {
  const b = { got: "", conns: 0 };
  b.server = net.createServer((sock) => {
    b.conns++;
    sock.on("data", (d) => {
      b.got += d.toString("utf8");
      const text = d.toString("utf8");
      if (text.includes("CONNECT\n") && !text.includes("DISCONNECT")) {
        sock.write("CONNECTED\nversion:1.2\nheart-beat:300,0\n\n\0");
        for (let i = 1; i <= 3; i++) setTimeout(() => sock.writable && sock.write("\n"), i * 100);
      }
      if (text.includes("SEND\n")) {
        const all = Buffer.from("MESSAGE\nsubscription:0\ncontent-length:3\n\na\0b\0\nMESSAGE\nsubscription:0\n\nsecond\0MESSAGE\nx:1\n\nthird é\0", "utf8");
        const cut1 = all.indexOf("MESSAGE\nx") + 4, cut2 = all.length - 2; // "é" is the last 2 bytes before the NUL
        sock.write(all.subarray(0, cut1));
        setTimeout(() => sock.write(all.subarray(cut1, cut2)), 30);
        setTimeout(() => sock.write(all.subarray(cut2)), 60);
      }
      if (text.includes("DISCONNECT")) sock.end("RECEIPT\nreceipt-id:77\n\n\0");
    });
    sock.on("error", () => {});
  });
  await new Promise((r) => b.server.listen(0, "127.0.0.1", r));
  b.port = b.server.address().port;
  cleanups.push(() => b.server.close());
  return b;
}

fact("/stomp relay: broker frames → one SockJS message per frame (NUL included), each EOL a '\\n' message; broker close → c[1000,...]", async () => {
  const broker = await fakeBroker();
  const srv = await ownServer(0, ["--stomp-port", String(broker.port)]);
  const c = openWs(turl("/stomp", sid(), "websocket", srv.base.replace(/^http/, "ws")));
  await c.wait(1);
  c.send(JSON.stringify(["CONNECT\naccept-version:1.2\n\n\0"]));
  await until(() => c.msgs.filter((m) => m == 'a["\\n"]').length == 3, 3000, "3 heart-beats");
  c.send(JSON.stringify(["SEND\ndestination:/x\n\nhi\0"]));
  await until(() => c.msgs.some((m) => m.includes("third")), 3000, "the third MESSAGE");
  c.send(JSON.stringify(["DISCONNECT\nreceipt:77\n\n\0"]));
  await c.waitClose();
  const got = c.msgs.slice(1).map((m) => (m[0] == "a" ? JSON.parse(m.slice(1)) : m));
  assert.deepEqual(got, [
    ["CONNECTED\nversion:1.2\nheart-beat:300,0\n\n\0"],
    ["\n"], ["\n"], ["\n"],
    ["MESSAGE\nsubscription:0\ncontent-length:3\n\na\0b\0"],
    ["\n"],
    ["MESSAGE\nsubscription:0\n\nsecond\0"],
    ["MESSAGE\nx:1\n\nthird é\0"],
    ["RECEIPT\nreceipt-id:77\n\n\0"],
    'c[1000,"STOMP broker closed the connection"]',
  ]);
});

fact("/stomp relay: client messages reach the broker as they are (a frame split over 2 messages, UTF-8)", async () => {
  const broker = await fakeBroker();
  const srv = await ownServer(0, ["--stomp-port", String(broker.port)]);
  const c = openWs(turl("/stomp", sid(), "websocket", srv.base.replace(/^http/, "ws")));
  await c.wait(1);
  c.send(JSON.stringify(["CONN", "ECT\naccept-version:1.2\n\n\0"]));
  c.send(JSON.stringify(["SEND\ndestination:/x\n\nh", "é\0"]));
  await until(() => broker.got.includes("hé\0"), 3000, "the SEND at the broker");
  assert.equal(broker.got, "CONNECT\naccept-version:1.2\n\n\0SEND\ndestination:/x\n\nhé\0");
});

fact("/stomp relay: the SockJS session closing ends the broker's TCP connection", async () => {
  const broker = await fakeBroker();
  const srv = await ownServer(0, ["--stomp-port", String(broker.port)]);
  let ended = false;
  broker.server.on("connection", (sock) => sock.on("end", () => (ended = true)));
  const c = openWs(turl("/stomp", sid(), "websocket", srv.base.replace(/^http/, "ws")));
  await c.wait(1);
  await until(() => broker.conns == 1, 3000, "the relay's TCP connection");
  c.ws.close(1000);
  await until(() => ended, 3000, "the TCP end at the broker");
});

// ---------------------------------------------------------------- /stomp relay, real broker (RabbitMQ)

const stompTest = (name, fn) => test(name, { skip: SKIP, timeout: 30_000 }, async (t) => {
  if (stompSkip) return t.skip(stompSkip);
  await fn(t);
});
const CONNECT = "CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,1000\n\n\0";

stompTest("/stomp: CONNECT (split over 2 SockJS messages) → CONNECTED as one message; broker heart-beats as '\\n' messages", async () => {
  const c = await wsSession("/stomp");
  c.send(JSON.stringify([CONNECT.slice(0, 20)]));
  c.send(JSON.stringify([CONNECT.slice(20)]));
  await c.wait(2);
  const m = JSON.parse(c.msgs[1].slice(1));
  assert.equal(m.length, 1);
  assert.ok(m[0].startsWith("CONNECTED\n") && m[0].endsWith("\n\n\0"), JSON.stringify(m[0]));
  await until(() => c.msgs.slice(2).filter((x) => x == 'a["\\n"]').length >= 2, 4000, "2 heart-beats");
});

stompTest("/stomp: a MESSAGE with a NUL in its content-length body is one SockJS message; DISCONNECT → RECEIPT, then c[1000,...]", async () => {
  const c = await wsSession("/stomp");
  const dest = `/topic/e2e-sockjs-${sid()}`;
  c.send(JSON.stringify([CONNECT]));
  await until(() => c.msgs.some((m) => m.includes("CONNECTED")), 5000, "CONNECTED");
  c.send(JSON.stringify([`SUBSCRIBE\nid:0\ndestination:${dest}\nreceipt:1\n\n\0`]));
  await until(() => c.msgs.some((m) => m.includes("RECEIPT\\nreceipt-id:1")), 5000, "the SUBSCRIBE receipt");
  c.send(JSON.stringify([`SEND\ndestination:${dest}\ncontent-length:3\n\na\0b\0`]));
  const msg = await until(() => c.msgs.find((m) => m.includes("MESSAGE")), 5000, "the MESSAGE");
  const frame = JSON.parse(msg.slice(1));
  assert.equal(frame.length, 1);
  assert.ok(frame[0].startsWith("MESSAGE\n") && frame[0].endsWith("\n\na\0b\0"), JSON.stringify(frame[0]));
  c.send(JSON.stringify(["DISCONNECT\nreceipt:77\n\n\0"]));
  await c.waitClose();
  assert.ok(c.msgs.some((m) => m.includes("RECEIPT\\nreceipt-id:77")));
  assert.equal(c.msgs.at(-1), 'c[1000,"STOMP broker closed the connection"]');
});

// ---------------------------------------------------------------- sockjs-client 1.6.1 (reference)

for (const transport of ["websocket", "xhr-streaming", "xhr-polling", "eventsource"]) {
  fact(`sockjs-client 1.6.1 over ${transport}: opens, echoes tricky text, closes 1000`, async () => {
    const SockJS = require("sockjs-client");
    const text = "hé 100% \u2028 😀 \ud800 \"q\" \n";
    const s = new SockJS(`${BASE}/echo`, null, { transports: [transport] });
    cleanups.push(() => s.close());
    const got = await new Promise((res, rej) => {
      s.onopen = () => s.send(text);
      s.onmessage = (e) => res({ data: e.data, transport: s.transport });
      s.onclose = (e) => rej(new Error(`closed ${e.code} ${e.reason}`));
    });
    const closed = new Promise((res) => (s.onclose = (e) => res(e.code)));
    s.close();
    assert.deepEqual([got.transport, got.data, await closed], [transport, text, 1000]);
  });
}

after(() => {
  for (const f of cleanups.splice(0)) {
    try { f(); } catch { /* gone */ }
  }
});
