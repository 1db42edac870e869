// The `protocol` option of SteadySocket (issue 11), end to end: the built npm package (pkg/) in
// headless Chromium against the reference server. What's tested:
// - bad `protocol`, `heartbeat` (per protocol) and `handshakeTimeoutMs` values throw
//   TypeError/RangeError naming the option; a codec whose encode throws or returns a
//   non-frame, at construction and at send time
// - "v1" (the default): a typed frame without a `data` key hands the whole object over; the
//   heartbeat still pings the reference server (rtt, no timeout, no ping/pong delivered)
// - "raw": send() = sendRaw, every frame fires `message` {type: null} then `raw`; text and
//   binary round trip; request() throws; heartbeat off unless a ping is given; pong matcher
//   (string, RegExp, function) swallows answers; a throwing matcher is a "protocol" error;
//   frames queued while disconnected go out in order on reconnect
// - a custom codec ({"event","payload","ref"} on /ws/events): typed handlers, message/sent
//   events, requests (ok, remote error, concurrent), binary frames, its heartbeat (ping out,
//   pong in, answering the peer's ping), a throwing decode is a "protocol" error and the
//   socket keeps going, decode → null is a raw frame
// - heartbeat timeout against /ws/silent (never answers): `error` kind "heartbeat-timeout"
//   with the advice to set heartbeat.ping / heartbeat: false (v1, raw, codec), then a
//   reconnect; a peer that answered before and then froze gets no advice

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { control, launchBrowser, openPage, pageRunner, tag, waitFor } from "./helpers.mjs";

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

// The custom codec of /ws/events (tests/server/src/peers.rs), as source: page functions are
// serialized, so they rebuild it with `new Function`. Binary frames are type "bin" (bytes as
// an array of numbers); text that is not JSON decodes to null (a raw frame); "boom" makes
// decode throw.
const EVENTS_CODEC = `({
  encode(m) {
    if (m.type === "bin") return new Uint8Array(m.data);
    const o = { event: m.type };
    if (m.data !== undefined && m.data !== null) o.payload = m.data;
    if (m.id !== undefined) o.ref = m.id;
    return JSON.stringify(o);
  },
  decode(f) {
    if (typeof f !== "string") return { type: "bin", data: Array.from(f) };
    if (f === "boom") throw new Error("kaboom");
    let o;
    try { o = JSON.parse(f); } catch { return null; }
    if (o === null || typeof o !== "object") return null;
    if ("reply" in o) return "error" in o ? { replyTo: o.reply, error: { message: o.error } } : { replyTo: o.reply, data: o.payload };
    return { type: o.event, data: o.payload ?? null };
  },
})`;

