// Engine.IO v4 HTTP long-polling and the upgrade to WebSocket, for the Socket.IO client only:
// src/web/socketio.rs imports this snippet (cargo feature `socketio`), so only the
// `steadysocket/socketio` entry downloads it.
//
// `EPort` is the driver's Port (src/glue.js) with one change: the transport it opens. With
// polling first (socket.io-client's default `transports: ["polling", "websocket"]`) it opens an
// `EioPolling`, which looks like a WebSocket to the Port (readyState, bufferedAmount, send,
// close, onopen/onmessage/onclose) and hands over each Engine.IO packet of a poll as one
// message (binary `b<base64>` packets as ArrayBuffers): the wasm's Socket.IO classification and
// the engine see the same inputs as over a WebSocket.
//
// The upgrade is Engine.IO's, inside one session (same sid), so the engine sees one continuous
// connection: after the open packet, EioPolling opens a WebSocket with `transport=websocket&sid`,
// sends `2probe`, and on `3probe` pauses (no new GET or POST; sends made meanwhile wait), waits
// for the GET and POST in flight (the server answers a pending GET with a noop), then sends `5`
// and forwards everything through the WebSocket, the waiting sends first, in order. A probe that
// fails (refused, closed, a wrong answer) leaves the session on polling (`upgradeError`); once
// switched, the WebSocket's close is the connection's (a normal loss: reconnect).
//
// The facade's options object `e` (src/socketio-client.js): `p` polling first, `u` upgrade,
// `r` rememberUpgrade, `t(name, what, why)` told the transport: what 0 opened (synchronous,
// mid engine step: it only records), 1 upgraded, 2 upgrade failed (both from browser callbacks).
import { Port, wsUrl, b64, unb64 } from "./glue.js";

const te = new TextEncoder();

/** A Socket.IO payload for the facade: `[s.slice(o), attachments, ack id]` (the packet's JSON
 * cut from the message as it came: the text never makes a round trip through wasm memory). */
export const spk = (s, o, a, i) => [s.slice(o), a, i];

/** The Socket.IO driver's Port (`e`: the facade's Engine.IO options, or undefined). */
export function eport(f, q, e) {
  return new EPort(f, q, e);
}

class EPort extends Port {
  constructor(f, q, e) {
    super(f, q);
    this.e = e || {};
    this.rw = 0; // rememberUpgrade: a WebSocket worked (upgraded, or opened directly)
  }

  mk(url, t) {
    const e = this.e;
    if (t || !e.p || this.rw) {
      const w = super.mk(url, t);
      e.t?.("websocket", 0);
      if (this.rw) {
        // A remembered WebSocket that never delivers the open packet is forgotten.
        let ok = 0;
        w.addEventListener("message", () => (ok = 1));
        w.addEventListener("close", () => ok || (this.rw = 0));
      }
      return w;
    }
    const w = new EioPolling(url, this);
    e.t?.("polling", 0);
    return w;
  }
}

class EioPolling {
  constructor(url, port) {
    const u = (this.u = new URL(wsUrl(url)));
    u.protocol = u.protocol == "wss:" ? "https:" : "http:";
    u.searchParams.set("transport", "polling");
    this.P = port;
    this.readyState = this.n = this.busy = this.gets = this.pz = 0;
    this.protocol = this.extensions = "";
    this.q = []; // [packet text, the data as sent, bytes counted] waiting for a POST
    this.ws = null; // the WebSocket, once upgraded
    this.pw = null; // the probe WebSocket
    this.mp = 1e6; // the server's maxPayload (bytes per HTTP payload)
    this.cr = port.e.c ? "include" : "same-origin"; // cookies (withCredentials)
    this.a = new AbortController();
    this.go();
  }

  /** Queued and in-flight bytes while polling; the WebSocket's once upgraded. */
  get bufferedAmount() {
    return this.ws ? this.ws.bufferedAmount : this.n;
  }

  /** The URL with the sid, once known. */
  at() {
    if (this.sid) this.u.searchParams.set("sid", this.sid);
    return this.u.href;
  }

  /** The GET loop: the open, then polls until closing, ended, pausing or upgraded. */
  async go() {
    while (this.readyState < 2 && !this.pz && !this.ws) {
      let t;
      this.gets = 1;
      try {
        const r = await fetch(this.at(), { signal: this.a.signal, cache: "no-store", credentials: this.cr });
        if (!r.ok) return this.fail(r);
        t = await r.text();
      } catch {
        return this.end(1006, "");
      }
      this.gets = 0;
      if (this.readyState > 2) return;
      this.rx(t);
      this.ck();
    }
  }

  /** Delivers a payload's packets one message each (the open packet opens first). */
  rx(t) {
    for (const p of t.split("\x1e")) {
      if (this.readyState > 2 || (this.sid && !this.onmessage)) return;
      if (!this.sid) {
        let h;
        try {
          h = p[0] == "0" && JSON.parse(p.slice(1));
        } catch { /* below */ }
        if (!h || typeof h.sid != "string") return this.end(1002, "no Engine.IO open packet");
        this.sid = h.sid;
        if (h.maxPayload > 0) this.mp = h.maxPayload;
        this.readyState = 1;
        this.onopen?.();
        this.onmessage?.({ data: p });
        if (this.readyState == 1 && this.P.e.u && Array.isArray(h.upgrades) && h.upgrades.includes("websocket")) this.probe();
      } else if (p == "1") {
        // The server closed the session (as a WebSocket's close without a status).
        return this.end(1005, "", 1);
      } else if (p != "6") {
        this.onmessage?.({ data: p[0] == "b" ? unb64(p.slice(1)) : p });
      }
    }
  }

