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

// ---------- HTTP transports (README "Transports"; the server side: "HTTP side of the protocol") ----------
//
// `Http` looks like a WebSocket to the Port (readyState, bufferedAmount, send, close, onopen/
// onmessage/onclose) over fetch: `sse` streams down (text/event-stream), `long-polling` holds
// GETs; both POST batches up, one at a time. It also reports, per frame tag (the engine's
// serial), what was delivered (`ondelivered(tag)`: a POST was answered 2xx) and what surely
// was not (`onundelivered(tag)`: every frame accepted after `tag`: a refused POST, or frames
// never sent when the connection ended), so nothing is lost or sent twice unknowingly.

export const b64 = (u) => {
  let s = "";
  for (let i = 0; i < u.length; i += 32768) s += String.fromCharCode.apply(null, u.subarray(i, i + 32768));
  return btoa(s);
};
export const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)).buffer;

class Http {
  constructor(url, poll) {
    const u = (this.u = new URL(url));
    u.protocol = u.protocol == "wss:" ? "https:" : "http:";
    u.searchParams.set("transport", poll ? "polling" : "sse");
    this.p = poll;
    this.h = 1; // not a WebSocket
    // n: the last batch number; sent: the tag of the last frame handed to a POST; ok: of the
    // last delivered one; r: a POST was refused (its frames surely did not arrive).
    this.readyState = this.bufferedAmount = this.n = this.busy = this.sent = this.ok = this.r = 0;
    this.protocol = this.extensions = "";
    this.q = []; // [frame, tag, size] waiting for the next POST
    this.a = new AbortController();
    this.go();
  }

  /** The URL with more query parameters. */
  at(extra) {
    const u = new URL(this.u);
    for (const k in extra) u.searchParams.set(k, extra[k]);
    return u.href;
  }

  get(extra) {
    return fetch(this.at(extra), { signal: this.a.signal, cache: "no-store", headers: this.p ? {} : { accept: "text/event-stream" } });
  }

  async go() {
    try {
      const r = await this.get({});
      if (!r.ok) return this.fail(r);
      if (!this.p) return await this.stream(r);
      this.sid = (await r.json()).sid;
      this.up();
      // Closing (2): polls go on until the last POST is answered and the session is ended.
      while (this.readyState < 3) {
        const r = await this.get({ sid: this.sid });
        if (!r.ok) return this.fail(r);
        const v = await r.json();
        this.frames(v.frames || []);
        if (v.close) return this.end(v.close.code, v.close.reason, 1);
      }
    } catch {
      this.end(1006, "");
    }
  }

  /** Reads the event stream: `open`, batches, `close`. */
  async stream(r) {
    const rd = r.body.getReader(), dec = new TextDecoder();
    let buf = "";
    for (;;) {
      const { done, value } = await rd.read();
      if (done || this.readyState > 2) break;
      buf = (buf + dec.decode(value, { stream: true })).replace(/\r\n/g, "\n"); // CRLF lines too
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        let type = "", data = "";
        for (const line of buf.slice(0, i).split("\n")) {
          if (line.startsWith("event:")) type = line.slice(6).trim();
          else if (line.startsWith("data:")) data += line.slice(line[5] == " " ? 6 : 5);
        }
        buf = buf.slice(i + 2);
        if (!data) continue; // a comment (keep-alive)
        const v = JSON.parse(data);
        if (type == "open") {
          this.sid = v.sid;
          this.up();
        } else if (type == "close") return this.end(v.code, v.reason, 1);
        else this.frames(v);
        if (this.readyState > 2) return;
      }
    }
    this.end(1006, "");
  }

  up() {
    if (this.readyState == 0) {
      this.readyState = 1;
      this.onopen?.();
    }
  }

  /** Delivers a batch (also while closing, as a WebSocket does). */
  frames(a) {
    for (const f of a) {
      if (this.readyState > 2) return;
      this.onmessage?.({ data: typeof f == "string" ? f : unb64(f.b) });
    }
  }

  /** A non-2xx answer: 1013 with the retry advice for 429/503 + Retry-After, else 1006. */
  fail(r) {
    const ra = r.headers.get("retry-after");
    if ((r.status == 429 || r.status == 503) && ra && isFinite(ra)) this.end(1013, `{"retryAfterMs":${ra * 1000}}`);
    else this.end(1006, "HTTP " + r.status);
  }

  send(d, tag) {
    if (this.readyState != 1) throw 0;
    if (d instanceof String) d = String(d); // (a `shared` leader relays text as String objects)
    const size = typeof d == "string" ? d.length : d.byteLength;
    this.q.push([typeof d == "string" ? d : { b: b64(d) }, tag, size]);
    this.bufferedAmount += size;
    // Frames sent in the same task go in one POST.
    if (this.q.length == 1 && !this.busy) queueMicrotask(() => this.post());
  }

  async post() {
    if (this.busy || !this.q.length || this.readyState > 2) return this.readyState == 2 && this.bye();
    const batch = this.q.splice(0), n = ++this.n;
    const body = JSON.stringify(batch.map((x) => x[0]));
    this.busy = 1;
    this.sent = batch.at(-1)[1];
    let r, tries = 0;
    for (; ; tries++) {
      try {
        r = await fetch(this.at({ sid: this.sid, n }), { method: "POST", body, headers: { "content-type": "text/plain;charset=UTF-8" }, signal: this.a.signal });
        break;
      } catch {
        // No answer: it may or may not have arrived. The server ignores a repeated `n`.
        if (tries == 2 || this.readyState > 2) return this.end(1006, "");
        await new Promise((k) => setTimeout(k, 100 << tries));
      }
    }
    this.busy = 0;
    for (const x of batch) this.bufferedAmount -= x[2];
    if (!r.ok) {
      // Refused at the first try: none of it was processed. (After a try with no answer, a
      // refusal proves nothing about that try: the batch may have arrived.)
      if (!tries) {
        this.sent = this.ok;
        this.r = 1;
      }
      return this.fail(r);
    }
    this.ok = this.sent;
    this.ondelivered?.(this.ok);
    this.post();
  }

  /** Closing: once the last POST is answered, tells the server and ends. */
  bye() {
    if (this.busy || this.q.length) return;
    fetch(this.at({ sid: this.sid, close: 1 }), { method: "POST", keepalive: true }).catch(() => {});
    this.end(...this.cc, 1);
  }

  close(code = 1000, reason = "") {
    if (this.readyState > 1) return;
    this.cc = [code, reason];
    if (!this.sid) return this.end(code, reason, 1);
    this.readyState = 2;
    this.post();
  }

  end(code, reason, clean) {
    if (this.readyState == 3) return;
    this.readyState = 3;
    this.a.abort();
    // Frames that never left (and a refused batch) surely did not arrive; a batch whose POST
    // got no answer may have: the engine reports those `lost`.
    if (this.q.length || this.r) this.onundelivered?.(this.sent);
    this.q = [];
    this.bufferedAmount = 0;
    this.onclose?.({ code, reason, wasClean: !!clean });
  }
}

