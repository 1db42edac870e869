// The Socket.IO client (npm entry `steadysocket/socketio`): `io(url, options)` returns a
// `Socket` shaped like socket.io-client's, over the same wasm `Core` as `SteadySocket`
// (src/facade.js), built with the cargo feature `socketio`. One Core per connection (the
// Manager): Engine.IO v4 (polling, its upgrade, WebSocket) and Socket.IO v5 for any number of
// namespaces, each an engine channel (its emits wait for its own CONNECT). The wasm
// (src/web/socketio.rs, on the codec src/core/socketio.rs) runs the session (open packet,
// CONNECTs, pings, recovery offsets, binary reassembly); the engine does reconnect, heartbeat
// deadlines, the queue and acks (= requests). This file encodes packets (one JSON.stringify
// per emit, binary attachments replaced by placeholders), decodes events (placeholders
// replaced by the attachments), and maps engine events to socket.io's (`connect`,
// `connect_error`, `disconnect`; the Manager's `reconnect*`, `error`, `ping`).
import { Base, Hub, pack, keys, optErr, argErr, kindErr, typeOf, refusal, freed, P } from "./facade.js";

const isObj = (v) => typeof v == "object" && v !== null && !Array.isArray(v);
const isFn = (v) => typeof v == "function";
const isBin = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);
const describe = (e) => {
  try {
    return e instanceof Error ? `${e.name}: ${e.message}` : typeof e == "string" ? e : "unknown error";
  } catch {
    return "unknown error";
  }
};
// Event names socket.io reserves (an EVENT carrying one is invalid).
const RESERVED = ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];
// The wasm's ErrorKind order (src/core; as src/facade.js).
const ERRORS = ["connect", "connect-timeout", "url", "message-too-big", "protocol", "reconnect-failed", "reconnect-stopped", "handler", "heartbeat-timeout", "handshake"];
// Error kinds that fail a connection attempt (→ `connect_error`).
const ATTEMPT = ["connect", "connect-timeout", "url", "handshake"];
// The Manager's own events (the engine's, e.g. `drop`, `state`, `rtt`, are the Base's).
const MGR = ["ping", "reconnect", "reconnect_attempt", "reconnect_error", "reconnect_failed", "upgrade", "upgradeError"];
// Options: socket.io-client's names, then ours (see the README's options table).
const SIO_OPTS = ["path", "query", "auth", "reconnection", "reconnectionAttempts", "reconnectionDelay", "reconnectionDelayMax", "randomizationFactor", "timeout", "transports", "upgrade", "rememberUpgrade", "ackTimeout", "forceNew", "multiplex", "withCredentials", "extraHeaders"];
const OURS = ["autoConnect", "reconnect", "queue", "requestTimeoutMs", "connectTimeoutMs", "maxMessageBytes", "shouldReconnect", "endpointSkipMs"];
const te = new TextEncoder();

/**
 * Whether `v` may hold binary data or a Blob (then `_pk` takes the replacer path): false only
 * when surely not. A plain `JSON.stringify` is much faster than one with a replacer.
 */
const mayBin = (v, d = 0) => {
  if (v === null || typeof v != "object") return false;
  const B = globalThis.Blob;
  if (d > 32 || isBin(v) || typeof v.toJSON == "function" || (B && v instanceof B)) return true;
  if (Array.isArray(v)) return v.some((x) => mayBin(x, d + 1));
  for (const k in v) if (mayBin(v[k], d + 1)) return true;
  return false;
};

/** A copy of binary data as a Uint8Array (a queued packet never sees later changes). */
const copy = (v) => (v instanceof ArrayBuffer ? new Uint8Array(v.slice(0)) : new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)));

/** `JSON.parse` of `[text, attachments]`, placeholders replaced by the attachments (ArrayBuffers). */
const dec = (v) => {
  const atts = v[1];
  return JSON.parse(v[0], atts ? (k, x) => (x && x._placeholder === true && Number.isInteger(x.num) && x.num >= 0 && x.num < atts.length ? atts[x.num] : x) : undefined);
};

/** The Hub of a Socket.IO connection (the Manager): socket.io's events from the engine's. */
class SioHub extends Hub {
  ns = new Map(); // namespace channel → WeakRef to its Socket (not `a`, `p`, …: Hub's)
  att = 0; // the reconnect attempt being made (0: none)
  hb = false; // the connection died of a heartbeat timeout ("ping timeout")
  tn = "polling"; // the Engine.IO transport in use (or being opened)

