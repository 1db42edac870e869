// Small JS helpers imported by the wasm (one snippet file for all of them).

/** `ws.send(d)` on an OPEN socket; false when not OPEN (browsers silently drop those) or send threw. */
export function trySend(ws, d) {
  if (ws.readyState !== 1) return false;
  try { ws.send(d); return true; } catch (e) { return false; }
}

/** Reliable mode: a JSON object text with `"seq": n` as its first member (undefined for anything else). */
export function withSeq(f, n) {
  if (typeof f != "string" || f[0] != "{") return;
  const r = f.slice(1).trimStart();
  return '{"seq":' + n + (r[0] == "}" ? "" : ",") + r;
}

/** UTF-8 byte length of a string, without copying it anywhere. */
export function utf8Len(s) {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) n += 1; // each surrogate half: 2 bytes (4 per pair)
    else if (c > 0x7ff) n += 2;
    else if (c > 0x7f) n += 1;
  }
  return n;
}

/** A short description of a thrown value: `Name: message` for an Error, a string as is. */
export const describe = (e) => {
  // Never throws: a thrown value may be a Proxy, or an Error whose getters throw.
  try {
    return e instanceof Error ? `${e.name}: ${e.message}` : typeof e == "string" ? e : "unknown error";
  } catch {
    return "unknown error";
  }
};

/** `JSON.stringify(d)` for a request's data, run once before the engine step; `undefined` (or what stringifies to nothing) becomes `null`. When JSON.stringify (or a `toJSON`) throws, throws the facade's TypeError (as `send` does in src/facade.js). */
export function dataJson(d) {
  let s;
  try {
    s = JSON.stringify(d);
  } catch (e) {
    throw new TypeError("steadysocket: data is not JSON-serializable: " + describe(e));
  }
  return s === undefined ? "null" : s;
}

/** A request envelope from the type, the id and the already-stringified data: no user code runs here. */
export function requestEnvelope(type, id, data) {
  return '{"type":' + JSON.stringify(type) + ',"id":' + id + ',"data":' + data + "}";
}

/**
 * A WebSocket URL as the native constructor resolves it: relative to the page (its base
 * URI), `http:`/`https:` become `ws:`/`wss:`. Throws a `SyntaxError` without a base. (The
 * same rule as `wsUrl` in src/facade.js, which checks URLs before they get here.)
 */
export function wsUrl(s) {
  const u = new URL(s, globalThis.document?.baseURI ?? globalThis.location?.href);
  if (u.protocol == "http:" || u.protocol == "https:") u.protocol = u.protocol == "http:" ? "ws:" : "wss:";
  return u.href;
}

// ---------- the Port: the browser side of the driver (src/web/mod.rs) ----------
//
// One per socket. It owns the WebSocket, the one re-armable timer and the window/document
// listeners, and reports every input to the wasm through ONE callback, `f(kind, conn, n, a)`:
//   0 open (conn) · 1 message (conn, a data) · 2 close (conn, n code + 65536 if clean, a reason)
//   3 timer · 4 online · 5 offline · 6 visibility (n 1 visible) · 7 pageshow persisted
//   8 microtask · 9 URL provider fulfilled (conn, a value) · 10 rejected (conn, a reason)
// No decisions here: the wasm decides what to open, send, close and arm, and checks conns.

// The page's tick Worker (`null`: none; made for the first Port, lives with the page), the
// arms posted to it so far (= the last token: the worker numbers what it receives 1, 2, …),
// and whether it fired `error` (page timers from then on). See "Hidden tabs" in src/web/mod.rs.
let W, T = 0, WF = 0;
const worker = () => {
  if (W === undefined) {
    W = null;
    try {
      if (typeof Window == "function" && globalThis instanceof Window) {
        W = new Worker(URL.createObjectURL(new Blob(["n=0;onmessage=e=>{let k=++n;setTimeout(()=>postMessage(k),e.data)}"])));
      }
    } catch { /* no Worker, or CSP without blob: in worker-src: page timers */ }
  }
  return W;
};

