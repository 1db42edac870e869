// The connection lab: one SteadySocket under a microscope. State timeline, RTT chart, queue
// gauges, counters and an event log; buttons that call the reference server's fault controls
// (scoped to this page by a random `tag`) and simulate browser conditions; option sliders
// that re-create the socket.
//
// URL parameters (all optional) preset the options: min, max, factor, jitter (reconnect),
// hb, hbt (heartbeat interval / timeout), refuseMs (the "Refuse" fault's duration).
import init, { SteadySocket } from "../pkg/steadysocket.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const num = (key, fallback) => (params.has(key) ? Number(params.get(key)) : fallback);

await init();

const tag = `lab-${Math.random().toString(36).slice(2, 10)}`;
$("tag").textContent = tag;
const refuseMs = num("refuseMs", 5000);
$("f-refuse").textContent = `Refuse ${refuseMs >= 1000 ? `${refuseMs / 1000} s` : `${refuseMs} ms`}`;
const QUEUE_MAX = 100;
const WINDOW_MS = 60_000; // timeline
const RTT_WINDOW_MS = 180_000; // chart

// ---- options form -------------------------------------------------------------------------
const fields = {
  "o-min": num("min", 250),
  "o-max": num("max", 5000),
  "o-factor": num("factor", 2),
  "o-jitter": num("jitter", 0.5),
  "o-hb": num("hb", 2000),
  "o-hbt": num("hbt", 1500),
};
for (const [id, value] of Object.entries(fields)) {
  const range = $(id);
  const box = document.querySelector(`input[data-for="${id}"]`);
  range.value = box.value = String(value);
  range.addEventListener("input", () => (box.value = range.value));
  box.addEventListener("input", () => (range.value = box.value));
}
const value = (id) => Number(document.querySelector(`input[data-for="${id}"]`).value);
function options() {
  return {
    reconnect: {
      minDelayMs: value("o-min"),
      maxDelayMs: value("o-max"),
      factor: value("o-factor"),
      jitter: value("o-jitter"),
    },
    heartbeat: { intervalMs: value("o-hb"), timeoutMs: value("o-hbt") },
    queue: { maxMessages: QUEUE_MAX },
    connectTimeoutMs: 5000,
  };
}

// ---- log ----------------------------------------------------------------------------------
const t0 = performance.now();
let logN = 0;
function log(kind, detail, attrs = {}) {
  const li = document.createElement("li");
  li.dataset.kind = kind;
  li.dataset.n = String(++logN);
  for (const [k, v] of Object.entries(attrs)) li.dataset[k] = String(v);
  const t = document.createElement("span");
  t.className = "t";
  t.textContent = `+${((performance.now() - t0) / 1000).toFixed(2)} s`;
  const k = document.createElement("span");
  k.className = "k";
  k.textContent = kind;
  const d = document.createElement("span");
  d.className = "d";
  d.textContent = detail;
  li.append(t, k, d);
  const list = $("log");
  list.prepend(li);
  while (list.children.length > 300) list.lastElementChild.remove();
}

// ---- timeline -----------------------------------------------------------------------------
const bands = []; // {state, from, to?}
const marks = []; // {at, label}
function enter(state) {
  const now = performance.now();
  const last = bands.at(-1);
  if (last) last.to = now;
  bands.push({ state, from: now });
}
function mark(label) {
  marks.push({ at: performance.now(), label });
}

// ---- socket -------------------------------------------------------------------------------
let s;
function create() {
  let opts;
  try {
    opts = options();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const next = new SteadySocket(`${scheme}://${location.host}/ws?tag=${tag}`, opts);
    if (s) {
      s.free();
      mark("new socket");
    }
    s = next;
  } catch (e) {
    $("options-error").textContent = `${e.constructor.name}: ${e.message}`;
    return;
  }
  $("options-error").textContent = "";
  log("socket", `new SteadySocket(…, ${JSON.stringify(opts)})`);
  enter(s.state);
  s.on("state", ({ from, to }) => {
    enter(to);
    log("state", `${from} → ${to}`, { to });
    renderBadge();
  });
  s.on("open", ({ reconnected, attempt }) => log("open", `reconnected: ${reconnected}, attempt: ${attempt}`));
  s.on("close", ({ code, reason, wasClean, willReconnect }) => {
    log("close", `code ${code}${reason ? ` "${reason}"` : ""}, clean: ${wasClean}, will reconnect: ${willReconnect}`, { code });
    $("b-reconnect").classList.toggle("attention", !willReconnect);
  });
  s.on("reconnecting", ({ attempt, delayMs }) =>
    log("reconnecting", delayMs === null ? `attempt ${attempt}: waiting for the network` : `attempt ${attempt} in ${Math.round(delayMs)} ms`),
  );
  s.on("error", ({ kind, message }) => log("error", `${kind}: ${message}`, { errorKind: kind }));
  s.on("message", ({ type, data }) => {
    if (type === "echo") return; // our own "Send 5 messages" come back; counted in metrics
    log("message", `${type} ${JSON.stringify(data)}`, { type });
  });
  s.on("raw", (frame) => log("raw", typeof frame === "string" ? frame : `binary [${Array.from(frame).join(", ")}]`));
  s.on("drop", ({ type, reason }) => log("drop", `${type ?? "raw"} (${reason})`));
  renderBadge();
}

