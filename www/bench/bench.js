// The bench page's harness: contender adapters and the measurements, exposed as
// window.bench for tests/bench/run.mjs (which does the repetitions, medians and ratios).
// Every timing here is performance.now() (5 µs under cross-origin isolation).
import { probe } from "./probe.js"; // first: wraps WebSocket before any contender loads

const status = (s) => { document.getElementById("status").textContent = s; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

let libs = null;
let sioBase = null; // http://127.0.0.1:PORT of the socket.io server

/** Loads steadysocket (/pkg/) and the bundled contenders (/bench/vendor/). */
async function load({ sio, baseline }) {
  sioBase = sio;
  const t = now();
  const ss = await import("/pkg/steadysocket.js");
  const wasm = await ss.default();
  // An earlier build of steadysocket (BENCH_BASELINE_PKG), measured side by side.
  let Base = null;
  if (baseline) {
    const b = await import("/pkg/baseline/steadysocket.js");
    await b.default();
    Base = b.SteadySocket;
  }
  const [rws, party, sioc] = await Promise.all([
    import("./vendor/reconnecting-websocket.js"),
    import("./vendor/partysocket.js"),
    import("./vendor/socket.io-client.js"),
  ]);
  libs = { SteadySocket: ss.SteadySocket, Base, wasm, RWS: rws.default, Party: party.default, io: sioc.io };
  status("ready");
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    userAgent: navigator.userAgent,
    loadMs: now() - t,
    timerResolutionUs: timerResolution() * 1000,
    preciseMemory: !!performance.memory,
  };
}

/** Smallest non-zero step of performance.now() seen over many calls (ms). */
function timerResolution() {
  let min = Infinity, last = now();
  for (let i = 0; i < 200000; i++) {
    const t = now();
    if (t !== last) { min = Math.min(min, t - last); last = t; }
  }
  return min;
}

const wsUrl = (tag) => `ws://${location.host}/ws?tag=${encodeURIComponent(tag)}`;

// ---- contenders --------------------------------------------------------------------------
// create(tag, {onEcho, onOpen, onClose}, {sioTransports}) -> {send(data), close(), state()}
// Every contender sends the typed event {type:"echo", data} (socket.io: emit("echo", data))
// and hands each echoed `data` object to onEcho.
function jsonCodec(onEcho) {
  return (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === "echo") onEcho(m.data);
  };
}
const contenders = {
  raw: {
    create(tag, h) {
      const ws = new WebSocket(wsUrl(tag));
      ws.onmessage = jsonCodec(h.onEcho);
      ws.onopen = () => h.onOpen?.();
      ws.onclose = () => h.onClose?.();
      return {
        send: (data) => ws.send(JSON.stringify({ type: "echo", data })),
        close: () => ws.close(),
      };
    },
  },
  steadysocket: { create: (tag, h, opts) => ssLike(libs.SteadySocket, tag, h, opts) },
  "steadysocket@baseline": { create: (tag, h, opts) => ssLike(libs.Base, tag, h, opts) },
  "reconnecting-websocket": { create: (tag, h) => rwsLike(new libs.RWS(wsUrl(tag)), h) },
  partysocket: { create: (tag, h) => rwsLike(new libs.Party(wsUrl(tag)), h) },
  "socket.io-client": {
    create(tag, h, opts = {}) {
      const s = libs.io(sioBase, {
        forceNew: true,
        ...(opts.sioDefaultTransports ? {} : { transports: ["websocket"] }),
      });
      s.on("echo", h.onEcho);
      s.on("connect", () => h.onOpen?.());
      s.on("disconnect", () => h.onClose?.());
      return { send: (data) => s.emit("echo", data), close: () => s.disconnect() };
    },
  },
};
function ssLike(Cls, tag, h, opts = {}) {
  const s = new Cls(wsUrl(tag), opts.steadysocket);
  s.onMessage("echo", h.onEcho);
  s.on("open", () => h.onOpen?.());
  s.on("close", () => h.onClose?.());
  let notSent = 0;
  return {
    send: (data) => { if (s.send("echo", data) !== "sent") notSent++; },
    close: () => { s.close(); s.free(); },
    notSent: () => notSent,
    socket: s,
  };
}
function rwsLike(ws, h) {
  ws.addEventListener("message", jsonCodec(h.onEcho));
  ws.addEventListener("open", () => h.onOpen?.());
  ws.addEventListener("close", () => h.onClose?.());
  return { send: (data) => ws.send(JSON.stringify({ type: "echo", data })), close: () => ws.close() };
}

