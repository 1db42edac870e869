// The public JS class `SteadySocket`: a thin JS shell over the wasm `Core` (src/js.rs).
// What is cheapest in JS lives here: option TYPE checks, unknown keys and getters (read once
// each; a throwing getter propagates its own exception), the URL syntax check (`new URL`),
// the listener registry, event objects (one `e(...)` call per event from the wasm), request
// promises, and error objects. RANGE checks stay in Rust (`Config::validate`,
// `core::validate`), shared with the Rust API. scripts/build-pkg.sh copies this file next to
// wasm-bindgen's glue (`./steadysocket.js`) and bundles both into the package entry.
import { Core, initSync } from "./steadysocket.js";
import { ID, Tabs, canShare } from "./shared.js";
import { Persist } from "./persist.js";

export const P = "steadysocket: ";
const STATES = ["connecting", "open", "reconnecting", "closing", "closed"];
const EVENTS = ["open", "close", "reconnecting", "state", "error", "message", "drop", "sent", "rtt", "raw", "drain", "lost", "gap", "transport", "endpoint"];
// The wasm side's enum orders (src/core): ErrorKind, DropReason, requests::Failure, Sent.
const ERRORS = ["connect", "connect-timeout", "url", "message-too-big", "protocol", "reconnect-failed", "reconnect-stopped", "handler", "heartbeat-timeout", "handshake"];
const DROPS = ["overflow", "expired", "closed", "connection-lost"];
const FAILURES = ["timeout", "connection-lost", "closed", "dropped"];
const TRANSPORTS = ["websocket", "sse", "long-polling", "xhr-streaming", "eventsource", "xhr-polling"];
const SENT = ["sent", "queued", "dropped"];

export const typeOf = (v) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
export const optErr = (C, path, msg) => new C(`${P}option \`${path}\` ${msg}`);
export const argErr = (C, path, msg) => new C(`${P}argument \`${path}\` ${msg}`);
const isFn = (v) => typeof v == "function";
const isObj = (v) => typeof v == "object" && v !== null && !Array.isArray(v);
const undef = (x) => (x === x ? x : undefined); // NaN (the wasm's "none") → undefined
export const kindErr = (kind, msg) => Object.assign(new Error(msg), { kind });
const describe = (e) => {
  // Never throws: a thrown value may be a Proxy, or an Error whose getters throw.
  try {
    return e instanceof Error ? `${e.name}: ${e.message}` : typeof e == "string" ? e : "unknown error";
  } catch {
    return "unknown error";
  }
};
/** The `send`/`request` refusal for a wasm status (3 closed, 4 queue-full, 5 freed). */
export const refusal = (r) =>
  r == 5 ? freed() : r == 3 ? kindErr("closed", P + "the socket is closed") : kindErr("queue-full", P + 'the queue is full (queue.overflow is "error")');
export const freed = () => kindErr("closed", P + "the socket was freed (free() was called); create a new one");

/** `(type, data)` of a queued frame for `drop`/`sent`: `raw` frames are `(null, frame)`. */
const parts = (raw, v) => {
  if (raw) return [null, v];
  let o;
  try { o = JSON.parse(v); } catch { /* not JSON: (null, null) */ }
  return [o?.type ?? null, o?.data ?? null];
};

/** `(type, data)` of a custom codec's frame, by its own `decode`. */
const codecParts = (decode, raw, v) => {
  if (raw) return [null, v];
  try {
    const m = decode(v);
    return [m?.type ?? null, m?.data ?? null];
  } catch {
    return [null, v];
  }
};

/**
 * The `{…}` at `path` (or `undefined`): rejects a non-object and unknown keys.
 * `name` is how the path is named in the type error.
 */
export function keys(v, prefix, name, known) {
  if (!isObj(v)) throw optErr(TypeError, name, `must be an object, got ${typeOf(v)}`);
  for (const k of Object.keys(v)) {
    if (!known.includes(k)) throw optErr(TypeError, prefix + k, `is not an option (known: ${known.join(", ")})`);
  }
}

/**
 * A WebSocket URL as the native constructor takes it: resolved against the page (its base
 * URI; none outside a page), `http:`/`https:` turned into `ws:`/`wss:`. Returns the absolute
 * URL, or `[ErrorClass, why]`. (The Port in src/glue.js resolves provider URLs the same way.)
 */
function wsUrl(s) {
  let u;
  try { u = new URL(s, globalThis.document?.baseURI ?? globalThis.location?.href); } catch { return [SyntaxError, "expected a ws:, wss:, http: or https: URL, absolute or relative to the page"]; }
  const p = u.protocol;
  if (p == "http:" || p == "https:") u.protocol = p == "http:" ? "ws:" : "wss:";
  else if (p != "ws:" && p != "wss:") return [SyntaxError, "the scheme must be ws:, wss:, http: or https:"];
  if (u.port === "0") return [SyntaxError, "port 0 cannot be connected to"];
  if (u.hash || s.includes("#")) return [SyntaxError, "WebSocket URLs cannot have a fragment"];
  return u.href;
}
const urlMsg = (s, why) => `${P}invalid URL \`${s}\`: ${why}`;

/**
 * The wasm's view of the JS side: `e(...)` is one call per event; `u(url)` checks a URL from
 * the URL provider. It holds the listeners, not the socket (so a dropped socket can be
 * garbage-collected, which frees its wasm side).
 */
export class Hub {
  l = []; // [event, handler], in subscription order
  t = []; // [message type, handler]
  hs = new Map(); // request type → handler (`handle`)
  p = new Map(); // request id → [resolve, reject]
  x = false; // dispatching an `error` event
  g = 0; // bumped by free(): the rest of the event being dispatched is skipped
  dead = false; // free() was called: only outcomes are dispatched from now on
  m = 0; // the protocol: 0 v1, 1 raw (frames also fire `message`), 2 a custom codec
  d = null; // a custom codec's decode (describes its frames in `drop`/`sent` events)
  w = null; // a WeakRef to the socket (its DOM listeners, replies, the open gate)
  ul = null; // an endpoint list: its URLs (resolved)
  r = null; // the shouldReconnect option
  v = null; // promises returned by `open` handlers during this dispatch
  a = new Map(); // reliable mode: seq → [resolve, reject] of `send(…, {ack: true})`, in seq order
  sh = null; // `shared`: the Tabs (src/shared.js), told every note
  rf = new Map(); // `shared` leader: frames relayed for other tabs → [pipe, tag, queued] (oldest first)
  nx = false; // `shared` follower: the request being delivered is answered in another tab

  /** The socket (for the DOM surface, replies and the gate), if still alive. */
  get sk() {
    return this.w?.deref();
  }

  /** The handshake's headers for this attempt (protocols with one override it). */
  h() {
    return [];
  }

  u(s) {
    const p = wsUrl(s);
    return typeof p == "string" ? undefined : urlMsg(s, p[1]);
  }

