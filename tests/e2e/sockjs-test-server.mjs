// The real SockJS server (npm `sockjs` 0.3.24, pinned in package.json: the sockjs-node that Spring
// and most SockJS deployments speak the same protocol as) the SockJS tests run against, on
// 127.0.0.1. tests/e2e/sockjs-facts.test.mjs pins the protocol facts a client relies on
// (/work/notes/sockjs-facts.md lists them). By hand:
//   node tests/e2e/sockjs-test-server.mjs --port-file /tmp/sockjs-port
//   (then SOCKJS_TEST_SERVER=http://127.0.0.1:$(cat /tmp/sockjs-port))
// Options: --port N (0, the default: any free port; a fixed port can be reused at once after a
// kill, so a "server restart" test kills this process and starts it again with --port N),
// --port-file F (written once listening), --heartbeat-ms MS (heartbeat_delay of every endpoint,
// default 1000: short, so heartbeat tests are quick; sockjs' own default is 25000),
// --disconnect-ms MS (disconnect_delay, default 5000 as sockjs'), --response-limit BYTES
// (response_limit of the streaming transports, default 131072 as sockjs'), --stomp-host H
// (default 127.0.0.1), --stomp-port N (default 61613: RabbitMQ's STOMP plugin).
// It prints `sockjs test server listening on http://127.0.0.1:PORT`; SIGTERM/SIGINT stop it
// (every socket destroyed, exit 0).
//
// SockJS endpoints (prefixes; each has the whole sockjs URL space: GET <prefix> and <prefix>/
// → "Welcome to SockJS!\n", <prefix>/info, <prefix>/iframe.html, <prefix>/websocket (raw,
// unframed WebSocket), <prefix>/<server>/<session>/{websocket, xhr, xhr_send, xhr_streaming,
// eventsource, htmlfile, jsonp, jsonp_send}):
//   /echo        every message is sent back as it came (one conn.write per message), except the
//                commands below (a message that is a JSON object with that one key):
//                  {"close":[code,"reason"]} → conn.close(code, "reason") (a `c[code,"reason"]` frame)
//                  {"burst":[n,"text"]}      → n × conn.write("text"), synchronously
//   /echo-nows   the same with `websocket: false`: /info says "websocket": false and both
//                websocket URLs answer 404, so a client must use the HTTP transports
//   /close       every new session is closed at once: conn.close(3000, "Go away!") as soon as it
//                opens (the client sees `o` then `c[3000,"Go away!"]`)
//   /stomp       a STOMP relay to the broker at --stomp-host:--stomp-port (what Spring's
//                "broker relay" does): each SockJS session opens its own TCP connection to the
//                broker. Client → broker: every SockJS message is written to the TCP connection
//                as it is (UTF-8; no reframing: one frame, several frames or a part of a frame
//                per message all work; messages sent before the TCP connection is up are
//                queued). Broker → client: the TCP byte stream is cut into STOMP frames (a frame
//                ends at its NUL, or after content-length body bytes and the NUL that follows)
//                and every frame, NUL included, is one SockJS message (decoded as UTF-8); every
//                heart-beat EOL between frames ("\n" or "\r\n") is a SockJS message of its own.
//                When the broker closes the TCP connection the session is closed with
//                c[1000,"STOMP broker closed the connection"] (after the frames received before,
//                so an ERROR frame arrives first); when the broker can't be reached (or the TCP
//                connection fails), c[1011,"STOMP broker unreachable: <error code>"]. When the
//                SockJS session closes, the TCP connection is ended (FIN; no DISCONNECT sent).
//   Every endpoint: heartbeat_delay --heartbeat-ms, disconnect_delay --disconnect-ms,
//   response_limit --response-limit, no jsessionid cookie (/info says cookie_needed false).
//   NB sockjs keeps one session table for every prefix: a session id is global to the server.
//
// HTTP controls (POST or GET, CORS open, JSON replies), under /control/; `prefix` (one of the
// endpoints above) selects that endpoint's sessions, every endpoint's when absent; `session`
// (a URL session id; sessions over /websocket have none) selects one session:
//   /control/block-ws?on=1|0 → WebSocket upgrade requests destroyed while on (a network that
//                              blocks WebSocket; /info still says "websocket": true)
//   /control/config          → { heartbeatMs, disconnectMs, responseLimit, stompHost, stompPort,
//                              prefixes } (this server's options, for the tests)
//   /control/sessions        → { counts: {"/echo": n, ...}, sessions: [{prefix, session,
//                              protocol, readyState}] } (open SockJS sessions, raw ones included;
//                              protocol: websocket, websocket-raw, xhr-streaming, xhr-polling,
//                              eventsource, htmlfile, jsonp-polling)
//   /control/drop[?prefix=&session=&how=rst|fin]
//                            → the network fails under every selected session: the socket of
//                              its current receiving request (its WebSocket, or its open
//                              xhr/xhr_streaming/eventsource response) is destroyed, with a TCP
//                              RST (how=rst, the default: socket.resetAndDestroy()) or a FIN
//                              (how=fin: socket.destroy()); no close frame, no `c` frame. sockjs
//                              then ends the session itself at once (an aborted receiver does
//                              not wait for disconnect_delay). { dropped, idle } (idle: sessions
//                              with no receiving request at that moment, left alone)
//   /control/freeze[?prefix=&session=&what=all|heartbeat]
//                            → a half-open peer: the selected open sessions stop sending. With
//                              what=all (the default) no heartbeat (neither `h` frames nor the
//                              WebSocket pings of the websocket transport) and no message is
//                              sent any more (messages written by the app are dropped; the
//                              session still receives, and its TCP connection and pending
//                              HTTP response stay open, so a polling request is never answered);
//                              what=heartbeat stops the heartbeats only (messages still flow).
//                              Done by replacing the session's tryFlush/send (sockjs internals of
//                              0.3.24). A frozen session stays frozen until it closes. { frozen }
//   /control/close?code=N&reason=R[&prefix=&session=]
//                            → conn.close(N, R) on the selected sessions (server-initiated close:
//                              a `c[N,"R"]` frame). { closed }
//   /control/send?text=T[&prefix=&session=]
//                            → conn.write(T) on the selected sessions (a server push). { sent }
import http from "node:http";
import net from "node:net";
import { renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const sockjs = require("sockjs");

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const port = Number(arg("--port", "0"));
const portFile = arg("--port-file");
const heartbeatMs = Number(arg("--heartbeat-ms", "1000"));
const disconnectMs = Number(arg("--disconnect-ms", "5000"));
const responseLimit = Number(arg("--response-limit", String(128 * 1024)));
const stompHost = arg("--stomp-host", "127.0.0.1");
const stompPort = Number(arg("--stomp-port", "61613"));

const server = http.createServer();
const sockets = new Set();
server.on("connection", (s) => {
  sockets.add(s);
  s.on("close", () => sockets.delete(s));
});

/** prefix → Set of open SockJSConnections. */
const open = new Map();

function endpoint(prefix, options, onConnection) {
  const sj = sockjs.createServer({
    prefix,
    heartbeat_delay: heartbeatMs,
    disconnect_delay: disconnectMs,
    response_limit: responseLimit,
    websocket: true,
    log: () => {},
    ...options,
  });
  const set = new Set();
  open.set(prefix, set);
  sj.on("connection", (conn) => {
    if (!conn) return;
    set.add(conn);
    conn.on("close", () => set.delete(conn));
    onConnection(conn);
  });
  sj.installHandlers(server, { prefix });
}

function echo(conn) {
  conn.on("data", (msg) => {
    if (typeof msg == "string" && msg.startsWith("{")) {
      let cmd;
      try {
        cmd = JSON.parse(msg);
      } catch {
        /* not a command */
      }
      const keys = cmd && typeof cmd == "object" && !Array.isArray(cmd) ? Object.keys(cmd) : [];
      if (keys.length == 1 && keys[0] == "close" && Array.isArray(cmd.close)) return conn.close(cmd.close[0], cmd.close[1]);
      if (keys.length == 1 && keys[0] == "burst" && Array.isArray(cmd.burst)) {
        for (let i = 0; i < cmd.burst[0]; i++) conn.write(cmd.burst[1]);
        return;
      }
    }
    conn.write(msg);
  });
}

// The innermost fallbacks (sockjs' installHandlers chains the listeners present before it):
// a URL under no prefix is a 404, an upgrade request under no prefix is destroyed.
server.on("request", (req, res) => {
  res.writeHead(404, { "content-type": "text/plain" });
  res.end("not found\n");
});
server.on("upgrade", (req, socket) => socket.destroy());

endpoint("/echo", {}, echo);
endpoint("/echo-nows", { websocket: false }, echo);
endpoint("/close", {}, (conn) => conn.close(3000, "Go away!"));
endpoint("/stomp", {}, stompRelay);

/** Cuts complete STOMP frames (and heart-beat EOLs) off the front of `buf`: [pieces, rest]. */
function splitStomp(buf) {
  const out = [];
  let i = 0;
  while (i < buf.length) {
    if (buf[i] == 0x0a) {
      out.push("\n");
      i += 1;
      continue;
    }
    if (buf[i] == 0x0d) {
      if (i + 1 >= buf.length) break;
      if (buf[i + 1] == 0x0a) {
        out.push("\r\n");
        i += 2;
        continue;
      }
    }
    // A frame: headers end at the first blank line.
    let hdrEnd = -1, bodyStart = -1;
    for (let j = i; j < buf.length; j++) {
      if (buf[j] == 0x0a && buf[j + 1] == 0x0a) { hdrEnd = j; bodyStart = j + 2; break; }
      if (buf[j] == 0x0a && buf[j + 1] == 0x0d && buf[j + 2] == 0x0a) { hdrEnd = j; bodyStart = j + 3; break; }
      if (buf[j] == 0) break; // a NUL before the blank line: malformed, cut at the NUL below
    }
    let end; // index of the frame's NUL
    const m = hdrEnd >= 0 ? /(?:^|\n)content-length:(\d+)\r?(?:\n|$)/.exec(buf.subarray(i, hdrEnd).toString("utf8")) : null;
    if (m) {
      end = bodyStart + Number(m[1]);
      if (end >= buf.length) break;
    } else {
      end = buf.indexOf(0, bodyStart >= 0 ? bodyStart : i);
      if (end < 0) break;
    }
    out.push(buf.subarray(i, end + 1).toString("utf8"));
    i = end + 1;
  }
  return [out, buf.subarray(i)];
}

function stompRelay(conn) {
  const tcp = net.connect({ host: stompHost, port: stompPort });
  let connected = false, closed = false;
  const queue = [];
  let rest = Buffer.alloc(0);
  tcp.setNoDelay(true);
  tcp.on("connect", () => {
    connected = true;
    for (const m of queue.splice(0)) tcp.write(m, "utf8");
  });
  tcp.on("data", (chunk) => {
    const [pieces, r] = splitStomp(rest.length ? Buffer.concat([rest, chunk]) : chunk);
    rest = Buffer.from(r);
    for (const p of pieces) conn.write(p);
  });
  tcp.on("error", (e) => {
    if (closed) return;
    closed = true;
    conn.close(1011, `STOMP broker unreachable: ${e.code || e.message}`);
  });
  tcp.on("close", () => {
    if (closed) return;
    closed = true;
    conn.close(1000, "STOMP broker closed the connection");
  });
  conn.on("data", (msg) => {
    if (connected) tcp.write(String(msg), "utf8");
    else queue.push(String(msg));
  });
  conn.on("close", () => {
    closed = true;
    tcp.end();
    setTimeout(() => tcp.destroy(), 2000).unref();
  });
}

// ---- controls ----

function selected(url) {
  const prefix = url.searchParams.get("prefix");
  const session = url.searchParams.get("session");
  const out = [];
  for (const [p, set] of open) {
    if (prefix && p !== prefix) continue;
    for (const conn of set) {
      if (session && conn._session?.session_id !== session) continue;
      out.push([p, conn]);
    }
  }
  return out;
}

/** The socket of the session's current receiving request/WebSocket, or null. */
function receiverSocket(conn) {
  const recv = conn._session?.recv;
  if (!recv) return null;
  return recv.connection || recv.response?.socket || recv.request?.socket || null;
}

function freeze(conn, what) {
  const s = conn._session;
  if (!s) return false;
  if (what == "all") s.send = () => s.readyState === 1;
  if (typeof s.flushToRecv == "function") {
    // Session (not a raw /websocket one): heartbeats are armed by tryFlush (to_tref).
    s.tryFlush = function () {
      if (what != "all") this.flushToRecv(this.recv);
      if (this.to_tref) clearTimeout(this.to_tref);
      this.to_tref = null;
    };
    if (s.recv && s.to_tref) {
      // With a receiver, to_tref is the heartbeat timer (without one it is the disconnect timer).
      clearTimeout(s.to_tref);
      s.to_tref = null;
    }
  }
  return true;
}

const cors = { "access-control-allow-origin": "*", "access-control-allow-methods": "GET, POST, OPTIONS" };
function control(req, res) {
  const url = new URL(req.url, "http://x");
  const name = url.pathname.slice("/control/".length);
  const reply = (status, body) => {
    res.writeHead(status, { "content-type": "application/json", ...cors });
    res.end(JSON.stringify(body));
  };
  if (req.method === "OPTIONS") return reply(204, {});
  const prefix = url.searchParams.get("prefix");
  if (prefix && !open.has(prefix)) return reply(404, { error: `no endpoint ${prefix}` });
  if (name === "config") return reply(200, { heartbeatMs, disconnectMs, responseLimit, stompHost, stompPort, prefixes: [...open.keys()] });
  if (name === "sessions") {
    const counts = {};
    const sessions = [];
    for (const [p, set] of open) counts[p] = set.size;
    for (const [p, conn] of selected(url)) {
      sessions.push({ prefix: p, session: conn._session?.session_id ?? null, protocol: conn.protocol, readyState: conn.readyState });
    }
    return reply(200, { counts, sessions });
  }
  if (name === "drop") {
    const how = url.searchParams.get("how") || "rst";
    let dropped = 0, idle = 0;
    for (const [, conn] of selected(url)) {
      const sock = receiverSocket(conn);
      if (!sock) {
        idle++;
        continue;
      }
      if (how == "fin" || typeof sock.resetAndDestroy != "function") sock.destroy();
      else sock.resetAndDestroy();
      dropped++;
    }
    return reply(200, { dropped, idle });
  }
  if (name === "freeze") {
    const what = url.searchParams.get("what") || "all";
    if (what != "all" && what != "heartbeat") return reply(400, { error: `what=${what}: all or heartbeat` });
    let frozen = 0;
    for (const [, conn] of selected(url)) if (freeze(conn, what)) frozen++;
    return reply(200, { frozen });
  }
  if (name === "close") {
    const code = Number(url.searchParams.get("code") || 1000);
    const reason = url.searchParams.get("reason") ?? "Normal closure";
    let closed = 0;
    for (const [, conn] of selected(url)) if (conn.close(code, reason)) closed++;
    return reply(200, { closed });
  }
  if (name === "send") {
    const text = url.searchParams.get("text") ?? "";
    let sent = 0;
    for (const [, conn] of selected(url)) if (conn.write(text)) sent++;
    return reply(200, { sent });
  }
  if (name === "block-ws") {
    // on=1: every WebSocket upgrade request is destroyed (a network that blocks WebSocket);
    // on=0: allowed again. /info still says "websocket": true.
    blockWs = url.searchParams.get("on") !== "0";
    return reply(200, { blockWs });
  }
  return reply(404, { error: `unknown control: ${name}` });
}

// /control/block-ws: WebSocket upgrades destroyed while set (before sockjs' handlers).
let blockWs = false;
const upgrades = server.listeners("upgrade");
server.removeAllListeners("upgrade");
server.on("upgrade", (req, socket, head) => {
  if (blockWs) return socket.destroy();
  for (const l of upgrades) l.call(server, req, socket, head);
});

// The controls go first; sockjs' handlers (installed above) get everything else.
const inner = server.listeners("request");
server.removeAllListeners("request");
server.on("request", (req, res) => {
  if (req.url.startsWith("/control/")) return control(req, res);
  for (const l of inner) l.call(server, req, res);
});

server.listen(port, "127.0.0.1", () => {
  const { port: actual } = server.address();
  if (portFile) {
    writeFileSync(`${portFile}.tmp`, `${actual}\n`);
    renameSync(`${portFile}.tmp`, portFile);
  }
  console.log(`sockjs test server listening on http://127.0.0.1:${actual}`);
});
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    for (const s of sockets) s.destroy();
    server.close();
    process.exit(0);
  });
}
