// The `persist` option of SteadySocket (issue 17): the queue kept in IndexedDB so the next
// page load with the same name sends what this one could not. Imported by src/facade.js.
//
// Storage: database "steadysocket", object store "q", out-of-line keys [name, owner, order]:
// order 0 is a reliable owner's session record {sid, li, lo} (its id, the last server seq it
// received, its last seq), orders 1, 2, … its messages {v: frame, r: raw, t: Date.now() when
// queued, s: seq (reliable mode) or 0}. An owner is one socket's random id; the socket holds
// the Web Lock "steadysocket-persist:<owner>" while it lives, so an owner whose lock is free
// is dead (its page closed, crashed or reloaded, or the socket was freed during its restore).
//
// Adoption: a new socket reads the owners stored under its name and takes each dead one's
// lock (`ifAvailable`: two tabs never both get it), then reads that owner's records (after
// the lock, so never stale) and puts them in its queue. It keeps those locks for its life; a
// record is deleted when its message leaves the queue (sent, dropped, or acked in reliable
// mode), so a later adopter sees only what is still owed. At-most-once sockets adopt every
// dead at-most-once owner; a reliable socket adopts one dead reliable owner (and continues its
// session, writing under that owner from then on); records of the other mode, and further
// reliable sessions, are left for another socket.
import { ID as rid } from "./shared.js";

const ST = "q", LK = "steadysocket-persist:";
const req = (r) => new Promise((ok, no) => ((r.onsuccess = () => ok(r.result)), (r.onerror = () => no(r.error))));
const done = (t) => new Promise((ok, no) => ((t.oncomplete = ok), (t.onerror = t.onabort = () => no(t.error))));
const range = (n, o) => IDBKeyRange.bound(o === undefined ? [n] : [n, o], o === undefined ? [n, []] : [n, o, []]);
let dbp; // the database, opened once per page
const open = () =>
  (dbp ??= new Promise((ok, no) => {
    // An open that never answers (seen in some engines) fails after 5 s instead of stalling
    // the socket; a failed open is asked again by the next socket.
    const t = setTimeout(() => no(new Error("indexedDB.open gave no answer within 5 s")), 5000);
    const r = indexedDB.open("steadysocket", 1);
    r.onupgradeneeded = () => r.result.createObjectStore(ST);
    req(r).then(ok, no).finally(() => clearTimeout(t));
  }).catch((e) => {
    dbp = null;
    throw e;
  }));
let mc; // the MessageChannel that runs the write batches
const due = new Set(); // the Persists with a batch due

/** One socket's persisted queue. It reaches the socket only through the Hub (a WeakRef). */
export class Persist {
  q = []; // at-most-once: [id, key, frame] of the stored messages, in queue order
  sk = []; // frames refused by a send: their drop notes match no record
  rsv = 1; // restoring (from the start: the restore runs a microtask later)
  want = 0; // connect() was called while restoring (reliable mode: deferred)
  m = new Map(); // reliable: seq → [id, key], in seq order
  p = new Map(); // writes of the next batch: id → [key, record, or null to delete]
  u = []; // lock releases
  a = []; // owners whose records are ours (ours first)
  k = 0; // the last order used under `w`
  t = 0; // the last queueing time (Date.now(), never going back)
  f = 0; // a batch is scheduled
  ok = 0; // restored: records follow the queue from now on
  off = 0; // no more writes (free(), or no storage)
  db = null;

  /** `h` the Hub, `n` the name, `i` the reliable session id (undefined: at-most-once). */
  constructor(h, n, i) {
    h.ps = this;
    this.h = h;
    this.nm = n;
    this.i = i;
    this.w = this.o = rid(); // `w`: the owner new records go under
  }

  /** Reports a storage failure as an `error` event (kind "persist"); never throws. */
  err(e) {
    if (!this.h.dead) this.h.emit("error", { kind: "persist", message: "steadysocket: persist: " + (e?.message ?? e), error: e });
  }

  /** The lock of owner `o`: its release function, or null when held elsewhere (`may`). */
  lock(o, may) {
    return new Promise((ok, no) =>
      this.L.request(LK + o, { ifAvailable: may }, (l) => l && new Promise((r) => ok(r))).then(() => ok(null), no),
    );
  }

