// The real socket.io 4.8 server (npm `socket.io`, pinned in package.json) the Socket.IO e2e tests
// (tests/e2e/socketio.test.mjs) run against, on 127.0.0.1. scripts/test.sh starts it; by hand:
//   node tests/e2e/sio-test-server.mjs --port-file /tmp/sio-port   (then SIO_TEST_SERVER=http://127.0.0.1:$(cat /tmp/sio-port))
// Options: --port N (0: any free port), --ping-interval MS (default 1000), --ping-timeout MS
// (default 1000): short, so the dead-peer test (freeze) is quick; connectionStateRecovery is on.
//
// Every namespace ("/", "/admin", "/slow", "/chat"; every handler replies on the sender's socket):
//   whoami(cb)               → cb({ id, recovered, auth, nsp, eid }) (eid: the Engine.IO
//                              connection's id: equal for multiplexed namespaces)
//   echo(...args)            → emits "echo" with the same args (binary included)
//   ack(...args, cb)         → cb(...args)
//   log(key, value)          → remembered per namespace and key (survives reconnects);
//   getlog(key, cb)          → cb(values)
//   join(room, cb)           → socket.join(room); cb(rooms);   room(room, ...args) → to(room).emit("room", ...args)
//   kick()                   → socket.disconnect(true) (final: "io server disconnect"; the
//                              server closes the whole connection, every namespace on it)
//   leave()                  → socket.disconnect() (this namespace only; the connection stays)
//   arm(room, n, cb)         → once this socket disconnects, n "missed" events (1..n) to room
//   drop(room?, n?)          → socket.conn.close() (recoverable: "forced close"); when room is
//                              given, n "missed" events (1..n) are emitted to it once the server
//                              saw the disconnect (so only a recovered session gets them)
// Namespace "/" also:
//   ask(value, cb)           → socket.timeout(2000).emitWithAck("question", value), then
//                              cb({ ok: answer }) or cb({ error: message }) (acks server → client)
//   volatile(n)              → n volatile "v" events 30 ms apart (no offset on the wire)
//   freeze()                 → this connection stops pinging and sending (TCP stays open)
//   count(n, ms)             → emits "num" 1..n, one every ms milliseconds, in order (one timer
//                              chain; across an upgrade)
//   slowack(ms, cb)          → cb("late") after ms milliseconds
// Namespace "/admin": middleware accepts auth.token === "good", else next(err) with
//   err.message "bad token" and err.data { code: 401, token } (the server sends CONNECT_ERROR).
// Namespace "/slow": a middleware that takes auth.ms milliseconds (default 3000, longer than
//   pingInterval + pingTimeout) before accepting.
// Namespace "/chat": no middleware.
// HTTP controls (POST, CORS open): /control/drop?id=SID, /control/kick?id=SID,
//   /control/freeze?id=SID (SID: a namespace socket id, any namespace), /control/stats → {sockets},
//   /control/transport?id=SID → {name, upgraded} (Engine.IO's transport of that socket),
//   /control/probe?mode=ok|refuse|kill|delay[&ms=N] → upgrade probes (WebSocket requests with a
//   sid) work, are refused (the HTTP upgrade request destroyed), are killed after the server
//   sent `3probe` (the client is pausing polling), or are handled N ms late; global until changed.
import http from "node:http";
import { renameSync, writeFileSync } from "node:fs";
import { Server } from "socket.io";

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const port = Number(arg("--port", "0"));
const portFile = arg("--port-file");

const server = http.createServer();
const io = new Server(server, {
  cors: { origin: "*" },
  pingInterval: Number(arg("--ping-interval", "1000")),
  pingTimeout: Number(arg("--ping-timeout", "1000")),
  maxHttpBufferSize: 1e6,
  connectionStateRecovery: { maxDisconnectionDuration: 60_000, skipMiddlewares: false },
});

const logs = new Map();

// Upgrade probes: "ok", "refuse" (destroyed before the handshake) or "kill" (after 3probe).
let probe = "ok", probeDelay = 0;
const upgradeListeners = server.listeners("upgrade");
server.removeAllListeners("upgrade");
server.on("upgrade", (req, socket, head) => {
  const probing = req.url.includes("sid=");
  if (probe == "refuse" && probing) return socket.destroy();
  const go = () => { for (const l of upgradeListeners) l.call(server, req, socket, head); };
  if (probe == "delay" && probing) setTimeout(go, probeDelay);
  else go();
});
io.engine.on("connection", (conn) => {
  conn.on("upgrading", (transport) => {
    if (probe == "kill") transport.socket.terminate();
  });
});

function freeze(socket) {
  const c = socket.conn;
  clearTimeout(c.pingIntervalTimer);
  clearTimeout(c.pingTimeoutTimer);
  c.pingIntervalTimer = null;
  c.pingTimeoutTimer = null;
  c.sendPacket = () => {};
}