export class Port {
  /** `f` is the wasm callback; `q` the subprotocols (an array of strings). */
  constructor(f, q) {
    this.f = f;
    this.q = q;
    this.w = null; // the WebSocket
    this.t = 0; // the token of the pending worker arm, 0 if none
    this.p = 0; // the pending page setTimeout id
    this.z = 0; // disposed
    this.l = []; // [target, name, listener]
    const g = globalThis, on = (t, n, h) => {
      if (t.addEventListener) {
        t.addEventListener(n, h);
        this.l.push([t, n, h]);
      }
    };
    // A worker tick carries a token: only the current one fires. `error` (no data) switches
    // to page timers and fires an armed timer at once (early is harmless: the engine re-arms).
    const tick = (e) => {
      const k = e.data;
      if (typeof k != "number") WF = 1;
      else if (k !== this.t) return;
      if (this.t) {
        this.t = 0;
        f(3, 0, 0);
      }
    };
    const w = worker();
    if (w) {
      on(w, "message", tick);
      on(w, "error", tick);
    }
    on(g, "online", () => f(4, 0, 0));
    on(g, "offline", () => f(5, 0, 0));
    on(g, "pageshow", (e) => e.persisted && f(7, 0, 0));
    if (typeof document == "object") {
      on(document, "visibilitychange", () => f(6, 0, document.visibilityState == "visible" ? 1 : 0));
    }
  }

  /** `performance.now()` (else `Date.now()`): the engine's clock, in ms. */
  static n() {
    return (globalThis.performance || Date).now();
  }

  /** Opens the socket for `c` (detaching any other); the exception's text if it throws. */
  o(c, url) {
    this.x();
    let w;
    try {
      w = new WebSocket(wsUrl(url), this.q);
    } catch (e) {
      return describe(e);
    }
    const f = this.f;
    w.binaryType = "arraybuffer";
    w.onopen = () => f(0, c, 0);
    w.onmessage = (e) => f(1, c, 0, e.data);
    w.onclose = (e) => f(2, c, e.code + (e.wasClean ? 65536 : 0), e.reason);
    // The close event says everything; a listener also keeps Node's `ws` package from
    // throwing an unhandled 'error' for a refused connection.
    w.onerror = () => {};
    this.w = w;
  }

  /** Sends a string or Uint8Array as it is if the socket is OPEN (browsers silently drop the rest). */
  s(d) {
    const w = this.w;
    if (!w || w.readyState !== 1) return false;
    try {
      w.send(d);
      return true;
    } catch {
      return false;
    }
  }

  /** The socket's `bufferedAmount` (0 without one). */
  b() {
    return this.w?.bufferedAmount ?? 0;
  }

  /** Starts the closing handshake, keeping the listeners. */
  c(code, reason) {
    try {
      this.w?.close(code, reason);
    } catch { /* ignored, as the browser would */ }
  }

  /** Detaches the socket: removes its listeners and closes it if CONNECTING or OPEN. */
  x() {
    const w = this.w;
    if (w) {
      w.onopen = w.onmessage = w.onclose = null;
      w.onerror = () => {};
      if (w.readyState < 2) this.c(1000, "");
      this.w = null;
    }
  }

  /** Arms the timer `ms` from now (replacing any arm): a worker tick, else a page timer. */
  a(ms) {
    this.k();
    if (W && !WF) {
      this.t = ++T;
      W.postMessage(ms);
    } else {
      this.p = setTimeout(() => {
        this.p = 0;
        this.f(3, 0, 0);
      }, ms);
    }
  }

  /** Disarms (a stale worker tick is then ignored). */
  k() {
    clearTimeout(this.p);
    this.p = this.t = 0;
  }

  /** Queues a microtask pump (always delivered: the wasm holds itself alive for it). */
  m() {
    queueMicrotask(() => this.f(8, 0, 0));
  }

  /** Settles the URL provider's Promise for `c` (nothing is reported after dispose). */
  u(c, p) {
    p.then((v) => this.z || this.f(9, c, 0, v), (e) => this.z || this.f(10, c, 0, e));
  }

  /** Releases everything: the socket, the timer, the listeners. Idempotent. */
  d() {
    this.z = 1;
    this.x();
    this.k();
    for (const [t, n, h] of this.l) t.removeEventListener(n, h);
    this.l = [];
  }
}
