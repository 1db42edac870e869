// R6: oversized and malformed inbound frames. What's tested (visible tab, the built package):
// - socket A (protocol v1, maxMessageBytes 64 KiB) on the server's /ws/raw, which echoes every
//   frame verbatim, so the client receives exactly the frames it crafts: invalid JSON, empty,
//   non-object JSON, bad `type`/`replyTo`/`id` values, lone surrogates, NULs and raw control
//   characters, 1e999 and -0, duplicate keys, `__proto__`/`constructor` types and keys, a
//   50 000-character type, JSON nested 30 000 deep (arrays) and 9 000 (objects), frames over
//   maxMessageBytes (text and binary), invalid UTF-8 and random bytes in binary frames;
//   each frame ends in exactly one outcome (message, raw, or error event), A never closes and
//   still works afterwards (an event echoed back); Object.prototype unpolluted;
// - socket B on /ws: the server's /control/garbage sequence (ends with `garbage-done`), an
//   8 MB JSON reply (`big`), then an outbound frame over the server's limit (close 1009), after
//   which B reconnects and a request still gets its reply.
// Invalid UTF-8 in a *text* frame is not covered: the reference server cannot send one, and a
// browser fails such a connection itself (close 1007: then it is a reconnect, covered by R1).
// Usage: node tests/chaos/r6-malformed.mjs

import assert from "node:assert/strict";
import { launchBrowser, openPage } from "../e2e/helpers.mjs";
import { Server, cleanupOnExit, freePort, round, writeResult } from "./lib.mjs";