// f(1), f(2), ... f(n), one every ms milliseconds, strictly in that order: one timer chain.
// Not one timer each (`setTimeout(() => f(i), i * ms)`): Node keeps one timer list per
// duration and, once a list is due, runs every timer of it that is due, before the other
// lists. Under load (the loop late) a timer can so fire before an earlier-due one of another
// duration: with the probe's `delay&ms=300` timer (an older 300 ms list, due first), "num"
// 100 (i * 3 = 300 ms) was emitted before 95..99.
function spaced(n, ms, f) {
  let i = 0;
  const next = () => {
    f(++i);
    if (i < n) setTimeout(next, ms);
  };
  if (n > 0) setTimeout(next, ms);
}

// Every namespace: whoami, echo, ack, log/getlog (per namespace and key), join/room, drop.
function common(socket) {
  const nsp = socket.nsp;
  socket.on("whoami", (cb) => cb({ id: socket.id, recovered: socket.recovered, auth: socket.handshake.auth, nsp: nsp.name, eid: socket.conn.id }));
  socket.on("echo", (...a) => socket.emit("echo", ...a));
  socket.on("ack", (...a) => {
    const cb = a.pop();
    if (typeof cb == "function") cb(...a);
  });
  socket.on("log", (key, value) => {
    const k = nsp.name + " " + key;
    if (!logs.has(k)) logs.set(k, []);
    logs.get(k).push(value);
  });
  socket.on("getlog", (key, cb) => cb(logs.get(nsp.name + " " + key) ?? []));
  socket.on("join", (room, cb) => {
    socket.join(room);
    cb?.([...socket.rooms]);
  });
  socket.on("room", (room, ...a) => nsp.to(room).emit("room", ...a));
  socket.on("kick", () => socket.disconnect(true));
  socket.on("leave", () => socket.disconnect());
  const arm = (room, n) => {
    socket.once("disconnect", () => {
      for (let i = 1; i <= n; i++) nsp.to(room).emit("missed", i);
    });
  };
  socket.on("arm", (room, n, cb) => {
    arm(room, n);
    cb?.();
  });
  socket.on("drop", (room, n) => {
    if (room) arm(room, n);
    socket.conn.close();
  });
}

io.on("connection", (socket) => {
  common(socket);
  socket.on("ask", async (value, cb) => {
    try {
      const answer = await socket.timeout(2000).emitWithAck("question", value);
      cb({ ok: answer });
    } catch (e) {
      cb({ error: e.message });
    }
  });
  socket.on("volatile", (n) => {
    // Spaced: socket.io drops a volatile packet while the transport is still writing.
    spaced(n, 30, (i) => socket.volatile.emit("v", i));
  });
  socket.on("freeze", () => freeze(socket));
  socket.on("slowack", (ms, cb) => setTimeout(() => cb?.("late"), ms));
  socket.on("count", (n, ms) => {
    spaced(n, ms, (i) => socket.emit("num", i));
  });
});

const admin = io.of("/admin");
admin.use((socket, next) => {
  const token = socket.handshake.auth?.token;
  if (token === "good") return next();
  const err = new Error("bad token");
  err.data = { code: 401, token: token ?? null };
  next(err);
});
admin.on("connection", common);

const slow = io.of("/slow");
slow.use((socket, next) => setTimeout(next, Number(socket.handshake.auth?.ms ?? 3000)));
slow.on("connection", common);

// "/chat": no middleware; `common` only (a second namespace for the multiplexing tests).
io.of("/chat").on("connection", common);

const cors = { "access-control-allow-origin": "*", "access-control-allow-methods": "GET, POST, OPTIONS" };
function control(req, res) {
  const url = new URL(req.url, "http://x");
  const name = url.pathname.slice("/control/".length);
  const reply = (status, body) => {
    res.writeHead(status, { "content-type": "application/json", ...cors });
    res.end(JSON.stringify(body));
  };
  if (req.method === "OPTIONS") return reply(204, {});
  if (name === "stats") return reply(200, { sockets: io.engine.clientsCount });
  if (name === "probe") {
    probe = url.searchParams.get("mode") ?? "ok";
    probeDelay = Number(url.searchParams.get("ms") ?? 0);
    return reply(200, { probe });
  }
  const id = url.searchParams.get("id");
  let socket;
  for (const n of io._nsps.values()) socket ??= n.sockets.get(id);
  if (!socket) return reply(404, { error: `no socket ${id}` });
  if (name === "drop") socket.conn.close();
  else if (name === "kick") socket.disconnect(true);
  else if (name === "freeze") freeze(socket);
  else if (name === "transport") return reply(200, { name: socket.conn.transport.name, upgraded: socket.conn.upgraded });
  else return reply(404, { error: `unknown control: ${name}` });
  return reply(200, { ok: true });
}

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
  console.log(`socket.io test server listening on http://127.0.0.1:${actual}`);
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => { io.close(); process.exit(0); });