test("bad protocol, heartbeat and handshakeTimeoutMs options throw, naming the option", async () => {
  const results = await inPage(({ SteadySocket }) => {
    const codec = { encode: (m) => JSON.stringify(m), decode: (f) => JSON.parse(f) };
    const cases = [
      [{ protocol: 5 }, "TypeError", "protocol"],
      [{ protocol: null }, "TypeError", "protocol"],
      [{ protocol: [] }, "TypeError", "protocol"],
      [{ protocol: "stomp" }, "RangeError", "protocol"],
      [{ protocol: "V1" }, "RangeError", "protocol"],
      [{ protocol: "" }, "RangeError", "protocol"],
      [{ protocol: { encode: 1 } }, "TypeError", "protocol.encode"],
      [{ protocol: { encode: codec.encode } }, "TypeError", "protocol.decode"],
      [{ protocol: { encode: codec.encode, decode: "x" } }, "TypeError", "protocol.decode"],
      [{ protocol: { ...codec, extra: 1 } }, "TypeError", "protocol.extra"],
      // encode must give the heartbeat's ping/pong as text
      [{ protocol: { encode: () => 5, decode: codec.decode } }, "TypeError", "protocol.encode"],
      [{ protocol: { encode: () => { throw new Error("no"); }, decode: codec.decode } }, "TypeError", "protocol.encode"],
      [{ protocol: codec, heartbeat: { pong: "x" } }, "TypeError", "heartbeat.pong"],
      [{ heartbeat: { pong: "x" } }, "TypeError", "heartbeat.pong"],
      [{ protocol: "v1", heartbeat: { pong: "x" } }, "TypeError", "heartbeat.pong"],
      [{ protocol: "raw", heartbeat: { ping: "p", pong: 5 } }, "TypeError", "heartbeat.pong"],
      [{ protocol: "raw", heartbeat: { ping: "p", pong: {} } }, "TypeError", "heartbeat.pong"],
      [{ protocol: "raw", heartbeat: { ping: "p", pong: null } }, "TypeError", "heartbeat.pong"],
      [{ protocol: "raw", heartbeat: { ping: 5 } }, "TypeError", "heartbeat.ping"],
      [{ protocol: "raw", heartbeat: { ping: "" } }, "RangeError", "heartbeat.ping"],
      [{ protocol: "raw", heartbeat: { ping: "p", intervalMs: 0 } }, "RangeError", "heartbeat.intervalMs"],
      [{ protocol: "raw", heartbeat: { ping: "p", pnog: "x" } }, "TypeError", "heartbeat.pnog"],
      // Without a ping the raw heartbeat is off, but its options are still checked: a typo
      // must not silently leave the heartbeat off.
      [{ protocol: "raw", heartbeat: { pong: 5 } }, "TypeError", "heartbeat.pong"],
      [{ protocol: "raw", heartbeat: { pnig: "ping" } }, "TypeError", "heartbeat.pnig"],
      [{ protocol: "raw", heartbeat: { intervalMs: "1" } }, "TypeError", "heartbeat.intervalMs"],
      [{ protocol: "raw", heartbeat: "yes" }, "TypeError", "heartbeat"],
      [{ handshakeTimeoutMs: "5" }, "TypeError", "handshakeTimeoutMs"],
      [{ handshakeTimeoutMs: 0 }, "RangeError", "handshakeTimeoutMs"],
      [{ handshakeTimeoutMs: -1 }, "RangeError", "handshakeTimeoutMs"],
      [{ handshakeTimeoutMs: Infinity }, "RangeError", "handshakeTimeoutMs"],
      [{ handshakeTimeoutMs: NaN }, "RangeError", "handshakeTimeoutMs"],
    ];
    const out = cases.map(([opts, type, path]) => {
      try {
        const s = new SteadySocket("ws://127.0.0.1:1/never", opts);
        s.free();
        return { path, opts: String(Object.keys(opts)), ok: false, got: "no exception" };
      } catch (e) {
        const ok = e.constructor.name === type && e.message.includes("`" + path + "`");
        return { path, ok, got: `${e.constructor.name}: ${e.message}` };
      }
    });
    // Good values construct.
    const good = [
      { protocol: "v1" },
      { protocol: undefined },
      { protocol: "raw" },
      { protocol: "raw", heartbeat: { ping: "p", pong: /q/ } },
      { protocol: "raw", heartbeat: { ping: "p", pong: () => false } },
      { protocol: "raw", heartbeat: false },
      { protocol: codec },
      { protocol: codec, heartbeat: false },
      { protocol: codec, heartbeat: { ping: "custom" } },
      { handshakeTimeoutMs: 250 },
    ];
    for (const o of good) {
      try {
        new SteadySocket("ws://127.0.0.1:1/never", o).free();
      } catch (e) {
        out.push({ path: JSON.stringify(o), ok: false, got: `${e.constructor.name}: ${e.message}` });
      }
    }
    return out;
  });
  const bad = results.filter((r) => !r.ok);
  assert.deepEqual(bad, [], JSON.stringify(bad, null, 2));
  assert.equal(results.length, 31);
});

