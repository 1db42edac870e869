// Type-checks the packed package as installed (www/bundlers/node_modules/steadysocket, unpacked
// from its tarball by www/bundlers/build.mjs): every `exports` subpath resolves to its types,
// under `moduleResolution: "bundler"` (tsconfig.bundler.json) and `"node16"`
// (tsconfig.node16.json), with --strict. Run by scripts/test.sh's types-pkg step.
import init, { SteadySocket, initSync, type State } from "steadysocket";
import wasmUrl from "steadysocket/steadysocket_bg.wasm";
import initInline, { SteadySocket as InlineSocket, initSync as initSyncInline, wasmBytes } from "steadysocket/inline";
import initStomp, { StompClient } from "steadysocket/stomp";
import stompWasmUrl from "steadysocket/stomp/stomp_bg.wasm";
import initStompInline, { initSync as initSyncStompInline } from "steadysocket/stomp/inline";
import { useSteadySocket } from "steadysocket/react";
// @ts-expect-error not exported: only the package's `exports` are reachable
import "steadysocket/facade.js";

// The wasm URL recipes (esbuild's file loader, Rollup's url plugin): a default string export.
export async function start(): Promise<void> {
  const url: string = wasmUrl;
  await init({ module_or_path: url });
  await initStomp({ module_or_path: stompWasmUrl });
  // @ts-expect-error a URL string is not a number
  const n: number = wasmUrl;
  void n;
  // Inline: no argument needed, sync or not; the bytes are there too.
  await initInline();
  initSyncInline();
  await initStompInline();
  initSyncStompInline();
  const bytes: Uint8Array = wasmBytes();
  // Node: initSync with the bytes.
  initSync({ module: bytes });
  const s = new InlineSocket("ws://127.0.0.1:1/ws");
  const same: SteadySocket = s;
  void same;
  new StompClient("ws://127.0.0.1:15674/ws", { connectHeaders: { login: "guest" } });
}

// The React hook, typed by the message maps.
interface In { chat: { text: string; from: string }; presence: { online: number } }
interface Out { say: { text: string } }
interface Req { add: [{ a: number; b: number }, number] }

export function useChat(room: string | null) {
  const { socket, state, lastMessage, send, request, error } = useSteadySocket<In, Out, Req>(
    room ? `wss://example.com/ws?room=${room}` : null,
    { heartbeat: { intervalMs: 15000 } },
    { track: ["chat"] },
  );
  const st: State = state;
  if (lastMessage?.type === "chat") {
    const text: string = lastMessage.data.text;
    void text;
  }
  const status: "sent" | "queued" | "dropped" = send("say", { text: "hi" });
  // @ts-expect-error wrong payload type
  send("say", { text: 5 });
  // @ts-expect-error unknown message type
  send("shout", { text: "hi" });
  const sum: Promise<number> = request("add", { a: 1, b: 2 });
  const sock: SteadySocket<In, Out, Req> | null = socket;
  // @ts-expect-error only message types of In can be tracked
  useSteadySocket<In, Out, Req>("wss://example.com/ws", undefined, { track: ["nope"] });
  // @ts-expect-error options are checked
  useSteadySocket("wss://example.com/ws", { reconect: false });
  return { st, status, sum, sock, error };
}
