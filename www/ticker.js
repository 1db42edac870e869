// The ticker demo: a live price board fed through RabbitMQ with steadysocket's StompClient
// (the `steadysocket/stomp` entry, pkg/stomp/). The page publishes random-walk ticks to
// /topic/ticker.<symbol> on a timer and shows what arrives on ONE subscription to
// /topic/ticker.* (a RabbitMQ topic wildcard), so every price shown made the round trip through
// the broker. Connection state, queue length, RTT and a "Drop connection" button (c.reconnect()).
//
// URL parameters (all optional): broker (Web-STOMP URL, default ws://<this host>:15674/ws),
// login / passcode (guest / guest), vhost (/), feed (an extra topic word, so tests and demos do
// not see each other: /topic/ticker.<feed>.<symbol>), symbols (comma-separated), interval (ms
// between ticks, 250), publish=0 (watch only), hb (STOMP heart-beat ms both ways, 10000),
// minDelay / maxDelay (reconnect backoff ms).
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const num = (key, fallback) => (params.has(key) ? Number(params.get(key)) : fallback);

const brokerUrl = params.get("broker") || `ws://${location.hostname || "127.0.0.1"}:15674/ws`;
const feed = params.get("feed");
const symbols = (params.get("symbols") || "ACME,GLOBX,INITECH,UMBR,WAYNE,STARK").split(",").map((s) => s.trim()).filter(Boolean);
const prefix = `/topic/ticker.${feed ? `${feed}.` : ""}`;
const publishing = params.get("publish") !== "0";
let interval = num("interval", 250);
const clientId = Math.random().toString(36).slice(2, 10);
$("broker").textContent = brokerUrl;
$("pub-dest").textContent = `${prefix}<symbol>`;
$("sub-dest").textContent = `${prefix}*`;
$("interval").value = String(interval);

// ---- log ----------------------------------------------------------------------------------
const t0 = performance.now();
let logN = 0;
function log(kind, text, attrs = {}) {
  const li = document.createElement("li");
  li.dataset.kind = kind;
  li.dataset.n = String(++logN);
  for (const [k, v] of Object.entries(attrs)) li.dataset[k] = String(v);
  const t = document.createElement("span");
  t.className = "t";
  t.textContent = `${((performance.now() - t0) / 1000).toFixed(1)}s`;
  li.append(t, document.createTextNode(text));
  const list = $("log");
  list.prepend(li);
  while (list.children.length > 200) list.lastElementChild.remove();
}

// ---- the client ---------------------------------------------------------------------------
let mod;
try {
  mod = await import("../pkg/stomp/stomp.js");
  await mod.default();
} catch (e) {
  const box = $("unavailable");
  box.classList.add("show");
  box.textContent = `The steadysocket/stomp entry (pkg/stomp/) could not be loaded: ${e.message}. Build the package (make build).`;
  $("state").textContent = "unavailable";
  throw e;
}
const { StompClient } = mod;

const c = new StompClient(brokerUrl, {
  connectHeaders: {
    login: params.get("login") || "guest",
    passcode: params.get("passcode") || "guest",
    host: params.get("vhost") || "/",
  },
  heartbeat: { outgoingMs: num("hb", 10000), incomingMs: num("hb", 10000) },
  reconnect: { minDelayMs: num("minDelay", 250), maxDelayMs: num("maxDelay", 5000) },
  // A tick that waited 5 s is stale: dropped (a `drop` event), never published late.
  queue: { maxMessages: 50, ttlMs: 5000, overflow: "drop-oldest" },
});

const stats = { published: 0, received: 0, since: 0, reconnects: 0, dropped: 0 };
let tickRtt; // smoothed ms, own ticks only
c.on("state", ({ from, to }) => { log("state", `${from} → ${to}`, { from, to }); renderBadge(); });
c.on("open", ({ reconnected, attempt }) => {
  stats.since = 0;
  if (reconnected) stats.reconnects++;
  log("open", reconnected ? `reconnected${attempt ? ` (${attempt} ${attempt === 1 ? "retry" : "retries"})` : ""}; subscription re-sent` : "connected", { reconnected });
  renderStats();
});
c.on("close", ({ code, reason, willReconnect }) =>
  log("close", `closed ${code}${reason ? ` "${reason}"` : ""}${willReconnect ? ", will reconnect" : ""}`, { code }));
c.on("reconnecting", ({ attempt, delayMs }) =>
  log("reconnecting", delayMs == null ? "waiting for the network" : `attempt ${attempt} in ${Math.round(delayMs)} ms`));
c.on("error", (e) => log("error", `${e.kind}: ${e.message}`, { errorKind: e.kind }));
c.on("drop", ({ reason }) => { stats.dropped++; log("drop", `a tick was not sent (${reason})`, { reason }); renderStats(); });
c.on("rtt", () => renderBadge());

// Current price per symbol: the last one seen through the broker (so all tabs walk together).
const board = new Map(symbols.map((s) => [s, { price: null, open: null, ticks: 0, at: 0 }]));
const sent = new Map(); // seq of my own ticks handed to the socket -> performance.now()
let seq = 0;

