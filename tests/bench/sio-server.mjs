// The socket.io contender's server: a real `socket.io` server (pinned in package.json) on
// 127.0.0.1, echoing every "echo" event back to its sender (namespaces "/" and "/mux"), with
// the same fault controls the reference server has for P4/P5 (CORS-enabled: the bench page is
// on another origin):
//   POST /control/refuse?ms=N[&drop=1]  refuse HTTP + upgrades with 503 for N ms (ms=0: stop);
//                                       drop=1 also destroys every TCP connection (no close frame)
//   POST /control/drop                  destroy every TCP connection
//   GET  /control/stats                 {sockets}
// Usage: node tests/bench/sio-server.mjs --port-file F   (port 0 = any free port)
import http from "node:http";
import { writeFileSync, renameSync } from "node:fs";
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
  maxHttpBufferSize: 16 * 1024 * 1024,
  perMessageDeflate: false,
});
// "/" and "/mux" (sio-compare.mjs's multiplexed case: two namespaces on one connection)
for (const nsp of ["/", "/mux"]) {
  io.of(nsp).on("connection", (socket) => {
    socket.on("echo", (data) => socket.emit("echo", data));
  });
}

// Every TCP connection, so drop=1 can cut them like a crashed server would.
const conns = new Set();
server.on("connection", (sock) => {
  conns.add(sock);
  sock.on("close", () => conns.delete(sock));
});
let refuseUntil = 0;
const refusing = () => Date.now() < refuseUntil;
const dropAll = () => {
  const n = conns.size;
  for (const s of conns) s.destroy();
  return n;
};

const cors = { "access-control-allow-origin": "*", "access-control-allow-methods": "GET, POST, OPTIONS" };
function control(req, res) {
  const url = new URL(req.url, "http://x");
  const name = url.pathname.slice("/control/".length);
  const reply = (status, body) => {
    res.writeHead(status, { "content-type": "application/json", ...cors });
    res.end(JSON.stringify(body));
  };
  if (req.method === "OPTIONS") return reply(204, {});
  if (name === "refuse") {
    const ms = Number(url.searchParams.get("ms"));
    if (!Number.isInteger(ms) || ms < 0) return reply(400, { error: "ms" });
    refuseUntil = ms > 0 ? Date.now() + ms : 0;
    const body = { refusingForMs: ms };
    if (url.searchParams.get("drop") === "1") {
      // Destroy after the reply is written (this request's own socket is in `conns` too).
      res.on("finish", () => dropAll());
      body.dropped = conns.size - 1;
    }
    return reply(200, body);
  }
  if (name === "drop") {
    res.on("finish", () => dropAll());
    return reply(200, { dropped: conns.size - 1 });
  }
  if (name === "stats") return reply(200, { sockets: io.engine.clientsCount });
  return reply(404, { error: `unknown control: ${name}` });
}

// socket.io installed its own "request"/"upgrade" listeners; put the controls and the
// refusal in front of them.
for (const event of ["request", "upgrade"]) {
  const inner = server.listeners(event);
  server.removeAllListeners(event);
  server.on(event, (req, resOrSocket, head) => {
    if (event === "request" && req.url.startsWith("/control/")) return control(req, resOrSocket);
    if (refusing()) {
      if (event === "request") {
        resOrSocket.writeHead(503, { "content-type": "application/json", ...cors });
        return resOrSocket.end('{"error":"refusing connections"}');
      }
      resOrSocket.end("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    for (const l of inner) l.call(server, req, resOrSocket, head);
  });
}

server.listen(port, "127.0.0.1", () => {
  const { port: actual } = server.address();
  if (portFile) {
    writeFileSync(`${portFile}.tmp`, `${actual}\n`);
    renameSync(`${portFile}.tmp`, portFile);
  }
  console.log(`socket.io bench server listening on http://127.0.0.1:${actual}`);
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => { io.close(); process.exit(0); });
