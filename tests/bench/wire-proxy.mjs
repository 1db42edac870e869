// A byte-counting TCP proxy for tests/bench/transports.mjs: listens on 127.0.0.1, pipes every
// connection to the target, and counts what crosses it, each direction: every byte (HTTP heads,
// bodies, chunk framing, the WebSocket handshake and frames), and, by parsing the HTTP/1.1 and
// WebSocket framing as it passes, how many requests and frames, and how many of the bytes are
// framing (heads, chunk-size lines, WebSocket frame headers) rather than body/payload.
// `snapshot()` returns the running totals; the difference of two snapshots is what a phase cost.
import net from "node:net";

const CRLF2 = Buffer.from("\r\n\r\n");
const CRLF = Buffer.from("\r\n");

// What an exchange is for, from its request (README "HTTP side of the protocol"):
//   up: a batch of client frames (POST …&n=K), or a WebSocket frame client → server;
//   down: server frames (a poll GET …&sid=S, the SSE stream GET), or a WebSocket frame server → client;
//   open: the WebSocket upgrade, the polling open GET; close: POST …&close=1; other: anything else.
// A response's bytes go to its request's kind: `k_up` in the server → client direction is what the
// answers to the POSTs cost. `r_<kind>`: requests of that kind (client → server direction only).
export const KINDS = ["up", "down", "open", "close", "other"];
export function kindOf(method, target, upgrade) {
  if (upgrade) return "open";
  let q;
  try { q = new URL(target, "http://x").searchParams; } catch { return "other"; }
  const t = q.get("transport");
  if (!t) return "other";
  if (method === "POST") return q.get("close") === "1" ? "close" : q.has("n") ? "up" : "other";
  if (method === "GET") return t === "sse" || q.has("sid") ? "down" : "open";
  return "other";
}

/** A zeroed counter set for one direction. */
const zero = () => ({
  bytes: 0, heads: 0, headBytes: 0, bodyBytes: 0, chunkFramingBytes: 0, wsFrames: 0, wsHeaderBytes: 0, wsPayloadBytes: 0, unparsedBytes: 0,
  ...Object.fromEntries(KINDS.flatMap((k) => [[`k_${k}`, 0], [`r_${k}`, 0]])),
});

/**
 * Parses one direction of one connection (requests if `requests`, else responses) and adds to `c`.
 * Parsing never affects the forwarding: on anything unexpected the rest of the stream is counted
 * as `unparsedBytes` (and still in `bytes`).
 */
class Direction {
  constructor(requests, c, conn) {
    this.requests = requests;
    this.c = c; // the direction's running totals (shared by all connections)
    this.conn = conn; // shared per-connection state: { upgrading, upgraded }
    this.buf = Buffer.alloc(0);
    this.mode = "head"; // head | body | chunk-size | chunk-data | chunk-crlf | chunk-end | ws | ws-payload | rest | bad
    this.left = 0;
    this.kind = "other"; // of the message being parsed
  }

  /** Counts `n` bytes under `field` and the current kind. */
  add(field, n) {
    this.c[field] += n;
    this.c[`k_${this.kind}`] += n;
  }

