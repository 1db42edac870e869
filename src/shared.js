// One connection for all tabs (the `shared` option; README "One connection for all tabs").
//
// Every tab's socket runs its own engine (queue, requests, reconnect, events: the API is the
// same). One tab, the LEADER, holds the Web Lock `steadysocket-shared:<name>` and the real
// connection; in every other tab the engine's transport is a Pipe: a socket-like object
// (src/glue.js `Port.pm`) over two BroadcastChannels, `<lock>` (leader → followers, one
// ordered stream: events, replies, acks, state) and `<lock>:up` (followers → leader).
// - The leader relays a follower's frames to the server: events as they are, requests
//   through its own `request()` (the reply goes back to the asking pipe only), replies to
//   the server's requests once per id, pings answered itself; it acks each relayed frame, and
//   the Pipe reports acks and what was never acked (the engine's HTTP delivery reports), so
//   a follower's message in flight when the leader goes is queued again, not lost.
// - Server events reach every tab; the leader's open/close reach the followers' pipes (their
//   engines then report the same `close`, reconnect, re-subscribe and flush their queues).
// - Takeover: a leader that closes sends `bye` and the browser hands the lock to the next
//   tab waiting for it, which connects and announces itself (`lead`, then `up`); a leader
//   that stops answering (frozen, hung) for 3 s loses the lock to a follower (`steal`) and
//   steps down when it runs again.
//
// Message shapes: up {k:"hi"|"x"|"q", p} and {k:"f", p, d, g}; down {k:"ok"|"no"|"Q"|"n", p, l, …},
// {k:"f", p, d}, {k:"a", a: [[p, g]…]}, {k:"e", d}, {k:"lead"|"up"|"bye", l}, {k:"down", l, c, r, w}.

