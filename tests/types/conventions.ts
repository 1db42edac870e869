// Issue 12: the WebSocket conventions, handle(), void payloads, `using`, and that our event
// types do not shadow the DOM's. Checked with `tsc --strict` (tests/types/tsconfig.json).
import { SteadySocket, type OpenEvent, type SocketCloseEvent, type SocketMessageEvent } from "steadysocket";

type In = { chat: { text: string }; tick: void };
type Out = { hello: void; say: { text: string } };
type Req = { add: [[number, number], number]; now: [void, number] };
type Srv = { confirm: [{ question: string }, boolean] };

export async function conventions(): Promise<void> {
  const s = new SteadySocket<In, Out, Req, Srv>("/ws", { autoConnect: false, shouldReconnect: (e) => e.code != 4001 });
  // void payloads make the data optional; others stay required
  s.send("hello");
  s.send("say", { text: "hi" });
  // @ts-expect-error -- `say` needs its data
  s.send("say");
  const n: number = await s.request("now");
  const sum: number = await s.request("add", [1, 2], { timeoutMs: 100 });
  // @ts-expect-error -- `add` needs its data
  await s.request("add");
  void n;
  void sum;

  // server requests: typed data and reply
  s.handle("confirm", (d) => d.question.length > 0);
  s.handle("confirm", async (d, req) => req.id > 0 && d.question != "");
  // @ts-expect-error -- the reply must be a boolean
  s.handle("confirm", () => "yes");

  // the WebSocket conventions
  const rs: 0 | 1 | 2 | 3 = s.readyState;
  if (s.readyState === SteadySocket.OPEN || rs === s.CLOSED) s.connect();
  const url: string = s.url;
  const buffered: number = s.bufferedAmount + s.protocol.length + s.extensions.length + url.length;
  void buffered;
  s.binaryType = "blob";
  // @ts-expect-error -- only "arraybuffer" or "blob"
  s.binaryType = "text";

  // DOM surface with the DOM's own event types (not shadowed by ours)
  s.onmessage = (e: MessageEvent) => void e.data;
  s.onclose = (e: CloseEvent) => void e.code;
  s.onerror = (e) => void e.kind;
  s.onopen = async (e) => { await e.request("auth", { token: "t" }); e.send("hello"); };
  s.addEventListener("close", (e) => void (e.willReconnect && e.code));
  s.addEventListener("state", (e) => void e.detail.to);
  s.addEventListener("message", (e) => void e.data, { once: true });
  const target: EventTarget = s;
  void target;

  // our event payloads, by their own names
  s.on("open", async (e: OpenEvent) => { await e.request("now"); });
  s.on("close", (e: SocketCloseEvent) => void e.willReconnect);
  s.on("message", (m: SocketMessageEvent<In>) => void m.id);
  s.once("open", () => {});

  // `using` frees at the end of the block
  {
    using t = new SteadySocket("wss://example.com/ws", { autoConnect: false });
    t.connect();
  }
  s.free();
}

import { StompClient } from "steadysocket/stomp";

export function stompConventions(): void {
  using c = new StompClient("/ws", { autoConnect: false, shouldReconnect: (e) => e.code < 4000 });
  const rs: 0 | 1 | 2 | 3 = c.readyState;
  if (rs === StompClient.CLOSED) c.connect();
  c.onopen = async () => {};
  c.addEventListener("close", () => {});
  c.once("open", () => {});
  const target: EventTarget = c;
  void [target, c.url, c.protocol, c.bufferedAmount];
}

export function delivery(): void {
  const s = new SteadySocket<{}, { watch: { room: string }; ping: void }>("/ws", { highWaterMark: 1 << 20, lowWaterMark: 1 << 18 });
  const sub = s.subscribe("watch", { room: "a" });
  s.subscribe("ping");
  // @ts-expect-error -- `watch` needs its data
  s.subscribe("watch");
  sub.unsubscribe("watch", { room: "b" });
  const w: boolean = s.writable;
  s.on("drain", () => void w);
  s.addEventListener("drain", (e) => void e.detail);
}

export function persist(): void {
  const s = new SteadySocket("/ws", { persist: "outbox", delivery: "at-least-once", queue: { ttlMs: 60_000 } });
  s.on("error", (e) => {
    const k: "persist" | string = e.kind;
    void k;
  });
  // @ts-expect-error -- the name is a string
  void new SteadySocket("/ws", { persist: true });
}