  /** Told by the Port (src/eio.js) which transport is used: `what` 0 opened, 1 upgraded, 2 upgrade failed (`why`). */
  tr(name, what, why) {
    this.tn = name;
    if (what == 1) this.emit("upgrade", name);
    if (what == 2) this.emit("upgradeError", kindErr("upgrade", "the upgrade to WebSocket failed: " + why));
  }

  /** The Socket of namespace channel `ch`, if alive. */
  so(ch) {
    return this.ns.get(ch)?.deref();
  }

  /** The live Sockets. */
  all() {
    return [...this.ns.values()].map((r) => r.deref()).filter((x) => x && !x._fr);
  }

  /** The `auth` of namespace `ch`'s attempt on `conn`: handed to the wasm's `ca` (now, or when it resolves). */
  ha(conn, ch) {
    const c = this.sk?._c(), so = this.so(ch);
    if (!c || !so) return;
    let done = false;
    const send = (d) => {
      if (done) return;
      done = true;
      if (d !== undefined && d !== null && !isObj(d)) return c.cx(conn, ch, `auth must be an object, got ${typeOf(d)}`);
      let j;
      try {
        j = JSON.stringify(d ?? {});
      } catch (e) {
        return c.cx(conn, ch, "auth cannot be encoded as JSON: " + describe(e));
      }
      c.ca(conn, ch, j);
    };
    const a = so._au;
    if (!isFn(a)) return send(a);
    let r;
    try {
      r = a(send);
    } catch (e) {
      throw "auth threw: " + describe(e); // a string: the connect error's message as it is
    }
    if (isFn(r?.then)) r.then(send, (e) => !done && ((done = true), c.cx(conn, ch, "auth rejected: " + describe(e))));
  }

  /** `(type, data, nsp)` of a queued packet for `drop`/`sent`: the event name, its arguments and the namespace. */
  desc(raw, v) {
    try {
      const t = Array.isArray(v) ? v[0] : v, i = t.indexOf("[");
      const a = dec([t.slice(i), Array.isArray(v) ? v.slice(1).map((b) => b.buffer) : undefined]);
      // `42/chat,7[...]` or `451-/chat,[...]`: the namespace between `/` and `,`; else "/".
      const s = t.indexOf("/");
      return [a[0], a.slice(1), s >= 0 && s < i ? t.slice(s, t.indexOf(",", s)) : "/"];
    } catch {
      return [null, v];
    }
  }

  e(k, a, b, c, v, w) {
    switch (k) {
      case 21: return this.sio(a, b, c, v, w);
      case 0: {
        super.e(k, a, b, c, v, w);
        // reconnecting → connecting: the attempt starts.
        if (a == 2 && b == 0) this.emit("reconnect_attempt", this.att);
        return;
      }
      case 1: {
        // The Engine.IO connection opened; each namespace's `connect` follows its CONNECT answer.
        this.hb = false;
        if (a) this.emit("reconnect", b);
        this.att = 0;
        return this.emit("open", { reconnected: !!a, attempt: b });
      }
      case 2: {
        super.e(k, a, b, c, v, w);
        const reason = this.hb ? "ping timeout" : "transport close";
        for (const so of this.all()) {
          if (!so.connected) continue;
          so.connected = false;
          so.id = undefined;
          so._emit("disconnect", [reason, { code: a, reason: v, wasClean: !!(b & 1), willReconnect: !!(b & 2) }]);
        }
        return;
      }
      case 3:
        this.att = a;
        return super.e(k, a, b, c, v, w);
      case 4: {
        const kind = ERRORS[a], err = kindErr(kind, v);
        if (kind == "heartbeat-timeout") this.hb = true;
        if (kind == "reconnect-failed") this.emit("reconnect_failed", err);
        this.emit("error", err);
        if (ATTEMPT.includes(kind)) {
          if (this.att) this.emit("reconnect_error", err);
          for (const so of this.all()) if (so._act && !so.connected) so._emit("connect_error", [err]);
        }
        return;
      }
      // A queued emit over the server's maxPayload (the wasm's DropReason/Failure 4).
      case 9:
        if (b == 4) {
          const [type, data] = this.desc(a, v);
          return this.emit("drop", { type, data, reason: "too-big" });
        }
        break;
      case 12:
        if (b == 4) return this.settle(a, false, kindErr("too-big", P + "request failed: the packet is over the server's maxPayload (not sent)"));
    }
    return super.e(k, a, b, c, v, w);
  }

