// www/transports.html: the same echo stream over WebSocket, SSE, long polling (steadysocket's
// `transports` option) and a naive periodic poller written here without the SDK; latency at a
// steady rate (p50/p99) and throughput, charted as inline SVG. Bytes and requests per message come
// from tests/bench/transports.mjs (a byte-counting proxy), read from /bench/transports-results.json.
// Exposed as window.transports for that benchmark and tests/e2e/transports-page.test.mjs:
//   runOne(cfg) -> one contender's result; runAll(cfg) -> every contender, `rounds` times;
//   render(summary) -> shows a summary (the benchmark passes its medians); last -> the last runAll.
// While window.__transportsMark exists (the benchmark exposes it), runOne awaits it at each phase
// boundary ("open", "opened", "latency", "idle" (with idle > 0), "throughput", "closed") so bytes can
// be split by phase.
import init, { SteadySocket } from "/pkg/steadysocket.js";

const $ = (id) => document.getElementById(id);
const now = () => performance.now();
const T0 = now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const params = new URLSearchParams(location.search);
const num = (k, d) => (params.has(k) && Number.isFinite(Number(params.get(k))) ? Number(params.get(k)) : d);

export const CONTENDERS = [
  { id: "websocket", label: "WebSocket", color: "#2f6fed" },
  { id: "sse", label: "SSE", color: "#1f9d55" },
  { id: "long-polling", label: "long polling", color: "#d69e2e" },
  { id: "polling", label: "naive polling", color: "#c53030" },
];
const byId = Object.fromEntries(CONTENDERS.map((c) => [c.id, c]));
const labelOf = (id, interval) => (id === "polling" ? `naive polling (${interval} ms)` : byId[id].label);

const defaults = {
  m: num("m", 200), rate: num("rate", 20), n: num("n", 2000), interval: num("interval", 100), rounds: num("rounds", 1), idle: num("idle", 0),
  only: (params.get("only") || CONTENDERS.map((c) => c.id).join(",")).split(",").filter((id) => byId[id]),
};
// The measured connections go to `via` (an origin: the benchmark's proxy) or to this server.
const httpBase = (params.get("via") || location.origin).replace(/\/+$/, "");
const wsBase = httpBase.replace(/^http/, "ws");
// No tag by default: the HTTP transports repeat the URL in every request, so it stays as short as an app's.
const socketUrl = (tag) => `${wsBase}/ws${tag ? `?tag=${encodeURIComponent(tag)}` : ""}`;

const status = (text, kind = "") => {
  const s = $("status");
  s.textContent = text;
  s.dataset.kind = kind;
};

// ---- the contenders ----------------------------------------------------------------------
// Each: open() resolves once open; send(data) sends {"type":"echo","data":data}; close() resolves
// once closed; info() -> counters. Echoed `data` goes to onEcho.

class Sdk {
  constructor(url, transport, onEcho) {
    this.closes = 0;
    this.notSent = 0;
    this.errors = [];
    this.s = new SteadySocket(url, { transports: [transport], heartbeat: false });
    this.s.onMessage("echo", onEcho);
    this.s.on("close", () => { if (!this.closing) this.closes++; });
    this.s.on("error", (e) => this.errors.push(`${e.kind}: ${e.message}`));
  }
  open(timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { off(); reject(new Error(`not open within ${timeoutMs} ms (${this.errors.join("; ")})`)); }, timeoutMs);
      const off = this.s.on("open", () => { clearTimeout(timer); off(); resolve(); });
    });
  }
  send(data) {
    if (this.s.send("echo", data) !== "sent") this.notSent++;
  }
  async close() {
    const closed = new Promise((r) => { const off = this.s.on("close", () => { off(); r(); }); setTimeout(r, 5000); });
    this.closing = true;
    this.s.close();
    await closed;
    this.s.free();
  }
  info() {
    return { transport: this.s.transport, unexpectedCloses: this.closes, notSent: this.notSent, errors: this.errors };
  }
}

