import init, { SteadySocket } from "/pkg/steadysocket.js";

const $ = (id) => document.getElementById(id);
try {
  await init();
  // A fast heartbeat: an RTT sample shows the timers tick (on the Worker, or on page timers).
  const s = new SteadySocket(new URLSearchParams(location.search).get("ws"), { heartbeat: { intervalMs: 200 } });
  s.on("rtt", ({ rtt }) => ($("rtt").textContent = String(rtt)));
  s.on("state", ({ to }) => ($("state").textContent = to));
  s.onMessage("echo", (data) => ($("echo").textContent = JSON.stringify(data)));
  s.send("echo", { from: "csp" });
} catch (e) {
  $("state").textContent = `failed: ${e}`;
}