test("v1: a typed frame without a data key hands the whole object to handlers", async () => {
  const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t));
    try {
      await until(s, "open");
      const got = [];
      s.onMessage("ticker", (d) => got.push(d));
      const messages = [];
      s.on("message", (m) => messages.push(m));
      // The server echoes unknown events verbatim.
      s.sendRaw(JSON.stringify({ type: "ticker", price: 1, sym: "X" }));
      s.sendRaw(JSON.stringify({ type: "ticker", data: null, price: 2 }));
      s.sendRaw(JSON.stringify({ type: "ticker", data: { price: 3 }, extra: true }));
      s.send("ticker", { price: 4 });
      await new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`only ${got.length} ticker frames`)), 5000);
        const check = () => (got.length >= 4 ? (clearTimeout(t), res()) : setTimeout(check, 5));
        check();
      });
      return { got, messages };
    } finally {
      s.free();
    }
  }, { t: tag("v1whole") });
  assert.deepEqual(r.got, [{ type: "ticker", price: 1, sym: "X" }, null, { price: 3 }, { price: 4 }]);
  assert.deepEqual(r.messages[0], { type: "ticker", data: { type: "ticker", price: 1, sym: "X" } });
  assert.deepEqual(r.messages.map((m) => m.type), ["ticker", "ticker", "ticker", "ticker"]);
});

test("v1 (default and explicit): the heartbeat still pings the reference server", async () => {
  for (const protocol of [undefined, "v1"]) {
    const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
      const opts = { heartbeat: { intervalMs: 30, timeoutMs: 1000 } };
      if (args.protocol) opts.protocol = args.protocol;
      const s = new SteadySocket(ws(args.t), opts);
      try {
        const seen = { errors: [], messages: [], raw: [], rtts: 0 };
        s.on("error", (e) => seen.errors.push(e));
        s.on("message", (m) => seen.messages.push(m));
        s.on("raw", (m) => seen.raw.push(m));
        await until(s, "open");
        for (let i = 0; i < 3; i++) {
          await until(s, "rtt");
          seen.rtts++;
        }
        return { ...seen, state: s.state, reconnects: s.metrics().reconnects, rtt: s.rtt };
      } finally {
        s.free();
      }
    }, { t: tag("v1hb"), protocol });
    assert.equal(r.rtts, 3, `protocol ${protocol}`);
    assert.deepEqual(r.errors, [], `protocol ${protocol}`);
    assert.deepEqual(r.messages, [], "pongs are not delivered");
    assert.deepEqual(r.raw, []);
    assert.equal(r.state, "open");
    assert.equal(r.reconnects, 0);
    assert.ok(r.rtt >= 0 && r.rtt < 1000, `rtt ${r.rtt}`);
  }
});

test("raw: send() is sendRaw, frames fire message {type: null} then raw, binary round trips", async () => {
  const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t, "/ws/raw"), { protocol: "raw" });
    try {
      const log = [];
      s.on("message", (m) => log.push(["message", m.type, m.data instanceof Uint8Array ? ["bytes", ...m.data] : m.data]));
      s.on("raw", (d) => log.push(["raw", d instanceof Uint8Array ? ["bytes", ...d] : d]));
      let typed = 0;
      s.onMessage("x", () => typed++);
      s.onMessage("ping", () => typed++);
      const sent = [];
      s.on("sent", (e) => sent.push([e.type, e.data instanceof Uint8Array ? ["bytes", ...e.data] : e.data]));
      const first = s.send("queued before open");
      await until(s, "open");
      const buf = new Uint8Array([9, 0, 1, 255, 128, 7]);
      const results = [
        first,
        s.send("hello"),
        s.send(JSON.stringify({ type: "x", data: 1 })), // looks like v1: still raw
        s.send('{"type":"ping"}'), // not answered, not swallowed: no envelope in raw mode
        s.send(new Uint8Array([0, 1, 255])),
        s.send(buf.buffer.slice(0, 2)), // ArrayBuffer
        s.send(new DataView(buf.buffer, 2, 3)), // a view with an offset: only its bytes
        s.send(""),
      ];
      buf[2] = 42; // the copy was taken at send(): the frame stays [1, 255, 128]
      const errs = {};
      const err = (f) => { try { f(); return "none"; } catch (e) { return `${e.constructor.name}: ${e.message}`; } };
      errs.request = err(() => s.request("echo", 1));
      errs.sendObj = err(() => s.send({ type: "x" }));
      errs.sendNum = err(() => s.send(5));
      await new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`only ${log.length} events: ${JSON.stringify(log)}`)), 5000);
        const check = () => (log.length >= 16 ? (clearTimeout(t), res()) : setTimeout(check, 5));
        check();
      });
      return { log, typed, results, errs, sent, metrics: s.metrics() };
    } finally {
      s.free();
    }
  }, { t: tag("raw") });
  const frames = [
    "queued before open",
    "hello",
    '{"type":"x","data":1}',
    '{"type":"ping"}',
    ["bytes", 0, 1, 255],
    ["bytes", 9, 0],
    ["bytes", 1, 255, 128],
    "",
  ];
  assert.deepEqual(r.log, frames.flatMap((f) => [["message", null, f], ["raw", f]]));
  assert.equal(r.typed, 0, "typed handlers never fire in raw mode");
  assert.deepEqual(r.results, ["queued", "sent", "sent", "sent", "sent", "sent", "sent", "sent"]);
  assert.match(r.errs.request, /^TypeError: .*raw/);
  assert.match(r.errs.sendObj, /^TypeError: .*send: data must be a string, ArrayBuffer, ArrayBufferView or Blob, got object/);
  assert.match(r.errs.sendNum, /^TypeError: .*got number/);
  assert.deepEqual(r.sent, [[null, "queued before open"]], "a sent event per queued frame");
  assert.equal(r.metrics.messagesIn, 8);
  assert.equal(r.metrics.messagesOut, 8);
});