// ---- controls -----------------------------------------------------------------------------
async function control(action, query, label) {
  mark(label);
  const q = new URLSearchParams({ ...query, tag });
  log("fault", `${label}: POST /control/${action}?${q}`);
  try {
    const res = await fetch(`/control/${action}?${q}`, { method: "POST" });
    const body = await res.text();
    log("fault", `${label}: ${res.status} ${body}`, { done: action });
  } catch (e) {
    log("error", `${label}: ${e.message}`);
  }
}
$("f-drop").onclick = () => control("drop", {}, "drop");
$("f-refuse").onclick = () => control("refuse", { ms: refuseMs, drop: 1 }, `refuse ${refuseMs} ms`);
$("f-halfopen").onclick = () => control("halfopen", { ms: 60_000 }, "half-open");
$("f-close").onclick = () => control("close", { code: 1008, reason: "policy (lab)" }, "close 1008");
$("f-garbage").onclick = () => control("garbage", {}, "garbage");
$("f-delay").onclick = (e) => {
  const on = e.currentTarget.getAttribute("aria-pressed") !== "true";
  e.currentTarget.setAttribute("aria-pressed", String(on));
  control("delay", { ms: on ? 300 : 0 }, on ? "delay 300 ms" : "delay off");
};

let offline = false;
$("b-offline").onclick = (e) => {
  offline = !offline;
  e.currentTarget.setAttribute("aria-pressed", String(offline));
  e.currentTarget.textContent = offline ? "Go online" : "Offline";
  mark(offline ? "offline" : "online");
  log("browser", `window dispatches "${offline ? "offline" : "online"}"`);
  window.dispatchEvent(new Event(offline ? "offline" : "online"));
};
let hidden = false;
$("b-hidden").onclick = (e) => {
  hidden = !hidden;
  e.currentTarget.setAttribute("aria-pressed", String(hidden));
  e.currentTarget.textContent = hidden ? "Show tab" : "Hide tab";
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  mark(hidden ? "hidden" : "visible");
  log("browser", `document.visibilityState = "${document.visibilityState}"; dispatch "visibilitychange"`);
  document.dispatchEvent(new Event("visibilitychange"));
};
let sendN = 0;
$("b-send").onclick = () => {
  const results = [];
  for (let i = 0; i < 5; i++) results.push(s.send("echo", { n: ++sendN, pad: "x".repeat(200) }));
  log("send", `5 × send("echo") → ${results.join(", ")}`);
};
$("b-reconnect").onclick = (e) => {
  e.currentTarget.classList.remove("attention");
  mark("reconnect()");
  log("api", "reconnect()");
  s.reconnect();
};
$("options").addEventListener("submit", (e) => {
  e.preventDefault();
  create();
});

// ---- rendering ----------------------------------------------------------------------------
const samples = []; // {at, rtt, srtt}
let lastRttKey = "";
function sample() {
  const m = s.metrics();
  const key = `${m.rtt}|${m.srtt}|${m.messagesIn}`;
  if (s.state === "open" && m.rtt !== undefined && key !== lastRttKey) {
    samples.push({ at: performance.now(), rtt: m.rtt, srtt: m.srtt ?? m.rtt });
    lastRttKey = key;
  }
  const cutoff = performance.now() - RTT_WINDOW_MS;
  while (samples.length && samples[0].at < cutoff) samples.shift();
  return m;
}

