// Jest (native ESM): `await init()` with no argument (the wasm file read from the package), a global
// WebSocket from `ws`, a request and an event round trip against the reference server, free().
import { WebSocket } from "ws";
import { expect, test } from "@jest/globals";
import init, { SteadySocket } from "steadysocket";
import { roundTrip } from "../roundtrip.mjs";

globalThis.WebSocket = WebSocket;
await init();

test("await init(), ws: request and event round trip", async () => {
  expect(await roundTrip(SteadySocket, "jest-init")).toEqual({
    reply: { n: 42, from: "jest-init" },
    note: { from: "jest-init" },
    globalWebSocket: "function",
  });
});
