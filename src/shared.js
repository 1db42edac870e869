// One connection for all tabs (the `shared` option; README "One connection for all tabs").
//
// Every tab's socket runs its own engine (queue, requests, reconnect, events: the API is the
// same). One tab, the LEADER, holds the Web Lock `steadysocket-shared:<name>` and the real
// connection; in every other tab the engine's transport is a Pipe: a socket-like object
// (src/glue.js `Port.pm`) over two BroadcastChannels, `<lock>` (leader → followers, one
// ordered stream: events, replies, acks, state) and `<lock>:up` (followers → leader). The
// engine marks a pipe's connection as tracked (`Engine::track_deliveries`): no heartbeat (the
// pipe watches the leader itself), and what the leader never acked is queued again.
// - The leader relays a follower's frames: events as they are (acked once its connection
//   took them: sent, not merely queued), requests through its own `request()` (the reply goes
//   back to the asking pipe), replies to the server's requests once per request; a frame its
//   connection drops or loses becomes that tab's `drop`/`lost` event.
// - Server events reach every tab; a server request is answerable in one tab only (the leader
//   if it handles the type, else the first follower that does); the leader's open/close
//   reach the followers' pipes (their engines report the same `close`, reconnect,
//   re-subscribe and flush their queues). A pipe opened while the leader is not connected
//   waits for its next open.
// - Takeover: a leader that goes (pagehide, freeze, close, free) sends `bye` and releases the
//   lock; the next tab waiting for it connects and announces itself (`lead`, then `up`). A
//   leader that stops answering for SILENT_MS loses the lock to a follower (`steal`) and
//   steps down when it runs again.
//
// Messages, up: {k:"hi"|"x"|"q", p}, {k:"f", p, d, g}, {k:"h", t, h: [types]}.
// Down: {k:"ok", p, l, u, r}, {k:"w"|"Q"|"n", p, l}, {k:"f", p, d}, {k:"a", a: [[p, g]…]},
// {k:"e", d, to?}, {k:"L", p, n, r, d}, {k:"lead"|"up"|"bye", l}, {k:"down", l, c, r, w}.

/** A random id (a UUID where the page has `crypto.randomUUID`): tabs, owners, sessions. */
export const ID = () => globalThis.crypto?.randomUUID?.() ?? Math.random().toString(36).slice(2) + Date.now().toString(36);
/** How long a leader may stay silent before a follower takes the lock (ms). */
const SILENT_MS = 3000;
/** How long a pipe may wait for the leader's first answer (ms). */
const HELLO_MS = 1500;
const now = () => performance.now();
const HANDLERS = ["onopen", "onmessage", "onclose", "ondelivered", "onundelivered", "ontrack"];

/** Whether this browser has what `shared` needs. */
export const canShare = () => !!(globalThis.BroadcastChannel && globalThis.navigator?.locks);

export class Tabs {
  /** `sock`: the SteadySocket; `c`: its wasm Core; `h`: its Hub. */
  constructor(sock, c, h, name) {
    this.s = sock;
    this.c = c;
    this.h = h;
    this.n = "steadysocket-shared:" + name;
    this.id = ID();
    this.k = 0; // pipes made
    this.ld = false; // leading
    this.role = undefined; // known: true leads, false follows (undefined: asking the lock)
    this.L = null; // the leader's id, as last heard
    this.pp = null; // this tab's current pipe
    this.lz = null; // the first attempt's transport, waiting for the role
    this.on = false; // started
    this.z = false; // stopped for good (free)
    this.wt = false; // a lock request is queued
    this.rel = null; // releases the held lock
    this.ps = new Set(); // leader: open pipes
    this.pw = new Set(); // leader: pipes waiting for the connection to open
    this.ak = new Map(); // leader: pipe → last frame tag to ack
    this.dd = new Set(); // leader: ids of server requests answered on this connection
    this.th = new Map(); // leader: follower tab → the request types it handles
    this.dn = new BroadcastChannel(this.n);
    this.up = new BroadcastChannel(this.n + ":up");
    this.dn.onmessage = (e) => this.down(e.data);
    // The page goes (closed, reloaded, into the back/forward cache) or is frozen: the lead
    // passes on at once; frames arriving from now on are left to the next leader (not
    // relayed, not acked: their tabs send them again). Back, or resumed: a follower again.
    this.ph = () => {
      if (this.ld) this.closed(1);
      // A follower that goes tells the leader (its handlers must not get requests any more).
      else if (this.pp) this.up.postMessage({ k: "x", p: this.pp.p });
    };
    this.ps2 = (e) => {
      if ((e.type == "resume" || e.persisted) && this.on && !this.ld && !this.z) {
        this.wait();
        if (this.c.s() < 3) this.c.rc();
      }
    };
    this.ls = [[globalThis, "pagehide", this.ph], [globalThis, "pageshow", this.ps2], [globalThis.document, "freeze", this.ph], [globalThis.document, "resume", this.ps2]];
    for (const [t, n, f] of this.ls) t?.addEventListener?.(n, f);
  }