  /** The `shouldReconnect` verdict on a close of the open connection (never throws). */
  k(code, reason, wasClean) {
    const f = this.r;
    if (!f) return true;
    try {
      return f({ code, reason, wasClean }) !== false;
    } catch (e) {
      this.emit("error", { kind: "handler", message: "shouldReconnect threw: " + describe(e), error: e });
      return true;
    }
  }

  call(f, a) {
    try {
      const r = f(a);
      // A Promise from an `open` handler gates the backlog (see the `open` event).
      if (this.v && isFn(r?.then)) this.v.push(r);
    } catch (e) {
      // A throwing `error` handler (no loop), or one that threw after free() (only outcomes
      // reach handlers then): logged instead.
      if (this.x || this.dead) console.error(`steadysocket: ${this.x ? 'an "error"' : "a"} handler threw:`, e);
      else this.emit("error", { kind: "handler", message: "an event handler threw: " + describe(e), error: e });
    }
  }

  has(n) {
    return this.l.some((x) => x[0] == n) || !!this.sk?._d?.has(n);
  }

  /**
   * Calls each subscription of `list` in order, as a DOM EventTarget does: one added during
   * the dispatch waits for the next event, one removed during it is not called; free()
   * stops the dispatch.
   */
  run(reg, list, a, g = this.g) {
    for (const x of list) {
      if (this.g != g) return;
      if (reg.includes(x)) this.call(x[1], a);
    }
  }

  /** `on()` handlers, then the DOM listeners (`addEventListener`, `onopen`…) with `dom(a)`. */
  emit(n, a, dom) {
    const err = n == "error", g = this.g;
    if (err) this.x = true;
    this.run(this.l, this.l.filter((x) => x[0] == n), a, g);
    const s = this.sk;
    if (this.g == g && s?._d?.has(n)) s._fire(n, dom ? dom() : domEvent(n, a));
    if (err) this.x = false;
  }

  settle(id, ok, v) {
    const f = this.p.get(id);
    if (f) {
      this.p.delete(id);
      f[ok ? 0 : 1](v);
    }
  }

  /** `(type, data)` of a queued frame for `drop`/`sent` events (`raw`: `(null, frame)`). */
  desc(raw, v) {
    return this.d ? codecParts(this.d, raw, v) : parts(raw, v);
  }

  /** A request from the server (`id` on `conn`): its `handle` handler's answer goes back. */
  ask(type, data, id, conn) {
    const s = this.sk;
    if (!s) return;
    const f = this.hs.get(type);
    const reply = (ok, v) => s._reply(conn, id, ok, v);
    let r, then;
    try {
      r = f(data, { type, id });
      then = isFn(r?.then);
      if (then) r.then((v) => reply(1, v), (e) => reply(0, remote(e)));
    } catch (e) {
      return reply(0, remote(e));
    }
    if (!then) reply(1, r);
  }