  feed(chunk) {
    this.c.bytes += chunk.length;
    if (this.mode === "bad" || this.mode === "rest") {
      this.add(this.mode === "bad" ? "unparsedBytes" : "bodyBytes", chunk.length);
      return;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    try {
      while (this.buf.length && this.step());
    } catch {
      this.kind = "other";
      this.add("unparsedBytes", this.buf.length);
      this.buf = Buffer.alloc(0);
      this.mode = "bad";
    }
  }

  take(n) {
    const b = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return b;
  }

  /** Consumes what it can from this.buf; false when it needs more bytes. */
  step() {
    const c = this.c;
    switch (this.mode) {
      case "head": {
        const end = this.buf.indexOf(CRLF2);
        if (end < 0) {
          if (this.buf.length > 65536) throw new Error("head too long");
          return false;
        }
        const head = this.take(end + 4).toString("latin1");
        const [first, ...lines] = head.slice(0, end).split("\r\n");
        const h = {};
        for (const l of lines) {
          const i = l.indexOf(":");
          if (i > 0) h[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        const len = h["content-length"] != null ? Number(h["content-length"]) : null;
        const chunked = /chunked/i.test(h["transfer-encoding"] || "");
        if (this.requests) {
          const rl = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(first);
          if (!rl) throw new Error(`not a request line: ${first}`);
          if (/websocket/i.test(h.upgrade || "")) this.conn.upgrading = true;
          this.kind = kindOf(rl[1], rl[2], this.conn.upgrading);
          this.conn.pending.push(this.kind);
          c.heads++;
          c[`r_${this.kind}`]++;
          this.add("headBytes", end + 4);
          if (chunked) this.mode = "chunk-size";
          else if (len) { this.mode = "body"; this.left = len; }
          // after an upgrade request, the client's next bytes are WebSocket frames (sent after the 101)
          if (this.conn.upgrading && this.mode === "head") { this.mode = "ws"; this.kind = "up"; }
        } else {
          const m = /^HTTP\/1\.[01] (\d{3})/.exec(first);
          if (!m) throw new Error(`not a status line: ${first}`);
          const status = Number(m[1]);
          this.kind = (status < 200 && status !== 101 ? this.conn.pending[0] : this.conn.pending.shift()) ?? "other";
          c.heads++;
          this.add("headBytes", end + 4);
          if (status === 101) { this.mode = "ws"; this.conn.upgraded = true; this.kind = "down"; }
          else if (status < 200 || status === 204 || status === 304) this.mode = "head";
          else if (chunked) this.mode = "chunk-size";
          else if (len != null) { this.mode = len ? "body" : "head"; this.left = len; }
          else this.mode = "rest"; // until the connection closes
          if (this.mode === "rest" && this.buf.length) { this.add("bodyBytes", this.buf.length); this.buf = Buffer.alloc(0); }
        }
        return true;
      }
      case "body": {
        const n = Math.min(this.left, this.buf.length);
        this.take(n);
        this.add("bodyBytes", n);
        this.left -= n;
        if (!this.left) this.mode = "head";
        return true;
      }
      case "chunk-size": {
        const end = this.buf.indexOf(CRLF);
        if (end < 0) {
          if (this.buf.length > 1024) throw new Error("chunk size line too long");
          return false;
        }
        const line = this.take(end + 2).toString("latin1");
        this.add("chunkFramingBytes", end + 2);
        const size = parseInt(line, 16);
        if (!Number.isFinite(size)) throw new Error(`bad chunk size: ${line}`);
        if (size === 0) this.mode = "chunk-end";
        else { this.mode = "chunk-data"; this.left = size; }
        return true;
      }
      case "chunk-data": {
        const n = Math.min(this.left, this.buf.length);
        this.take(n);
        this.add("bodyBytes", n);
        this.left -= n;
        if (!this.left) this.mode = "chunk-crlf";
        return true;
      }
      case "chunk-crlf": {
        if (this.buf.length < 2) return false;
        this.take(2);
        this.add("chunkFramingBytes", 2);
        this.mode = "chunk-size";
        return true;
      }
      case "chunk-end": { // no trailers: the final CRLF
        if (this.buf.length < 2) return false;
        this.take(2);
        this.add("chunkFramingBytes", 2);
        this.mode = "head";
        return true;
      }
      case "ws": {
        if (this.buf.length < 2) return false;
        const b1 = this.buf[1];
        const len7 = b1 & 127;
        const hdr = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (b1 & 128 ? 4 : 0);
        if (this.buf.length < hdr) return false;
        const len = len7 === 126 ? this.buf.readUInt16BE(2) : len7 === 127 ? Number(this.buf.readBigUInt64BE(2)) : len7;
        this.take(hdr);
        c.wsFrames++;
        this.add("wsHeaderBytes", hdr);
        this.left = len;
        this.mode = len ? "ws-payload" : "ws";
        return true;
      }
      case "ws-payload": {
        const n = Math.min(this.left, this.buf.length);
        this.take(n);
        this.add("wsPayloadBytes", n);
        this.left -= n;
        if (!this.left) this.mode = "ws";
        return true;
      }
      default:
        throw new Error(`mode ${this.mode}`);
    }
  }
}

/**
 * Starts the proxy to `target` ({host, port}). Returns { port, snapshot(), close() }.
 * snapshot(): { up, down, connections } (up: client → server), cumulative since start.
 */
export async function startProxy(target) {
  const up = zero(), down = zero();
  let connections = 0;
  const sockets = new Set();
  const server = net.createServer((client) => {
    connections++;
    const conn = { upgrading: false, upgraded: false, pending: [] }; // pending: kinds of unanswered requests
    const reqs = new Direction(true, up, conn), resps = new Direction(false, down, conn);
    const upstream = net.connect(target.port, target.host);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    client.on("data", (d) => { reqs.feed(d); if (!upstream.write(d)) client.pause(); });
    upstream.on("drain", () => client.resume());
    upstream.on("data", (d) => { resps.feed(d); if (!client.write(d)) upstream.pause(); });
    client.on("drain", () => upstream.resume());
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    client.on("error", end);
    upstream.on("error", end);
    client.on("close", () => { sockets.delete(client); upstream.end(); });
    upstream.on("close", () => { sockets.delete(upstream); client.end(); });
  });
  await new Promise((resolve, reject) => server.listen(0, "127.0.0.1", resolve).on("error", reject));
  return {
    port: server.address().port,
    snapshot: () => ({ up: { ...up }, down: { ...down }, connections }),
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

/** b − a for two snapshots. */
export function diff(a, b) {
  const d = (x, y) => Object.fromEntries(Object.keys(y).map((k) => [k, y[k] - x[k]]));
  return { up: d(a.up, b.up), down: d(a.down, b.down), connections: b.connections - a.connections };
}
