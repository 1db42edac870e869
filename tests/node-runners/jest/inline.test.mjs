// Jest (native ESM): `steadysocket/inline`'s `initSync()` (the wasm embedded: no file), a global WebSocket
// from `ws`, a round trip, free().
import { WebSocket } from "ws";
import { expect, test } from "@jest/globals";
import { initSync, SteadySocket } from "steadysocket/inline";
import { roundTrip } from "../roundtrip.mjs";

globalThis.WebSocket = WebSocket;
initSync();

test("steadysocket/inline initSync(), ws: request and event round trip", async () => {
  expect(await roundTrip(SteadySocket, "jest-inline")).toEqual({
    reply: { n: 42, from: "jest-inline" },
    note: { from: "jest-inline" },
    globalWebSocket: "function",
  });
});