function renderBadge() {
  $("badge").dataset.state = s.state;
  $("state").textContent = s.state;
  const rtt = s.state === "open" ? s.rtt : undefined;
  $("rtt").textContent = rtt === undefined ? "" : `rtt ${Math.round(rtt)} ms`;
}

const fmtMs = (v) => (v === undefined ? "–" : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);
const fmtBytes = (b) => (b < 1024 ? `${b} B` : `${(b / 1024).toFixed(1)} KiB`);
function render() {
  const m = sample();
  const now = performance.now();
  renderBadge();
  // timeline: bands of the last WINDOW_MS (or since the page loaded, if shorter)
  const span = Math.min(WINDOW_MS, Math.max(now - t0, 1000));
  const start = now - span;
  const pct = (t) => `${(((t - start) / span) * 100).toFixed(3)}%`;
  const tl = $("timeline");
  const nodes = [];
  for (const b of bands) {
    const to = b.to ?? now;
    if (to < start) continue;
    const from = Math.max(b.from, start);
    const el = document.createElement("div");
    el.className = "band";
    el.dataset.state = b.state;
    el.style.left = pct(from);
    el.style.width = `${(((to - from) / span) * 100).toFixed(3)}%`;
    el.title = `${b.state}: ${Math.round(to - b.from)} ms`;
    nodes.push(el);
  }
  for (const mk of marks) {
    if (mk.at < start) continue;
    const el = document.createElement("div");
    el.className = "mark";
    el.style.left = pct(mk.at);
    el.title = mk.label;
    nodes.push(el);
  }
  tl.replaceChildren(...nodes);
  tl.dataset.states = bands.map((b) => b.state).join(" ");
  $("axis-start").textContent = `−${Math.round(span / 1000)} s`;
  // counters
  $("reconnects").textContent = m.reconnects;
  $("attempts").textContent = m.attempts;
  $("downtime").textContent = `${Math.round(m.downtimeMs)} ms`;
  $("msgs").textContent = `${m.messagesIn} / ${m.messagesOut}`;
  $("dropped").textContent = m.dropped;
  // queue
  $("q-count").value = m.queued;
  $("q-count-text").textContent = `${m.queued} / ${QUEUE_MAX}`;
  $("q-bytes").value = m.queuedBytes;
  $("q-bytes-text").textContent = `${fmtBytes(m.queuedBytes)} / 1 MiB`;
  // RTT chart: x over the last 3 minutes, y from 0 to a rounded-up max
  $("rtt-now").textContent = fmtMs(m.rtt);
  $("srtt").textContent = fmtMs(m.srtt);
  $("jitter").textContent = fmtMs(m.rttJitter);
  const top = niceMax(Math.max(5, ...samples.map((p) => Math.max(p.rtt, p.srtt))));
  $("rtt-max").textContent = `max ${top} ms`;
  const rttSpan = Math.min(RTT_WINDOW_MS, Math.max(now - t0, 20_000));
  $("rtt-start").textContent = rttSpan >= 60_000 ? `−${(rttSpan / 60_000).toFixed(1)} min` : `−${Math.round(rttSpan / 1000)} s`;
  const x = (t) => (300 * (t - (now - rttSpan))) / rttSpan;
  const y = (v) => 100 - (100 * v) / top;
  const g = $("rtt-lines");
  const svg = [];
  for (const [cls, key] of [["srtt", "srtt"], ["rtt", "rtt"]]) {
    // a gap of > 3 heartbeat intervals (e.g. while disconnected) breaks the line
    let seg = [];
    const flush = () => {
      if (seg.length) svg.push(`<polyline class="${cls}" points="${seg.join(" ")}"></polyline>`);
      seg = [];
    };
    let prev;
    for (const p of samples) {
      if (prev && p.at - prev.at > Math.max(5000, 3 * value("o-hb"))) flush();
      seg.push(`${x(p.at).toFixed(2)},${y(p[key]).toFixed(2)}`);
      if (seg.length === 1) seg.push(`${(x(p.at) + 0.5).toFixed(2)},${y(p[key]).toFixed(2)}`);
      prev = p;
    }
    flush();
  }
  g.innerHTML = svg.join("");
  g.dataset.points = String(samples.length);
}
function niceMax(v) {
  for (const step of [5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]) if (v * 1.15 <= step) return step;
  return Math.ceil(v / 10000) * 10000;
}

create();
setInterval(render, 250);
render();
window.lab = { get socket() { return s; }, tag, samples, bands };
