// The STOMP bench page's harness (www/bench-stomp.html): steadysocket's StompClient
// (/pkg/stomp/stomp.js, the `steadysocket/stomp` entry) against @stomp/stompjs (bundled by
// tests/bench/bundle.mjs into /bench/vendor/stompjs.js), both talking to the same RabbitMQ
// Web-STOMP broker. Exposed as window.stompBench for tests/bench/run.mjs, which does the
// rounds, medians and ratios. Every timing is performance.now().
//
// Both clients get the same settings: CONNECT login/passcode guest/guest, host "/", heart-beat
// `hb` (default 10000,10000), the subprotocols v12.stomp (+ older), a text body of `bytes`
// bytes, an auto-ack subscription to a fresh /topic/bench.<tag> on the same connection, and a
// reconnect delay of 250 ms (steadysocket's default minDelayMs; stompjs's reconnectDelay).
// Broker-side disconnects during a run are COUNTED and reported (PEERS.md: RabbitMQ's
// heart-beat monitor can crash under a publish burst), never retried away.

const status = (s) => { document.getElementById("status").textContent = s; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

let libs = null;
let brokerUrl = null;

/** Loads stompjs (always) and steadysocket/stomp (when pkg/stomp/ was built). */
async function load({ broker }) {
  brokerUrl = broker;
  const t = now();
  const stompjs = await import("./vendor/stompjs.js");
  let StompClient = null, missing = null;
  try {
    const ss = await import("/pkg/stomp/stomp.js");
    await ss.default();
    StompClient = ss.StompClient;
    if (typeof StompClient !== "function") throw new Error("pkg/stomp/stomp.js exports no StompClient");
  } catch (e) {
    missing = String(e?.message || e);
  }
  libs = { Client: stompjs.Client, StompClient };
  status("ready");
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    userAgent: navigator.userAgent,
    loadMs: now() - t,
    contenders: Object.keys(contenders).filter((c) => c !== "steadysocket" || StompClient),
    steadysocketMissing: missing,
  };
}

const CONNECT_HEADERS = { login: "guest", passcode: "guest", host: "/" };
const RECONNECT_MS = 250;

// ---- contenders --------------------------------------------------------------------------
// create({hb}, h) -> { subscribe(dest, onBody), publish(dest, body) -> true if handed to an
// open connection, close() -> Promise }, where h = { onOpen(), onClose({code, reason}),
// onError(kind) }. The subscription must survive a reconnect (steadysocket re-subscribes by
// itself; stompjs's documented pattern is to subscribe in onConnect, which we follow).
const contenders = {
  steadysocket: {
    create({ hb }, h) {
      const c = new libs.StompClient(brokerUrl, {
        connectHeaders: CONNECT_HEADERS,
        heartbeat: { outgoingMs: hb[0], incomingMs: hb[1] },
        reconnect: { minDelayMs: RECONNECT_MS },
      });
      c.on("open", () => h.onOpen());
      c.on("close", (e) => h.onClose({ code: e.code, reason: e.reason }));
      c.on("error", (e) => h.onError(e.kind));
      return {
        subscribe(dest, onBody) { c.subscribe(dest, (m) => onBody(m.body)); },
        publish(dest, body) { return c.publish({ destination: dest, body }) === "sent"; },
        async close() {
          c.close();
          const t = now();
          while (c.state !== "closed" && now() - t < 3000) await sleep(10);
          c.free();
        },
      };
    },
  },
  stompjs: {
    create({ hb }, h) {
      let sub = null; // [dest, onBody]
      const c = new libs.Client({
        brokerURL: brokerUrl,
        connectHeaders: CONNECT_HEADERS,
        heartbeatOutgoing: hb[0],
        heartbeatIncoming: hb[1],
        reconnectDelay: RECONNECT_MS,
        debug: () => {},
      });
      const doSub = () => c.subscribe(sub[0], (m) => sub[1](m.body));
      c.onConnect = () => { if (sub) doSub(); h.onOpen(); };
      c.onWebSocketClose = (e) => h.onClose({ code: e.code, reason: e.reason });
      c.onStompError = () => h.onError("server");
      c.onHeartbeatLost = () => h.onError("heartbeat-lost");
      c.activate();
      return {
        subscribe(dest, onBody) { sub = [dest, onBody]; if (c.connected) doSub(); },
        publish(dest, body) {
          try { c.publish({ destination: dest, body }); return true; } catch { return false; } // throws while disconnected
        },
        close: () => c.deactivate(),
      };
    },
  },
};