  /** One engine note (codes: src/js.rs `JsSink::note`). */
  e(k, a, b, c, v, w) {
    this.ps?.n(k, a, v); // persist (src/persist.js): records follow the queue
    if (this.sh?.tap(k, a, b, v, w)) return;
    // A relayed frame of another tab (`shared`): its outcome is that tab's event.
    if ((k == 9 || k == 10 || k == 19) && this.rf.has(v) && this.sh.out(k, b, v)) return;
    switch (k) {
      case 0: return this.emit("state", { from: STATES[a], to: STATES[b] });
      case 1: {
        const s = this.dead ? null : this.sk, conn = s?._c().o();
        const ev = { reconnected: !!a, attempt: b };
        if (s?._open) s._open(ev, conn);
        this.v = [];
        this.emit("open", ev);
        const v = this.v;
        this.v = null;
        if (v.length && s && !this.dead) {
          // The backlog waits for the app's handshake (the open handlers' Promises).
          const h = s._c().hd();
          if (h) Promise.all(v).then(() => s._rl(h), (e) => s._rl(h, "an open handler's Promise rejected: " + describe(e)));
        }
        return;
      }
      case 2: return this.emit("close", { code: a, reason: v, wasClean: !!(b & 1), willReconnect: !!(b & 2) });
      case 3: return this.emit("reconnecting", { attempt: a, delayMs: b === b ? b : null });
      case 4: return this.emit("error", { kind: ERRORS[a], message: v });
      case 15:
      case 5: {
        const g = this.g; // free() in a `message` handler also skips the typed handlers
        // A numeric `id`: a request if the app handles its type (else an ordinary event).
        const ask = k == 15 && this.hs.has(v) && !this.nx;
        if (ask && !(Number.isSafeInteger(a) && a >= 0)) {
          return this.emit("error", { kind: "protocol", message: `malformed frame: the id of a "${v}" request must be an integer from 0 to 2^53-1, got ${a}` });
        }
        const ev = k == 15 ? { type: v, data: w, id: a } : { type: v, data: w };
        if (this.has("message")) this.emit("message", ev, () => new MessageEvent("message", { data: ev }));
        if (this.g != g) return;
        if (ask) return this.ask(v, w, a, b);
        this.run(this.t, this.t.filter((x) => x[0] === v), w, g);
        return;
      }
      case 6: {
        const g = this.g;
        const dom = (n) => () => new MessageEvent(n, { data: this.sk?._bin(v) });
        if (this.m == 1) {
          if (this.has("message")) this.emit("message", { type: null, data: v }, dom("message"));
          if (this.g != g) return;
        }
        return this.emit("raw", v, dom("raw"));
      }
      case 7: return this.settle(a, true, v);
      case 8: {
        const m = v?.message;
        const e = kindErr("remote", typeof m == "string" ? m : "remote error");
        if (v?.code !== undefined) e.code = v.code;
        e.data = v;
        return this.settle(a, false, e);
      }
      case 9:
      case 10: {
        const n = k == 9 ? "drop" : "sent";
        if (k == 9 && this.a.size && !a) {
          // Reliable mode: the frame starts with its seq; its ack Promise rejects.
          const q = +/^\{"seq":(\d+)/.exec(v)?.[1], f = this.a.get(q);
          if (f) {
            this.a.delete(q);
            f[1](kindErr(DROPS[b], P + "message dropped: " + DROPS[b]));
          }
        }
        if (this.has(n)) {
          const [type, data, nsp] = this.desc(a, v);
          const ev = k == 9 ? { type, data, reason: DROPS[b] } : { type, data };
          if (nsp) ev.nsp = nsp; // Socket.IO: the namespace
          this.emit(n, ev);
        }
        return;
      }
      case 11: return this.emit("rtt", { rtt: undef(a), srtt: undef(b), jitter: undef(c) });
      case 12: return this.settle(a, false, kindErr(FAILURES[b], P + "request failed: " + FAILURES[b]));
      case 16: {
        // Reliable mode: the server acked every seq up to `a` (the Map is in seq order).
        for (const [s, f] of this.a) {
          if (s > a) break;
          this.a.delete(s);
          f[0]();
        }
        return;
      }
      case 17: return this.emit("gap", { from: a, to: undef(b) ?? null, count: b === b ? b - a + 1 : null });
      case 18: return this.emit("drain", {});
      case 22: return this.emit("endpoint", { index: a, url: this.ul?.[a] ?? this.sk?.url ?? "" });
      case 20: {
        this.tp = TRANSPORTS[a];
        return this.emit("transport", { transport: this.tp });
      }
      case 19: {
        if (this.has("lost")) {
          const [type, data] = this.desc(a, v);
          this.emit("lost", { type, data });
        }
        return;
      }
    }
  }
}

/** The error object a failed `handle` handler sends back: `{message, code?}`. */
const remote = (e) => {
  // Never throws: the thrown value may be a Proxy, or an Error whose getters throw.
  const o = { message: "unknown error" };
  try {
    o.message = e instanceof Error ? String(e.message) : typeof e == "string" ? e : describe(e);
    const c = e?.code;
    if (typeof c == "string" || typeof c == "number") o.code = c;
  } catch { /* a throwing getter: what we have */ }
  return o;
};

/** The DOM event for `n` (listeners added with `addEventListener` or `onopen`…). */
function domEvent(n, a) {
  const G = globalThis;
  if (n == "close" && G.CloseEvent) return Object.assign(new CloseEvent(n, a), { willReconnect: a.willReconnect });
  if (n == "error" && G.ErrorEvent) return Object.assign(new ErrorEvent(n, { message: a.message, error: a.error }), { kind: a.kind });
  if (n == "open" || n == "close" || n == "error") return Object.assign(new Event(n), a);
  // state, reconnecting, rtt, drop, sent: the payload as `detail`.
  return G.CustomEvent ? new CustomEvent(n, { detail: a }) : Object.assign(new Event(n), { detail: a });
}

/**
 * Reads the options once into the numbers, protocols and ping the wasm constructor takes.
 * `extra` are the keys a protocol's class adds (read by it); `hb` the heartbeat keys.
 */
export function pack(o, extra = [], hb = ["intervalMs", "timeoutMs", "ping"]) {
  // Slots (src/js.rs `Core::new`): n[0] = presence mask of slots 1..=17 plus flags.
  const n = [0];
  const put = (i, v) => {
    n[i] = v;
    n[0] |= 1 << (i - 1);
  };
  const num = (r, prefix, k, i) => {
    const v = r[k];
    if (v === undefined) return;
    if (typeof v != "number") throw optErr(TypeError, prefix + k, `must be a number, got ${typeOf(v)}`);
    put(i, v);
  };
  const str = (v, path) => {
    if (v !== undefined && typeof v != "string") throw optErr(TypeError, path, `must be a string, got ${typeOf(v)}`);
    return v;
  };
  const toggle = (v, name) => {
    if (v === undefined || v === true || v === false) return v;
    if (!isObj(v)) throw optErr(TypeError, name, `must be false, true or an object, got ${typeOf(v)}`);
    return v;
  };
  let protocols = [], ping, codes = [];
  n[17] = Math.random() * 9007199254740991; // the jitter seed
  if (o == null) return [n, protocols, ping, codes];
  keys(o, "", "options", ["protocols", "reconnect", "heartbeat", "queue", "connectTimeoutMs", "requestTimeoutMs", "maxMessageBytes", "handshakeTimeoutMs", "autoConnect", "shouldReconnect", "highWaterMark", "lowWaterMark", "sockjs", "endpointSkipMs", ...extra]);
  const ac = o.autoConnect, sr = o.shouldReconnect, sj = o.sockjs;
  if (sj !== undefined && typeof sj != "boolean") throw optErr(TypeError, "sockjs", `must be a boolean, got ${typeOf(sj)}`);
  if (sj) n[0] |= 1 << 25;
  if (ac !== undefined && typeof ac != "boolean") throw optErr(TypeError, "autoConnect", `must be a boolean, got ${typeOf(ac)}`);
  if (ac === false) n[0] |= 1 << 23;
  if (sr !== undefined && !isFn(sr)) throw optErr(TypeError, "shouldReconnect", `must be a function, got ${typeOf(sr)}`);

  const p = o.protocols;
  if (typeof p == "string") protocols = [p];
  else if (Array.isArray(p)) {
    for (let i = 0; i < p.length; i++) {
      if (typeof p[i] != "string") throw optErr(TypeError, `protocols[${i}]`, "must be a string");
      protocols.push(p[i]);
    }
  }
  else if (p !== undefined) throw optErr(TypeError, "protocols", `must be a string or an array of strings, got ${typeOf(p)}`);

  const r = toggle(o.reconnect, "reconnect");
  if (r === false) n[0] |= 1 << 20;
  else if (r && r !== true) {
    keys(r, "reconnect.", "reconnect", ["minDelayMs", "maxDelayMs", "factor", "jitter", "maxAttempts", "stableMs", "stopOnCodes", "maxRetryAfterMs"]);
    ["minDelayMs", "maxDelayMs", "factor", "jitter", "maxAttempts"].forEach((k, i) => num(r, "reconnect.", k, i + 1));
    const s = r.stopOnCodes;
    if (s !== undefined) {
      if (!Array.isArray(s)) throw optErr(TypeError, "reconnect.stopOnCodes", `must be an array, got ${typeOf(s)}`);
      n[0] |= 1 << 21;
      for (let i = 0; i < s.length; i++) {
        const c = s[i], path = `reconnect.stopOnCodes[${i}]`;
        const code = (v) => {
          if (typeof v != "number") throw optErr(TypeError, path, `must be a number or a [from, to] pair, got ${typeOf(v)}`);
          return v;
        };
        if (Array.isArray(c)) {
          if (c.length != 2) throw optErr(TypeError, path, "a range must be a [from, to] pair");
          codes.push(code(c[0]), code(c[1]));
        } else codes.push(code(c), c);
      }
    }
    num(r, "reconnect.", "stableMs", 6);
    num(r, "reconnect.", "maxRetryAfterMs", 7);
  }

  const h = toggle(o.heartbeat, "heartbeat");
  if (h === false) n[0] |= 1 << 22;
  else if (h && h !== true) {
    keys(h, "heartbeat.", "heartbeat", hb);
    ping = h.ping;
    num(h, "heartbeat.", "intervalMs", 8);
    num(h, "heartbeat.", "timeoutMs", 9);
    str(ping, "heartbeat.ping");
  }

  const q = o.queue;
  if (q !== undefined) {
    keys(q, "queue.", "queue", ["maxMessages", "maxBytes", "overflow", "ttlMs"]);
    let f = q.overflow;
    num(q, "queue.", "maxMessages", 10);
    num(q, "queue.", "maxBytes", 11);
    f = str(f, "queue.overflow");
    if (f !== undefined) {
      const i = ["drop-oldest", "drop-newest", "error"].indexOf(f);
      if (i < 0) throw optErr(RangeError, "queue.overflow", `must be "drop-oldest", "drop-newest" or "error", got "${f}"`);
      put(12, i);
    }
    num(q, "queue.", "ttlMs", 13);
  }
  num(o, "", "connectTimeoutMs", 14);
  num(o, "", "requestTimeoutMs", 15);
  num(o, "", "maxMessageBytes", 16);
  return [n, protocols, ping, codes];
}

/** A number option (or undefined), type-checked. */
export const numOpt = (o, k) => {
  const v = o?.[k];
  if (v !== undefined && typeof v != "number") throw optErr(TypeError, k, `must be a number, got ${typeOf(v)}`);
  return v;
};

const ET = globalThis.EventTarget ?? class {};
const RS = [0, 1, 0, 2, 3]; // readyState by state: reconnecting is CONNECTING

/**
 * The `transports` and `upgradeProbeMs` options (SteadySocket's and StompClient's): `[tc, up]`,
 * the preference list packed as digits (1 + the index in TRANSPORTS; with `sockjs`, SockJS's
 * websocket, xhr-streaming, eventsource, xhr-polling) and the probe delay.
 */
export function transportOpts(o) {
  // transports: the preference list, packed as digits (1 + the index in TRANSPORTS); with
  // `sockjs`, SockJS's (websocket, xhr-streaming, eventsource, xhr-polling).
  let tc, tp = isObj(o) ? o.transports : undefined;
  if (tp !== undefined) {
    const sj = o.sockjs === true, names = sj ? ["websocket", "xhr-streaming", "eventsource", "xhr-polling"] : TRANSPORTS.slice(0, 3);
    const list = names.map((x) => `"${x}"`).join(", ");
    if (!Array.isArray(tp)) throw optErr(TypeError, "transports", `must be an array of ${list}, got ${typeOf(tp)}`);
    if (!tp.length || tp.length > names.length) throw optErr(RangeError, "transports", `must name 1 to ${names.length} transports, got ${tp.length}`);
    tc = 0;
    tp.forEach((t, i) => {
      const k = names.includes(t) ? TRANSPORTS.indexOf(t) : -1;
      if (k < 0) throw optErr(typeof t == "string" ? RangeError : TypeError, `transports[${i}]`, `must be one of ${list}${sj ? "" : " (SockJS's need sockjs: true)"}, got ${typeof t == "string" ? `"${t}"` : typeOf(t)}`);
      if (tp.indexOf(t) < i) throw optErr(RangeError, `transports[${i}]`, `is a duplicate: "${t}"`);
      tc = tc * 10 + k + 1;
    });
  }
  const up = isObj(o) ? numOpt(o, "upgradeProbeMs") : undefined;
  if (up !== undefined && !(up >= 0)) throw optErr(RangeError, "upgradeProbeMs", `must be a number >= 0, got ${up}`);
  return [tc, up];
}

/**
 * What every protocol's class shares: the wasm Core, the listeners, state, metrics, close,
 * and the native `WebSocket` conventions (readyState, url, binaryType, EventTarget, onopen…).
 * `p` = `[kind, cx, cy]`, `pong` and `f` as the wasm `Core` takes them (src/js.rs).
 */
export class Base extends ET {
  #c; // the wasm Core; null after free()
  _h; // the Hub
  _u = ""; // the URL (a string URL resolved; a provider's: the latest attempt's)
  _bt = "arraybuffer"; // binaryType
  _d = new Set(); // event names with DOM listeners
  _ev = null; // the DOM event being dispatched (free() stops it)
  _on = {}; // onopen/onmessage/onclose/onerror: name → [handler, wrapper]
  _bq = null; // pending Blob reads: later sends wait behind them (order kept)
  _ib = 0; // running a send that waited behind a Blob
  _bsz = 0; // bytes of the sends waiting behind Blobs being read (the Blobs included)
  _bn = 0; // how many sends wait there
  _idle = false; // autoConnect: false and not started yet (sends queue while `closed`)
  _via = 0; // the open event's connection while its send/request runs (through the gate)