test("raw: the heartbeat is off unless a ping is given", async () => {
  const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
    // /ws/silent never answers: a heartbeat would time out after 30 + 60 ms.
    const s = new SteadySocket(ws(args.t, "/ws/silent"), { protocol: "raw", heartbeat: { intervalMs: 30, timeoutMs: 60 } });
    const d = new SteadySocket(ws(args.t, "/ws/silent"), { protocol: "raw" });
    try {
      const errors = [];
      s.on("error", (e) => errors.push(e));
      d.on("error", (e) => errors.push(e));
      await until(s, "open");
      if (d.state !== "open") await until(d, "open");
      // A negative check has to wait: 10 intervals, over 5 timeouts.
      await new Promise((res) => setTimeout(res, 300));
      return { errors, states: [s.state, d.state], out: [s.metrics().bytesOut, d.metrics().bytesOut] };
    } finally {
      s.free();
      d.free();
    }
  }, { t: tag("rawoff") });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.states, ["open", "open"]);
  assert.deepEqual(r.out, [0, 0], "no ping was sent");
});

test("raw: heartbeat.pong (string, RegExp, function) swallows the answers; a throwing matcher is a protocol error", async () => {
  const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const out = {};
    // /ws/raw echoes: the answer to the ping "hb" is "hb".
    const matchers = {
      string: "hb",
      regexp: /^hb$/g, // global: lastIndex must not make every other test fail
      fn: (d) => d === "hb",
    };
    for (const [name, pong] of Object.entries(matchers)) {
      const s = new SteadySocket(ws(args.t, "/ws/raw"), { protocol: "raw", heartbeat: { ping: "hb", pong, intervalMs: 20, timeoutMs: 1000 } });
      try {
        const seen = [];
        const errors = [];
        s.on("message", (m) => seen.push(m.data));
        s.on("error", (e) => errors.push(e));
        await until(s, "open");
        for (let i = 0; i < 4; i++) await until(s, "rtt");
        s.send("app");
        s.send(new Uint8Array([104, 98])); // the bytes of "hb": binary is not the pong
        await until(s, "message", (m) => m.data instanceof Uint8Array);
        out[name] = { seen: seen.map((d) => (typeof d == "string" ? d : Array.from(d))), errors, reconnects: s.metrics().reconnects };
      } finally {
        s.free();
      }
    }
    const t = new SteadySocket(ws(args.t, "/ws/raw"), { protocol: "raw", heartbeat: { ping: "hb", pong: (d) => { if (d === "bad") throw new Error("matcher broke"); return d === "hb"; } } });
    try {
      await until(t, "open");
      const err = until(t, "error");
      t.send("bad");
      out.thrown = await err;
      t.send("after");
      out.after = (await until(t, "message")).data;
      out.throwState = t.state;
      out.throwReconnects = t.metrics().reconnects;
    } finally {
      t.free();
    }
    return out;
  }, { t: tag("rawpong") });
  for (const name of ["string", "regexp", "fn"]) {
    assert.deepEqual(r[name].seen, ["app", [104, 98]], name);
    assert.deepEqual(r[name].errors, [], name);
    assert.equal(r[name].reconnects, 0, name);
  }
  assert.equal(r.thrown.kind, "protocol");
  assert.match(r.thrown.message, /heartbeat\.pong threw/);
  assert.equal(r.after, "after", "the socket keeps going after a throwing matcher");
  assert.equal(r.throwState, "open");
  assert.equal(r.throwReconnects, 0);
});

