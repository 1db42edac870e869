// Type checks of the `protocol` option (v1, raw, a codec) and of the STOMP client
// (`steadysocket/stomp`). Lines marked @ts-expect-error must fail to type-check.
import init, { SteadySocket, type Codec, type Options, type SocketErrorEvent } from "steadysocket";
import initStomp, { initSync, StompClient, type StompMessage, type StompOptions, type StompError, type StompSubscription } from "steadysocket/stomp";

async function protocols(): Promise<void> {
  await init();

  // raw: a drop-in reconnecting WebSocket
  const raw = new SteadySocket("wss://example.com/feed", {
    protocol: "raw",
    heartbeat: { ping: "ping", pong: /^pong$/, intervalMs: 15000, timeoutMs: 5000 },
    handshakeTimeoutMs: 5000,
  });
  const r1: "sent" | "queued" | "dropped" = raw.send("hello");
  raw.send(new Uint8Array([1, 2, 3]));
  raw.send(new ArrayBuffer(8));
  raw.send(new DataView(new ArrayBuffer(2)));
  void r1;
  raw.on("raw", (frame) => { if (typeof frame === "string") frame.trim(); else frame.byteLength; });
  raw.on("message", (m) => void m.data);
  new SteadySocket("ws://x", { protocol: "raw", heartbeat: { ping: "p", pong: (f) => f === "q" } });
  new SteadySocket("ws://x", { protocol: "raw", heartbeat: { ping: "p", pong: "q" } });

  // a custom codec
  const codec: Codec = {
    encode: (msg) => JSON.stringify([msg.type, msg.id ?? null, msg.data ?? null]),
    decode: (frame) => {
      if (typeof frame !== "string") return null; // binary frames: raw
      const [type, replyTo, data] = JSON.parse(frame) as [string, number | null, unknown];
      return replyTo === null ? { type, data } : { replyTo, data };
    },
  };
  const binary: Codec = { encode: (m) => (m.type === "ping" || m.type === "pong" ? m.type : new Uint8Array([1])), decode: () => undefined };
  void binary;
  const c = new SteadySocket<{ tick: { price: number } }, { sub: { symbol: string } }, { quote: [{ symbol: string }, number] }>(
    "wss://example.com/ws", { protocol: codec, heartbeat: false });
  c.send("sub", { symbol: "X" });
  const q: number = await c.request("quote", { symbol: "X" });
  void q;
  const v1: Options = { protocol: "v1", handshakeTimeoutMs: 1000 };
  void v1;

  const onErr = (e: SocketErrorEvent): void => {
    if (e.kind === "heartbeat-timeout" || e.kind === "handshake") void e.message;
  };
  c.on("error", onErr);

  // @ts-expect-error: unknown protocol name
  new SteadySocket("ws://x", { protocol: "v2" });
  // @ts-expect-error: a codec needs decode too
  new SteadySocket("ws://x", { protocol: { encode: () => "" } });
  // @ts-expect-error: encode returns a string or a Uint8Array
  new SteadySocket("ws://x", { protocol: { encode: () => 1, decode: () => null } });
  // @ts-expect-error: pong matcher must be a string, RegExp or predicate
  new SteadySocket("ws://x", { protocol: "raw", heartbeat: { ping: "p", pong: 1 } });
  // @ts-expect-error: raw send takes no numbers
  raw.send(42);
  // @ts-expect-error: a typed socket has no one-argument send
  c.send("sub");
  // @ts-expect-error: unknown error kind
  c.on("error", (e) => e.kind === "heartbeat");
  // @ts-expect-error: handshakeTimeoutMs is a number
  new SteadySocket("ws://x", { handshakeTimeoutMs: "5s" });
}
void protocols;

