// Type checks of `steadysocket/socketio` (io, Socket<ListenEvents, EmitEvents>, Manager).
// Lines marked @ts-expect-error must fail to type-check.
import init, { io, Socket, type SocketError, type DisconnectReason } from "steadysocket/socketio";

interface ServerToClient {
  chat: (from: string, text: string) => void;
  question: (n: number, cb: (answer: number) => void) => void;
  file: (name: string, data: ArrayBuffer) => void;
}
interface ClientToServer {
  chat: (text: string) => void;
  echo: (...args: unknown[]) => void;
  whoami: (cb: (me: { id: string; recovered: boolean }) => void) => void;
  upload: (data: Uint8Array, cb: (ok: boolean) => void) => void;
}

async function main(): Promise<void> {
  await init();
  const s: Socket<ServerToClient, ClientToServer> = io("https://example.com/admin", {
    path: "/socket.io",
    auth: (cb) => cb({ token: "t" }),
    transports: ["websocket"],
    reconnectionDelay: 500,
    queue: { maxMessages: 100, overflow: "drop-newest" },
    ackTimeout: 5000,
  });
  s.on("connect", () => console.log(s.id, s.recovered, s.connected));
  s.on("connect_error", (err: SocketError) => console.log(err.message, err.data, err.kind));
  s.on("disconnect", (reason: DisconnectReason, details) => console.log(reason, details.code));
  s.on("chat", (from, text) => from.length + text.length);
  s.on("question", (n, cb) => cb(n * 2));
  s.on("file", (name, data) => data.byteLength + name.length);
  s.onAny((event, ...args) => console.log(event, args));
  s.emit("chat", "hi");
  s.emit("upload", new Uint8Array(2), (ok) => ok === true);
  s.timeout(1000).emit("upload", new Uint8Array(1), (err, ok) => err?.kind ?? ok);
  const me = await s.emitWithAck("whoami");
  me.id.trim();
  const me2 = await s.timeout(500).emitWithAck("whoami");
  void me2.recovered;
  s.volatile.emit("chat", "maybe");
  s.io.on("reconnect_attempt", (n) => n + 1);
  s.io.on("ping", () => {});
  s.io.on("drop", (ev) => console.log(ev.type, ev.reason));
  s.io.metrics().queued;
  // @ts-expect-error: chat takes a string
  s.emit("chat", 42);
  // @ts-expect-error: unknown event for this map
  s.emit("nope");
  // @ts-expect-error: the listener's args are typed
  s.on("chat", (from: number) => from);
  s.disconnect().connect();
  const any = io({ autoConnect: false });
  any.emit("whatever", 1, { a: [1] });
  any.free();
}
void main;

// Engine.IO transports (polling, the upgrade).
{
  const s = io("http://localhost", { transports: ["polling", "websocket"], upgrade: true, rememberUpgrade: false });
  const name: "polling" | "websocket" = s.io.transport;
  const n2: string = s.io.engine.transport.name;
  s.io.on("upgrade", (t) => t.toUpperCase());
  s.io.on("upgradeError", (e) => e.message);
  void name;
  void n2;
}

// Namespaces multiplexed on one connection.
{
  const root = io("http://localhost/", { multiplex: true });
  const chat: Socket = root.io.socket("/chat", { auth: (cb) => cb({ token: "t" }) });
  const admin = new Socket(root.io, "/admin", { auth: { token: "t" } });
  const own = io("http://localhost/chat", { forceNew: true });
  chat.emit("hello", 1);
  // @ts-expect-error: the namespace is a string
  root.io.socket(5);
  // @ts-expect-error: handshakeTimeoutMs is not a Socket.IO option (no namespace timeout)
  io("http://localhost", { handshakeTimeoutMs: 5 });
  admin.free();
  own.free();
  root.io.free();
}
