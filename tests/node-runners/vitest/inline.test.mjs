// Vitest: `steadysocket/inline`'s `initSync()` (the wasm embedded: no file), a global WebSocket
// from `ws`, a round trip, free().
import { WebSocket } from "ws";
import { expect, test } from "vitest";
import { initSync, SteadySocket } from "steadysocket/inline";
import { roundTrip } from "../roundtrip.mjs";

globalThis.WebSocket = WebSocket;
initSync();

test("steadysocket/inline initSync(), ws: request and event round trip", async () => {
  expect(await roundTrip(SteadySocket, "vitest-inline")).toEqual({
    reply: { n: 42, from: "vitest-inline" },
    note: { from: "vitest-inline" },
    globalWebSocket: "function",
  });
});