  post(m) {
    try {
      this.dn.postMessage(m);
    } catch { /* closed */ }
  }

  /** Starts (idempotent): asks for the lock once; the first attempt's transport waits for the answer. */
  start() {
    if (this.on || this.z) return;
    this.on = true;
    this.role = undefined;
    navigator.locks.request(this.n, { ifAvailable: true }, (l) => {
      const p = l ? this.held() : undefined;
      this.role = this.ld;
      const z = this.lz;
      this.lz = null;
      z?.go(this.ld);
      return p;
    }).then(() => this.ld || this.wait(), (e) => this.lost(e));
  }

  /** Queues for the lock (once). */
  wait() {
    if (this.wt || this.z || !this.on) return;
    this.wt = true;
    this.ab = new AbortController();
    navigator.locks.request(this.n, { signal: this.ab.signal }, () => {
      this.wt = false;
      return this.held();
    }).catch((e) => {
      if (e?.name == "AbortError" && !this.wt) return this.lost(e);
      this.wt = false; // our own abort (closed): not queued any more
    });
  }

  /** The lock is ours: lead until released (or stolen). */
  held() {
    if (this.z || this.ld || !this.on) return;
    const p = new Promise((r) => (this.rel = r));
    this.lead();
    return p;
  }

  /** A held lock was stolen (a request's Promise rejected): step down, queue again. */
  lost() {
    if (this.z) return;
    if (this.ld) {
      this.ld = this.role = false;
      this.rel = null;
      this.drop();
      // The connection goes; the next attempt is a pipe to the new leader.
      if (this.c.s() < 3) this.c.rc();
    }
    this.wait();
  }

  steal() {
    if (this.z || this.ld || !this.on) return;
    navigator.locks.request(this.n, { steal: true }, () => this.held()).catch((e) => this.lost(e));
  }

  lead() {
    this.ld = this.role = true;
    this.L = this.id;
    this.up.onmessage = (e) => this.relay(e.data);
    this.post({ k: "lead", l: this.id });
    if (this.lz) return; // the first attempt: it goes on as the real connection
    // Our pipe to the old leader ends (what it did not deliver is queued again), and the
    // engine connects now, for real (the maker returns nothing while leading).
    this.pp?.end(1012, "the leader tab changed");
    if (this.c.s() < 3) this.c.rc();
  }

  /** Leader state dropped (stepping down or handing over). */
  drop() {
    this.flush();
    this.up.onmessage = null;
    this.ps.clear();
    this.pw.clear();
    this.th.clear();
  }

  /** Stops for good (free); `w`: the leader's socket, closing: hand over once it closed (at most 2 s). */
  stop(w) {
    if (this.z) return;
    this.z = true;
    this.ab?.abort();
    this.pp?.end(1001, "");
    for (const [t, n, f] of this.ls) t?.removeEventListener?.(n, f);
    const lead = this.ld;
    this.ld = false;
    if (lead) this.drop();
    const go = () => {
      if (lead) this.post({ k: "bye", l: this.id });
      this.rel?.();
      this.dn.close();
      this.up.close();
    };
    if (!lead || !w || w.readyState == 3 || !w.addEventListener) return go();
    const t = setTimeout(go, 2000);
    w.addEventListener("close", () => (clearTimeout(t), go()));
  }

  /** The socket closed for good (close(), stopOnCodes, maxAttempts): a leader hands over. `keep`: the page goes (pagehide), the socket stays. */
  closed(keep) {
    // (From the engine's state note, delivered after the step: a connect() made meanwhile,
    // e.g. close() then connect() in one task, wins.)
    if (!keep && this.c.s() != 4) return;
    if (!keep) {
      this.on = false; // connect() starts again
      this.ab?.abort();
    }
    if (!this.ld) return;
    this.drop();
    this.post({ k: "bye", l: this.id });
    this.ld = this.role = false;
    this.rel?.();
    this.rel = null;
  }