  /**
   * Restores the dead owners' messages into the Core (before any send of the app: they wait
   * behind this in the socket's chain), then connects unless `auto` is false or the app
   * connected, closed or freed the socket meanwhile (adopted records are then left for a
   * later socket).
   */
  async start(auto) {
    const h = this.h;
    this.rsv = 1;
    try {
      const L = (this.L = globalThis.navigator?.locks);
      if (!globalThis.indexedDB || !L) throw new Error("needs IndexedDB and Web Locks (navigator.locks): the queue is not persisted");
      this.u.push(await this.lock(this.o));
      const db = (this.db = await open()), n = this.nm, list = [];
      let ses;
      const st = (m) => db.transaction(ST, m).objectStore(ST);
      for (const o of new Set((await req(st().getAllKeys(range(n)))).map((k) => k[1]))) {
        const rel = o != this.o && (await this.lock(o, true));
        if (!rel) continue;
        const s = st(), [vs, ks] = await Promise.all([req(s.getAll(range(n, o))), req(s.getAllKeys(range(n, o)))]);
        const meta = ks[0]?.[2] === 0 ? vs[0] : null, msgs = ks.map((k, i) => [k, vs[i]]).filter((x) => x[0][2]);
        // Nothing owed: forget the owner (but a reliable session, messages or not, is continued:
        // the server replays what it sent meanwhile).
        if (!msgs.length && !(meta && this.i && !ses)) {
          const d = st("readwrite");
          d.delete(range(n, o));
          done(d.transaction).catch(() => {}).finally(rel);
          continue;
        }
        if (!meta != !this.i || (meta && ses)) {
          rel(); // the other delivery mode, or a second reliable session: left alone
          continue;
        }
        if (meta) {
          ses = meta;
          this.w = o;
          this.k = msgs.at(-1)?.[0][2] ?? 0;
        }
        this.u.push(rel);
        this.a.push(o);
        list.push(...msgs);
      }
      const s = h.sk, c = !h.dead && s?._c();
      if (!c || (c.s() > 2 && !s._idle)) {
        // Closed or freed while restoring: the adopted records go back to the pool (and, when
        // freed, the socket's own lock: it may have been granted after free()).
        this.u.splice(h.dead ? 0 : 1).forEach((r) => r());
        this.a = [this.o];
        this.w = this.o;
        // Closed (not freed): from a later connect() on, its own queue is stored again.
        this.ok = h.dead ? 0 : 1;
        return;
      }
      this.a.unshift(this.o);
      if (ses) {
        c.se(ses.sid, ses.li, ses.lo);
        this.i = ses.sid;
      } else list.sort((x, y) => x[1].t - y[1].t); // owners merged by queueing time
      const now = Date.now();
      this.ok = 1; // an expired one's drop note (maybe during rs) deletes its record
      for (const [k, r] of list) {
        const v = r?.v;
        if (typeof v != "string" && !(v instanceof Uint8Array)) continue; // not ours: skipped
        this.track(k, r);
        c.rs(v, v.length, !!r.r, now - r.t, r.s);
      }
    } catch (e) {
      this.off = 1;
      this.u.splice(1).forEach((r) => r()); // what was adopted goes back
      this.err(e);
    } finally {
      const s = h.sk;
      this.rsv = 0;
      if ((auto || this.want) && s?._idle && !h.dead) s.connect(); // (shared: through its role)
    }
  }

  /** Follows record `key` (`r` its record) until its message leaves the queue. */
  track(key, r) {
    const id = key[1] + " " + key[2];
    if (this.i) this.m.set(r.s, [id, key]);
    else this.q.push([id, key, r.v]);
  }

  /** A send's outcome `r` (0 sent, 1 queued, 2 dropped) for frame `v`: stored if owed. */
  tx(r, v, raw, c) {
    // Refused (drop-newest, too big): its `drop` note (after this) is not a stored message's.
    if (r == 2 && !this.i) this.sk.push(v);
    if (!this.ok || this.off || (this.i ? r > 1 : r != 1)) return;
    const key = [this.nm, this.w, ++this.k], rec = { v, r: raw, t: (this.t = Math.max(this.t, Date.now())), s: this.i ? c.sq() : 0 };
    this.track(key, rec);
    this.p.set(key[1] + " " + key[2], [key, rec]);
    this.sched();
  }

  /** An engine note (src/js.rs `JsSink::note`): sent (10), dropped (9), acked (16), inbound. */
  n(k, a, v) {
    if (!this.ok) return;
    if (k == 16) {
      for (const [s, x] of this.m) {
        if (s > a) break;
        this.m.delete(s);
        this.del(x);
      }
    } else if (k == 9 && this.i) {
      const s = +/^\{"seq":(\d+)/.exec(v)?.[1], x = this.m.get(s);
      if (x) {
        this.m.delete(s);
        this.del(x);
      }
    } else if (k == 9 && this.sk.length && this.sk.includes(v)) {
      this.sk.splice(this.sk.indexOf(v), 1);
    } else if (k == 9 || k == 10) {
      // The queue is FIFO: the match is at (or near) the front.
      const q = this.q, i = q.findIndex((x) => x[2] === v);
      if (i >= 0) this.del(q.splice(i, 1)[0]);
    } else if (this.i && this.m.size && (k == 5 || k == 7 || k == 8 || k == 15)) this.sched(); // last_in moved
  }

  del([id, key]) {
    if (this.p.get(id)?.[1]) this.p.delete(id); // never written
    else this.p.set(id, [key, null]);
    this.sched();
  }

  /** Schedules the batch: one task later (a MessageChannel task: timers are throttled in hidden tabs). */
  sched() {
    if (!this.f) {
      this.f = 1;
      if (!mc) {
        mc = new MessageChannel();
        mc.port1.onmessage = () => {
          const d = [...due];
          due.clear();
          d.forEach((p) => p.flush());
        };
      }
      if (!due.size) mc.port2.postMessage(0);
      due.add(this);
    }
  }

  /** Writes the batch: one transaction. */
  flush() {
    this.f = 0;
    if (this.off || !this.db) return;
    const p = this.p, c = this.h.dead ? null : this.h.sk?._c();
    this.p = new Map();
    try {
      const t = this.db.transaction(ST, "readwrite"), st = t.objectStore(ST);
      for (const [k, r] of p.values()) r ? st.put(r, k) : st.delete(k);
      if (this.i && c) st.put({ sid: this.i, li: c.li(), lo: c.sq() }, [this.nm, this.w, 0]);
      done(t).catch((e) => this.err(e));
    } catch (e) {
      this.err(e);
    }
  }

  /**
   * free(): the queue was dropped with the socket, so its records go (all owners it adopted);
   * during the restore nothing was adopted for good: the locks are released, records stay.
   */
  x() {
    const rel = () => this.u.forEach((r) => r());
    this.off = 1;
    if (!this.ok) return rel();
    try {
      const t = this.db.transaction(ST, "readwrite"), st = t.objectStore(ST);
      for (const o of new Set([...this.a, this.w])) st.delete(range(this.nm, o));
      done(t).catch((e) => this.err(e)).finally(rel);
    } catch (e) {
      rel();
    }
  }
}