test("raw: frames sent while disconnected are queued and flushed in order on reconnect", async () => {
  const t = tag("rawq");
  await inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t, "/ws/raw"), { protocol: "raw", reconnect: { minDelayMs: 20, maxDelayMs: 60 } });
    window.__rawq = s;
    window.__rawqIn = [];
    s.on("message", (m) => window.__rawqIn.push(typeof m.data == "string" ? m.data : Array.from(m.data)));
    await until(s, "open");
    s.send("before");
    await until(s, "message");
  }, { t });
  await control("refuse", { ms: 60_000, tag: t, drop: 1 });
  const queued = await inPage(async ({ until }) => {
    const s = window.__rawq;
    if (s.state === "open") await until(s, "state", (e) => e.to !== "open");
    const r = [s.send("a"), s.send(new Uint8Array([1, 2])), s.send("b"), s.send("c")];
    return { r, queued: s.queued, state: s.state };
  });
  assert.deepEqual(queued.r, ["queued", "queued", "queued", "queued"]);
  assert.equal(queued.queued, 4);
  assert.notEqual(queued.state, "open");
  await control("refuse", { ms: 0, tag: t });
  const got = await inPage(async () => {
    const s = window.__rawq;
    await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`got ${JSON.stringify(window.__rawqIn)}`)), 5000);
      const check = () => (window.__rawqIn.length >= 5 ? (clearTimeout(t), res()) : setTimeout(check, 5));
      check();
    });
    const out = { frames: window.__rawqIn, queued: s.queued, reconnects: s.metrics().reconnects };
    s.free();
    return out;
  });
  assert.deepEqual(got.frames, ["before", "a", [1, 2], "b", "c"]);
  assert.equal(got.queued, 0);
  assert.equal(got.reconnects, 1);
});

test("codec: typed handlers, message/sent events, requests, binary frames, decode → null is raw", async () => {
  const r = await inPage(async ({ SteadySocket, wsBase, until, args }) => {
    const codec = new Function("return " + args.codec)();
    const s = new SteadySocket(`${wsBase}/ws/events`, { protocol: codec, heartbeat: false });
    try {
      const out = { typed: [], messages: [], sent: [], raw: [], errors: [] };
      s.onMessage("greet", (d) => out.typed.push(d));
      s.on("message", (m) => out.messages.push(m));
      s.on("sent", (e) => out.sent.push(e));
      s.on("raw", (d) => out.raw.push(d));
      s.on("error", (e) => out.errors.push(e));
      out.first = s.send("greet", { a: 1 }); // queued, encoded now
      await until(s, "open");
      await until(s, "message", (m) => m.type === "greet");
      out.echo = await s.request("echo", { x: [1, 2] });
      out.nullData = await s.request("echo");
      out.remote = await s.request("nope", 1).then((v) => ({ resolved: v }), (e) => ({ kind: e.kind, message: e.message }));
      out.concurrent = await Promise.all([1, 2, 3, 4, 5].map((n) => s.request("echo", n)));
      const bin = until(s, "message", (m) => m.type === "bin");
      out.binSent = s.send("bin", [0, 200, 255]); // encode returns a Uint8Array
      out.bin = (await bin).data;
      const raw = until(s, "raw");
      s.sendRaw("not json"); // echoed; decode → null: a raw frame, no message event
      out.rawFrame = await raw;
      out.metrics = s.metrics();
      return out;
    } finally {
      s.free();
    }
  }, { codec: EVENTS_CODEC });
  assert.equal(r.first, "queued");
  assert.deepEqual(r.typed, [{ a: 1 }]);
  assert.deepEqual(r.messages.filter((m) => m.type === "greet"), [{ type: "greet", data: { a: 1 } }]);
  assert.deepEqual(r.echo, { x: [1, 2] });
  assert.equal(r.nullData, null);
  assert.deepEqual(r.remote, { kind: "remote", message: "unknown event: nope" });
  assert.deepEqual(r.concurrent, [1, 2, 3, 4, 5]);
  assert.equal(r.binSent, "sent");
  assert.deepEqual(r.bin, [0, 200, 255]);
  assert.equal(r.rawFrame, "not json");
  assert.ok(!r.messages.some((m) => m.data === "not json" || m.type === null), JSON.stringify(r.messages));
  assert.deepEqual(r.sent[0], { type: "greet", data: { a: 1 } }, "sent events decode the frame with the codec");
  assert.deepEqual(r.errors, []);
});