  send(d) {
    if (this.readyState != 1) throw 0;
    if (this.ws) return this.ws.send(d);
    const s = typeof d == "string" ? d : "b" + b64(d instanceof ArrayBuffer ? new Uint8Array(d) : d);
    this.q.push([s, d, s.length]);
    this.n += s.length;
    // Packets sent in the same task go in one POST.
    if (this.q.length == 1 && !this.busy) queueMicrotask(() => this.post());
  }

  /** POSTs the waiting packets (as many as fit in maxPayload), one POST at a time. */
  async post() {
    const q = this.q;
    if (this.busy || this.pz || this.ws || !q.length || this.readyState > 2) return;
    let i = 0, size = 0;
    for (; i < q.length; i++) {
      const s = q[i][0];
      let b = s.length;
      if (size + b * 3 > this.mp) b = te.encode(s).length;
      if (i && size + b + 1 > this.mp) break;
      size += b + 1;
    }
    const batch = q.splice(0, i);
    this.busy = 1;
    try {
      const r = await fetch(this.at(), { method: "POST", body: batch.map((x) => x[0]).join("\x1e"), headers: { "content-type": "text/plain;charset=UTF-8" }, signal: this.a.signal, credentials: this.cr });
      if (!r.ok) return this.fail(r);
    } catch {
      return this.end(1006, "");
    }
    this.busy = 0;
    for (const x of batch) this.n -= x[2];
    // Closing: the close packet went with the last POST.
    if (this.readyState == 2 && !this.q.length) return this.end(...this.cc, 1);
    this.ck();
    this.post();
  }

  /** The upgrade probe (a WebSocket in the same session). */
  probe() {
    const u = new URL(this.at());
    u.protocol = u.protocol == "https:" ? "wss:" : "ws:";
    u.searchParams.set("transport", "websocket");
    let w;
    try {
      w = this.pw = new WebSocket(u.href, this.P.q);
    } catch (e) {
      return this.P.e.t?.("polling", 2, String(e));
    }
    w.binaryType = "arraybuffer";
    w.onopen = () => w.send("2probe");
    w.onmessage = (e) => {
      if (e.data == "3probe" && !this.pz && this.readyState == 1) {
        this.pz = 1;
        this.ck();
      } else this.ue("unexpected probe answer");
    };
    w.onclose = () => this.ue("the probe WebSocket closed");
    w.onerror = () => {};
  }

  /** Drops the probe; the session stays on polling (resumed if it was paused). */
  ue(why) {
    const w = this.pw;
    if (!w) return;
    this.pw = null;
    w.onopen = w.onmessage = w.onclose = null;
    if (w.readyState < 2) w.close();
    const was = this.pz;
    this.pz = 0;
    if (this.readyState > 2) return;
    if (was && this.readyState == 1) {
      if (!this.gets) this.go();
      this.post();
    }
    if (why) this.P.e.t?.("polling", 2, why);
  }

  /** Paused and nothing in flight: sends the upgrade packet and switches to the WebSocket. */
  ck() {
    const w = this.pw;
    if (!this.pz || this.busy || this.gets || !w || this.readyState != 1) return;
    this.pw = null;
    this.pz = 0;
    try {
      w.send("5");
    } catch {
      // Closed meanwhile (its close event follows): stay on polling.
      this.pw = w;
      this.pz = 1;
      return this.ue("the probe WebSocket closed");
    }
    this.ws = w;
    w.onmessage = (e) => this.onmessage?.({ data: e.data });
    w.onclose = (e) => this.end(e.code, e.reason, e.wasClean);
    for (const x of this.q.splice(0)) w.send(x[1]);
    this.n = 0;
    if (this.P.e.r) this.P.rw = 1;
    this.P.e.t?.("websocket", 1);
  }

  /** A non-2xx answer: the session is gone (e.g. an unknown sid after a server restart). */
  fail(r) {
    this.end(1006, "HTTP " + r.status);
  }

  close(code = 1000, reason = "") {
    if (this.readyState > 1) return;
    if (!this.sid) return this.end(code, reason, 1);
    this.readyState = 2;
    this.ue();
    if (this.ws) {
      try {
        this.ws.close(code, reason);
      } catch {
        this.ws.close();
      }
      return;
    }
    // The close packet after the waiting ones; ends once it is answered.
    this.cc = [code, reason];
    this.q.push(["1", "1", 1]);
    this.post();
  }

  end(code, reason, clean) {
    if (this.readyState == 3) return;
    this.readyState = 3;
    this.a.abort();
    this.ue();
    const w = this.ws;
    if (w) {
      w.onmessage = w.onclose = null;
      if (w.readyState < 2) w.close();
    }
    this.q = [];
    this.n = 0;
    this.onclose?.({ code, reason, wasClean: !!clean });
  }
}