  /** The Port's transport maker: waiting for the role, a pipe to the leader, or nothing (the real one). */
  make(url, mk) {
    if (this.z || this.ld) return;
    if (this.role === undefined) return (this.lz = new Lazy(this, url, mk));
    return (this.pp = new Pipe(this, url));
  }

  /** A pipe got no answer: the leader is gone or frozen; take over unless another did. */
  silent(p) {
    if (p !== this.pp || this.ld) return;
    const seen = this.L;
    p.end(1006, "the leader tab does not answer");
    setTimeout(() => this.L === seen && this.steal(), Math.random() * 300);
  }

  /** Tells the leader which server request types this tab handles (`handle`). */
  hs() {
    if (!this.ld && this.pp?.readyState == 1) this.up.postMessage({ k: "h", t: this.id, h: [...this.h.hs.keys()] });
  }

  // ---------- follower side ----------

  /** A message from the leader. */
  down(m) {
    const p = this.pp, k = m.k;
    if (k == "lead" || k == "bye") {
      if (k == "lead") this.L = m.l;
      if (!p || p.l == (k == "lead" ? m.l : null)) return;
      // An open pipe of the old leader ends (that connection is gone); one still opening
      // asks again: the new leader (`lead`), or the next one (`bye`: it waits for `lead`).
      if (p.readyState == 1) p.end(1001, "the leader tab changed");
      else p.ask(k == "lead");
      return;
    }
    if (k == "up") {
      this.L = m.l;
      // Connect now (the engine may be waiting out its backoff).
      if (!this.ld && !this.pp && this.on && !this.z && this.role === false) {
        const s = this.c.s();
        if (s == 0 || s == 2) this.c.rc();
      }
      return;
    }
    if (this.ld) return;
    if (k == "L") {
      // A message of this tab the leader had taken: its connection dropped it or lost it
      // unconfirmed, as this tab's own socket would have.
      if (!m.p.startsWith(this.id + ".")) return;
      const h = this.h, [type, data] = h.desc(h.m == 1 ? 1 : 0, m.d);
      return m.n == 19 ? h.emit("lost", { type, data }) : h.emit("drop", { type, data, reason: m.r });
    }
    if (!p) return;
    if (k == "e") {
      if (p.readyState != 1) return;
      // A server request is answerable in one tab only (`to`): elsewhere it is an event.
      this.h.nx = m.to !== undefined && m.to !== this.id;
      try {
        p.onmessage?.({ data: m.d instanceof Uint8Array ? m.d.slice().buffer : m.d });
      } finally {
        this.h.nx = false;
      }
      return;
    }
    if (k == "a") {
      for (const [q, g] of m.a) if (q == p.p) p.acked(g);
      return;
    }
    if (k == "down") return p.l == m.l && p.readyState == 1 && p.end(m.c, m.r, m.w);
    if (m.p != p.p) return;
    if (k == "f") return p.readyState == 1 && p.onmessage?.({ data: m.d });
    if (k == "ok") return p.opened(m.l, m.u, m.r);
    if (k == "w") return p.waits(m.l);
    if (k == "Q") return (p.w = 0);
    if (k == "n") return p.end(1012, "the leader tab changed");
  }

  // ---------- leader side ----------

  /** A follower's message. */
  relay(m) {
    if (!this.ld) return;
    const k = m.k, p = m.p;
    if (k == "f") {
      if (!this.ps.has(p)) return this.post({ k: "n", p });
      const r = this.fwd(m.d, p, m.g);
      if (r < 0) return this.post({ k: "n", p });
      if (r) this.ack(p, m.g);
    } else if (k == "hi") {
      if (this.c.s() == 1) this.ok(p);
      else {
        this.pw.add(p);
        this.post({ k: "w", p, l: this.id });
      }
    } else if (k == "q") this.post({ k: "Q", p });
    else if (k == "x") {
      this.ps.delete(p);
      this.pw.delete(p);
      this.th.delete(p.slice(0, p.lastIndexOf(".")));
    } else if (k == "h") {
      this.th.delete(m.t); // (re-added last)
      if (m.h.length) this.th.set(m.t, new Set(m.h));
    }
  }