  constructor(url, packed, o, p, pong, f, hub = new Hub(), sid = undefined) {
    super();
    if (globalThis.URL && url instanceof URL) url = url.href;
    if (Array.isArray(url)) {
      // An endpoint list: each URL checked and resolved now; attempts rotate through it.
      if (!url.length || url.length > 64) throw new RangeError(`${P}url: an endpoint list must hold 1 to 64 URLs, got ${url.length}`);
      // (Array.from: a hole is an entry too, refused like undefined.)
      url = hub.ul = Array.from(url, (x, i) => {
        if (globalThis.URL && x instanceof URL) x = x.href;
        if (typeof x != "string") throw new TypeError(`${P}url[${i}] must be a ws:/wss:/http:/https: URL string, got ${typeOf(x)}`);
        const u = wsUrl(x);
        if (typeof u != "string") throw new u[0](`${P}url[${i}]: ` + urlMsg(x, u[1]).slice(P.length));
        return u;
      });
      this._u = url[0];
    } else if (typeof url == "string") {
      const u = wsUrl(url);
      if (typeof u != "string") throw new u[0](urlMsg(url, u[1]));
      url = this._u = u;
    } else if (!isFn(url)) {
      throw new TypeError(`${P}url must be a ws:/wss:/http:/https: URL string (absolute or relative to the page), a list of them, or a function returning one (or a list), got ${typeOf(url)}`);
    }
    this._h = hub;
    hub.w = new WeakRef(this);
    hub.r = o?.shouldReconnect ?? null;
    this._idle = o?.autoConnect === false;
    const [n, protocols, ping, codes] = packed;
    const t = numOpt(o, "handshakeTimeoutMs"), hw = numOpt(o, "highWaterMark"), lw = numOpt(o, "lowWaterMark"), es = numOpt(o, "endpointSkipMs");
    // NaN is the wasm's "none": refuse it here (as connectTimeoutMs: NaN is).
    for (const [k, v] of [["handshakeTimeoutMs", t], ["highWaterMark", hw], ["lowWaterMark", lw], ["endpointSkipMs", es]]) {
      if (v !== v) throw optErr(RangeError, k, "must be a number, got NaN");
    }
    if (lw !== undefined && hw === undefined) throw optErr(TypeError, "lowWaterMark", "needs highWaterMark");
    try {
      this.#c = new Core(url, hub, new Float64Array(n.concat(codes)), protocols, ping, new Float64Array([p[0], t ?? NaN, p[1] ?? NaN, p[2] ?? NaN, hw ?? NaN, lw ?? NaN, p[3] ?? NaN, p[4] ?? NaN, es ?? NaN]), pong, f, sid);
    } catch (e) {
      if (!ready()) throw new Error(P + "the WebAssembly module is not loaded: call `await init()` (the package's default export) once before creating a socket, or `initSync({ module })` (see the README, \"Setup by environment\")");
      throw e;
    }
  }