// ---- payloads ----------------------------------------------------------------------------
/** A typed message whose wire frame {"type":"echo","data":{...}} is about `bytes` long. */
function payload(i, bytes) {
  const base = { i, ts: 1700000000000 + i, user: "bench-user", text: "" };
  const overhead = JSON.stringify({ type: "echo", data: base }).length;
  base.text = "m".repeat(Math.max(0, bytes - overhead));
  return base;
}
/** A ~`bytes` structured document (array of records: the decode-heavy case for P6). */
function bigDoc(bytes) {
  const items = [];
  let len = 0;
  for (let i = 0; len < bytes - 200; i++) {
    const it = { id: i, name: `item-${i}`, price: Math.round(i * 137.31) / 100, tags: ["a", "bb", "ccc"], ok: i % 3 === 0, ref: null };
    items.push(it);
    len += JSON.stringify(it).length + 1;
  }
  return { kind: "snapshot", items };
}
const frameBytes = (data) => JSON.stringify({ type: "echo", data }).length;

// ---- control of the servers (page clock) -------------------------------------------------
async function control(contender, action, params) {
  const base = contender === "socket.io-client" ? sioBase : "";
  const q = new URLSearchParams(params);
  const res = await fetch(`${base}/control/${action}?${q}`, { method: "POST" });
  if (!res.ok) throw new Error(`control ${action}: ${res.status} ${await res.text()}`);
  return res.json();
}
async function until(pred, timeoutMs, what) {
  const t = now();
  while (!pred()) {
    if (now() - t > timeoutMs) throw new Error(`timeout waiting for ${what}`);
    await sleep(1);
  }
}
/** Resolves when `pred()` is true, checked on each echo (no polling delay). */
function waiter() {
  let resolve = null, pred = null;
  return {
    check() { if (pred && pred()) { const r = resolve; pred = resolve = null; r(); } },
    wait(p, timeoutMs, what) {
      if (p()) return Promise.resolve();
      return new Promise((res, rej) => {
        pred = p; resolve = res;
        setTimeout(() => { if (resolve === res) { pred = resolve = null; rej(new Error(`timeout: ${what}`)); } }, timeoutMs);
      });
    },
  };
}

// ---- P2/P3/P6: pipelined echo ------------------------------------------------------------
// setupEcho -> runEcho -> teardown, split so the driver can read CDP main-thread metrics
// around runEcho alone.
let cur = null;
async function setupEcho({ contender, n, bytes, big = false, probed = false, tag }) {
  probe.armed = probed;
  let received = 0, opened = false;
  const w = waiter();
  const conn = contenders[contender].create(tag, {
    onEcho: () => { received++; w.check(); },
    onOpen: () => { opened = true; w.check(); },
  });
  const datas = [];
  for (let i = 0; i < n; i++) datas.push(big ? bigDoc(bytes) : payload(i, bytes));
  cur = { contender, conn, datas, w, get received() { return received; } };
  // warm-up: wait for open, then 200 round trips (3 for big documents)
  await w.wait(() => opened, 15000, `${contender} open`);
  // disarm only now: steadysocket (microtask) and reconnecting-websocket/partysocket
  // (timer) construct their WebSocket after create() returns
  probe.armed = false;
  const warm = big ? 3 : 200;
  received = 0;
  for (let i = 0; i < warm; i++) conn.send(datas[i % n]);
  await w.wait(() => received >= warm, 30000, "warm-up echoes");
  await sleep(50);
  received = 0;
  probe.reset();
  return { frameBytes: frameBytes(datas[0]) };
}
async function runEcho() {
  const { conn, datas, w } = cur;
  const n = datas.length;
  probe.reset();
  const t0 = now();
  for (let i = 0; i < n; i++) conn.send(datas[i]);
  const t1 = now();
  await w.wait(() => cur.received >= n, 120000, `${n} echoes`);
  const t2 = now();
  return { ms: t2 - t0, sendLoopMs: t1 - t0, recvHandlerMs: probe.recvMs, handlerCalls: probe.calls, n, notSent: conn.notSent?.() ?? 0 };
}
async function teardown() {
  if (cur) { cur.conn.close(); cur = null; }
  await sleep(20);
}