test("codec: encode that throws or returns a non-frame makes send/request throw; the socket keeps going", async () => {
  const r = await inPage(async ({ SteadySocket, wsBase, until, args }) => {
    const base = new Function("return " + args.codec)();
    const codec = {
      encode(m) {
        if (m.type === "throw") throw new RangeError("cannot encode this");
        if (m.type === "number") return 42;
        if (m.type === "array") return [1, 2];
        return base.encode(m);
      },
      decode: base.decode,
    };
    const s = new SteadySocket(`${wsBase}/ws/events`, { protocol: codec, heartbeat: false });
    try {
      await until(s, "open");
      const err = (f) => { try { f(); return "none"; } catch (e) { return `${e.constructor.name}: ${e.message}`; } };
      const out = {
        sendThrow: err(() => s.send("throw", 1)),
        sendNumber: err(() => s.send("number", 1)),
        sendArray: err(() => s.send("array", 1)),
        requestThrow: err(() => s.request("throw", 1)),
        requestNumber: err(() => s.request("number", 1)),
      };
      out.before = s.metrics().messagesOut;
      out.echo = await s.request("echo", "still fine");
      out.after = s.metrics().messagesOut;
      out.state = s.state;
      return out;
    } finally {
      s.free();
    }
  }, { codec: EVENTS_CODEC });
  assert.match(r.sendThrow, /^TypeError: .*protocol\.encode threw: .*cannot encode this/);
  assert.match(r.sendNumber, /^TypeError: .*protocol\.encode must return a string or a Uint8Array, got number/);
  assert.match(r.sendArray, /^TypeError: .*protocol\.encode must return a string or a Uint8Array, got array/);
  assert.match(r.requestThrow, /^TypeError: .*protocol\.encode threw/);
  assert.match(r.requestNumber, /^TypeError: .*got number/);
  assert.equal(r.before, 0, "nothing was sent by the failed calls");
  assert.equal(r.echo, "still fine");
  assert.equal(r.after, 1);
  assert.equal(r.state, "open");
});