  /**
   * A Socket.IO note (src/web/socketio.rs) for namespace channel `ch`: 0 event, 1 ack of
   * request `id`, 2 connect error, 3 ping, 4 connected, 5 server disconnect, 6 auth failed.
   */
  sio(k, id, conn, v, ch) {
    if (k == 3) return this.emit("ping");
    const so = this.so(ch);
    if (k == 6) {
      if (so) {
        so._act = false;
        so._emit("connect_error", [kindErr("handshake", v)]);
      }
      return;
    }
    if (k == 4) {
      if (!so) return;
      const info = this.sk?._c().si(ch) ?? [];
      so.id = info[0];
      so.recovered = !!info[1];
      so._mp = info[2];
      so.connected = true;
      return so._emit("connect", []);
    }
    if (k == 5) {
      if (!so) return;
      so._act = so.connected = false;
      so.id = undefined;
      so._fail("connection-lost", "the server disconnected the namespace");
      return so._emit("disconnect", ["io server disconnect", { code: 1000, reason: "io server disconnect", wasClean: true, willReconnect: false }]);
    }
    let args;
    try {
      args = dec(v);
    } catch (e) {
      return this.emit("error", kindErr("protocol", "malformed Socket.IO payload: " + describe(e)));
    }
    if (k == 1) return this.settle(id, true, args);
    if (!so) return;
    if (k == 2) {
      // CONNECT_ERROR: {message, data} (a string from old servers). No reconnect follows.
      so._act = false;
      const err = kindErr("connect", typeof args == "string" ? args : String(args?.message));
      err.data = args?.data;
      return so._emit("connect_error", [err]);
    }
    const ack = v[2];
    if (ack !== undefined) {
      let sent = false;
      args.push((...r) => {
        if (sent) return;
        sent = true;
        so._ack(conn, ack, r);
      });
    }
    so._event(args);
  }
}

/**
 * The connection (socket.io-client's Manager, `socket.io`): the steadysocket engine's
 * surface (state, metrics, `drop`/`rtt`/`state`/… events, DOM events) plus socket.io's
 * Manager events `reconnect_attempt`, `reconnect`, `reconnect_error`, `reconnect_failed`,
 * `error`, `ping`, `open` and `close`.
 */
export class Manager extends Base {
  _s = new Map(); // namespace → its Socket (socket.io-client's `nsps`)
  _ac = true; // autoConnect: new sockets connect at once

  constructor(url, packed, o, hub, nsp, eio) {
    super(url, packed, o, [4], "3", eio, hub, nsp);
    this._ac = o.autoConnect !== false;
  }

  /** The Socket of namespace `nsp` on this connection (the same one on every call, a new one after its `free()`); `opts.auth` as `io()`'s. */
  socket(nsp, opts) {
    const s = this._s.get(nsp);
    return s && !s._fr ? s : new Socket(this, nsp, opts);
  }

  /** Releases the wasm side at once: every Socket on this connection is freed (disconnected, no events). */
  free() {
    for (const s of this._s.values()) {
      s._fr = true;
      s._act = s.connected = false;
      s.id = undefined;
    }
    super.free();
  }

  /** The Engine.IO transport in use (or being opened): "polling" or "websocket". */
  get transport() {
    return this._h.tn;
  }

  /** socket.io-client's `socket.io.engine.transport.name`, read-only. */
  get engine() {
    return { transport: { name: this._h.tn } };
  }

  on(event, handler) {
    if (MGR.includes(event)) {
      this._c();
      if (!isFn(handler)) throw new TypeError(P + "handler must be a function");
      this._h.l.push([event, handler]);
    } else super.on(event, handler);
    return this;
  }

  once(event, handler) {
    if (!isFn(handler)) throw new TypeError(P + "handler must be a function");
    const w = (x) => {
      this.off(event, w);
      return handler(x);
    };
    return this.on(event, w);
  }