const ID = () => globalThis.crypto?.randomUUID?.() ?? Math.random().toString(36).slice(2) + Date.now().toString(36);
/** How long a leader may stay silent before a follower takes the lock (ms). */
const SILENT_MS = 3000;
/** How long a link may wait for the leader's first answer (ms). */
const HELLO_MS = 1500;
const now = () => performance.now();

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
    this.L = null; // the leader's id, as last heard
    this.pp = null; // this tab's current pipe
    this.on = false; // started (the first connect)
    this.z = false; // stopped for good (free)
    this.wt = false; // a lock request is queued
    this.rel = null; // releases the held lock
    this.ps = new Map(); // leader: open pipe → true
    this.ak = new Map(); // leader: pipe → last frame tag to ack
    this.dd = new Set(); // leader: ids of server requests answered
    this.dn = new BroadcastChannel(this.n);
    this.up = new BroadcastChannel(this.n + ":up");
    this.dn.onmessage = (e) => this.down(e.data);
    // The page goes (closed, reloaded, or into the back/forward cache): the lead passes on at
    // once, and frames arriving from now on are left to the next leader (not relayed, not
    // acked: the followers send them again). Back from the cache: a follower again.
    // The same when the browser freezes the page (Page Lifecycle `freeze`/`resume`): a frozen
    // leader would stall every tab.
    this.ph = () => this.ld && this.closed(1);
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

  /** Starts: asks for the lock once; resolves when this tab knows whether it leads. */
  start() {
    this.on = true;
    return new Promise((res) => {
      navigator.locks.request(this.n, { ifAvailable: true }, (l) => {
        res();
        return l ? this.held() : undefined;
      }).then(() => this.ld || this.wait(), (e) => this.lost(e));
    });
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
      this.ld = false;
      this.rel = null;
      this.up.onmessage = null;
      this.ps.clear();
      // The connection goes; the next attempt is a pipe to the new leader.
      if (this.c.s() < 3) this.c.rc();
    }
    this.wait();
  }

  steal() {
    if (this.z || this.ld) return;
    navigator.locks.request(this.n, { steal: true }, () => this.held()).catch((e) => this.lost(e));
  }

  lead() {
    this.ld = true;
    this.L = this.id;
    this.up.onmessage = (e) => this.relay(e.data);
    this.post({ k: "lead", l: this.id });
    // Our pipe to the old leader ends (what it did not deliver is queued again), and the
    // engine connects now, for real (the maker returns nothing while leading).
    this.pp?.end(1012, "the leader tab changed");
    const s = this.c.s();
    if (s < 3) this.c.rc();
  }

  /** Stops for good (free): hands the lead over, releases everything. */
  stop() {
    if (this.z) return;
    this.z = true;
    if (this.ld) this.post({ k: "bye", l: this.id });
    this.ld = false;
    this.ab?.abort();
    this.rel?.();
    this.pp?.end(1001, "");
    for (const [t, n, f] of this.ls) t?.removeEventListener?.(n, f);
    this.dn.close();
    this.up.close();
  }

  /** The socket closed for good (close(), stopOnCodes, maxAttempts): a leader hands over. `keep`: the page goes (pagehide), the socket stays. */
  closed(keep) {
    if (!keep) {
      this.on = false; // connect() starts again
      this.st = 0;
      this.ab?.abort();
    }
    if (!this.ld) return;
    this.post({ k: "bye", l: this.id });
    this.ld = false;
    this.up.onmessage = null;
    this.ps.clear();
    this.rel?.();
    this.rel = null;
  }

  /** The Port's transport maker: a pipe to the leader unless this tab leads. */
  make(url) {
    if (this.ld || this.z) return;
    return (this.pp = new Pipe(this, url));
  }

  /** A pipe got no answer: the leader is gone or frozen; take over unless another did. */
  silent(p) {
    if (p !== this.pp || this.ld) return;
    const seen = this.L;
    p.end(1006, "the leader tab does not answer");
    setTimeout(() => this.L === seen && this.steal(), Math.random() * 300);
  }

  // ---------- follower side ----------

  /** A message from the leader. */
  down(m) {
    const p = this.pp, k = m.k;
    if (m.l) {
      if (k == "lead" || k == "bye") {
        if (k == "lead") this.L = m.l;
        // Our pipe belongs to the old leader (or was asking anyone): it ends.
        if (p && (k == "bye" ? p.l == m.l : p.l != m.l)) p.end(1001, "the leader tab changed");
        return;
      }
      if (k == "up") {
        this.L = m.l;
        // Connect now (the engine may be waiting out its backoff).
        if (!this.ld && !this.pp && this.on && !this.z) {
          const s = this.c.s();
          if (s == 0 || s == 2) this.c.rc();
        }
        return;
      }
    }
    if (k == "L") {
      // A message of this tab the leader had taken: its connection dropped it (`drop`,
      // connection-lost) or lost it unconfirmed (`lost`), as this tab's own socket would.
      if (this.ld || !m.p.startsWith(this.id + ".")) return;
      const h = this.h, [type, data] = h.desc(h.m == 1 ? 1 : 0, m.d);
      return m.n == 19 ? h.emit("lost", { type, data }) : h.emit("drop", { type, data, reason: "connection-lost" });
    }
    if (!p || this.ld) return;
    if (k == "e") return p.readyState == 1 && p.onmessage?.({ data: m.d instanceof Uint8Array ? m.d.slice().buffer : m.d });
    if (k == "a") {
      for (const [q, g] of m.a) if (q == p.p) p.acked(g);
      return;
    }
    if (k == "down") return p.end(m.c, m.r, m.w);
    if (m.p != p.p) return;
    if (k == "f") return p.readyState == 1 && p.onmessage?.({ data: m.d });
    if (k == "ok") return p.opened(m.l, m.u, m.r);
    if (k == "Q") return (p.w = 0);
    if (k == "no") return p.end(1013, "the leader tab is not connected");
    if (k == "n") return p.end(1012, "the leader tab changed");
  }

  // ---------- leader side ----------

  /** A follower's message. */
  relay(m) {
    if (!this.ld) return;
    const k = m.k, p = m.p;
    if (k == "f") {
      if (!this.ps.has(p) || !this.fwd(m.d, p)) return this.post({ k: "n", p });
      this.ak.set(p, m.g);
      if (this.ak.size == 1) {
        queueMicrotask(() => {
          this.post({ k: "a", a: [...this.ak] });
          this.ak.clear();
        });
      }
    } else if (k == "hi") {
      const s = this.s;
      if (this.c.s() == 1) {
        this.ps.set(p, true);
        this.post({ k: "ok", p, l: this.id, u: s.url, r: s.protocol });
      } else this.post({ k: "no", p, l: this.id });
    } else if (k == "q") this.post({ k: "Q", p });
    else if (k == "x") this.ps.delete(p);
  }

  /** Relays a follower's frame `d` from pipe `p`; false if the socket refused it. */
  fwd(d, p) {
    const h = this.h, c = this.c;
    if (h.m == 0 && typeof d == "string") {
      let o;
      try {
        o = JSON.parse(d);
      } catch { /* not JSON: relayed as it is */ }
      if (o && typeof o == "object") {
        if (o.type === "ping" && !("id" in o)) {
          this.post({ k: "f", p, d: '{"type":"pong"}' });
          return true;
        }
        if ("replyTo" in o) {
          // A follower's answer to a server request: the first one goes.
          if (this.dd.has(o.replyTo)) return true;
          this.dd.add(o.replyTo);
          if (this.dd.size > 1000) this.dd.delete(this.dd.values().next().value);
          return c.cf(0, d, d.length) || true;
        }
        if (typeof o.type == "string" && "id" in o) {
          const id = o.id, back = (x) => this.post({ k: "f", p, d: JSON.stringify({ replyTo: id, ...x }) });
          let r;
          try {
            // The asking tab times it out by its own deadline; here, at most 10 minutes.
            r = this.s.request(o.type, o.data, { timeoutMs: 6e5 });
          } catch {
            return false;
          }
          r.then(
            (v) => back({ data: v ?? null }),
            // connection-lost, closed: the asking tab's link ends too, and its own request
            // fails the same way; other failures come back as its error (kind "remote").
            (e) => e.kind == "connection-lost" || e.kind == "closed" || back({ error: e.kind == "remote" ? e.data : { message: e.message, code: e.kind } }),
          );
          return true;
        }
      }
    }
    // Remembered (the last 4096) so that its `drop`/`lost` goes to its tab, not to this one's
    // handlers (before the send: a refusal reports at once).
    const rf = h.rf, q = rf.get(d);
    q ? q.push(p) : rf.set(d, [p]);
    if (rf.size > 4096) rf.delete(rf.keys().next().value);
    const r = c.t(d, d.length, 1);
    if (r > 2) {
      this.out(0, 0, d);
      return false;
    }
    return true;
  }

  /** A relayed frame's note (9 drop, 10 sent, 19 lost; 0 forget): a drop or loss goes to its tab. */
  out(k, b, d) {
    const rf = this.h.rf, q = rf.get(d), p = q.shift();
    if (!q.length) rf.delete(d);
    if (k == 9 || k == 19) this.post({ k: "L", p, n: k, r: b, d });
  }

  /** An engine note (Hub.e): on the leader, server traffic and the connection's state go to the followers. True: the note is swallowed. */
  tap(k, a, b, v, w) {
    if (k == 0 && this.sk) {
      // The engine's idle start (closed → connecting) is not an event: a normal socket
      // starts in "connecting".
      this.sk = 0;
      if (a == 4 && b == 0) return true;
    }
    if (k == 0 && b == 4) return this.closed();
    if (!this.ld) return;
    if (k == 5) this.post({ k: "e", d: JSON.stringify({ type: v, data: w }) });
    else if (k == 15) {
      if (this.h.hs.has(v)) this.dd.add(a); // answered here
      this.post({ k: "e", d: JSON.stringify({ type: v, id: a, data: w }) });
    } else if (k == 6) this.post({ k: "e", d: v });
    else if (k == 1) this.post({ k: "up", l: this.id });
    else if (k == 2) {
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
    this.l = null; // the leader that opened it
    t.up.postMessage({ k: "hi", p: this.p });
    this.tm = setTimeout(() => t.silent(this), HELLO_MS);
  }

  opened(l, u, r) {
    if (this.readyState) return;
    clearTimeout(this.tm);
    this.readyState = 1;
    this.l = this.t.L = l;
    this.url = u;
    this.protocol = r;
    this.ontrack?.();
    this.onopen?.();
    // Liveness: the leader answers each `q` from its message handler (no timers there).
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