// ---- one connection with a subscription, shared by S1 and S2 ----------------------------
/** Body `${prefix}${i}:` padded with "m" to `bytes` bytes (ASCII: bytes = length). */
const body = (prefix, i, bytes) => {
  const head = `${prefix}${i}:`;
  return head + "m".repeat(Math.max(0, bytes - head.length));
};
/** Resolves when `pred()` is true, checked on each event (no polling delay). */
function waiter() {
  let resolve = null, pred = null;
  return {
    check() { if (pred && pred()) { const r = resolve; pred = resolve = null; r(); } },
    wait(p, { timeoutMs, what }) {
      if (p()) return Promise.resolve();
      return new Promise((res, rej) => {
        pred = p; resolve = res;
        setTimeout(() => { if (resolve === res) { pred = resolve = null; rej(new Error(`timeout: ${what}`)); } }, timeoutMs);
      });
    },
  };
}

async function connect({ contender, tag, hb = [10000, 10000] }) {
  const st = {
    contender, dest: `/topic/bench.${tag}`, opens: 0, closes: [], errors: [],
    onBody: null,
  };
  const w = waiter();
  st.w = w;
  st.conn = contenders[contender].create({ hb }, {
    onOpen: () => { st.opens++; w.check(); },
    onClose: (e) => { st.closes.push(e); w.check(); },
    onError: (kind) => { st.errors.push(kind); },
  });
  st.conn.subscribe(st.dest, (b) => { st.onBody?.(b); w.check(); });
  await w.wait(() => st.opens >= 1, { timeoutMs: 15000, what: `${contender} open` });
  // warm-up: 50 pipelined messages through the broker (also proves the subscription is live)
  let warm = 0;
  st.onBody = (b) => { if (b.startsWith("w")) warm++; };
  for (let i = 0; i < 50; i++) st.conn.publish(st.dest, body("w", i, 100));
  await w.wait(() => warm >= 50, { timeoutMs: 15000, what: `${contender} warm-up` });
  await sleep(50);
  return st;
}

// ---- S1: publish -> receive throughput --------------------------------------------------
// setup -> run -> teardown, split so the driver can read CDP main-thread metrics around run.
let cur = null;
async function setupThroughput(cfg) {
  cur = await connect(cfg);
  cur.cfg = cfg;
  const { n, bytes } = cfg;
  cur.bodies = Array.from({ length: n }, (_, i) => body("t", i, bytes));
  return { bodyBytes: cur.bodies[0].length };
}
async function runThroughput() {
  const st = cur;
  const { n, idleMs = 5000 } = st.cfg;
  const seen = new Uint8Array(n);
  let received = 0, dupes = 0, last = 0, tDone = 0;
  // the clock stops inside the handler that completes the set: the polling below adds nothing
  st.onBody = (b) => {
    if (b.charCodeAt(0) !== 116 /* t */) return;
    const i = parseInt(b.slice(1), 10);
    if (seen[i]) { dupes++; return; }
    seen[i] = 1;
    last = now();
    if (++received === n) tDone = last;
  };
  const closes0 = st.closes.length, opens0 = st.opens, errors0 = st.errors.length;
  let notSent = 0;
  const t0 = now();
  for (let i = 0; i < n; i++) if (!st.conn.publish(st.dest, st.bodies[i])) notSent++;
  const t1 = now();
  if (!last) last = t1;
  // until all arrived, or no message for idleMs (a broker drop loses what was in flight)
  while (!tDone && now() - Math.max(last, t1) <= idleMs) await sleep(50);
  const complete = tDone > 0;
  return {
    n, complete, ms: complete ? tDone - t0 : null, lastMs: (complete ? tDone : last) - t0, sendLoopMs: t1 - t0,
    received, lost: n - received, dupes, notSent,
    drops: st.closes.slice(closes0), reopened: st.opens - opens0, errors: st.errors.slice(errors0),
  };
}

// ---- S2: single publish -> receive round trips ------------------------------------------
async function runLatency({ k, bytes }) {
  const st = cur;
  const lat = [];
  let want = "", tGot = 0, timeouts = 0;
  st.onBody = (b) => { if (!tGot && b.startsWith(want)) tGot = now(); };
  const closes0 = st.closes.length, opens0 = st.opens, errors0 = st.errors.length;
  for (let i = 0; i < k; i++) {
    want = `l${i}:`; tGot = 0;
    const b = body("l", i, bytes);
    const t = now();
    st.conn.publish(st.dest, b);
    try {
      await st.w.wait(() => tGot > 0, { timeoutMs: 5000, what: `round trip ${i}` });
      lat.push(tGot - t);
    } catch { timeouts++; }
  }
  return {
    k, lat, timeouts,
    drops: st.closes.slice(closes0), reopened: st.opens - opens0, errors: st.errors.slice(errors0),
  };
}

async function teardown() {
  if (cur) { const c = cur; cur = null; await c.conn.close(); }
  await sleep(20);
}

window.stompBench = { load, setupThroughput, runThroughput, connect: async (cfg) => { cur = await connect(cfg); return {}; }, runLatency, teardown };
status("module loaded");
