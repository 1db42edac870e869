// The public JS class `StompClient` (npm entry `steadysocket/stomp`): STOMP 1.2 over the same
// wasm `Core` as `SteadySocket` (src/facade.js), built with the cargo feature `stomp`. The
// reconnect, heartbeat, queue and receipt (= request) logic is the engine's; this file only
// shapes STOMP frames' headers and bodies and builds the message objects. Frames are encoded
// and decoded in Rust (`core::stomp`).
import { Base, Hub, pack, keys, numOpt, optErr, argErr, kindErr, typeOf, transportOpts, P } from "./facade.js";

const isObj = (v) => typeof v == "object" && v !== null && !Array.isArray(v);
const isFn = (v) => typeof v == "function";
const te = new TextEncoder();
const td = new TextDecoder();

/** `{name: value}` headers as the flat `[name, value, …]` array the wasm takes (values stringified). */
const flat = (h, path, out = []) => {
  if (h === undefined || h === null) return out;
  if (!isObj(h)) throw argErr(TypeError, path, `must be an object of headers, got ${typeOf(h)}`);
  for (const k of Object.keys(h)) {
    const v = h[k];
    if (v === undefined) continue;
    if (typeof v != "string" && typeof v != "number" && typeof v != "boolean") {
      throw argErr(TypeError, `${path}.${k}`, `must be a string, number or boolean, got ${typeOf(v)}`);
    }
    out.push(k, String(v));
  }
  return out;
};

/** The headers of an encoded frame (for `drop`/`sent` events): `{command, headers}`. */
const head = (bytes) => {
  if (typeof bytes == "string") return { command: null, headers: {} };
  let end = bytes.indexOf(10);
  const command = td.decode(bytes.subarray(0, end));
  const headers = {};
  for (;;) {
    const next = bytes.indexOf(10, end + 1);
    if (next < 0 || next == end + 1) break;
    const line = td.decode(bytes.subarray(end + 1, next));
    const i = line.indexOf(":");
    const k = line.slice(0, i);
    if (!(k in headers)) headers[k] = line.slice(i + 1);
    end = next;
  }
  return { command, headers };
};

/** The Hub of a StompClient: handshake headers, MESSAGE routing, ERROR events. */
class StompHub extends Hub {
  s = new Map(); // subscription id → callback
  gone = new Set(); // unsubscribed ids (a MESSAGE already in flight for one is ignored)
  ch; // connectHeaders: an object or a function returning one
  c; // the client (for ack/nack)

  h() {
    let v = this.ch;
    if (isFn(v)) {
      try {
        v = v();
      } catch (e) {
        throw new Error("connectHeaders threw: " + (e instanceof Error ? e.message : String(e)));
      }
      if (isFn(v?.then)) throw new Error("connectHeaders must return the headers object itself, not a Promise");
    }
    try {
      return flat(v, "connectHeaders");
    } catch (e) {
      throw new Error(e.message);
    }
  }

  /**
   * A broker that closes (1000) right after CONNECTED with no ERROR frame, 3 opens in a row,
   * refuses something the client sends on every connection: a re-sent SUBSCRIBE or a queued
   * SEND (RabbitMQ's Web-STOMP closes with 1000 "STOMP died", e.g. for a quorum queue named
   * without its `x-queue-type` header). Reconnecting would loop: it stops, with an `error`.
   */
  k(code, reason, wasClean) {
    this.fl = code == 1000 && !this.er && performance.now() - this.o0 < 2000 ? (this.fl | 0) + 1 : 0;
    if (this.fl >= 3) {
      this.fl = 0;
      this.emit("error", { kind: "protocol", message: `${P}the broker closed the connection 3 times in a row within 2 s of CONNECTED, with no ERROR frame (${code} "${reason}"): it refuses a SUBSCRIBE or SEND sent on every connection (RabbitMQ Web-STOMP's "STOMP died": e.g. a quorum queue without its x-queue-type header). Reconnection stops` });
      return false;
    }
    return super.k(code, reason, wasClean);
  }

