// Smoke check of the test broker (scripts/rabbitmq.sh), from Node with raw STOMP 1.2 frames
// over Web-STOMP: CONNECT → CONNECTED (heart-beat negotiated), SUBSCRIBE + SEND of a binary
// body with a NUL inside (content-length) and a receipt → RECEIPT + the same bytes in a
// MESSAGE; DISCONNECT → the broker closes with 1000. Seen here: RabbitMQ 3.10.8 Web-STOMP answers
// a DISCONNECT that asks for a receipt by closing the socket (1000 "STOMP died") without the
// RECEIPT frame, so a client must treat that close as the end of a clean DISCONNECT. It checks the broker setup the STOMP client will be tested against (binary
// WebSocket frames, loopback Web-STOMP, guest login); it is not a test of steadysocket.
// Usage: node --experimental-websocket tests/peers/rabbitmq-smoke.mjs [ws://127.0.0.1:15674/ws]
import assert from "node:assert/strict";

const url = process.argv[2] || "ws://127.0.0.1:15674/ws";
const enc = new TextEncoder();
const dec = new TextDecoder();
const frame = (cmd, headers, body = new Uint8Array()) => {
  const head = enc.encode(`${cmd}\n${Object.entries(headers).map(([k, v]) => `${k}:${v}\n`).join("")}\n`);
  const out = new Uint8Array(head.length + body.length + 1);
  out.set(head);
  out.set(body, head.length);
  return out; // last byte 0: the NUL terminator
};
/** Parses one STOMP frame (command, headers, body bytes) from a binary message. */
const parse = (buf) => {
  const bytes = new Uint8Array(buf);
  let i = 0;
  while (bytes[i] === 10 || bytes[i] === 13) i++; // heart-beats / leading EOLs
  if (i >= bytes.length) return null;
  const text = dec.decode(bytes.subarray(i));
  const sep = text.indexOf("\n\n");
  const [cmd, ...lines] = text.slice(0, sep).split("\n");
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]));
  const headLen = enc.encode(text.slice(0, sep + 2)).length;
  const len = headers["content-length"] !== undefined ? Number(headers["content-length"]) : bytes.indexOf(0, i + headLen) - (i + headLen);
  return { cmd, headers, body: bytes.slice(i + headLen, i + headLen + len) };
};

const ws = new WebSocket(url, ["v12.stomp"]);
ws.binaryType = "arraybuffer";
const frames = [];
let wake = () => {};
let closed;
const closedP = new Promise((r) => (closed = r));
ws.onclose = (e) => { if (process.env.DEBUG) console.error("close", e.code, e.reason); closed(e); };
ws.onmessage = (e) => {
  if (process.env.DEBUG) console.error("msg", JSON.stringify(typeof e.data === "string" ? e.data : dec.decode(e.data)));
  const f = parse(typeof e.data === "string" ? enc.encode(e.data).buffer : e.data);
  if (f) { frames.push(f); wake(); }
};
const next = (cmd, ms = 5000) => new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error(`no ${cmd} within ${ms} ms (got ${frames.map((f) => f.cmd)})`)), ms);
  const check = () => {
    const i = frames.findIndex((f) => f.cmd === cmd || f.cmd === "ERROR");
    if (i < 0) return;
    clearTimeout(t);
    const [f] = frames.splice(i, 1);
    if (f.cmd === "ERROR") reject(new Error(`ERROR ${JSON.stringify(f.headers)} ${dec.decode(f.body)}`));
    else resolve(f);
  };
  wake = check;
  check();
});
await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error(`cannot open ${url}`)); });
assert.equal(ws.protocol, "v12.stomp");
ws.send(frame("CONNECT", { "accept-version": "1.2", host: "/", login: "guest", passcode: "guest", "heart-beat": "2000,2000" }));
const connected = await next("CONNECTED");
assert.equal(connected.headers.version, "1.2");
assert.equal(connected.headers["heart-beat"], "2000,2000");
const q = `/queue/smoke-${process.pid}`;
ws.send(frame("SUBSCRIBE", { id: "0", destination: q, ack: "auto", "auto-delete": "true", durable: "false" }));
const body = new Uint8Array([0, 1, 2, 255, 0, 42]);
ws.send(frame("SEND", { destination: q, "content-type": "application/octet-stream", "content-length": body.length, receipt: "r1" }, body));
const receipt = await next("RECEIPT");
assert.equal(receipt.headers["receipt-id"], "r1");
const msg = await next("MESSAGE");
assert.deepEqual([...msg.body], [...body]);
ws.send(frame("DISCONNECT", { receipt: "bye" }));
const bye = await Promise.race([closedP, new Promise((_, rej) => setTimeout(() => rej(new Error("no close after DISCONNECT")), 5000))]);
assert.equal(bye.code, 1000);
console.log(`rabbitmq smoke: ok (${url}, STOMP ${connected.headers.version}, server ${connected.headers.server}, heart-beat ${connected.headers["heart-beat"]}, binary body ${body.length} B round trip)`);