async function stomp(): Promise<void> {
  await initStomp();
  initSync(new Uint8Array(0));

  const opts: StompOptions = {
    connectHeaders: () => ({ login: "guest", passcode: "guest", host: "/" }),
    heartbeat: { outgoingMs: 10000, incomingMs: 10000 },
    reconnect: { maxDelayMs: 5000 },
    queue: { maxMessages: 100, overflow: "drop-newest" },
    connectTimeoutMs: 5000,
    handshakeTimeoutMs: 5000,
    requestTimeoutMs: 5000,
    maxMessageBytes: 1 << 20,
    protocols: ["v12.stomp"],
  };
  const client = new StompClient("ws://127.0.0.1:15674/ws", opts);
  new StompClient(async () => "ws://127.0.0.1:15674/ws", { connectHeaders: { login: "guest", passcode: "guest" }, heartbeat: false }).free();

  const sub: StompSubscription = client.subscribe("/queue/orders", (m: StompMessage) => {
    const cmd: "MESSAGE" = m.command;
    const id: string | undefined = m.headers["message-id"];
    const text: string = m.body;
    const bytes: Uint8Array = m.binaryBody;
    const acked: boolean = m.ack();
    m.nack({ requeue: false, transaction: "tx-1" });
    void cmd; void id; void text; void bytes; void acked;
  }, { ack: "client-individual", "prefetch-count": 10 }, { receipt: true, timeoutMs: 2000 });
  const subId: string = sub.id;
  void subId;
  await sub.receipt;
  sub.unsubscribe();
  sub.unsubscribe({ receipt: "x" });

  const status: "sent" | "queued" | "dropped" = client.publish({ destination: "/queue/orders", body: "hi", headers: { "content-type": "text/plain" } });
  void status;
  client.publish({ destination: "/topic/bin", binaryBody: new Uint8Array([0, 1]) });
  const done: Promise<void> = client.publish({ destination: "/queue/orders", body: "hi", receipt: true, timeoutMs: 3000 });
  try { await done; } catch (e) {
    const k = (e as StompError).kind;
    if (k === "remote") void (e as StompError).headers;
    if (k === "timeout" || k === "connection-lost" || k === "closed" || k === "dropped" || k === "queue-full") void 0;
  }

  const tx = client.begin();
  client.publish({ destination: "/queue/a", body: "1", headers: { transaction: tx.id } });
  const committed: "sent" | "queued" | "dropped" = tx.commit();
  void committed;
  client.begin("my-tx").abort();

  client.on("error", (e) => {
    if (e.kind === "server") { const b: string = e.body; const h: string | undefined = e.headers.message; void b; void h; }
    else if (e.kind === "heartbeat-timeout" || e.kind === "handshake") void e.message;
  });
  client.on("drop", (d) => { const dest: string | null = d.destination; void dest; void d.command; void d.headers; void d.reason; });
  client.on("sent", (s) => void s.command);
  client.on("open", (e) => void e.reconnected);
  client.on("close", (e) => void e.willReconnect);
  client.on("state", (e) => void e.to);
  client.on("reconnecting", (e) => void e.delayMs);
  const st: "connecting" | "open" | "reconnecting" | "closing" | "closed" = client.state;
  void st;
  void client.queued;
  void client.metrics().messagesIn;
  client.reconnect();
  client.close();
  client.close(1000, "bye");

  // @ts-expect-error: body must be a string
  client.publish({ destination: "/queue/a", body: 5 });
  // @ts-expect-error: body and binaryBody together
  client.publish({ destination: "/queue/a", body: "x", binaryBody: new Uint8Array(1) });
  // @ts-expect-error: a destination is required
  client.publish({ body: "x" });
  // @ts-expect-error: a receipt publish is a Promise, not a status
  const wrong: "sent" = client.publish({ destination: "/q", body: "x", receipt: true });
  void wrong;
  // @ts-expect-error: a plain publish is a status, not a Promise
  await client.publish({ destination: "/q", body: "x" }).then(() => 0);
  // @ts-expect-error: header values are strings, numbers or booleans
  client.subscribe("/q", () => {}, { ack: { mode: "client" } });
  // @ts-expect-error: the callback gets a StompMessage
  client.subscribe("/q", (m: string) => m);
  // @ts-expect-error: ack() returns a boolean
  client.subscribe("/q", (m) => { const p: Promise<void> = m.ack(); void p; });
  // @ts-expect-error: no rtt event for STOMP (heart-beats give no round trip)
  client.on("rtt", () => {});
  // @ts-expect-error: StompClient has no send(); use publish()
  client.send("x");
  // @ts-expect-error: heart-beat keys are outgoingMs/incomingMs
  new StompClient("ws://x", { heartbeat: { intervalMs: 1000 } });
  // @ts-expect-error: connectHeaders is an object or a function returning one
  new StompClient("ws://x", { connectHeaders: "login:guest" });
  // @ts-expect-error: the protocol option is SteadySocket's
  new StompClient("ws://x", { protocol: "raw" });
  // @ts-expect-error: server errors carry a string body
  client.on("error", (e) => { if (e.kind === "server") { const n: number = e.body; void n; } });
}
void stomp;