const server = new Server({ port: await freePort(), name: "r6" });
cleanupOnExit(server);
process.env.STEADYSOCKET_SERVER = server.url;
await server.start();
const browser = await launchBrowser();
const t0 = Date.now();
try {
  const { page, errors } = await openPage(browser, "/harness.html");
  await page.waitForFunction(() => document.title === "ready", null, { timeout: 20_000 });
  const got = await page.evaluate(async (wsBase) => {
    const { SteadySocket } = window.steady;
    const tag = `r6-${Date.now()}`;
    const track = (s) => {
      const r = { errors: {}, closes: [], messages: 0, raw: 0, types: new Set(), handlerThrows: 0 };
      s.on("error", (e) => (r.errors[e.kind] = (r.errors[e.kind] ?? 0) + 1));
      s.on("close", (e) => r.closes.push(e.code));
      s.on("message", (m) => {
        r.messages++;
        r.types.add(typeof m.type === "string" ? m.type.slice(0, 40) : String(m.type));
      });
      s.on("raw", () => r.raw++);
      return r;
    };
    const next = (s, event, pred = () => true, ms = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => (off(), reject(new Error(`no ${event} within ${ms} ms`))), ms);
        const off = s.on(event, (e) => pred(e) && (clearTimeout(timer), off(), resolve(e)));
      });

    // --- A: crafted frames echoed verbatim by /ws/raw ------------------------------------
    const LIMIT = 65536;
    const a = new SteadySocket(`${wsBase}/ws/raw?tag=${tag}a`, { maxMessageBytes: LIMIT, heartbeat: false });
    const ra = track(a);
    // handlers on odd types, like an app keyed by type would have
    for (const t of ["__proto__", "constructor", "hasOwnProperty", "toString", "x"]) a.onMessage(t, () => {});
    await next(a, "open");
    const deepArr = (d) => `{"type":"deep","data":${"[".repeat(d)}${"]".repeat(d)}}`;
    const deepObj = (d) => `{"type":"deep","data":${'{"a":'.repeat(d)}1${"}".repeat(d)}}`;
    const text = [
      "not json {", "", " ", "[1,2,3]", "null", "42", '"str"', "true", "{", "}", "{}",
      '{"type":42}', '{"type":null}', '{"type":""}', '{"type":["a"]}', '{"type":{}}',
      '{"replyTo":"x"}', '{"replyTo":-1,"data":1}', '{"replyTo":1.5}', '{"replyTo":1e300}',
      '{"replyTo":999999,"data":null}', '{"replyTo":9007199254740993}', '{"replyTo":1,"error":"x"}',
      '{"type":"__proto__","data":{"x":1}}', '{"type":"x","data":{"__proto__":{"polluted":1}}}',
      '{"__proto__":{"polluted":1},"type":"x"}', '{"type":"constructor"}', '{"type":"hasOwnProperty","data":1}',
      '{"type":"toString","data":1}', '{"type":"s","data":"\\ud800"}', '{"type":"\\udfff"}',
      '{"type":"nul","data":"a\\u0000b"}', '{"type":"c","data":"a\u0001b"}', '{"type":"num","data":1e999}',
      '{"type":"num","data":-0}', '{"type":"a","type":"b"}', '{"type":"x","id":1e300,"data":1}',
      '{"type":"x","id":-1}', '{"type":"x","id":9007199254740993}', '{"type":"x","id":"7"}',
      '{"type":"x","id":5,"data":1}', `{"type":"${"t".repeat(50_000)}"}`, '{"type":"x"} trailing',
      '\ufeff{"type":"bom"}', '{"type":"x","data":' + "1".repeat(5000) + "}",
      deepArr(30_000), deepObj(9_000), deepArr(1000), deepObj(1000),
      `{"type":"big","data":"${"x".repeat(100_000)}"}`, // over maxMessageBytes
    ];
    const bytes = (n, f) => Uint8Array.from({ length: n }, (_, i) => f(i));
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    const binary = [
      Uint8Array.of(0xff, 0xfe, 0xc3, 0x28), Uint8Array.of(0xed, 0xa0, 0x80), new Uint8Array(0),
      new TextEncoder().encode('{"type":"x","data":1}'), bytes(4096, rnd), bytes(100_000, rnd), // over the limit
    ];
    for (const f of text) a.sendRaw(f);
    for (const b of binary) a.sendRaw(b);
    const mark = `alive-${Math.random()}`;
    a.send("alive", { mark });
    const alive = await next(a, "message", (m) => m.type === "alive" && m.data?.mark === mark);
    const A = {
      ...ra, types: ra.types.size, framesSent: text.length + binary.length, alive: !!alive,
      state: a.state, polluted: Object.prototype.polluted !== undefined || {}.x !== undefined,
    };
    a.free();

    // --- B: /control/garbage, an 8 MB reply, an outbound frame over the server limit ------
    const b = new SteadySocket(`${wsBase}/ws?tag=${tag}b`, { heartbeat: false });
    const rb = track(b);
    await next(b, "open");
    const done = next(b, "message", (m) => m.type === "garbage-done");
    await fetch(`/control/garbage?tag=${tag}b`, { method: "POST" });
    await done;
    const big = await b.request("big", { bytes: 8_000_000 }, { timeoutMs: 30_000 });
    const echo1 = await b.request("echo", { k: 1 });
    const closesBefore = rb.closes.length;
    const closed = next(b, "close");
    const reopened = next(b, "open");
    b.send("huge", { pad: "x".repeat(2 * 1024 * 1024) }); // over the server's 1 MiB: close 1009
    const closeEv = await closed;
    await reopened;
    const echo2 = await b.request("echo", { k: 2 });
    const B = {
      ...rb, types: rb.types.size, bigReplyChars: big.length, echoBefore: echo1?.k, echoAfter: echo2?.k,
      closesBeforeOversizedSend: closesBefore, oversizedSendClose: closeEv.code, state: b.state,
    };
    b.free();
    return { A, B };
  }, server.url.replace(/^http/, "ws"));

  const result = { durationS: round((Date.now() - t0) / 1000, 1), ...got, pageErrors: errors };
  console.log(`[r6] ${JSON.stringify(result)}`);
  writeResult("r6-malformed", result);
  const { A, B } = got;
  assert.deepEqual(errors, [], "no page errors");
  assert.deepEqual(A.closes, [], "A: malformed inbound frames never closed the connection");
  assert.ok(A.alive && A.state === "open", "A: still works afterwards");
  assert.equal(A.polluted, false, "Object.prototype not polluted");
  assert.equal(A.errors["message-too-big"], 2, "A: both oversized frames refused with message-too-big");
  assert.ok(A.errors.protocol >= 5, `A: bad replyTo frames are protocol errors (${A.errors.protocol})`);
  assert.ok(A.raw > 0 && A.messages > 0, "A: raw frames and messages delivered");
  const outcomes = A.messages + A.raw + A.errors["message-too-big"] + A.errors.protocol;
  assert.equal(outcomes, A.framesSent + 1, "A: every frame (and the final event) has exactly one outcome");
  assert.equal(B.closesBeforeOversizedSend, 0, "B: garbage and a huge reply did not close it");
  assert.equal(B.bigReplyChars, 8_000_000);
  assert.equal(B.echoBefore, 1);
  assert.equal(B.oversizedSendClose, 1009, "B: the server refused the oversized frame (1009)");
  assert.equal(B.echoAfter, 2, "B: works again after the reconnect");
  assert.ok(B.errors.protocol >= 1, "B: the garbage's bad replyTo frames are protocol errors");
} finally {
  await browser.close();
  await server.kill();
}
