// Vitest: `initSync({ module })` with the bytes of the package's wasm file (found through the
// package's `exports`), Node's own WebSocket (the runner is started with
// NODE_OPTIONS=--experimental-websocket on Node 20), a round trip, free().
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { initSync, SteadySocket } from "steadysocket";
import { roundTrip } from "../roundtrip.mjs";

initSync({ module: readFileSync(new URL(import.meta.resolve("steadysocket/steadysocket_bg.wasm"))) });

test("initSync({ module }), Node's WebSocket: request and event round trip", async () => {
  expect(globalThis.WebSocket.prototype).toBeInstanceOf(EventTarget); // Node's own, not ws (an EventEmitter)
  expect(await roundTrip(SteadySocket, "vitest-sync")).toEqual({
    reply: { n: 42, from: "vitest-sync" },
    note: { from: "vitest-sync" },
    globalWebSocket: "function",
  });
});