  off(event, handler) {
    super.off(event, handler);
    return this;
  }
}

// Managers shared by `io()` calls (multiplexing): the Engine.IO URL → WeakRef to its Manager.
const cache = new Map();

/**
 * socket.io-client's `io(url, options)`: the Socket of the URL's namespace. Sockets of other
 * namespaces on the same server (same Engine.IO URL: origin, path, query) share one
 * connection (the Manager); a namespace that already has a Socket there, `forceNew: true` or
 * `multiplex: false` open a new one.
 */
export function io(url, options) {
  return new Socket(url, options);
}

/** Resolves `io()`'s arguments: `[Manager, namespace, auth]`. */
function route(url, options) {
  if (options === undefined && isObj(url)) [url, options] = [undefined, url];
  const o = options ?? {};
  if (!isObj(o)) throw optErr(TypeError, "options", `must be an object, got ${typeOf(options)}`);
  keys(o, "", "options", [...SIO_OPTS, ...OURS]);
  const G = globalThis;
  // An endpoint list (the nodes of one service): the namespace is the first URL's path.
  const list = Array.isArray(url);
  if (list && (!url.length || url.length > 64)) throw new RangeError(`${P}url: an endpoint list must hold 1 to 64 URLs, got ${url.length}`);
  const us = Array.from(list ? url : [url], (url, i) => {
    const at = list ? `url[${i}]: ` : "";
    if (G.URL && url instanceof URL) url = url.href;
    if ((url !== undefined || list) && typeof url != "string") throw new TypeError(`${P}${list ? `url[${i}]` : "url"} must be an http:, https:, ws: or wss: URL string, got ${typeOf(url)}`);
    let u;
    try {
      u = new URL(url ?? "/", G.document?.baseURI ?? G.location?.href);
    } catch {
      throw new SyntaxError(`${P}${at}invalid URL \`${url}\`: expected an http:, https:, ws: or wss: URL, absolute or relative to the page`);
    }
    if (!/^(http|ws)s?:$/.test(u.protocol)) throw new SyntaxError(`${P}${at}invalid URL \`${url}\`: expected an http:, https:, ws: or wss: URL, got the scheme ${u.protocol}`);
    return u;
  });
  const u = us[0];
  const nsp = u.pathname || "/";
  if (nsp.includes(",")) throw new SyntaxError(`${P}invalid URL \`${url}\`: a namespace cannot contain ","`);
  const str = (k) => {
    const v = o[k];
    if (v !== undefined && typeof v != "string") throw optErr(TypeError, k, `must be a string, got ${typeOf(v)}`);
    return v;
  };
  const num = (k, ok, what) => {
    const v = o[k];
    if (v === undefined) return v;
    if (typeof v != "number") throw optErr(TypeError, k, `must be a number, got ${typeOf(v)}`);
    if (!ok(v)) throw optErr(RangeError, k, `must be ${what}, got ${v}`);
    return v;
  };
  const bool = (k) => {
    const v = o[k];
    if (v !== undefined && typeof v != "boolean") throw optErr(TypeError, k, `must be a boolean, got ${typeOf(v)}`);
    return v;
  };
  // The Engine.IO URL: path (default /socket.io/), the URL's and `query`'s parameters, EIO=4.
  const path = (str("path") ?? "/socket.io").replace(/\/$/, "") + "/";
  const query = o.query;
  if (query !== undefined && !isObj(query)) throw optErr(TypeError, "query", `must be an object, got ${typeOf(query)}`);
  const eurls = us.map((u) => {
    const q = new URLSearchParams(u.search);
    for (const k of Object.keys(query ?? {})) {
      const v = query[k];
      if (typeof v != "string" && typeof v != "number" && typeof v != "boolean") throw optErr(TypeError, `query.${k}`, `must be a string, number or boolean, got ${typeOf(v)}`);
      q.set(k, String(v));
    }
    q.set("EIO", "4");
    q.set("transport", "websocket");
    return `${u.protocol}//${u.host}${path.startsWith("/") ? path : "/" + path}?${q}`;
  });
  // (The Manager cache's key: the Engine.IO URL, or the list's.)
  const eurl = eurls.join(" ");
  // Transports: the first of the list opens (webtransport is not supported: skipped);
  // polling upgrades to websocket when both are listed and `upgrade` is not false.
  let t = o.transports ?? ["polling", "websocket"];
  if (!Array.isArray(t) || t.some((x) => typeof x != "string")) throw optErr(TypeError, "transports", `must be an array of strings, got ${typeOf(o.transports)}`);
  const bad = t.find((x) => !["polling", "websocket", "webtransport"].includes(x));
  if (bad !== undefined) throw optErr(RangeError, "transports", `has an unknown transport "${bad}"`);
  t = t.filter((x) => x != "webtransport");
  if (!t.length) throw optErr(RangeError, "transports", 'must include "polling" or "websocket" (webtransport is not supported)');
  const poll = t[0] == "polling";
  // `c`: polling requests carry cookies cross-origin too (withCredentials), as socket.io-client's.
  const eio = { p: poll, u: poll && t.includes("websocket") && bool("upgrade") !== false, r: !!bool("rememberUpgrade"), c: !!bool("withCredentials") };
  const fresh = bool("forceNew") || bool("multiplex") === false;
  // extraHeaders: accepted and ignored (a browser WebSocket cannot send custom headers).
  if (o.extraHeaders !== undefined && !isObj(o.extraHeaders)) throw optErr(TypeError, "extraHeaders", `must be an object, got ${typeOf(o.extraHeaders)}`);
  const auth = o.auth;
  if (auth !== undefined && !isObj(auth) && !isFn(auth)) throw optErr(TypeError, "auth", `must be an object or a function, got ${typeOf(auth)}`);

  // Our options as they are; socket.io-client's reconnection and timeout names mapped.
  const po = {};
  for (const k of OURS) if (o[k] !== undefined) po[k] = o[k];
  const rd = num("reconnectionDelay", (v) => v >= 1 && v < Infinity, "a number >= 1");
  const rdm = num("reconnectionDelayMax", (v) => v >= 1 && v < Infinity, "a number >= 1");
  const rf = num("randomizationFactor", (v) => v >= 0 && v <= 1, "a number from 0 to 1");
  if (rd !== undefined && rdm !== undefined && rd > rdm) throw optErr(RangeError, "reconnectionDelay", `must be <= reconnectionDelayMax (${rdm}), got ${rd}`);
  const ra = num("reconnectionAttempts", (v) => v == Infinity || (Number.isInteger(v) && v >= 0), "an integer >= 0 or Infinity");
  const to = num("timeout", (v) => v > 0 && v < Infinity, "a number > 0");
  const at = num("ackTimeout", (v) => v > 0 && v < Infinity, "a number > 0");
  if (bool("reconnection") === false || o.reconnect === false) po.reconnect = false;
  else {
    const r = { minDelayMs: rd ?? 1000, maxDelayMs: rdm ?? Math.max(5000, rd ?? 1000), jitter: rf ?? 0.5 };
    if (ra !== undefined) r.maxAttempts = ra;
    if (isObj(o.reconnect)) Object.assign(r, o.reconnect);
    else if (o.reconnect !== undefined && o.reconnect !== true) throw optErr(TypeError, "reconnect", `must be false, true or an object, got ${typeOf(o.reconnect)}`);
    po.reconnect = r;
  }
  po.connectTimeoutMs ??= to ?? 20000;
  if (at !== undefined) po.requestTimeoutMs ??= at;

  // A shared Manager (the first one made for this Engine.IO URL), unless this namespace is on it already.
  let m = fresh ? null : cache.get(eurl)?.deref();
  if (m && (m._h.dead || m._s.has(nsp))) m = null;
  if (!m) {
    const hub = new SioHub();
    hub.tn = poll ? "polling" : "websocket";
    eio.t = (name, what, why) => hub.tr(name, what, why);
    /** The connection (socket.io-client's Manager). */
    m = new Manager(list ? eurls : eurl, pack(po), po, hub, nsp, eio);
    const old = cache.get(eurl)?.deref();
    if (!fresh && (!old || old._h.dead)) cache.set(eurl, new WeakRef(m));
  }
  return [m, nsp, auth];
}