  e(k, a, b, c, v, w) {
    if (k == 1) {
      this.o0 = performance.now();
      this.er = 0;
    }
    if (k == 14) this.er = 1;
    if (k == 13) {
      const f = this.s.get(v.subscription);
      if (f) this.call(f, this.c._msg(a, v, w));
      else if (!this.gone.has(v.subscription)) this.emit("error", { kind: "protocol", message: `${P}MESSAGE for unknown subscription "${v.subscription}"`, headers: v });
      return;
    }
    if (k == 14) return this.emit("error", { kind: "server", message: v, headers: w[0], body: td.decode(w[1]) });
    if (k == 9 || k == 10) {
      const n = k == 9 ? "drop" : "sent";
      if (this.has(n)) {
        const { command, headers } = head(v);
        const ev = { command, destination: headers.destination ?? null, headers };
        if (k == 9) ev.reason = ["overflow", "expired", "closed", "connection-lost"][b];
        this.emit(n, ev);
      }
      return;
    }
    if (k == 7) return this.settle(a, true, undefined); // a RECEIPT: Promise<void>
    if (k == 8) {
      // A receipt refused by an ERROR frame: `remote`, with the frame's headers and body.
      const e = kindErr("remote", v?.message ?? "the broker sent ERROR");
      e.headers = v?.headers;
      e.body = v?.body && td.decode(v.body);
      const f = this.p.get(a);
      if (f) {
        this.p.delete(a);
        f[1](e);
      }
      return;
    }
    return super.e(k, a, b, c, v, w);
  }
}