const sub = c.subscribe(`${prefix}*`, (m) => {
  let tick;
  try { tick = JSON.parse(m.body); } catch { return; }
  const row = board.get(tick.sym);
  if (!row || typeof tick.price !== "number") return;
  stats.received++;
  stats.since++;
  const prev = row.price;
  row.price = tick.price;
  row.open ??= tick.price;
  row.ticks++;
  row.at = Date.now();
  if (tick.src === clientId && sent.has(tick.seq)) {
    const rtt = performance.now() - sent.get(tick.seq);
    sent.delete(tick.seq);
    tickRtt = tickRtt === undefined ? rtt : tickRtt * 0.8 + rtt * 0.2;
  }
  renderRow(tick.sym, prev);
  renderStats();
}, {}, { receipt: true });
sub.receipt?.then(() => log("subscribed", `subscribed to ${prefix}* (receipt)`), (e) => log("error", `subscribe receipt: ${e.kind ?? e.message}`));

// ---- publishing ---------------------------------------------------------------------------
function tick() {
  const sym = symbols[Math.floor(Math.random() * symbols.length)];
  const row = board.get(sym);
  const base = row.price ?? 50 + Math.random() * 150;
  // a random walk: ±0.4 % at most per tick, two decimals
  const price = Math.max(0.01, Math.round(base * (1 + (Math.random() - 0.5) * 0.008) * 100) / 100);
  const t = { sym, price, ts: Date.now(), src: clientId, seq: ++seq };
  const result = c.publish({
    destination: `${prefix}${sym}`,
    body: JSON.stringify(t),
    headers: { "content-type": "application/json" },
  });
  stats.published++;
  if (result === "sent") sent.set(t.seq, performance.now()); // queued ticks would measure the outage
  if (sent.size > 1000) sent.delete(sent.keys().next().value);
  renderStats();
}
let timer = null;
function schedule() {
  clearInterval(timer);
  timer = publishing && $("pause").getAttribute("aria-pressed") !== "true" ? setInterval(tick, interval) : null;
}
if (!publishing) {
  $("pause").disabled = true;
  $("pause").textContent = "Watching only";
}
schedule();

// ---- controls -----------------------------------------------------------------------------
$("drop").addEventListener("click", () => {
  log("action", "drop connection: c.reconnect()");
  c.reconnect();
});
$("pause").addEventListener("click", () => {
  const on = $("pause").getAttribute("aria-pressed") !== "true";
  $("pause").setAttribute("aria-pressed", String(on));
  $("pause").textContent = on ? "Resume publishing" : "Pause publishing";
  schedule();
});
$("interval").addEventListener("change", () => {
  const v = Number($("interval").value);
  if (Number.isFinite(v) && v >= 20) { interval = v; schedule(); }
});

// ---- view ---------------------------------------------------------------------------------
const tbody = $("prices");
for (const sym of symbols) {
  const tr = document.createElement("tr");
  tr.dataset.sym = sym;
  tr.className = "waiting";
  tr.innerHTML = `<td class="sym"></td><td class="num price">–</td><td class="num chg"></td><td class="num ticks">0</td><td class="num at"></td>`;
  tr.querySelector(".sym").textContent = sym;
  tbody.append(tr);
}
function renderRow(sym, prev) {
  const row = board.get(sym);
  const tr = tbody.querySelector(`tr[data-sym="${CSS.escape(sym)}"]`);
  tr.classList.remove("waiting", "flash-up", "flash-down");
  const dir = prev == null || row.price === prev ? "flat" : row.price > prev ? "up" : "down";
  if (dir !== "flat") { void tr.offsetWidth; tr.classList.add(`flash-${dir}`); } // restart the animation
  const chg = (row.price / row.open - 1) * 100;
  tr.dataset.dir = chg > 0 ? "up" : chg < 0 ? "down" : "flat";
  tr.dataset.price = String(row.price);
  tr.dataset.ticks = String(row.ticks);
  tr.querySelector(".price").textContent = row.price.toFixed(2);
  tr.querySelector(".chg").textContent = `${chg >= 0 ? "+" : ""}${chg.toFixed(2)} %`;
  tr.querySelector(".ticks").textContent = String(row.ticks);
  tr.querySelector(".at").textContent = new Date(row.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}
function renderStats() {
  for (const k of Object.keys(stats)) $(k).textContent = String(stats[k]);
  $("queue").textContent = String(c.queued);
  $("tick-rtt").textContent = tickRtt === undefined ? "–" : `${tickRtt.toFixed(1)} ms`;
  renderBadge();
}
function renderBadge() {
  $("badge").dataset.state = c.state;
  $("state").textContent = c.state;
  // the client's own RTT sample when it has one (metrics), else the tick round trip
  const m = c.metrics();
  const rtt = c.state !== "open" ? undefined : m.srtt ?? m.rtt ?? tickRtt;
  $("rtt").textContent = rtt === undefined ? "" : `${Math.round(rtt)} ms`;
  $("queued").textContent = c.queued ? `${c.queued} queued` : "";
}
renderStats();
setInterval(renderStats, 1000);

// For the e2e test and the curious: the client and the counters.
window.ticker = { client: c, stats, board };
