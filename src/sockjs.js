// SockJS transports (protocol 0.3), for the `steadysocket/sockjs` entry only: src/web/sockjs.rs
// imports this snippet (cargo feature `sockjs`). The decisions (which transport, what /info
// allows, what a frame means) are the wasm's (src/core/sockjs.rs); this file moves bytes.
//
// `SPort` is the driver's Port (src/glue.js) with SockJS transports. `i(c, url)` fetches the
// endpoint's /info for attempt `c` and reports input 14 (status, body). `mk(url, t)` opens the
// session URL the wasm built (`<base>/<server>/<session>/<segment>`) with transport `t` (0
// websocket, 3 xhr-streaming, 4 eventsource, 5 xhr-polling; + 8: the server needs its cookie,
// so HTTP requests carry credentials) as an `Sj`, which looks like a WebSocket to the Port
// (readyState, bufferedAmount, send, close, onopen/onmessage/onclose, and over HTTP
// ondelivered/onundelivered per frame tag, as the Http class of src/glue.js):
// - the session opens on the `o` frame (`onopen`); every later frame (`h`, `a[...]`,
//   `c[...]`) is handed to `onmessage` as its text, for the wasm to decode;
// - over HTTP, a receiving request that ends (the server's response_limit) is made again for
//   the same session; xhr-streaming skips the 2048-byte `h` prelude;
// - sends are wrapped in SockJS's JSON array; over HTTP, sends made in the same task go in one
//   `xhr_send` POST, one POST at a time. SockJS carries text: a binary send is its UTF-8 text
//   (refused when it is not valid UTF-8).
import { Port, wsUrl } from "./glue.js";

/** The SockJS driver's Port. */
export function sport(f, q) {
  return new SPort(f, q);
}

/** `u` (a ws:/wss:/http:/https: URL) as an http:/https: URL object. */
const http = (u) => {
  const x = new URL(wsUrl(u));
  x.protocol = x.protocol == "wss:" ? "https:" : "http:";
  return x;
};

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** How long an `xhr_send` POST may go unanswered before the connection is given up (ms). */
const POST_MS = 15000;

class SPort extends Port {
  /** GET `url` (an endpoint's /info) for attempt `c`: input 14 with the status (0: no answer) and the text if 2xx. */
  i(c, url) {
    const f = this.f, done = (s, b) => this.z || f(14, c, s, b);
    let u;
    try {
      u = http(url);
    } catch {
      return queueMicrotask(() => done(0));
    }
    fetch(u, { cache: "no-store" }).then(
      (r) => (r.ok ? r.text().then((b) => done(r.status, b), () => done(0)) : done(r.status)),
      () => done(0),
    );
  }

  mk(url, t) {
    return new Sj(url, t & 7, t & 8);
  }

  /** Ends the transport with `code`/`reason` (a `c` frame, a lost session): see `Sj.fin`. */
  fin(code, reason, clean) {
    this.w?.fin?.(code, reason, clean);
  }

  /** The upgrade probe (Port.r) to `url`, a new session the wasm made. */
  pu(c, url, t) {
    this.uc = url;
    this.r(c, t);
  }
}

class Sj {
  constructor(url, t, cookie) {
    this.t = t;
    this.h = 1; // not a bare WebSocket (Port.ws)
    // bq: bytes waiting for (or in) an xhr_send; sent: the tag of the last frame handed to a
    // POST; ok: of the last delivered one; r: a POST was refused (its frames did not arrive).
    this.readyState = this.bq = this.busy = this.sent = this.ok = this.r = 0;
    this.protocol = this.extensions = "";
    this.q = []; // [text, tag, size] waiting for the next xhr_send
    this.a = new AbortController();
    this.cr = cookie ? "include" : "same-origin";
    if (!t) {
      const w = (this.w = new WebSocket(wsUrl(url)));
      w.onmessage = (e) => this.frame(e.data);
      w.onclose = (e) => this.end(e.code, e.reason, e.wasClean);
      w.onerror = () => {};
      return;
    }
    this.u = http(url);
    const s = new URL(this.u);
    s.pathname = s.pathname.replace(/[^/]*$/, "xhr_send");
    this.su = s;
    this.go();
  }

  get bufferedAmount() {
    return this.w ? this.w.bufferedAmount : this.bq;
  }

  /**
   * Ends the session now (the wasm read a `c` frame, or the session was lost): nothing more is
   * sent or delivered; in a microtask, what never left is reported (`onundelivered`) and the
   * close fires with `code`/`reason`.
   */
  fin(code, reason, clean) {
    if (this.k || this.readyState > 2) return;
    this.k = 1;
    queueMicrotask(() => this.end(code, reason, clean));
  }

  /** One frame from the server. */
  frame(s) {
    if (this.readyState > 1 || this.k) return;
    if (this.readyState == 0) {
      if (s === "o") {
        this.readyState = 1;
        return this.onopen?.();
      }
      // A close before the open (e.g. another connection on the session): the attempt failed.
      if (typeof s == "string" && s[0] == "c") return this.end(1006, "SockJS: " + s);
      if (s === "h") return;
    }
    this.onmessage?.({ data: s });
  }