/** Naive periodic polling, following README "HTTP side of the protocol", without the SDK. */
class NaivePoller {
  constructor(url, interval, onEcho) {
    this.url = new URL(url.replace(/^ws/, "http"));
    this.url.searchParams.set("transport", "polling");
    this.interval = interval;
    this.onEcho = onEcho;
    this.q = []; // frames waiting for the next POST
    this.n = 0; // the last batch number
    this.busy = false; // a POST in flight
    this.polling = false; // a GET in flight
    this.polls = this.emptyPolls = this.skipped = this.posts = 0;
    this.errors = [];
    this.idle = null; // resolves when the last POST is answered
  }
  at(extra) {
    const u = new URL(this.url);
    for (const k in extra) u.searchParams.set(k, extra[k]);
    return u.href;
  }
  async open() {
    const r = await fetch(this.url.href, { cache: "no-store" });
    if (!r.ok) throw new Error(`open: HTTP ${r.status}`);
    this.sid = (await r.json()).sid;
    this.t0 = now();
    this.k = 0;
    this.tick();
  }
  /** Every `interval` ms on a fixed schedule: one GET …&wait=0, unless the last is still out. */
  tick() {
    if (this.closed) return;
    if (this.polling) this.skipped++;
    else this.poll();
    const next = this.t0 + ++this.k * this.interval;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - now()));
  }
  async poll() {
    this.polling = true;
    this.polls++;
    try {
      const r = await fetch(this.at({ sid: this.sid, wait: 0 }), { cache: "no-store" });
      if (!r.ok) throw new Error(`poll: HTTP ${r.status}`);
      const v = await r.json();
      if (!v.frames?.length) this.emptyPolls++;
      for (const f of v.frames || []) {
        if (typeof f !== "string") continue; // a binary frame: not in this stream
        const m = JSON.parse(f);
        if (m.type === "echo") this.onEcho(m.data);
      }
      if (v.close) throw new Error(`closed by the server: ${v.close.code} ${v.close.reason}`);
    } catch (e) {
      if (!this.closed) this.errors.push(String(e.message || e));
    } finally {
      this.polling = false;
    }
  }
  send(data) {
    this.q.push(JSON.stringify({ type: "echo", data }));
    // Frames sent in the same task share a POST; one POST in flight at a time.
    if (this.q.length === 1 && !this.busy) queueMicrotask(() => this.post());
  }
  async post() {
    if (this.busy || !this.q.length) return;
    const batch = this.q.splice(0);
    this.busy = true;
    this.posts++;
    try {
      const r = await fetch(this.at({ sid: this.sid, n: ++this.n }), {
        method: "POST", body: JSON.stringify(batch), headers: { "content-type": "text/plain;charset=UTF-8" },
      });
      if (!r.ok) throw new Error(`POST: HTTP ${r.status}`);
    } catch (e) {
      this.errors.push(String(e.message || e));
    }
    this.busy = false;
    if (this.q.length) this.post();
    else this.idle?.();
  }
  async close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.busy || this.q.length) await new Promise((r) => { this.idle = r; });
    await fetch(this.at({ sid: this.sid, close: 1 }), { method: "POST" }).catch(() => {});
  }
  info() {
    return { transport: "polling", polls: this.polls, emptyPolls: this.emptyPolls, skippedTicks: this.skipped, posts: this.posts, errors: this.errors };
  }
}

// ---- one measurement ---------------------------------------------------------------------
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const mark = async (label) => { if (window.__transportsMark) await window.__transportsMark(label); };