// ---------- the Port: the browser side of the driver (src/web/mod.rs) ----------
//
// One per socket. It owns the WebSocket, the one re-armable timer and the window/document
// listeners, and reports every input to the wasm through ONE callback, `f(kind, conn, n, a)`:
//   0 open (conn) · 1 message (conn, a data) · 2 close (conn, n code + 65536 if clean, a reason)
//   3 timer · 4 online · 5 offline · 6 visibility (n 1 visible) · 7 pageshow persisted
//   8 microtask · 9 URL provider fulfilled (conn, a value) · 10 rejected (conn, a reason)
//   11 delivered (conn, n tag) · 12 undelivered after (conn, n tag) · 13 probe (conn, n 1 opened)
//   15 the transport of conn reports deliveries like an HTTP one (a `shared` follower link)
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

/** The engine's clock (looked up once: it is read twice per message). */
const CLOCK = globalThis.performance || Date;

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
    return CLOCK.now();
  }

  /** Opens transport `t` (0 WebSocket, 1 sse, 2 long-polling) for `c` (detaching any other); the exception's text if it throws. */
  o(c, url, t) {
    this.x();
    let w;
    try {
      w = this.mm?.(url, () => this.mk(url, t)) || this.mk(url, t);
    } catch (e) {
      return describe(e);
    }
    const f = this.f;
    this.uc = url;
    w.binaryType = "arraybuffer";
    w.ontrack = () => f(15, c, 0);
    w.ondelivered = (k) => f(11, c, k);
    w.onundelivered = (k) => f(12, c, k);
    w.onopen = () => f(0, c, 0);
    w.onmessage = (e) => f(1, c, 0, e.data);
    w.onclose = (e) => f(2, c, e.code + (e.wasClean ? 65536 : 0), e.reason);
    // The close event says everything; a listener also keeps Node's `ws` package from
    // throwing an unhandled 'error' for a refused connection.
    w.onerror = () => {};
    this.w = w;
  }

  /** Sets the transport maker asked first: `f(url, mk)` returns a socket-like object or nothing (JS `shared`: a follower tab's link to the leader, src/shared.js); `mk()` makes the usual one. */
  pm(f) {
    this.mm = f;
  }

  /** A new transport `t` to `url` (the Socket.IO Port, src/eio.js, adds Engine.IO's polling). */
  mk(url, t) {
    return t ? new Http(wsUrl(url), t == 2) : new WebSocket(wsUrl(url), this.q);
  }

  /** Sends a string or Uint8Array as it is if the socket is OPEN (browsers silently drop the rest); `k` tags it (HTTP transports). */
  s(d, k) {
    const w = this.w;
    if (!w || w.readyState !== 1) return false;
    try {
      w.send(d, k);
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
      w.onopen = w.onmessage = w.onclose = w.ondelivered = w.onundelivered = w.ontrack = null;
      w.onerror = () => {};
      if (w.readyState < 2) this.c(1000, "");
      this.w = null;
    }
  }

  /** The current WebSocket, or null (none, or an HTTP transport). */
  get ws() {
    return this.w?.h ? null : this.w;
  }

  /** The upgrade probe: opens transport `t` to the last URL for `c` and reports 13 (`n` 1 if it opened) once; closes it at once. */
  r(c, t) {
    this.y();
    let w, f = this.f, done = (ok) => {
      if (this.v != w) return;
      this.v = null;
      w.onopen = w.onclose = null;
      if (w.readyState < 2) w.close(1000, "probe");
      f(13, c, ok);
    };
    try {
      w = this.v = this.mk(this.uc, t);
    } catch {
      return f(13, c, 0);
    }
    w.onopen = () => done(1);
    w.onclose = () => done(0);
    w.onerror = () => {};
  }

  /** Drops the probe (if any), reporting nothing. */
  y() {
    const w = this.v;
    if (w) {
      this.v = null;
      w.onopen = w.onclose = null;
      if (w.readyState < 2) w.close(1000, "probe");
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
    this.y();
    this.k();
    for (const [t, n, h] of this.l) t.removeEventListener(n, h);
    this.l = [];
  }
}