test("codec: a binary-only codec works with heartbeat: false (as the encode error advises)", async () => {
  const r = await inPage(async ({ SteadySocket, wsBase, until }) => {
    // Frames are bytes [type length, ...type, ...data]; no text at all.
    const enc = new TextEncoder(), dec = new TextDecoder();
    const codec = {
      encode: (m) => { const t = enc.encode(m.type); return new Uint8Array([t.length, ...t, ...(m.data ?? [])]); },
      decode: (f) => ({ type: dec.decode(f.subarray(1, 1 + f[0])), data: Array.from(f.subarray(1 + f[0])) }),
    };
    const out = {};
    try {
      new SteadySocket("ws://127.0.0.1:1/never", { protocol: codec }).free();
      out.withHeartbeat = "no exception";
    } catch (e) {
      out.withHeartbeat = `${e.constructor.name}: ${e.message}`;
    }
    let s;
    try {
      s = new SteadySocket(`${wsBase}/ws/events`, { protocol: codec, heartbeat: false });
    } catch (e) {
      out.construct = `${e.constructor.name}: ${e.message}`;
      return out;
    }
    try {
      await until(s, "open");
      const got = new Promise((res) => s.onMessage("blob", res));
      s.send("blob", [1, 2, 3]);
      out.data = await got;
      return out;
    } finally {
      s.free();
    }
  });
  assert.match(r.withHeartbeat, /^TypeError: .*`protocol\.encode`.*heartbeat: false/);
  assert.equal(r.construct, undefined, `construction failed: ${r.construct}`);
  assert.deepEqual(r.data, [1, 2, 3]);
});

test("codec: its heartbeat pings and reads pongs, and it answers the peer's ping", async () => {
  const r = await inPage(async ({ SteadySocket, wsBase, until, args }) => {
    const codec = new Function("return " + args.codec)();
    const s = new SteadySocket(`${wsBase}/ws/events`, { protocol: codec, heartbeat: { intervalMs: 20, timeoutMs: 1000 } });
    try {
      const seen = [];
      const errors = [];
      s.on("message", (m) => seen.push(m.type));
      s.on("error", (e) => errors.push(e));
      await until(s, "open");
      for (let i = 0; i < 3; i++) await until(s, "rtt");
      // The server pings ({"event":"ping"}); the client's answer encode({type:"pong"}) makes it
      // send {"event":"ponged"}.
      const ponged = new Promise((res) => s.onMessage("ponged", res));
      s.send("pingme");
      await ponged;
      return { seen, errors, state: s.state, reconnects: s.metrics().reconnects };
    } finally {
      s.free();
    }
  }, { codec: EVENTS_CODEC });
  assert.deepEqual(r.seen, ["ponged"], "pings and pongs are not delivered");
  assert.deepEqual(r.errors, []);
  assert.equal(r.state, "open");
  assert.equal(r.reconnects, 0);
});

test("codec: a throwing decode is a protocol error and the socket keeps going", async () => {
  const r = await inPage(async ({ SteadySocket, wsBase, until, args }) => {
    const codec = new Function("return " + args.codec)();
    const s = new SteadySocket(`${wsBase}/ws/events`, { protocol: codec, heartbeat: false });
    try {
      const delivered = [];
      s.on("message", (m) => delivered.push(m));
      s.on("raw", (d) => delivered.push(["raw", d]));
      await until(s, "open");
      const err = until(s, "error");
      s.sendRaw("boom"); // echoed; decode throws
      const e = await err;
      const echo = await s.request("echo", 7);
      return { kind: e.kind, message: e.message, echo, delivered, state: s.state, reconnects: s.metrics().reconnects };
    } finally {
      s.free();
    }
  }, { codec: EVENTS_CODEC });
  assert.equal(r.kind, "protocol");
  assert.match(r.message, /protocol\.decode threw/);
  assert.equal(r.echo, 7);
  assert.deepEqual(r.delivered, [], "the undecodable frame is not delivered");
  assert.equal(r.state, "open");
  assert.equal(r.reconnects, 0);
});

