// Shared by the Vitest and Jest files beside it (tests/e2e/runners.test.mjs runs them): one
// SteadySocket to the reference server's `/ws` (STEADYSOCKET_SERVER), a request and an event
// round trip, then free(). Returns what came back, for the runner's own `expect`.
// Within the runners' default 5 s test timeout: the request gives up after 4 s.
export async function roundTrip(SteadySocket, name) {
  const base = process.env.STEADYSOCKET_SERVER;
  if (!base) throw new Error("STEADYSOCKET_SERVER is not set (http://127.0.0.1:PORT of the reference server)");
  const url = `${base.replace(/^http/, "ws")}/ws?tag=${name}-${Math.floor(Math.random() * 1e9)}`;
  const s = new SteadySocket(url, { reconnect: { minDelayMs: 20, maxDelayMs: 100 } });
  try {
    // An event of a type the server does not know comes back as the same event.
    const note = new Promise((resolve) => s.onMessage("note", resolve));
    s.send("note", { from: name });
    const reply = await s.request("echo", { n: 42, from: name }, { timeoutMs: 4000 });
    return { reply, note: await note, globalWebSocket: typeof globalThis.WebSocket };
  } finally {
    s.free();
  }
}