/** Echo counter: resolves wait() once `target` distinct indices came back. */
function counter(target) {
  const seen = new Uint8Array(target);
  let received = 0, dupes = 0, done = null;
  return {
    hit(i) {
      if (!(i >= 0 && i < target)) return false;
      if (seen[i]) { dupes++; return false; }
      seen[i] = 1;
      if (++received === target) done?.();
      return true;
    },
    wait(timeoutMs, what) {
      if (received === target) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what}: ${received}/${target} echoes within ${timeoutMs} ms`)), timeoutMs);
        done = () => { clearTimeout(timer); resolve(); };
      });
    },
    get received() { return received; },
    get dupes() { return dupes; },
  };
}

/** A small seeded PRNG in [0, 1). */
function mulberry32(a) {
  return () => {
    a |= 0; a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runOne({ contender, m = defaults.m, rate = defaults.rate, n = defaults.n, interval = defaults.interval, idle = defaults.idle, seed = 1, tag } = {}) {
  const us = () => Math.round((now() - T0) * 1000); // the `t` field: µs since the page loaded
  let onEcho = () => {};
  const url = socketUrl(tag);
  const out = { contender, label: labelOf(contender, interval), m, rate, n, interval, tag };
  let phase = "open", conn = null;
  try {
    await mark("open");
    const tOpen = now();
    conn = contender === "polling" ? new NaivePoller(url, interval, (d) => onEcho(d)) : new Sdk(url, contender, (d) => onEcho(d));
    await conn.open();
    out.openMs = now() - tOpen;
    await mark("opened");

    // (a) latency: m messages at `rate`/s, round trip of each
    phase = "latency";
    const rtt = new Float64Array(m);
    const lc = counter(m);
    onEcho = (d) => { const t = now(); if (lc.hit(d?.i)) rtt[d.i] = t - (T0 + d.t / 1000); };
    // Message k goes at a uniformly random moment of its slot [k, k+1) × 1/rate (the same moments
    // for every contender with the same seed): a strictly periodic schedule would lock onto the
    // naive poller's period and sample one or two phases of it only.
    const rnd = mulberry32(seed);
    const t0 = now(), gap = 1000 / rate;
    let frameChars = 0;
    for (let k = 0; k < m; k++) {
      const wait = t0 + (k + rnd()) * gap - now();
      if (wait > 0) await sleep(wait);
      const d = { i: k, t: us() };
      conn.send(d);
      frameChars += JSON.stringify({ type: "echo", data: d }).length; // the v1 frame (ASCII: bytes)
    }
    out.frameBytes = frameChars / m;
    await lc.wait(30000 + 5 * interval, "latency");
    out.rtts = Array.from(rtt, (x) => Math.round(x * 1000) / 1000);
    const sorted = Array.from(rtt).sort((a, b) => a - b);
    Object.assign(out, {
      latencyReceived: lc.received, latencyDupes: lc.dupes,
      p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), mean: sorted.reduce((a, b) => a + b, 0) / m,
      min: sorted[0], max: sorted[m - 1], latencyMs: now() - t0,
    });
    await sleep(30); // answers still in flight (a POST's 200) belong to this phase
    await mark("latency");

    // (idle) nothing to send for `idle` ms: what does staying connected cost?
    if (idle > 0) {
      phase = "idle";
      await sleep(idle);
      await mark("idle");
    }

    // (b) throughput: n messages as fast as send() takes them, until the last echo
    phase = "throughput";
    const tc = counter(n);
    onEcho = (d) => tc.hit(d?.i);
    const t1 = now();
    for (let k = 0; k < n; k++) conn.send({ i: k, t: us() });
    const tSent = now();
    await tc.wait(60000 + 5 * interval, "throughput");
    const t2 = now();
    Object.assign(out, {
      throughputReceived: tc.received, throughputDupes: tc.dupes,
      throughputMs: t2 - t1, sendLoopMs: tSent - t1, msgsPerS: (n / (t2 - t1)) * 1000,
    });
    await sleep(30);
    await mark("throughput");

    phase = "close";
    onEcho = () => {};
    await conn.close();
    await sleep(150); // the close's own exchange (a POST close=1, a close frame)
    await mark("closed");
    out.ok = out.latencyReceived === m && out.throughputReceived === n;
  } catch (e) {
    out.ok = false;
    out.error = `${phase}: ${e.message || e}`;
    try { await conn?.close(); } catch {}
  }
  Object.assign(out, conn?.info());
  return out;
}

// ---- rounds, medians ---------------------------------------------------------------------
export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
/** Round r runs the contenders rotated by r (each one first in turn). */
export const orderFor = (ids, r) => ids.map((_, i) => ids[(i + r) % ids.length]);

export function summarize(runs, cfg) {
  const contenders = {};
  for (const id of cfg.only) {
    const rs = runs.filter((x) => x.contender === id);
    const ok = rs.filter((x) => x.ok);
    contenders[id] = {
      label: labelOf(id, cfg.interval), rounds: rs.length, completeRounds: ok.length,
      p50: median(ok.map((x) => x.p50)), p99: median(ok.map((x) => x.p99)), msgsPerS: median(ok.map((x) => x.msgsPerS)),
      openMs: median(ok.map((x) => x.openMs)),
      errors: rs.filter((x) => x.error).map((x) => x.error),
    };
  }
  return { source: "live", date: new Date().toISOString(), config: { m: cfg.m, rate: cfg.rate, n: cfg.n, interval: cfg.interval }, rounds: cfg.rounds, contenders };
}

let running = false;
export async function runAll(opts = {}) {
  const cfg = { ...defaults, ...opts };
  if (running) throw new Error("already running");
  running = true;
  $("run").disabled = true;
  const runs = [];
  try {
    for (let r = 0; r < cfg.rounds; r++) {
      for (const id of orderFor(cfg.only, r)) {
        status(`round ${r + 1}/${cfg.rounds}: ${labelOf(id, cfg.interval)}…`);
        const x = await runOne({ ...cfg, contender: id, seed: r + 1 });
        runs.push(x);
        state.live = summarize(runs, cfg);
        render();
      }
    }
    const failed = runs.filter((x) => !x.ok);
    status(failed.length ? `done, ${failed.length} run(s) failed: ${failed.map((x) => `${x.contender}: ${x.error}`).join("; ")}` : "done", failed.length ? "error" : "");
  } finally {
    running = false;
    $("run").disabled = false;
  }
  window.transports.last = { runs, summary: state.live };
  return window.transports.last;
}

// ---- rendering ---------------------------------------------------------------------------
const state = { live: null, bench: null, shown: null };
const svgNs = "http://www.w3.org/2000/svg";
const el = (name, attrs = {}, text) => {
  const e = document.createElementNS(svgNs, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
};
const fmt = (v, digits) => (v == null || !Number.isFinite(v) ? "–" : v >= 1000 ? Math.round(v).toLocaleString("en-US") : v.toFixed(v >= 100 ? 0 : digits ?? (v >= 10 ? 1 : 2)));

/** A horizontal bar chart: rows [{label, color, parts: [{value, opacity}], text}]. */
function barChart(title, note, rows) {
  const box = document.createElement("div");
  box.className = "chart";
  const h = document.createElement("h3");
  h.textContent = title + " ";
  const small = document.createElement("small");
  small.textContent = note;
  h.append(small);
  box.append(h);
  const have = rows.filter((r) => r.parts.some((p) => Number.isFinite(p.value)));
  if (!have.length) {
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = "not measured yet";
    box.append(p);
    return box;
  }
  const W = 380, LW = 140, VW = 76, RH = 24, H = rows.length * RH + 4;
  const max = Math.max(...rows.map((r) => r.parts.reduce((a, p) => a + (Number.isFinite(p.value) ? p.value : 0), 0)), 1e-9);
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${title}: ${rows.map((r) => `${r.label} ${r.text}`).join(", ")}` });
  rows.forEach((r, i) => {
    const y = 2 + i * RH;
    svg.append(el("text", { x: 0, y: y + RH / 2 + 4 }, r.label));
    svg.append(el("rect", { class: "track", x: LW, y: y + 3, width: W - LW - VW, height: RH - 8, rx: 3 }));
    let x = LW;
    for (const p of r.parts) {
      if (!Number.isFinite(p.value)) continue;
      const w = Math.max(p.value > 0 ? 1.5 : 0, (p.value / max) * (W - LW - VW));
      svg.append(el("rect", { x, y: y + 3, width: w, height: RH - 8, rx: 2, fill: r.color, "fill-opacity": p.opacity ?? 1 }));
      x += w;
    }
    svg.append(el("text", { class: "value", x: x + 5, y: y + RH / 2 + 4 }, r.text));
  });
  box.append(svg);
  return box;
}