  ok(p) {
    this.ps.add(p);
    const s = this.s;
    this.post({ k: "ok", p, l: this.id, u: s.url, r: s.protocol });
  }

  /** Acks frame `g` of pipe `p` (cumulative). */
  ack(p, g) {
    // One ack message for what the next task brings too (each relayed frame is a task).
    this.ak.set(p, g);
    if (this.ak.size == 1) setTimeout(() => this.flush(), 0);
  }

  flush() {
    if (!this.ak.size) return;
    this.post({ k: "a", a: [...this.ak] });
    this.ak.clear();
  }

  /**
   * Relays a follower's frame `d` (tag `g`) from pipe `p`: 1 taken (ack it now), 0 taken and
   * queued here (acked when sent), -1 refused.
   */
  fwd(d, p, g) {
    const h = this.h, c = this.c;
    if (h.m == 0 && typeof d == "string") {
      let o;
      try {
        o = JSON.parse(d);
      } catch { /* not JSON: relayed as it is */ }
      if (o && typeof o == "object") {
        if ("replyTo" in o) {
          // A follower's answer to a server request: the first one goes.
          if (this.dd.has(o.replyTo)) return 1;
          this.dd.add(o.replyTo);
          c.cf(0, d, d.length);
          return 1;
        }
        if (typeof o.type == "string" && "id" in o) {
          const id = o.id, back = (x) => this.post({ k: "f", p, d: JSON.stringify({ replyTo: id, ...x }) });
          let r;
          try {
            // The asking tab times it out by its own deadline; here, at most 10 minutes.
            r = this.s.request(o.type, o.data, { timeoutMs: 6e5 });
          } catch {
            return -1;
          }
          r.then(
            (v) => back({ data: v ?? null }),
            // connection-lost, closed: the asking tab's pipe ends too, and its own request
            // fails the same way; other failures come back as its error (kind "remote").
            (e) => e.kind == "connection-lost" || e.kind == "closed" || back({ error: e.kind == "remote" ? e.data : { message: e.message, code: e.kind } }),
          );
          return 1;
        }
      }
    }
    // Its own object (a String object for text: the socket sends its text), so no frame of
    // this tab's, however equal, is taken for it; remembered (the last 4096) so that its
    // outcome goes to its tab: a queued one is acked when sent; a drop or a loss is that
    // tab's event. Entry: [pipe, tag].
    const f = typeof d == "string" ? new String(d) : d, rf = h.rf;
    rf.set(f, [p, g]);
    if (rf.size > 4096) rf.delete(rf.keys().next().value);
    const r = c.t(f, d.length, 1);
    if (r > 2) rf.delete(f);
    return r > 2 ? -1 : r == 1 ? 0 : 1;
  }

  /** A relayed frame's note (9 drop, 10 sent, 19 lost); true if it was one. */
  out(k, b, d) {
    const rf = this.h.rf, e = rf.get(d);
    if (!e) return false;
    rf.delete(d);
    if (d instanceof String) d = String(d);
    if (k == 10) this.ack(e[0], e[1]);
    // A drop because this socket closed: its tab sends it again through the next leader
    // (it was never acked); other drops and losses are that tab's events.
    else if (!(k == 9 && b == 2)) this.post({ k: "L", p: e[0], n: k, r: ["overflow", "expired", "closed", "connection-lost"][b], d });
    return true;
  }

  /** An engine note (Hub.e): on the leader, server traffic and the connection's state go to the followers. */
  tap(k, a, b, v, w) {
    if (k == 0 && b == 4) return this.closed();
    // A follower's engine picks endpoints for its link: not the connection's (`url` is).
    if (k == 22 && !this.ld) return true;
    if (!this.ld) return;
    if (k == 5) this.post({ k: "e", d: JSON.stringify({ type: v, data: w }) });
    else if (k == 15) {
      // Answerable in one tab: here if this tab handles it, else the first follower that does.
      let to = this.id;
      if (this.h.hs.has(v)) this.dd.add(a);
      else for (const [t, s] of this.th) if (s.has(v)) { to = t; break; }
      this.post({ k: "e", d: JSON.stringify({ type: v, id: a, data: w }), to });
    } else if (k == 6) this.post({ k: "e", d: v });
    else if (k == 1) {
      this.dd.clear(); // request ids are per connection
      for (const p of this.pw) this.ok(p);
      this.pw.clear();
      this.post({ k: "up", l: this.id });
    } else if (k == 2) {
      this.flush();
      this.ps.clear();
      this.post({ k: "down", l: this.id, c: a, r: v, w: b & 1 });
    }
  }
}