/**
 * A Socket.IO socket for one namespace. See the README ("Socket.IO"). `new Socket(url,
 * options)` is `io(url, options)`; `new Socket(manager, nsp, { auth })` is
 * `manager.socket(nsp, { auth })`.
 */
export class Socket {
  connected = false;
  id = undefined;
  recovered = false;
  _l = []; // [event, handler]
  _any = []; // [null, handler]
  _f = {}; // flags of the next emit: timeout, volatile
  _mp = NaN; // the server's maxPayload (bytes per WebSocket frame)
  _act = false; // active: connecting or connected (not after disconnect(), a refusal or a kick)
  _fr = false; // free() was called
  _rq = new Set(); // the ids of this socket's pending acks (requests)

  constructor(url, options, opts) {
    let m, nsp, auth;
    if (url instanceof Manager) {
      [m, nsp] = [url, options];
      if (typeof nsp != "string") throw argErr(TypeError, "nsp", `must be a string, got ${typeOf(nsp)}`);
      if (!nsp.startsWith("/") || nsp.includes(",")) throw argErr(RangeError, "nsp", `must start with "/" and have no ",", got "${nsp}"`);
      if (opts !== undefined && !isObj(opts)) throw optErr(TypeError, "opts", `must be an object, got ${typeOf(opts)}`);
      auth = opts?.auth;
      if (auth !== undefined && !isObj(auth) && !isFn(auth)) throw optErr(TypeError, "auth", `must be an object or a function, got ${typeOf(auth)}`);
      if (m._s.get(nsp)?._fr === false) throw argErr(RangeError, "nsp", `"${nsp}" already has a Socket on this Manager: use manager.socket(nsp)`);
    } else [m, nsp, auth] = route(url, options);
    const c = m._c();
    this.nsp = nsp;
    this._ns = nsp == "/" ? "" : nsp + ",";
    this._au = auth;
    /** The connection (socket.io-client's Manager). */
    this.io = m;
    this._ch = c.sn(nsp, false);
    m._h.ns.set(this._ch, new WeakRef(this));
    // (A freed Socket's entry stays until replaced: `io()` then makes a new connection for
    // this namespace, as socket.io-client does.)
    m._s.set(nsp, this);
    if (m._ac) {
      this._act = true;
      this._co();
    }
  }