const body = (p) => {
  const b = p.binaryBody, s = p.body;
  if (b !== undefined) {
    if (!ArrayBuffer.isView(b) && !(b instanceof ArrayBuffer)) throw argErr(TypeError, "binaryBody", `must be a Uint8Array or ArrayBuffer, got ${typeOf(b)}`);
    if (s !== undefined) throw argErr(TypeError, "body", "give body or binaryBody, not both");
    return b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  if (s === undefined) return new Uint8Array(0);
  if (typeof s != "string") throw argErr(TypeError, "body", `must be a string, got ${typeOf(s)}`);
  return te.encode(s);
};

/** A STOMP 1.2 client over WebSocket that stays connected. See the README ("STOMP"). */
export class StompClient extends Base {
  #n = 0; // subscription / transaction counter

  constructor(url, options) {
    const o = options ?? undefined;
    const hub = new StompHub();
    let hb = o?.heartbeat, cx = 10000, cy = 10000;
    if (isObj(hb)) {
      keys(hb, "heartbeat.", "heartbeat", ["outgoingMs", "incomingMs"]);
      for (const [k, d] of [["outgoingMs", 10000], ["incomingMs", 10000]]) {
        const v = hb[k];
        if (v !== undefined && (typeof v != "number")) throw optErr(TypeError, "heartbeat." + k, `must be a number, got ${typeOf(v)}`);
        if (v !== undefined && !(v >= 0 && v <= 4294967295 && Number.isInteger(v))) throw optErr(RangeError, "heartbeat." + k, `must be an integer >= 0, got ${v}`);
        if (k == "outgoingMs") cx = v ?? d;
        else cy = v ?? d;
      }
    } else if (hb !== undefined && hb !== true && hb !== false) {
      throw optErr(TypeError, "heartbeat", `must be false, true or an object, got ${typeOf(hb)}`);
    }
    const ch = o?.connectHeaders;
    if (ch !== undefined && !isObj(ch) && !isFn(ch)) throw optErr(TypeError, "connectHeaders", `must be an object or a function returning one, got ${typeOf(ch)}`);
    if (isObj(ch)) flat(ch, "connectHeaders");
    hub.ch = ch;
    // transports/upgradeProbeMs: SockJS's transports with `sockjs: true`; otherwise the
    // reference server's HTTP transports do not carry STOMP: WebSocket only.
    const [tc, up] = isObj(o) && o.sockjs === true ? transportOpts(o) : [];
    let po = o;
    if (isObj(o)) {
      po = { ...o, heartbeat: hb === false ? false : undefined };
      delete po.connectHeaders;
      if (o.sockjs === true) {
        delete po.transports;
        delete po.upgradeProbeMs;
      }
      if (po.protocols === undefined) po.protocols = ["v12.stomp"];
    } else if (o === undefined) po = { protocols: ["v12.stomp"] };
    const packed = pack(po);
    super(url, packed, o, [3, cx, cy, tc, up], undefined, undefined, hub);
    hub.c = this;
  }

  /** A MESSAGE for a subscription callback. */
  _msg(conn, headers, bin) {
    const c = this;
    let text;
    const reply = (cmd, h) => {
      const id = headers.ack;
      if (id === undefined) return false; // auto-ack subscriptions have nothing to ack
      const f = c._c().sf(cmd, flat(h, "headers", ["id", id]), new Uint8Array(0));
      return c._c().cf(conn, f, f.length);
    };
    return {
      command: "MESSAGE",
      headers,
      binaryBody: bin,
      get body() {
        return (text ??= td.decode(bin));
      },
      ack: (h) => reply("ACK", h),
      nack: (h) => reply("NACK", h),
    };
  }

  subscribe(destination, callback, headers, options) {
    const c = this._c();
    if (typeof destination != "string") throw argErr(TypeError, "destination", `must be a string, got ${typeOf(destination)}`);
    if (!isFn(callback)) throw argErr(TypeError, "callback", `must be a function, got ${typeOf(callback)}`);
    let receipt = false, t;
    if (options != null) {
      if (!isObj(options)) throw argErr(TypeError, "options", `must be an object, got ${typeOf(options)}`);
      keysArg(options, ["receipt", "timeoutMs"]);
      receipt = !!options.receipt;
      t = options.timeoutMs;
      if (t !== undefined && typeof t != "number") throw argErr(TypeError, "timeoutMs", `must be a number, got ${typeOf(t)}`);
    }
    const h = flat(headers, "headers");
    const id = h.includes("id") && h.indexOf("id") % 2 == 0 ? h[h.indexOf("id") + 1] : "sub-" + ++this.#n;
    if (this._h.s.has(id)) throw argErr(RangeError, "headers.id", `"${id}" is already subscribed`);
    this._h.gone.delete(id);
    const fh = ["destination", destination, "id", id, "ack", "auto"];
    for (let i = 0; i < h.length; i += 2) {
      const j = fh.indexOf(h[i]);
      if (j >= 0 && j % 2 == 0) fh[j + 1] = h[i + 1];
      else fh.push(h[i], h[i + 1]);
    }
    const key = ++this.#n;
    const r = c.ss(key, fh, receipt, t);
    if (r == -5) throw new Error(P + "the socket was freed (free() was called); create a new one");
    this._h.s.set(id, callback);
    const sub = {
      id,
      unsubscribe: (uh) => {
        if (!this._h.s.has(id)) return;
        this._h.s.delete(id);
        this._h.gone.add(id);
        this._c().su(key, flat(uh, "headers", ["id", id]));
      },
    };
    if (receipt) sub.receipt = this._rq(r);
    return sub;
  }

  publish(params) {
    const c = this._c();
    if (!isObj(params)) throw argErr(TypeError, "params", `must be an object, got ${typeOf(params)}`);
    keysArg(params, ["destination", "body", "binaryBody", "headers", "receipt", "timeoutMs"]);
    const { destination, receipt, timeoutMs } = params;
    if (typeof destination != "string") throw argErr(TypeError, "destination", `must be a string, got ${typeOf(destination)}`);
    if (timeoutMs !== undefined && typeof timeoutMs != "number") throw argErr(TypeError, "timeoutMs", `must be a number, got ${typeOf(timeoutMs)}`);
    const h = flat(params.headers, "headers", ["destination", destination]);
    const b = body(params);
    if (receipt) return this._rq(c.sr(h, b, timeoutMs));
    const f = c.sf("SEND", h, b);
    return this._tx(f, f.length, 1);
  }

  /** Starts a transaction: `{id, commit(), abort()}`; put `transaction: id` in the headers of what belongs to it. */
  begin(id) {
    const c = this._c();
    const tx = id === undefined ? "tx-" + ++this.#n : id;
    if (typeof tx != "string") throw argErr(TypeError, "id", `must be a string, got ${typeOf(id)}`);
    const frame = (cmd) => {
      const f = this._c().sf(cmd, ["transaction", tx], new Uint8Array(0));
      return this._tx(f, f.length, 1);
    };
    frame("BEGIN");
    void c;
    return { id: tx, commit: () => frame("COMMIT"), abort: () => frame("ABORT") };
  }
}

function keysArg(o, known) {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw argErr(TypeError, k, `is not known here (known: ${known.join(", ")})`);
  }
}