  /** The Core, or the "freed" error. */
  _c() {
    if (!this.#c) throw freed();
    return this.#c;
  }

  free() {
    const c = this.#c;
    if (c) {
      this.#c = null;
      this._h.g++;
      this._h.dead = true;
      this._ev?.stopImmediatePropagation();
      c.x();
      this._ps?.x(); // persist: the dropped queue's records go
    }
  }

  get state() {
    return STATES[this._c().s()];
  }

  /** The transport of the last open connection (`"websocket"`, `"sse"`, `"long-polling"`; SockJS's `"xhr-streaming"`, `"eventsource"`, `"xhr-polling"`); null before the first open. */
  get transport() {
    return this._h.tp ?? null;
  }

  /** As `WebSocket.readyState`: 0 connecting or reconnecting, 1 open, 2 closing, 3 closed (3 after free()). */
  get readyState() {
    return this.#c ? RS[this.#c.s()] : 3;
  }

  /** The URL: resolved (absolute, ws:/wss:); with a URL provider, the latest attempt's ("" before one). */
  get url() {
    // The latest attempt's (its socket's when open: a SockJS or Engine.IO URL may differ).
    const w = this.#c?.w(), u = this.#c?.lu();
    if (w) this._u = w.url;
    else if (typeof u == "string") {
      const r = wsUrl(u);
      if (typeof r == "string") this._u = r;
    }
    return this._u;
  }

  /** The subprotocol the server selected ("" when none or not open). */
  get protocol() {
    return (this.readyState == 1 && this.#c.w()?.protocol) || "";
  }

  /** The extensions the server selected ("" when none or not open). */
  get extensions() {
    return (this.readyState == 1 && this.#c.w()?.extensions) || "";
  }

  /** Bytes not yet on the wire: the socket's buffer, the queue, and Blobs being read. */
  get bufferedAmount() {
    const c = this._c(), m = new Float64Array(17);
    c.m(m);
    return c.bf() + m[8] + this._bsz;
  }

  /** How binary frames reach DOM `message`/`raw` listeners: "arraybuffer" (default) or "blob". */
  get binaryType() {
    return this._bt;
  }

  set binaryType(v) {
    // As the native setter: other values are ignored.
    if (v === "arraybuffer" || v === "blob") this._bt = v;
  }

  /** A binary frame (Uint8Array) as `binaryType` says; text as it is. */
  _bin(v) {
    if (!(v instanceof Uint8Array)) return v;
    if (this._bt == "blob") return new Blob([v]);
    return v.byteOffset == 0 && v.byteLength == v.buffer.byteLength ? v.buffer : v.slice().buffer;
  }

  get queued() {
    return this._c().q() + this._bn;
  }

  /** `false` while the socket's buffer is above `highWaterMark`: sends wait in the queue until `drain`. */
  get writable() {
    return this._c().wr();
  }

  get rtt() {
    return undef(this._c().r());
  }

  metrics() {
    const m = new Float64Array(17);
    this._c().m(m);
    return {
      attempts: m[0], reconnects: m[1], downtimeMs: m[2], messagesIn: m[3], messagesOut: m[4],
      bytesIn: m[5], bytesOut: m[6], queued: m[7] + this._bn, queuedBytes: m[8], dropped: m[9],
      pendingRequests: m[10], rtt: undef(m[11]), srtt: undef(m[12]), rttJitter: undef(m[13]),
      duplicates: m[14], resent: m[15], unacked: m[16],
    };
  }

  on(event, handler) {
    this._c();
    if (!EVENTS.includes(event)) throw new TypeError(`${P}unknown event "${event}" (known: ${EVENTS.join(", ")})`);
    if (!isFn(handler)) throw new TypeError(P + "handler must be a function");
    const l = this._h.l, x = [event, handler];
    l.push(x);
    return () => {
      const i = l.indexOf(x);
      if (i >= 0) l.splice(i, 1);
    };
  }

  /** As `on`, for the next event only. */
  once(event, handler) {
    if (!isFn(handler)) throw new TypeError(P + "handler must be a function");
    const off = this.on(event, (a) => {
      off();
      return handler(a);
    });
    return off;
  }

  off(event, handler) {
    this._c();
    const l = this._h.l, i = l.findIndex((x) => x[0] == event && x[1] === handler);
    if (i >= 0) l.splice(i, 1);
  }

  addEventListener(...a) {
    super.addEventListener?.(...a);
    this._d.add(String(a[0]));
  }

  /** Dispatches a DOM event to the DOM listeners (the open gate sees what `onopen` returns). */
  _fire(n, ev) {
    this._ev = ev;
    try {
      this.dispatchEvent?.(ev);
    } finally {
      this._ev = null;
    }
  }

  /** The `on<name>` property setter: one listener per name, at the place of the first set. */
  _set(n, f) {
    const o = this._on[n];
    f = isFn(f) || (typeof f == "object" && f) ? f : null;
    if (o && f) o[0] = f;
    else if (o) {
      // As the native `on<name>` = null: the listener goes (a later handler is added last).
      delete this._on[n];
      this.removeEventListener(n, o[1]);
    } else if (f) {
      const x = (this._on[n] = [f, (ev) => {
        const h = x[0];
        if (!isFn(h)) return;
        const r = h.call(this, ev);
        if (this._h.v && isFn(r?.then)) this._h.v.push(r);
      }]);
      this.addEventListener(n, x[1]);
    }
  }

  get onopen() { return this._on.open?.[0] ?? null; }
  set onopen(f) { this._set("open", f); }
  get onmessage() { return this._on.message?.[0] ?? null; }
  set onmessage(f) { this._set("message", f); }
  get onclose() { return this._on.close?.[0] ?? null; }
  set onclose(f) { this._set("close", f); }
  get onerror() { return this._on.error?.[0] ?? null; }
  set onerror(f) { this._set("error", f); }

  /** Runs `f` after the Blobs being read (so sends keep their order); `prep` may read one. */
  _chain(prep, f) {
    const p = (this._bq ?? Promise.resolve()).then(prep).then((x) => {
      this._ib = 1;
      try {
        return f(x);
      } finally {
        this._ib = 0;
      }
    });
    const q = (this._bq = p.then(
      () => {},
      () => {},
    ).then(() => {
      if (this._bq === q) this._bq = null;
    }));
    return p;
  }

  /** Throws the `closed` refusal when closing or closed (not the idle start of `autoConnect: false`). */
  _open0() {
    if (this._c().s() >= 3 && !this._idle) throw refusal(3);
  }

  /** Sends a Blob (raw frame): read first; later sends wait for it, in order. */
  _blob(b) {
    this._open0();
    return this._wait(b.size, (via) => this._chain(
      () => b.arrayBuffer(),
      (buf) => this._with(via, () => this._tx(new Uint8Array(buf), buf.byteLength, 1)),
    ), b, 1);
  }

  /**
   * Queues a send behind the Blobs being read: `n` bytes counted in `bufferedAmount` and one
   * message in `queued` until it runs; a refusal then is its `drop` event (an outcome: also
   * after free()).
   */
  _wait(n, run, data, raw) {
    const via = this._via;
    this._bsz += n;
    this._bn++;
    run(via).then(
      (r) => {
        // Told "queued", then sent at once when its turn came: its `sent` event (as every
        // "queued" message ends in one `sent` or `drop`).
        if (r == "sent" && !this._h.rel && this._h.has("sent")) {
          const [type, d] = data instanceof Blob ? [null, data] : this._h.desc(raw, data);
          this._h.emit("sent", { type, data: d });
        }
      },
      (e) => {
        const reason = e?.kind == "closed" ? "closed" : e?.kind == "queue-full" ? "overflow" : null;
        if (!reason) return;
        const [type, d] = data instanceof Blob ? [null, data] : this._h.desc(raw, data);
        this._h.emit("drop", { type, data: d, reason });
      },
    ).finally(() => {
      this._bsz -= n;
      this._bn--;
    });
    return "queued";
  }

  /** Sends (or queues) a frame: a string or Uint8Array; `raw` for `drop`/`sent` events. */
  _tx(v, len, raw) {
    if (this._bq && !this._ib) {
      this._open0();
      return this._wait(len, (via) => this._chain(null, () => this._with(via, () => this._tx(v, len, raw))), v, raw);
    }
    const c = this._c(), r = c.t(v, len, raw, this._via || undefined);
    if (!this._via) this._ps?.tx(r, v, raw, c); // persist: stores what the queue owes (not the gate's)
    if (r > 2) throw refusal(r);
    return SENT[r];
  }

  /** Runs `f` with sends going through the gate of connection `via` (0: not). */
  _with(via, f) {
    const old = this._via;
    this._via = via;
    try {
      return f();
    } finally {
      this._via = old;
    }
  }

  /** Releases the open gate of `conn` (`err`: it failed). */
  _rl(conn, err) {
    this.#c?.rl(conn, err);
  }

  /** Answers request `id` from the server on `conn` (`ok`: with `v`, else the error `v`). */
  _reply(conn, id, ok, v) {
    const c = this.#c;
    if (!c) return;
    let f;
    try {
      f = this._encReply(id, ok, v);
    } catch (e) {
      this._h.emit("error", { kind: "handler", message: `the reply to request ${id} could not be encoded: ${describe(e)}`, error: e });
      try {
        f = this._encReply(id, 0, { code: "bad-reply", message: "the handler's result could not be encoded" });
      } catch {
        return; // a codec that cannot encode an error reply either: nothing to send
      }
    }
    c.cf(conn, f, f.length);
  }

  /** A v1 reply frame (a codec's class overrides it). */
  _encReply(id, ok, v) {
    // `undefined` is `null`; a value JSON has no text for (a function, a Symbol) is refused.
    const d = v === undefined ? "null" : JSON.stringify(v);
    if (d === undefined) throw new TypeError(`a ${typeof v} is not JSON`);
    return `{"replyTo":${id},"${ok ? "data" : "error"}":${d}}`;
  }

  /** A request Promise for the wasm's answer `id` (an id, or minus a refusal). */
  _rq(id) {
    if (id == -5) throw freed(); // free() was called from toJSON / the codec
    return new Promise((res, rej) => (id < 0 ? rej(refusal(-id)) : this._h.p.set(id, [res, rej])));
  }

  close(code, reason) {
    const c = this._c();
    if (code !== undefined && typeof code != "number") throw argErr(TypeError, "code", `must be a number, got ${typeOf(code)}`);
    // The wasm checks the code's range first, then the reason's: 1 means "reason not a string".
    if (c.c(code, reason === undefined ? "" : typeof reason == "string" ? reason : undefined)) {
      throw argErr(TypeError, "reason", `must be a string, got ${typeOf(reason)}`);
    }
    this._idle = false;
  }

  reconnect() {
    this._c().rc();
    this._idle = false;
  }

  /** Starts connecting if closed (`autoConnect: false`, or after `close()`); otherwise nothing. */
  connect() {
    this._c().cn();
    this._idle = false;
  }
}

for (const [k, v] of [["CONNECTING", 0], ["OPEN", 1], ["CLOSING", 2], ["CLOSED", 3]]) {
  Object.defineProperty(Base, k, { value: v, enumerable: true });
  Object.defineProperty(Base.prototype, k, { value: v, enumerable: true });
}
if (Symbol.dispose) Base.prototype[Symbol.dispose] = function () { this.free(); };

/** Whether the wasm module is loaded (initSync returns at once when it is, else throws). */
const ready = () => {
  try {
    initSync();
    return true;
  } catch {
    return false;
  }
};

/** Binary data as a Uint8Array copy (so later changes to the caller's buffer cannot alter a queued frame), a string as it is, else `undefined`. */
export const bytes = (data) =>
  ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()
  : data instanceof ArrayBuffer ? new Uint8Array(data).slice()
  : typeof data == "string" ? data : undefined;

/** A raw-mode `heartbeat.pong` matcher as a predicate. */
const matcher = (m) => {
  if (typeof m == "string") return (d) => d === m;
  if (m instanceof RegExp) return (d) => typeof d == "string" && (m.lastIndex = 0, m.test(d));
  if (isFn(m)) return m;
  throw optErr(TypeError, "heartbeat.pong", `must be a string, a RegExp or a function, got ${typeOf(m)}`);
};

/** A WebSocket that stays connected. See the README and `steadysocket.d.ts`. */
export class SteadySocket extends Base {
  #m; // 0 v1, 1 raw, 2 codec
  #enc; // a codec's encode
  #subs = 0; // the last subscription key
  #rel = false; // delivery: "at-least-once"

  constructor(url, options) {
    const o = options ?? undefined;
    const proto = o?.protocol;
    let m = 0, enc, dec, pong, f, hb = o?.heartbeat;
    if (proto === "raw") m = 1;
    else if (isObj(proto)) {
      enc = proto.encode;
      dec = proto.decode;
      keys(proto, "protocol.", "protocol", ["encode", "decode"]);
      if (!isFn(enc)) throw optErr(TypeError, "protocol.encode", `must be a function, got ${typeOf(enc)}`);
      if (!isFn(dec)) throw optErr(TypeError, "protocol.decode", `must be a function, got ${typeOf(dec)}`);
      m = 2;
      f = dec;
    } else if (proto !== undefined && proto !== "v1") {
      throw optErr(typeof proto == "string" ? RangeError : TypeError, "protocol", `must be "v1", "raw" or a codec {encode, decode}, got ${typeof proto == "string" ? `"${proto}"` : typeOf(proto)}`);
    }
    // Raw: the heartbeat is off unless a ping is given; `pong` (a string, RegExp or
    // predicate) tells the answers apart (they are not delivered). The options are checked
    // either way (a typo must not silently leave the heartbeat off).
    const beats = m == 1 && isObj(hb) && hb.ping !== undefined;
    // delivery: "at-least-once" (reliable mode, a v1 extension) or "at-most-once" (default).
    const dv = isObj(o) ? o.delivery : undefined;
    if (dv !== undefined && dv !== "at-most-once" && dv !== "at-least-once") {
      throw optErr(typeof dv == "string" ? RangeError : TypeError, "delivery", `must be "at-most-once" or "at-least-once", got ${typeof dv == "string" ? `"${dv}"` : typeOf(dv)}`);
    }
    const rel = dv === "at-least-once";
    if (rel && m != 0) throw optErr(TypeError, "delivery", `"at-least-once" needs protocol "v1" (its seqs and acks are a v1 extension)`);
    const [tc, up] = transportOpts(o);
    // shared: one connection for all tabs (src/shared.js).
    const sh = isObj(o) ? o.shared : undefined;
    if (sh !== undefined) {
      if (typeof sh != "string") throw optErr(TypeError, "shared", `must be a string (the name the tabs share), got ${typeOf(sh)}`);
      if (!sh || sh.length > 200) throw optErr(RangeError, "shared", `must be 1 to 200 characters long, got ${sh.length}`);
      if (rel) throw optErr(TypeError, "shared", 'does not work with delivery: "at-least-once" (a tab\'s seqs cannot share a session)');
      if (m == 2) throw optErr(TypeError, "shared", 'needs protocol "v1" or "raw" (the leader tab cannot read a codec\'s requests)');
      if (o.sockjs) throw optErr(TypeError, "shared", "does not work with sockjs: true");
    }
    const share = sh !== undefined && canShare();
    // ---- persist (issue 17, src/persist.js): the option's checks; the Core starts idle (bit
    // 23), restores the stored queue, then connects (unless autoConnect: false) ----
    const pn = isObj(o) ? o.persist : undefined;
    if (pn !== undefined && typeof pn != "string") throw optErr(TypeError, "persist", `must be a string (the queue's name), got ${typeOf(pn)}`);
    if (pn !== undefined && !(pn.length && pn.length <= 200)) throw optErr(RangeError, "persist", `must be 1 to 200 characters long, got ${pn.length}`);
    // ---- end persist ----
    let po = o;
    if (isObj(o)) {
      po = { ...o, heartbeat: hb };
      delete po.protocol;
      delete po.delivery;
      delete po.transports;
      delete po.upgradeProbeMs;
      delete po.shared;
      delete po.persist;
    }
    const packed = pack(po, [], m == 1 ? ["intervalMs", "timeoutMs", "ping", "pong"] : undefined);
    if (m == 1) {
      const g = isObj(hb) && hb.pong !== undefined ? matcher(hb.pong) : undefined;
      if (beats) f = g;
      else packed[0][0] |= 1 << 22; // no heartbeat
      if (beats && g) packed[0][0] |= 1 << 24; // pongs recognized: confirm sends
    } else packed[0][0] |= 1 << 24; // v1, a codec: pongs confirm sends
    if (m == 2) {
      // The codec's heartbeat frames: encode({type:"ping"}) unless heartbeat.ping is set, and
      // encode({type:"pong"}) to answer the peer's pings. They must be text; a codec that
      // cannot give them (e.g. a binary one) needs heartbeat.ping or heartbeat: false, and
      // then does not answer pings.
      const txt = (type, need) => {
        let v;
        try {
          v = enc({ type });
        } catch (e) {
          if (!need) return;
          throw optErr(TypeError, "protocol.encode", `threw for the heartbeat's {type: "${type}"} (set heartbeat.ping or heartbeat: false if it has none): ${describe(e)}`);
        }
        if (typeof v == "string") return v;
        if (!need) return;
        throw optErr(TypeError, "protocol.encode", `must return a string for the heartbeat's {type: "${type}"} (or set heartbeat.ping / heartbeat: false), got ${typeOf(v)}`);
      };
      const own = packed[2] === undefined && hb !== false;
      if (own) packed[2] = txt("ping", true);
      pong = txt("pong", own);
    }
    const hub = new Hub();
    hub.m = m;
    hub.d = dec ?? null;
    hub.rel = rel; // (no `sent` events in reliable mode)
    // The session id: random, stable for the socket's life.
    const sid = rel ? ID() : undefined;
    // persist, reliable mode: idle until restored (the first hello continues the stored
    // session). At-most-once: the socket connects meanwhile; the app's sends wait behind the
    // restore (below), so the restored messages still go first.
    const pi = pn !== undefined && rel && o.autoConnect !== false;
    if (pi) packed[0][0] |= 1 << 23;
    super(url, packed, o, [m, undefined, undefined, tc, up], pong, f, hub, sid);
    this.#m = m;
    this.#enc = enc;
    this.#rel = rel;
    if (pn !== undefined) {
      // persist: sends wait behind the restore in the Blob chain (order kept, counted in `queued`).
      this._ps = new Persist(hub, pn, sid);
      if (pi) this._idle = true;
      this._chain(() => this._ps.start(pi), () => {});
    }
    if (share) {
      // The first attempt's transport waits (a few ms) for this tab's role: the real one if
      // it leads, a link to the leader if not (src/shared.js).
      const c = this._c(), t = (hub.sh = this._t = new Tabs(this, c, hub, sh));
      c.pm((u, mk) => t.make(u, mk));
      if (o.autoConnect !== false) t.start();
    }
  }

  connect() {
    if (this.#wait()) return;
    this._t?.start(); // (first: the attempt's transport waits for this tab's role)
    super.connect();
  }

  reconnect() {
    if (this.#wait()) return;
    this._t?.start();
    super.reconnect();
  }

  /** persist, reliable mode: a connect while restoring waits for it (the first hello continues the stored session). */
  #wait() {
    const p = this._ps;
    if (!(p?.rsv && this.#rel)) return false;
    this._c();
    p.want = 1;
    return true;
  }

  free() {
    // A leader hands over once its connection has closed (what it sent arrives first).
    let w;
    try {
      w = this._t?.ld ? this._c().w() : null;
    } catch { /* freed */ }
    super.free();
    this._t?.stop(w);
  }

  /** The open event's `send`/`request`: through the gate of an open handler's Promise. */
  _open(ev, conn) {
    ev.send = (...a) => this._with(conn, () => this.send(...a));
    ev.request = (...a) => this._with(conn, () => this.request(...a));
  }

  _encReply(id, ok, v) {
    return this.#m == 2 ? this.#encode(ok ? { replyTo: id, data: v === undefined ? null : v } : { replyTo: id, error: v }) : super._encReply(id, ok, v);
  }

  /**
   * A message sent on every open: after the `open` handlers (and any open gate), before the
   * backlog; now too if the connection's backlog already went. Returns `{unsubscribe}`;
   * `unsubscribe(type?, data?)` stops it and, with a `type`, sends that message (e.g. a leave).
   * `protocol: "raw"`: `subscribe(frame)`.
   */
  subscribe(type, data) {
    const c = this._c();
    let v;
    if (this.#m == 1) {
      v = bytes(type);
      if (v === undefined) throw new TypeError(`${P}subscribe: frame must be a string, ArrayBuffer or ArrayBufferView, got ${typeOf(type)}`);
    } else {
      if (typeof type != "string") throw new TypeError(P + "subscribe: type must be a string");
      const msg = { type, data: data === undefined ? null : data };
      if (this.#m == 2) v = this.#encode(msg);
      else {
        try {
          v = JSON.stringify(msg);
        } catch (e) {
          throw notJson(e);
        }
      }
    }
    const key = ++this.#subs;
    c.sb(key, v, v.length);
    let on = true;
    return {
      unsubscribe: (t, d) => {
        if (!on) return false;
        on = false;
        this.#c0()?.ub(key);
        if (t !== undefined) this.#m == 1 ? this.send(t) : this.send(t, d);
        return true;
      },
    };
  }

  /** The Core, or null after free(). */
  #c0() {
    try {
      return this._c();
    } catch {
      return null;
    }
  }

  /**
   * Answers the server's requests of `type` (`{"type","id","data"}`): `handler(data, {type,
   * id})` returns the reply's data (or a Promise of it); a throw or rejection replies
   * `{"replyTo": id, "error": {"message", "code"?}}`. One handler per type (a new one
   * replaces it). Returns a function that removes it.
   */
  handle(type, handler) {
    this._c();
    if (this.#m == 1) throw new TypeError(P + 'handle() needs requests: protocol "raw" has none (use "v1" or a codec)');
    if (typeof type != "string") throw new TypeError(P + "handle: type must be a string");
    if (!isFn(handler)) throw new TypeError(P + "handler must be a function");
    const hs = this._h.hs;
    hs.set(type, handler);
    this._t?.hs(); // shared: the leader routes the server's requests of `type` here
    return () => {
      if (hs.get(type) === handler) hs.delete(type);
      this._t?.hs();
    };
  }

  onMessage(type, handler) {
    this._c();
    if (typeof type != "string") throw new TypeError(P + "onMessage: type must be a string");
    if (!isFn(handler)) throw new TypeError(P + "handler must be a function");
    const t = this._h.t, x = [type, handler];
    t.push(x);
    return () => {
      const i = t.indexOf(x);
      if (i >= 0) t.splice(i, 1);
    };
  }

  /** A codec's frame for `msg`, checked. */
  #encode(msg) {
    let v;
    try {
      v = this.#enc(msg);
    } catch (e) {
      throw new TypeError(P + "protocol.encode threw: " + describe(e));
    }
    if (typeof v != "string" && !(v instanceof Uint8Array)) {
      throw new TypeError(`${P}protocol.encode must return a string or a Uint8Array, got ${typeOf(v)}`);
    }
    return v;
  }

  send(type, data, options) {
    const c = this._c();
    if (this.#m == 1) return this.sendRaw(type);
    if (typeof type != "string") throw new TypeError(P + "send: type must be a string");
    if (options != null) {
      if (!isObj(options)) throw argErr(TypeError, "options", `must be an object, got ${typeOf(options)}`);
      for (const k of Object.keys(options)) {
        if (k != "ack") throw argErr(TypeError, "options." + k, "is not a send option (known: ack)");
      }
      const a = options.ack;
      if (a !== undefined && typeof a != "boolean") throw argErr(TypeError, "options.ack", `must be a boolean, got ${typeOf(a)}`);
      if (a) {
        if (!this.#rel) throw argErr(TypeError, "options.ack", 'needs delivery: "at-least-once" (the server acks messages only in reliable mode)');
        if (this._bq && !this._ib) {
          // Waiting behind a restore (persist): serialized now, sent (and its seq taken) in order.
          let j, out;
          try {
            j = JSON.stringify(data) ?? "null";
          } catch (e) {
            throw notJson(e);
          }
          this._wait(j.length, (via) => (out = this._chain(null, () => this._with(via, () => this.send(type, JSON.parse(j), options)))), `{"type":${JSON.stringify(type)},"data":${j}}`, 0);
          return out;
        }
        const r = this.send(type, data);
        // Settled by the server's ack (Hub.e 16), or rejected by the message's drop (9).
        const seq = c.sq();
        return r == "dropped" ? Promise.reject(kindErr("overflow", P + "message dropped: overflow")) : new Promise((res, rej) => this._h.a.set(seq, [res, rej]));
      }
    }
    if (this.#m == 2) {
      const v = this.#encode({ type, data: data === undefined ? null : data });
      return this._tx(v, v.length, 0);
    }
    // User code (`toJSON`) runs here, before the wasm is entered.
    let s;
    try {
      s = JSON.stringify({ type, data: data === undefined ? null : data });
    } catch (e) {
      throw notJson(e);
    }
    return this._tx(s, s.length, 0);
  }

  request(type, data, options) {
    const c = this._c();
    if (this.#m == 1) throw new TypeError(P + 'request() needs replies: protocol "raw" has none (use "v1" or a codec)');
    if (typeof type != "string") throw new TypeError(P + "request: type must be a string");
    let t;
    if (options != null) {
      if (!isObj(options)) throw argErr(TypeError, "options", `must be an object, got ${typeOf(options)}`);
      for (const k of Object.keys(options)) {
        if (k != "timeoutMs") throw argErr(TypeError, "options." + k, "is not a request option (known: timeoutMs)");
      }
      t = options.timeoutMs;
      if (t !== undefined && typeof t != "number") throw argErr(TypeError, "timeoutMs", `must be a number, got ${typeOf(t)}`);
    }
    if (this._bq && !this._ib) {
      // Behind a Blob being read: checked and serialized now (as without one), sent in order
      // after it.
      // (A codec's data is its own business: handed over as it is.)
      this._open0();
      let j = "null", snap = data;
      if (this.#m == 0) {
        try {
          j = JSON.stringify(data) ?? "null";
        } catch (e) {
          throw notJson(e);
        }
        snap = JSON.parse(j);
      }
      const via = this._via;
      let out;
      this._wait(j.length, () => (out = this._chain(null, () => this._with(via, () => this.request(type, snap, options)))), `{"type":${JSON.stringify(type)},"data":${j}}`, 0);
      return out;
    }
    if (this.#m == 2) {
      // The codec is user code: it encodes with the id the request will get, before the
      // engine step; if it called back into the socket meanwhile (-6), encode again.
      for (let i = 0; i < 3; i++) {
        const id = c.ni();
        const v = this.#encode({ type, id, data: data === undefined ? null : data });
        const r = this._c().rf(v, v.length, id, t, this._via || undefined);
        if (r != -6) return this._rq(r);
      }
      throw new Error(P + "request: the codec keeps calling back into the socket");
    }
    // The wasm checks the timeout's range, then serializes the data exactly once (dataJson in
    // src/glue.js: a throwing toJSON throws from here and nothing is sent), then queues.
    return this._rq(c.rq(type, data, t, this._via || undefined));
  }

  sendRaw(data) {
    this._c();
    if (this.#rel) throw new TypeError(P + 'sendRaw is not available with delivery: "at-least-once" (raw frames cannot carry a seq)');
    if (globalThis.Blob && data instanceof Blob) return this._blob(data);
    let v;
    try {
      v = bytes(data);
    } catch (e) {
      // e.g. a detached ArrayBuffer
      throw new TypeError(`${P}${this.#m == 1 ? "send" : "sendRaw"}: data cannot be read: ${describe(e)}`);
    }
    if (v === undefined) {
      throw new TypeError(`${P}${this.#m == 1 ? "send" : "sendRaw"}: data must be a string, ArrayBuffer, ArrayBufferView or Blob, got ${typeOf(data)}`);
    }
    return this._tx(v, v.length, 1);
  }
}

/** The `TypeError` for data `JSON.stringify` refused (or a throwing `toJSON`). */
export const notJson = (e) => new TypeError(P + "data is not JSON-serializable: " + describe(e));