  /** Joins the namespace (`co`); a namespace that left this connection a moment ago joins a little later (the wasm says when). */
  _co() {
    const d = this.io._c().co(this._ch);
    if (d > 0) setTimeout(() => this._act && !this._fr && !this.io._h.dead && this._co(), d);
  }

  /** Rejects this socket's pending acks that were sent (not those still queued: they go on the next connect()), as socket.io-client does on a disconnect. */
  _fail(kind, why) {
    const h = this.io._h, c = h.dead ? null : this.io._c();
    for (const id of this._rq) {
      if (c?.iq(id)) continue;
      this._rq.delete(id);
      h.settle(id, false, kindErr(kind, P + "ack failed: " + why));
    }
  }

  get disconnected() {
    return !this.connected;
  }

  /** Whether the socket will (re)connect: `false` after `disconnect()`, a server disconnect or a connect error. */
  get active() {
    return this._act && !this._fr && !this.io._h.dead && this.io.state != "closed";
  }

  on(event, handler) {
    this.io._c();
    if (!isFn(handler)) throw argErr(TypeError, "listener", `must be a function, got ${typeOf(handler)}`);
    this._l.push([event, handler]);
    return this;
  }

  once(event, handler) {
    if (!isFn(handler)) throw argErr(TypeError, "listener", `must be a function, got ${typeOf(handler)}`);
    const w = (...a) => {
      this.off(event, w);
      return handler.apply(this, a);
    };
    w.fn = handler;
    return this.on(event, w);
  }

  /** Removes `handler` for `event`; all of `event`'s without a handler; every listener without arguments. */
  off(event, handler) {
    this._l = event === undefined ? [] : this._l.filter((x) => !(x[0] === event && (handler === undefined || x[1] === handler || x[1].fn === handler)));
    return this;
  }

  listeners(event) {
    return this._l.filter((x) => x[0] === event).map((x) => x[1].fn ?? x[1]);
  }

  hasListeners(event) {
    return this._l.some((x) => x[0] === event);
  }

  /** A listener for every incoming event: called with the name, then the arguments. */
  onAny(handler) {
    if (!isFn(handler)) throw argErr(TypeError, "listener", `must be a function, got ${typeOf(handler)}`);
    this._any.push([null, handler]);
    return this;
  }