/** A follower's link to the leader, as the Port sees a socket (readyState, send, close, on…). */
class Pipe {
  constructor(t, url) {
    this.t = t;
    this.p = t.id + "." + ++t.k;
    this.url = url;
    this.protocol = this.extensions = "";
    this.readyState = this.bufferedAmount = this.g = this.a = this.w = 0;
    this.l = null; // the leader that answered
    this.ask(1);
  }

  /** Says `hi` (`now`), or waits for a leader to (`lead`); either way within HELLO_MS. */
  ask(now) {
    this.l = null;
    clearTimeout(this.tm);
    clearInterval(this.iv);
    this.iv = 0;
    this.w = 0;
    if (now) this.t.up.postMessage({ k: "hi", p: this.p });
    this.tm = setTimeout(() => this.t.silent(this), HELLO_MS);
  }

  /** The leader answered: it is not connected; the pipe opens with its next open. */
  waits(l) {
    if (this.readyState) return;
    this.l = l;
    this.live();
  }

  opened(l, u, r) {
    if (this.readyState) return;
    this.readyState = 1;
    this.l = this.t.L = l;
    this.url = u;
    this.protocol = r;
    this.live();
    this.ontrack?.();
    this.onopen?.();
    this.t.hs();
  }

  /** Liveness: the leader answers each `q` from its message handler (no timers there). */
  live() {
    clearTimeout(this.tm);
    if (this.iv) return;
    this.iv = setInterval(() => {
      if (this.w && now() - this.w > SILENT_MS) return this.t.silent(this);
      if (!this.w) {
        this.w = now();
        this.t.up.postMessage({ k: "q", p: this.p });
      }
    }, 1000);
  }

  acked(g) {
    if (g > this.a) {
      this.a = g;
      this.ondelivered?.(g);
    }
  }

  send(d, g) {
    this.g = g;
    this.t.up.postMessage({ k: "f", p: this.p, d, g });
  }

  close(code = 1000, reason = "") {
    if (this.readyState > 1) return;
    try {
      this.t.up.postMessage({ k: "x", p: this.p });
    } catch { /* stopped */ }
    this.end(code, reason, 1);
  }

  end(code, reason, clean) {
    if (this.readyState == 3) return;
    this.readyState = 3;
    clearTimeout(this.tm);
    clearInterval(this.iv);
    if (this.t.pp === this) this.t.pp = null;
    // What the leader never acked did not reach it (or reached a leader that is gone): the
    // engine queues it again.
    if (this.g > this.a) this.onundelivered?.(this.a);
    this.onclose?.({ code, reason, wasClean: !!clean });
  }
}

/**
 * The first attempt's transport, made before this tab knows its role (the lock answers in a
 * few ms): it becomes the real socket if the tab leads, a Pipe if not (`go`), and forwards.
 */
class Lazy {
  constructor(t, url, mk) {
    this.t = t;
    this.u = url;
    this.mk = mk;
    this.w = null;
    this.x = 0; // closed before it began
  }

  go(lead) {
    if (this.x) return;
    let w;
    try {
      w = this.w = lead ? this.mk() : (this.t.pp = new Pipe(this.t, this.u));
    } catch (e) {
      this.x = 1;
      return this.onclose?.({ code: 1006, reason: String(e?.message ?? e), wasClean: false });
    }
    w.binaryType = "arraybuffer";
    w.onerror = () => {};
    for (const n of HANDLERS) w[n] = (...a) => this[n]?.(...a);
  }

  get readyState() {
    return this.x ? 3 : this.w ? this.w.readyState : 0;
  }

  get bufferedAmount() {
    return this.w?.bufferedAmount ?? 0;
  }

  get url() {
    return this.w?.url ?? this.u;
  }

  get protocol() {
    return this.w?.protocol ?? "";
  }

  get extensions() {
    return this.w?.extensions ?? "";
  }

  send(d, g) {
    return this.w?.send(d, g);
  }

  addEventListener(...a) {
    this.w?.addEventListener?.(...a);
  }

  close(code, reason) {
    if (this.w) return this.w.close(code, reason);
    this.x = 1; // (the Port detached it first: nothing to report)
  }
}