test("heartbeat timeout against a peer that never answers: advice, then a reconnect", async () => {
  const codec = EVENTS_CODEC;
  const r = await inPage(async ({ SteadySocket, ws, until, args }) => {
    const out = {};
    const kinds = {
      v1: {},
      raw: { protocol: "raw", heartbeat: { ping: "hb?", pong: "hb!" } },
      codec: { protocol: new Function("return " + args.codec)() },
    };
    for (const [name, o] of Object.entries(kinds)) {
      const opts = { ...o, heartbeat: { ...(o.heartbeat ?? {}), intervalMs: 20, timeoutMs: 80 }, reconnect: { minDelayMs: 10, maxDelayMs: 20 } };
      const s = new SteadySocket(ws(args.t, "/ws/silent"), opts);
      try {
        const events = [];
        for (const ev of ["open", "close", "reconnecting", "error"]) s.on(ev, (e) => events.push(ev + (ev === "error" ? ":" + e.kind : "")));
        await until(s, "open");
        const e = await until(s, "error", () => true, 3000);
        const reopened = await until(s, "open", () => true, 3000);
        out[name] = { kind: e.kind, message: e.message, events, reconnected: reopened.reconnected };
      } finally {
        s.free();
      }
    }
    return out;
  }, { t: tag("hbdead"), codec });
  for (const [name, ping] of [["v1", '{"type":"ping"}'], ["raw", "hb?"], ["codec", '{"event":"ping"}']]) {
    const x = r[name];
    assert.equal(x.kind, "heartbeat-timeout", name);
    assert.ok(x.message.includes("80 ms"), `${name}: ${x.message}`);
    assert.ok(x.message.includes(ping), `${name}: the ping is named: ${x.message}`);
    assert.ok(x.message.includes("heartbeat.ping"), `${name}: ${x.message}`);
    assert.ok(x.message.includes("heartbeat: false"), `${name}: ${x.message}`);
    assert.ok(x.message.includes("never answered"), `${name}: ${x.message}`);
    assert.deepEqual(x.events.slice(0, 4), ["open", "error:heartbeat-timeout", "close", "reconnecting"], name);
    assert.equal(x.reconnected, true, name);
  }
});

test("heartbeat timeout after the peer answered before: no advice to change the ping", async () => {
  const t = tag("hbfrozen");
  const pending = inPage(async ({ SteadySocket, ws, until, args }) => {
    const s = new SteadySocket(ws(args.t), { heartbeat: { intervalMs: 20, timeoutMs: 150 }, reconnect: false });
    try {
      await until(s, "open");
      await until(s, "rtt"); // the server answered a ping
      window.__frozen = true;
      const e = await until(s, "error", () => true, 5000);
      return { kind: e.kind, message: e.message };
    } finally {
      s.free();
    }
  }, { t });
  await waitFor(() => page.evaluate(() => window.__frozen === true), 5000, { message: "first rtt" });
  await control("halfopen", { tag: t, ms: 5000 });
  const r = await pending;
  assert.equal(r.kind, "heartbeat-timeout");
  assert.match(r.message, /150 ms\) after a ping/);
  assert.ok(!r.message.includes("heartbeat: false"), r.message);
});

test("no page errors", () => {
  // Chromium logs every refused upgrade (the queue test's 503s) as a console error.
  assert.deepEqual(errors.filter((e) => !/WebSocket connection to .* failed/.test(e)), []);
});

test("handshakeTimeoutMs: a STOMP CONNECT the peer never answers is a \"handshake\" error, then a retry", async () => {
  const r = await inPage(async ({ wsBase }) => {
    const { default: init, StompClient } = await import("/pkg/stomp/stomp.js");
    await init();
    const c = new StompClient(`${wsBase}/ws/silent`, { handshakeTimeoutMs: 100, reconnect: { minDelayMs: 10, maxDelayMs: 20 } });
    const events = [];
    for (const ev of ["open", "error", "reconnecting"]) c.on(ev, (e) => events.push(ev === "error" ? `error:${e.kind}` : ev));
    const t0 = performance.now();
    try {
      const e = await new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no error: ${events}`)), 3000);
        c.on("error", (e) => { clearTimeout(t); res(e); });
      });
      const ms = performance.now() - t0;
      await new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no retry: ${events}`)), 3000);
        c.on("reconnecting", () => { clearTimeout(t); res(); });
      });
      return { kind: e.kind, message: e.message, ms, events, state: c.state };
    } finally {
      c.free();
    }
  });
  assert.equal(r.kind, "handshake", r.message);
  assert.ok(r.ms >= 90 && r.ms < 2000, `after ${r.ms} ms`);
  assert.ok(!r.events.includes("open"), "never open: the handshake was not answered");
  assert.equal(r.events[0], "error:handshake");
  assert.ok(r.events.includes("reconnecting"));
});