// ---- P4: server restart -------------------------------------------------------------------
async function restart({ contender, backlog, downMs, bytes, tag }) {
  let received = 0, opens = 0, closes = 0;
  const w = waiter();
  const h = {
    onEcho: () => { received++; w.check(); },
    onOpen: () => { opens++; w.check(); },
    onClose: () => { closes++; w.check(); },
  };
  const datas = Array.from({ length: backlog }, (_, i) => payload(i, bytes));
  const ideal = contender === "raw";
  let conn = ideal ? null : contenders[contender].create(tag, h, { sioDefaultTransports: true });
  if (ideal) {
    conn = contenders.raw.create(tag, h);
  }
  await w.wait(() => opens >= 1, 15000, "first open");
  const tDown = now();
  await control(contender, "refuse", { ms: 600000, drop: 1, ...(contender === "socket.io-client" ? {} : { tag }) });
  await w.wait(() => closes >= 1, 15000, "close seen");
  // the backlog, sent while down (queued by the library; by the app for raw)
  const pending = [];
  if (ideal) for (const d of datas) pending.push(JSON.stringify({ type: "echo", data: d }));
  else for (const d of datas) conn.send(d);
  const left = downMs - (now() - tDown);
  if (left > 0) await sleep(left);
  await control(contender, "refuse", { ms: 0, ...(contender === "socket.io-client" ? {} : { tag }) });
  const t0 = now(); // the "port reopens" moment: the ack of refuse?ms=0
  let ws = null;
  if (ideal) {
    // the physical limit: a new WebSocket at once, backlog sent on open
    ws = new WebSocket(wsUrl(tag));
    ws.onopen = () => { opens++; for (const s of pending) ws.send(s); w.check(); };
    ws.onmessage = jsonCodec(h.onEcho);
  }
  await w.wait(() => opens >= 2, 30000, "re-open");
  const tOpen = now();
  await w.wait(() => received >= backlog, 30000, "backlog echoed");
  const tFlush = now();
  conn.close();
  ws?.close();
  return { openMs: tOpen - t0, flushMs: tFlush - t0, received, downMs };
}

// ---- P5: memory of a queued backlog ------------------------------------------------------
function heap() { return performance.memory.usedJSHeapSize; }
function wasmBytes() { return libs.wasm.memory.buffer.byteLength; }
async function settle() {
  for (let i = 0; i < 3; i++) { globalThis.gc(); await sleep(10); }
  globalThis.gc();
}
async function memory({ contender, n, bytes, tag }) {
  if (typeof globalThis.gc !== "function") throw new Error("gc() missing: launch with --js-flags=--expose-gc");
  let received = 0, opens = 0, closes = 0;
  const w = waiter();
  const h = {
    onEcho: () => { received++; w.check(); },
    onOpen: () => { opens++; w.check(); },
    onClose: () => { closes++; w.check(); },
  };
  const ideal = contender === "raw";
  // steadysocket's default queue holds 1000 messages / 1 MiB: raise both to hold n.
  const opts = { steadysocket: { queue: { maxMessages: n * 2, maxBytes: n * bytes * 4 } } };
  const conn = contenders[contender].create(tag, h, opts);
  await w.wait(() => opens >= 1, 15000, "first open");
  await control(contender, "refuse", { ms: 600000, drop: 1, ...(contender === "socket.io-client" ? {} : { tag }) });
  await w.wait(() => closes >= 1, 15000, "close seen");
  await settle();
  const h0 = heap(), w0 = wasmBytes();
  let queue = ideal ? [] : null; // raw: the app's own minimal queue, an array of JSON strings
  let wire = 0;
  for (let i = 0; i < n; i++) {
    const d = payload(i, bytes);
    if (ideal) { const s = JSON.stringify({ type: "echo", data: d }); wire += s.length; queue.push(s); }
    else { wire += frameBytes(d); conn.send(d); }
  }
  await settle();
  const h1 = heap(), w1 = wasmBytes();
  await control(contender, "refuse", { ms: 0, ...(contender === "socket.io-client" ? {} : { tag }) });
  let ws = null;
  if (ideal) {
    ws = new WebSocket(wsUrl(tag));
    ws.onopen = () => { opens++; for (const s of queue) ws.send(s); queue = null; w.check(); };
    ws.onmessage = jsonCodec(h.onEcho);
  }
  await w.wait(() => opens >= 2 && received >= n, 30000, "flush");
  await sleep(50);
  await settle();
  const h2 = heap(), w2 = wasmBytes();
  const queuedReported = conn.socket ? conn.socket.queued : undefined;
  conn.close();
  ws?.close();
  return {
    n, payloadBytes: wire / n,
    heapPerMsg: (h1 - h0) / n, wasmPerMsg: (w1 - w0) / n,
    perMsg: (h1 - h0 + w1 - w0) / n,
    overheadPerMsg: (h1 - h0 + w1 - w0) / n - wire / n,
    afterFlushHeapDelta: h2 - h0, afterFlushWasmDelta: w2 - w0,
    wasmBefore: w0, wasmQueued: w1, wasmAfter: w2, queuedReported,
  };
}

window.bench = { load, setupEcho, runEcho, teardown, restart, memory };
status("module loaded");