/** Shows `summary` (the benchmark's medians, or a live run) with the wire figures of state.bench. */
export function render(summary) {
  if (summary) state.shown = summary;
  const shown = state.shown || state.live || state.bench;
  const bench = state.bench;
  const ids = CONTENDERS.map((c) => c.id).filter((id) => shown?.contenders?.[id] || bench?.contenders?.[id]);
  const interval = shown?.config?.interval ?? defaults.interval;
  const rows = ids.map((id) => {
    const s = shown?.contenders?.[id] || {};
    const b = bench?.contenders?.[id];
    // the wire figures hold for the interval the benchmark used
    const same = id !== "polling" || bench.config.interval === interval;
    const wire = b?.wire?.latency && same ? b.wire.latency : null;
    const idle = b?.wire?.idle && same ? b.wire.idle : null;
    return { id, label: labelOf(id, interval), color: byId[id].color, s, wire, idle };
  });
  const src = shown?.source === "bench"
    ? `(benchmark: ${shown.rounds} round${shown.rounds > 1 ? "s, medians" : ""}, ${shown.date?.slice(0, 10) ?? ""})`
    : shown ? `(this page, ${shown.rounds} round${shown.rounds > 1 ? "s" : ""}${shown.rounds > 1 ? ", medians" : ""})` : "";
  $("source").textContent = src;
  const cfg = shown?.config || defaults;

  $("legend").replaceChildren(...rows.map((r) => {
    const s = document.createElement("span");
    s.style.setProperty("--c", r.color);
    s.textContent = r.label;
    return s;
  }));
  const charts = [
    barChart("Round trip p50", `ms, ${cfg.m} msgs at ${cfg.rate}/s`, rows.map((r) => ({ label: r.label, color: r.color, parts: [{ value: r.s.p50 }], text: `${fmt(r.s.p50)} ms` }))),
    barChart("Round trip p99", "ms", rows.map((r) => ({ label: r.label, color: r.color, parts: [{ value: r.s.p99 }], text: `${fmt(r.s.p99)} ms` }))),
    barChart("Throughput", `msg/s, ${cfg.n} sent at once`, rows.map((r) => ({ label: r.label, color: r.color, parts: [{ value: r.s.msgsPerS }], text: fmt(r.s.msgsPerS) }))),
    barChart("Bytes on the wire per message", "up (solid) + down, headers included", rows.map((r) => ({
      label: r.label, color: r.color,
      parts: [{ value: r.wire?.upPerMsg }, { value: r.wire?.downPerMsg, opacity: 0.45 }],
      text: r.wire ? `${fmt(r.wire.totalPerMsg, 0)} B` : "–",
    }))),
    barChart("HTTP requests per message", "sending (solid) + receiving", rows.map((r) => ({
      label: r.label, color: r.color,
      parts: [{ value: r.wire?.sendReqPerMsg }, { value: r.wire?.recvReqPerMsg, opacity: 0.45 }],
      text: r.wire ? fmt(r.wire.reqPerMsg) : "–",
    }))),
    barChart("Idle: staying connected", "bytes/s with nothing to send", rows.map((r) => ({
      label: r.label, color: r.color, parts: [{ value: r.idle?.bytesPerS }],
      text: r.idle ? `${fmt(r.idle.bytesPerS, 0)} B/s` : "–",
    }))),
  ];
  $("charts").replaceChildren(...charts);

  const ws = rows.find((r) => r.id === "websocket");
  const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b ? `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}×` : "–");
  $("table").tBodies[0].replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    const cells = [
      r.label, fmt(r.s.p50), fmt(r.s.p99), fmt(r.s.msgsPerS),
      r.wire ? fmt(r.wire.upPerMsg, 0) : "–", r.wire ? fmt(r.wire.downPerMsg, 0) : "–", r.wire ? fmt(r.wire.totalPerMsg, 0) : "–",
      r.wire ? fmt(r.wire.reqPerMsg) : "–", r.idle ? fmt(r.idle.bytesPerS, 0) : "–",
      r.id === "websocket" ? "1×" : `${ratio(r.s.p50, ws?.s.p50)} · ${ratio(r.s.msgsPerS, ws?.s.msgsPerS)} · ${ratio(r.wire?.totalPerMsg, ws?.wire?.totalPerMsg)}`,
    ];
    cells.forEach((c, i) => {
      const td = document.createElement(i ? "td" : "th");
      if (!i) td.scope = "row";
      td.textContent = c;
      if (i >= 4 && i <= 8 && r.wire) td.className = "src-bench";
      tr.append(td);
    });
    if (r.s.errors?.length) tr.title = r.s.errors.join("\n");
    return tr;
  }));
  $("wire-note").textContent = bench
    ? `Bytes and requests per message: node tests/bench/transports.mjs, ${bench.date?.slice(0, 10)}, ${bench.rounds} round${bench.rounds > 1 ? "s (medians)" : ""}, ` +
      `${bench.config.m} messages at ${bench.config.rate}/s, naive poll every ${bench.config.interval} ms` +
      (bench.config.idleMs ? `, idle cost over ${bench.config.idleMs / 1000} s` : "") +
      (bench.machine ? `; ${bench.machine.cores} cores, Chromium ${bench.machine.chromium}` : "") + "."
    : "Bytes on the wire: run node tests/bench/transports.mjs (it writes /bench/transports-results.json).";
}

// ---- the page ------------------------------------------------------------------------------
async function main() {
  const form = $("controls");
  for (const k of ["m", "rate", "n", "interval", "rounds"]) form.elements[k].value = defaults[k];
  await init();
  try {
    const r = await fetch(params.get("results") || "/bench/transports-results.json", { cache: "no-store" });
    if (r.ok) state.bench = await r.json();
  } catch {}
  if (state.bench) state.shown = { ...state.bench, source: "bench" };
  render();
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = (k) => Number(form.elements[k].value);
    state.shown = null;
    runAll({ m: v("m"), rate: v("rate"), n: v("n"), interval: v("interval"), rounds: v("rounds") }).catch((err) => status(String(err.message || err), "error"));
  });
  $("run").disabled = false;
  window.transports.ready = true;
  status(state.bench ? "ready (showing the last benchmark run; Run measures here)" : "ready");
  if (params.get("auto") === "1") form.requestSubmit();
}

window.transports = { runOne, runAll, render, summarize, CONTENDERS, defaults, ready: false, last: null };
main().catch((e) => status(`failed to load: ${e.message || e}`, "error"));
