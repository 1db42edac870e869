// Type checks of the generic SteadySocket API (run by `make test` via `tsc --noEmit`).
// Lines marked @ts-expect-error must fail to type-check: they prove wrong types are rejected.
import init, { SteadySocket, type Options, type SteadySocketError, type Metrics } from "steadysocket";

interface In { chat: { text: string; from: string }; presence: { room: string; joined: boolean } }
interface Out { say: { text: string }; join: { room: string; name: string } }
interface Req { getHistory: [{ room: string }, { messages: Array<{ text: string }> }]; add: [{ a: number; b: number }, number] }

async function main(): Promise<void> {
  await init();
  const opts: Options = {
    protocols: ["v1"],
    reconnect: { minDelayMs: 100, maxDelayMs: 5000, factor: 2, jitter: 0.5, maxAttempts: Infinity, stableMs: 5000, stopOnCodes: [1008, [4000, 4099]] },
    heartbeat: { intervalMs: 25000, timeoutMs: 10000, ping: '{"type":"ping"}' },
    queue: { maxMessages: 1000, maxBytes: 1 << 20, overflow: "drop-oldest", ttlMs: 60000 },
    connectTimeoutMs: 10000,
    requestTimeoutMs: 10000,
    maxMessageBytes: 16 << 20,
  };
  const s = new SteadySocket<In, Out, Req>("wss://example.com/ws", opts);
  // An endpoint list, and the endpoint event.
  const eps = new SteadySocket(["wss://a.example.com/ws", new URL("wss://b.example.com/ws")], { endpointSkipMs: 10000 });
  eps.on("endpoint", (e) => console.log(e.index + 1, e.url.length));
  eps.free();
  // One connection for all tabs: a name.
  const tabs = new SteadySocket<In, Out, Req>("wss://example.com/ws", { shared: "chat" });
  tabs.free();
  // @ts-expect-error: `shared` is a name, not a flag
  new SteadySocket("wss://example.com/ws", { shared: true });
  const provided = new SteadySocket(async () => "wss://example.com/ws?token=x", { reconnect: false, heartbeat: false });
  provided.free();

  const text: string = "";
  const off: () => void = s.onMessage("chat", (m) => console.log(m.text.toUpperCase(), m.from));
  off();
  s.onMessage("presence", (p) => { const joined: boolean = p.joined; void joined; });
  const r: "sent" | "queued" | "dropped" = s.send("say", { text });
  void r;
  s.send("join", { room: "lobby", name: "ada" });
  const history = await s.request("getHistory", { room: "lobby" });
  history.messages.forEach((m) => m.text.trim());
  const sum: number = await s.request("add", { a: 1, b: 2 }, { timeoutMs: 500 });
  void sum;

  s.on("open", (e) => { const b: boolean = e.reconnected; const n: number = e.attempt; void b; void n; });
  s.on("close", (e) => { const w: boolean = e.willReconnect; void w; void e.code; void e.reason; void e.wasClean; });
  s.on("reconnecting", (e) => { const d: number | null = e.delayMs; void d; });
  s.on("state", (e) => { if (e.to === "open" && e.from === "reconnecting") void 0; });
  s.on("error", (e) => { if (e.kind === "message-too-big") void e.message; });
  s.on("message", (m) => { if (m.type === "chat") { const t: string = m.data.text; void t; } });
  s.on("drop", (d) => { if (d.type === "say") { const t: string = d.data.text; void t; } void d.reason; });
  s.on("rtt", (e) => { const n: number = e.srtt + e.rtt + e.jitter; void n; });
  s.on("sent", (e) => { if (e.type === "say") { const t: string = e.data.text; void t; } });
  s.on("raw", (x) => { if (typeof x !== "string") { const u: Uint8Array = x; void u; } });
  const m: Metrics = s.metrics();
  void m.reconnects;
  const st: "connecting" | "open" | "reconnecting" | "closing" | "closed" = s.state;
  void st;
  const rtt: number | undefined = s.rtt;
  void rtt;
  s.sendRaw(new Uint8Array([1]));
  s.sendRaw("text");
  try { await s.request("add", { a: 1, b: 2 }); } catch (e) { const k = (e as SteadySocketError).kind; if (k === "connection-lost" || k === "timeout") void 0; }
  s.reconnect();
  s.close(1000, "bye");

  // @ts-expect-error: unknown inbound type
  s.onMessage("nope", () => {});
  // @ts-expect-error: chat has no `body`
  s.onMessage("chat", (msg) => msg.body);
  // @ts-expect-error: wrong payload for "say"
  s.send("say", { text: 5 });
  // @ts-expect-error: unknown outbound type
  s.send("shout", { text: "hi" });
  // @ts-expect-error: wrong request payload
  await s.request("getHistory", { room: 1 });
  // @ts-expect-error: reply of "add" is a number, not a string
  const wrong: string = await s.request("add", { a: 1, b: 2 });
  void wrong;
  // @ts-expect-error: unknown event name
  s.on("opened", () => {});
  // @ts-expect-error: overflow policy misspelled
  const badOpts: Options = { queue: { overflow: "drop-old" } };
  void badOpts;
  // @ts-expect-error: reconnect must be boolean or an object
  new SteadySocket("ws://x", { reconnect: 5 });
  // @ts-expect-error: sendRaw takes no numbers
  s.sendRaw(42);
}
void main;