  prependAny(handler) {
    if (!isFn(handler)) throw argErr(TypeError, "listener", `must be a function, got ${typeOf(handler)}`);
    this._any.unshift([null, handler]);
    return this;
  }

  offAny(handler) {
    this._any = handler === undefined ? [] : this._any.filter((x) => x[1] !== handler);
    return this;
  }

  listenersAny() {
    return this._any.map((x) => x[1]);
  }

  /** Calls the listeners of `list` still registered (`live()`), each with `args`; a throw is an `error` event. */
  _run(list, live, args) {
    const h = this.io._h, g = h.g;
    for (const x of list) {
      if (h.g != g) return;
      if (!live().includes(x)) continue;
      try {
        x[1].apply(this, args);
      } catch (e) {
        h.emit("error", { kind: "handler", message: "an event handler threw: " + describe(e), error: e });
      }
    }
  }

  _emit(name, args) {
    this._run(this._l.filter((x) => x[0] === name), () => this._l, args);
  }

  /** An incoming event `[name, ...args]`: the `onAny` listeners, then the event's. */
  _event(args) {
    this._run(this._any.slice(), () => this._any, args);
    this._emit(args[0], args.slice(1));
  }

  /**
   * A packet: `type` 2 (EVENT) or 3 (ACK), the ack `id` or undefined, and its data. Returns
   * `[value, len]`: the text, or `[text, ...attachments]` for a binary packet.
   */
  _pk(type, id, data) {
    const bufs = [], B = globalThis.Blob;
    let json, blob = false;
    try {
      json = mayBin(data) ? JSON.stringify(data, (k, v) => (isBin(v) ? (bufs.push(copy(v)), { _placeholder: true, num: bufs.length - 1 }) : B && v instanceof B ? (blob = true) : v)) : JSON.stringify(data);
    } catch (e) {
      throw argErr(TypeError, "args", "cannot be encoded as JSON: " + describe(e));
    }
    if (blob) throw argErr(TypeError, "args", "cannot hold a Blob: read it first (await blob.arrayBuffer())");
    const text = "4" + (bufs.length ? type + 3 + String(bufs.length) + "-" : type) + this._ns + (id ?? "") + json;
    let len = text.length;
    const mp = this._mp;
    // Each WebSocket frame must fit the server's maxPayload (else it closes the connection).
    const big = (n) => {
      if (n > mp) throw argErr(RangeError, "args", `make a packet of ${n} bytes, over the server's maxPayload (${mp} bytes)`);
    };
    if (mp === mp && len * 3 > mp) big(te.encode(text).length);
    // Over polling an attachment travels as a `b` + base64 packet: 4/3 of its size, plus 1.
    const poll = this.io._h.tn == "polling";
    for (const b of bufs) {
      big(poll ? 4 * Math.ceil(b.byteLength / 3) + 1 : b.byteLength);
      len += b.byteLength;
    }
    return [bufs.length ? [text, ...bufs] : text, len];
  }

  /** Answers the server's event `id` on `conn` with `args` (the listener called its callback). */
  _ack(conn, id, args) {
    try {
      const [v, len] = this._pk(3, id, args);
      this.io._c().cf(conn, v, len);
    } catch (e) {
      this.io._h.emit("error", { kind: "handler", message: "the ack could not be sent: " + describe(e), error: e });
    }
  }

  /** Sends `[event, ...args]` as a request (an ack is expected): `settle` is `[resolve, reject]`. */
  _req(event, args, f, settle) {
    const c = this.io._c();
    for (;;) {
      const id = c.ni();
      const [v, len] = this._pk(2, id, [event, ...args]);
      // timeout(0): the smallest deadline (times out at the next timer tick).
      const r = c.rf(v, len, id, f.timeout === 0 ? Number.MIN_VALUE : f.timeout, undefined, this._ch);
      if (r == -6) continue; // a toJSON emitted meanwhile: encode again with the next id
      if (r == -5) throw freed();
      if (r < 0) return settle[1](refusal(-r));
      const rq = this._rq;
      rq.add(r);
      return this.io._h.p.set(r, [(a) => (rq.delete(r), settle[0](a)), (e) => (rq.delete(r), settle[1](e))]);
    }
  }

