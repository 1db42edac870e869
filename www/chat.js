// The chat demo: one SteadySocket, typed events (join, say → presence, chat), a request
// (getHistory) on every (re)connect, and an outbox view: messages typed while disconnected
// show "queued", turn "sent" when the backlog is flushed and "delivered" when the server's
// echo (matched by `cid`) arrives.
//
// URL parameters (all optional): name, room, tag (isolates this socket for the server's fault
// controls), hb / hbTimeout (heartbeat ms), minDelay / maxDelay (reconnect backoff ms).
import init, { SteadySocket } from "../pkg/steadysocket.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const num = (key, fallback) => (params.has(key) ? Number(params.get(key)) : fallback);

await init();

const clientId = Math.random().toString(36).slice(2, 10);
let nextCid = 0;
const me = {
  name: params.get("name") || localStorage.getItem("steadysocket-chat-name") || `guest-${clientId.slice(0, 4)}`,
  room: params.get("room") || "lobby",
};
$("name").value = me.name;
$("room").value = me.room;
$("room-name").textContent = `#${me.room}`;

// ---- model ------------------------------------------------------------------------------
// Server messages keyed by seq; my own messages keyed by cid until the echo gives them a seq.
const bySeq = new Map(); // seq → message
const mine = new Map(); // cid → message (mine, any status)
const lines = []; // presence lines: {sys, at}

function setStatus(msg, status) {
  if (msg.status === status) return;
  msg.status = status;
  msg.history.push(status);
}

// ---- socket -----------------------------------------------------------------------------
const tag = params.get("tag");
const scheme = location.protocol === "https:" ? "wss" : "ws";
const url = `${scheme}://${location.host}/ws${tag ? `?tag=${encodeURIComponent(tag)}` : ""}`;
const s = new SteadySocket(url, {
  reconnect: { minDelayMs: num("minDelay", 250), maxDelayMs: num("maxDelay", 5000) },
  heartbeat: { intervalMs: num("hb", 10000), timeoutMs: num("hbTimeout", 5000) },
  requestTimeoutMs: 8000,
});

s.on("open", () => {
  // Sent from the open handler, so they go out before the queued backlog: the server knows
  // our room before the first queued `say` arrives.
  s.send("join", { room: me.room, name: me.name });
  loadHistory();
});
// Every message `send` reported as "queued" ends in exactly one `sent` or `drop` event.
s.on("sent", (ev) => {
  const msg = ev.type === "say" ? mine.get(ev.data?.cid) : undefined;
  if (msg && msg.status === "queued") setStatus(msg, "sent");
  render();
});
s.on("state", () => renderBadge());
s.on("drop", (ev) => {
  const msg = ev.type === "say" ? mine.get(ev.data?.cid) : undefined;
  if (!msg) return;
  setStatus(msg, "dropped");
  render();
});
s.onMessage("chat", (m) => {
  if (m.room !== me.room) return;
  addServerMessage(m);
  render();
});
s.onMessage("presence", (p) => {
  if (p.room !== me.room || p.name === me.name) return;
  lines.push({ sys: `${p.name} ${p.joined ? "joined" : "left"}`, at: Date.now() });
  render();
});

function loadHistory() {
  const room = me.room;
  s.request("getHistory", { room }).then(
    ({ messages }) => {
      if (room !== me.room) return;
      for (const m of messages) addServerMessage(m);
      render();
    },
    (e) => console.warn(`getHistory: ${e.kind}: ${e.message}`),
  );
}

function addServerMessage(m) {
  if (bySeq.has(m.seq)) return; // the history and the live broadcast overlap
  const own = typeof m.cid === "string" ? mine.get(m.cid) : undefined;
  if (own) {
    own.seq = m.seq;
    own.ts = m.ts;
    setStatus(own, "delivered");
    bySeq.set(m.seq, own);
  } else {
    bySeq.set(m.seq, { ...m, mine: false });
  }
}

function say(text) {
  const cid = `${clientId}-${++nextCid}`;
  const msg = { cid, name: me.name, text, mine: true, status: null, history: [], ts: Date.now() };
  mine.set(cid, msg);
  const result = s.send("say", { text, cid });
  setStatus(msg, result);
  render();
}

// ---- view -------------------------------------------------------------------------------
const list = $("messages");
function render() {
  const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  // Delivered and other people's messages in server order, then my pending ones.
  const ordered = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  const pending = [...mine.values()].filter((m) => m.seq === undefined);
  const merged = mergeSys([...ordered, ...pending], lines);
  const nodes = merged.map((it) => (it.sys ? sysNode(it.sys) : msgNode(it)));
  if (!nodes.length) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "No messages yet. Say hi!";
    nodes.push(li);
  }
  list.replaceChildren(...nodes);
  if (stick) list.scrollTop = list.scrollHeight;
  renderBadge();
}
// Presence lines go between messages by time; messages keep their own order.
function mergeSys(msgs, sys) {
  const out = [];
  let j = 0;
  for (const m of msgs) {
    while (j < sys.length && sys[j].at <= (m.ts ?? Infinity)) out.push(sys[j++]);
    out.push(m);
  }
  return out.concat(sys.slice(j));
}
function sysNode(text) {
  const li = document.createElement("li");
  li.className = "sys";
  li.textContent = text;
  return li;
}
const time = (ts) => new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
function msgNode(m) {
  const li = document.createElement("li");
  li.className = m.mine ? "msg mine" : "msg";
  if (m.cid) li.dataset.cid = m.cid;
  if (m.seq !== undefined) li.dataset.seq = m.seq;
  const meta = document.createElement("div");
  meta.className = "meta";
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = m.name;
  const at = document.createElement("span");
  at.textContent = time(m.ts);
  meta.append(name, at);
  if (m.mine) {
    li.dataset.status = m.status;
    li.dataset.history = m.history.join(" ");
    const st = document.createElement("span");
    st.className = "status";
    st.textContent = m.status === "delivered" ? "✓ delivered" : m.status;
    meta.append(st);
  }
  const text = document.createElement("div");
  text.className = "text";
  text.textContent = m.text;
  li.append(meta, text);
  return li;
}

function renderBadge() {
  const badge = $("badge");
  badge.dataset.state = s.state;
  $("state").textContent = s.state;
  const rtt = s.state === "open" ? s.metrics().srtt : undefined;
  $("rtt").textContent = rtt === undefined ? "" : `${Math.round(rtt)} ms`;
  $("queued").textContent = s.queued ? `${s.queued} queued` : "";
}
setInterval(renderBadge, 1000);

// ---- forms ------------------------------------------------------------------------------
$("composer").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("text");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  say(text);
});
$("join").addEventListener("submit", (e) => {
  e.preventDefault();
  const name = $("name").value.trim();
  const room = $("room").value.trim();
  if (!name || !room) return;
  const changedRoom = room !== me.room;
  Object.assign(me, { name, room });
  localStorage.setItem("steadysocket-chat-name", name);
  $("room-name").textContent = `#${room}`;
  if (changedRoom) {
    bySeq.clear();
    lines.length = 0;
    for (const [cid, m] of mine) if (m.seq !== undefined) mine.delete(cid);
  }
  // Queued if not open; the open handler joins again anyway.
  if (s.state === "open") {
    s.send("join", { room, name });
    if (changedRoom) loadHistory();
  }
  render();
});

window.chat = { socket: s, me }; // for the console and the tests
render();