  /** The receiving side over HTTP: requests made again until the session ends. */
  async go() {
    const t = this.t, o = { signal: this.a.signal, cache: "no-store", credentials: this.cr };
    try {
      while (this.readyState < 2) {
        const r = await fetch(this.u, t == 4 ? { ...o, headers: { accept: "text/event-stream" } } : { ...o, method: "POST" });
        if (!r.ok) return this.end(1006, "SockJS: HTTP " + r.status);
        if (t == 5) {
          for (const line of (await r.text()).split("\n")) if (line) this.frame(line);
          continue;
        }
        await this.stream(r, t == 4);
      }
    } catch {
      this.end(1006, "");
    }
  }

  /** Reads a streaming response: one frame per line (xhr-streaming) or per event (eventsource). */
  async stream(r, es) {
    const rd = r.body.getReader(), dec = new TextDecoder();
    let buf = "", data = "";
    for (;;) {
      const { done, value } = await rd.read();
      if (done || this.readyState > 1) return;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        let line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.endsWith("\r")) line = line.slice(0, -1);
        if (!es) {
          // The prelude: 2048 `h` then a newline (it makes browsers start delivering).
          if (line && !/^h{2,}$/.test(line)) this.frame(line);
        } else if (line.startsWith("data:")) data += line.slice(line[5] == " " ? 6 : 5);
        else if (!line && data) {
          // The server URL-escapes `%`, CR, LF and NUL in event data (as sockjs-client, decodeURI).
          let f = data;
          try {
            f = decodeURI(data);
          } catch { /* not escaped */ }
          this.frame(f);
          data = "";
        }
        if (this.readyState > 1) return;
      }
    }
  }

  send(d, tag) {
    if (this.readyState != 1) throw 0;
    const s = typeof d == "string" ? d : utf8.decode(d); // throws for invalid UTF-8: not sent
    if (this.w) return this.w.send(JSON.stringify([s]));
    this.q.push([s, tag, s.length]);
    this.bq += s.length;
    // Sends made in the same task go in one POST.
    if (this.q.length == 1 && !this.busy) queueMicrotask(() => this.post());
  }

  async post() {
    if (this.busy || !this.q.length || this.readyState > 2 || this.k) return this.readyState == 2 && this.bye();
    const batch = this.q.splice(0);
    this.busy = 1;
    this.sent = batch.at(-1)[1];
    let r;
    // A POST with no answer within POST_MS ends the connection (sends must not stall behind it).
    const S = AbortSignal, signal = S.any && S.timeout ? S.any([this.a.signal, S.timeout(POST_MS)]) : this.a.signal;
    try {
      r = await fetch(this.su, { method: "POST", body: JSON.stringify(batch.map((x) => x[0])), headers: { "content-type": "text/plain;charset=UTF-8" }, credentials: this.cr, signal });
    } catch {
      // No answer: it may or may not have arrived (the engine reports it `lost`).
      return this.end(1006, this.readyState < 3 && signal.aborted && !this.a.signal.aborted ? "SockJS: xhr_send got no answer in 15 s" : "");
    }
    this.busy = 0;
    for (const x of batch) this.bq -= x[2];
    if (!r.ok) {
      // Refused (e.g. 404: the session is gone): none of it arrived.
      this.sent = this.ok;
      this.r = 1;
      return this.end(1006, "SockJS: xhr_send answered HTTP " + r.status);
    }
    this.ok = this.sent;
    this.ondelivered?.(this.ok);
    this.post();
  }

  /** Closing over HTTP: ends once the last POST is answered (SockJS has no close request: the server ends the session after its disconnect_delay). */
  bye() {
    if (!this.busy && !this.q.length) this.end(...this.cc, 1);
  }

  close(code = 1000, reason = "") {
    if (this.readyState > 1) return;
    // Detached (the engine moved on): nothing more goes to this session.
    if (!this.onclose) {
      this.k = 1;
      return this.end(code, reason, 1);
    }
    if (this.w) {
      this.readyState = 2;
      try {
        this.w.close(code, reason);
      } catch {
        this.end(code, reason, 1);
      }
      return;
    }
    this.cc = [code, reason];
    this.readyState = 2;
    this.post();
  }

  end(code, reason, clean) {
    if (this.readyState == 3) return;
    this.readyState = 3;
    this.a.abort();
    if (this.w) {
      this.w.onmessage = this.w.onclose = null;
      if (this.w.readyState < 2) this.w.close();
    }
    // Frames that never left (and a refused batch) surely did not arrive.
    if (this.q.length || this.r) this.onundelivered?.(this.sent);
    this.q = [];
    this.bq = 0;
    this.onclose?.({ code, reason, wasClean: !!clean });
  }
}