  _flags(event) {
    const f = this._f;
    this._f = {};
    if (this._fr) throw freed();
    if (typeof event != "string") throw argErr(TypeError, "event", `must be a string, got ${typeOf(event)}`);
    if (RESERVED.includes(event)) throw argErr(RangeError, "event", `"${event}" is a reserved event name`);
    return f;
  }

  /**
   * Emits `event` with any number of arguments (JSON values; ArrayBuffers and typed arrays
   * anywhere). A function as the last argument is the ack callback. Queued while disconnected
   * (`volatile`: dropped instead).
   */
  emit(event, ...args) {
    const f = this._flags(event);
    if (isFn(args[args.length - 1])) {
      const cb = args.pop(), h = this.io._h;
      const safe = (g) => (...a) => {
        try {
          g(...a);
        } catch (e) {
          h.emit("error", { kind: "handler", message: "an ack callback threw: " + describe(e), error: e });
        }
      };
      // With timeout(): cb(err) or cb(null, ...args), as socket.io-client; without, cb(...args) only.
      const settle = f.timeout !== undefined ? [safe((a) => cb(null, ...a)), safe((e) => cb(e))] : [safe((a) => cb(...a)), () => {}];
      this._req(event, args, f, settle);
      return this;
    }
    const [v, len] = this._pk(2, undefined, [event, ...args]);
    if (f.volatile) {
      if (this.connected) this.io._c().cf(0, v, len);
      return this;
    }
    const r = this.io._c().t(v, len, false, undefined, this._ch);
    if (r > 2) throw refusal(r);
    return this;
  }

  /** As `emit`, expecting an ack: resolves with the ack's first argument; rejects on failure (`err.kind`: timeout, connection-lost, closed, dropped). */
  emitWithAck(event, ...args) {
    const f = this._flags(event);
    return new Promise((res, rej) => this._req(event, args, f, [(a) => res(a[0]), rej]));
  }

  /** Sets the ack timeout (ms) of the next `emit`/`emitWithAck`. */
  timeout(ms) {
    if (typeof ms != "number") throw argErr(TypeError, "timeout", `must be a number, got ${typeOf(ms)}`);
    if (!(ms >= 0 && ms < Infinity)) throw argErr(RangeError, "timeout", `must be a number >= 0, got ${ms}`);
    this._f.timeout = ms;
    return this;
  }

  /** The next `emit` is dropped unless connected (never queued). */
  get volatile() {
    this._f.volatile = true;
    return this;
  }

  /** Accepted for compatibility; WebSocket compression is the browser's. */
  compress() {
    return this;
  }

  send(...args) {
    return this.emit("message", ...args);
  }

  /** Connects if not connected (after `disconnect()`, a server disconnect, a connect error, or `autoConnect: false`); right after `disconnect()` too (the closing connection is abandoned). */
  connect() {
    const c = this.io._c();
    if (this._fr) throw freed();
    this._act = true;
    this.io._idle = false;
    this._co();
    return this;
  }

  open() {
    return this.connect();
  }

  /**
   * Leaves the namespace (DISCONNECT): `disconnect` with "io client disconnect", at once; no
   * reconnect. The connection closes when no other namespace uses it. The queue is kept:
   * emits made from now on queue too (within `queue`'s limits) and go on the next `connect()`.
   */
  disconnect() {
    const c = this.io._c();
    this._act = false;
    if (c.dc(this._ch, false) && this.connected) {
      this.connected = false;
      this.id = undefined;
      this._fail("closed", "the socket disconnected");
      this._emit("disconnect", ["io client disconnect", { code: 1000, reason: "io client disconnect", wasClean: true, willReconnect: false }]);
    }
    return this;
  }

  close() {
    return this.disconnect();
  }

  /**
   * Leaves the namespace (as `disconnect()`, without events) and releases the Manager's wasm
   * side when no other live Socket uses it (pending acks reject `closed`, queued packets get
   * `drop` events).
   */
  free() {
    if (this._fr) return;
    this._fr = true;
    this._act = this.connected = false;
    this.id = undefined;
    const m = this.io;
    if (m._h.dead) return;
    if (m._h.all().length) {
      // Leave the namespace and drop its queued emits (`drop` events, reason closed); its
      // pending acks reject `closed`.
      m._c().dc(this._ch, true);
      this._fail("closed", "the socket was freed");
    } else m.free();
  }
}
