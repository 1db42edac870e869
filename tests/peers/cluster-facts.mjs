// What the cluster failover work (issue 18) will rely on, checked against the 3-node RabbitMQ
// cluster of scripts/rabbitmq-cluster.sh with raw STOMP 1.2 frames (Web-STOMP via the `ws`
// package, subprotocol v12.stomp; STOMP over TCP via node:net), guest/guest. No browser, not a
// test of steadysocket: a failing check here means a wrong idea of RabbitMQ, not a client bug.
//   (a) SUBSCRIBE with x-queue-type:quorum, durable, not auto-delete, ack:client-individual to
//       /queue/<unique> on node a makes a quorum queue with members on all three nodes
//   (b) a re-SUBSCRIBE without x-queue-type on another node fails: what arrives over Web-STOMP
//       (close code/reason, any frames) and over TCP STOMP (the ERROR frame) is recorded
//   (c) per round: SIGKILL (by pid) of the node the consumer is on, while a publisher on another
//       node SENDs N numbered messages with receipts; the consumer reconnects to a surviving node
//       and re-SUBSCRIBEs with the same headers. Receipts, deliveries, duplicates, redelivered
//       flags and failover times are counted; 0 lost and no unflagged duplicate expected
//   (d) the killed node is restarted and rejoins (3 running, quorum member back, serves clients)
// Prints a JSON summary on stdout (progress on stderr); exits 1 if a fact does not hold.
// Usage: node tests/peers/cluster-facts.mjs
// Env: CLUSTER_START=1 (start the cluster via the script, and stop it at the end unless
// CLUSTER_KEEP=1), CLUSTER_ROUNDS (3: kills; each node is killed once per 3 rounds),
// CLUSTER_MSGS (2000 per round), CLUSTER_RATE (400 SENDs/s), CLUSTER_KILL_AT (0.3: kill when the
// consumer has this fraction of a round's messages), CLUSTER_PREFETCH (prefetch-count header of
// the consumer's SUBSCRIBE; unset: none sent), plus the variables of scripts/rabbitmq-cluster.sh.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import WebSocket from "ws";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);
const SCRIPT = path.join(root, "scripts/rabbitmq-cluster.sh");
const cluster = async (...args) => {
  const t = Date.now();
  try {
    const { stdout, stderr } = await run(SCRIPT, args, { cwd: root, env: process.env, maxBuffer: 1 << 24 });
    if (stderr.trim()) process.stderr.write(stderr);
    return { out: stdout.trim(), ms: Date.now() - t };
  } catch (e) {
    if (e.stderr) process.stderr.write(e.stderr);
    throw e;
  }
};
const ROUNDS = Number(process.env.CLUSTER_ROUNDS || 3);
const N = Number(process.env.CLUSTER_MSGS || 2000);
const RATE = Number(process.env.CLUSTER_RATE || 400);
const KILL_AT = Number(process.env.CLUSTER_KILL_AT || 0.3);
const PREFETCH = process.env.CLUSTER_PREFETCH;
const PREFIX = `facts-${process.pid}-${Date.now().toString(36)}-`;
const log = (...a) => console.error("[cluster-facts]", ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const enc = new TextEncoder();
const dec = new TextDecoder();
const pct = (xs, p) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

// ---- STOMP 1.2 frames ------------------------------------------------------------------------
const esc = (v) => String(v).replace(/\\/g, "\\\\").replace(/\r/g, "\\r").replace(/\n/g, "\\n").replace(/:/g, "\\c");
const unesc = (v) => v.replace(/\\(.)/g, (_, c) => ({ "\\": "\\", r: "\r", n: "\n", c: ":" })[c] ?? `\\${c}`);
function encode(command, headers = {}, body = "") {
  const b = typeof body === "string" ? enc.encode(body) : body;
  const raw = command === "CONNECT";
  let head = command + "\n";
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) head += `${raw ? k : esc(k)}:${raw ? v : esc(v)}\n`;
  const h = enc.encode(head + "\n");
  const out = new Uint8Array(h.length + b.length + 1);
  out.set(h, 0);
  out.set(b, h.length);
  return out; // last byte 0 = NUL
}
/** Incremental decoder: push bytes, get complete frames ({command, headers, body, raw}). */
function decoder() {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, Buffer.from(chunk)]);
    const frames = [];
    for (;;) {
      let i = 0;
      while (i < buf.length && (buf[i] === 10 || buf[i] === 13)) i++; // heart-beats / EOLs after NUL
      buf = buf.subarray(i);
      const headEnd = buf.indexOf("\n\n");
      const headEndCr = buf.indexOf("\r\n\r\n");
      let he = -1, skip = 0;
      if (headEnd >= 0 && (headEndCr < 0 || headEnd < headEndCr)) { he = headEnd; skip = 2; } else if (headEndCr >= 0) { he = headEndCr; skip = 4; }
      if (he < 0) break;
      const lines = buf.subarray(0, he).toString("utf8").split(/\r?\n/);
      const command = lines[0];
      const headers = {};
      for (const l of lines.slice(1)) {
        const c = l.indexOf(":");
        const k = command === "CONNECTED" ? l.slice(0, c) : unesc(l.slice(0, c));
        if (!(k in headers)) headers[k] = command === "CONNECTED" ? l.slice(c + 1) : unesc(l.slice(c + 1)); // first wins
      }
      const start = he + skip;
      let end;
      if (headers["content-length"] !== undefined) {
        end = start + Number(headers["content-length"]);
        if (buf.length < end + 1) break;
      } else {
        end = buf.indexOf(0, start);
        if (end < 0) break;
      }
      const body = buf.subarray(start, end).toString("utf8");
      frames.push({ command, headers, body, raw: buf.subarray(0, end).toString("utf8") });
      buf = buf.subarray(end + 1);
    }
    return frames;
  };
}

/** A STOMP connection over Web-STOMP (`ws://...`) or TCP (`tcp:PORT`). */
async function connect(target, name) {
  const t0 = Date.now();
  const frames = [];
  const waiters = [];
  const listeners = [];
  let closedInfo = null;
  let closeResolve;
  const c = {};
  const closed = new Promise((r) => (closeResolve = r));
  const decode = decoder();
  const onBytes = (chunk) => {
    for (const f of decode(chunk)) {
      f.at = Date.now();
      if (listeners.some((l) => l(f))) continue;
      const i = waiters.findIndex((w) => w.pred(f));
      if (i >= 0) { const [w] = waiters.splice(i, 1); clearTimeout(w.timer); w.resolve(f); } else frames.push(f);
    }
  };
  const onClose = (info) => {
    if (closedInfo) return;
    closedInfo = { ...info, at: Date.now() };
    for (const w of waiters.splice(0)) { clearTimeout(w.timer); w.reject(Object.assign(new Error(`${name}: closed (${JSON.stringify(info)}) while waiting`), { closed: closedInfo })); }
    closeResolve(closedInfo);
  };
  let sendRaw;
  let end;
  if (target.startsWith("ws")) {
    const ws = new WebSocket(target, ["v12.stomp"]);
    ws.binaryType = "nodebuffer";
    ws.on("message", (d) => onBytes(d));
    ws.on("close", (code, reason) => onClose({ code, reason: reason.toString() }));
    ws.on("error", (e) => { c.wsError = e.message; }); // "close" (with its code) follows
    await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); ws.once("close", () => reject(new Error(`${name}: closed before open`))); });
    sendRaw = (b) => ws.readyState === WebSocket.OPEN && ws.send(b);
    end = () => ws.terminate();
  } else {
    const port = Number(target.split(":")[1]);
    const s = net.connect({ host: "127.0.0.1", port });
    s.setNoDelay(true);
    s.on("data", onBytes);
    s.on("close", (hadError) => onClose({ tcpClose: true, hadError }));
    s.on("error", (e) => onClose({ error: e.message }));
    await new Promise((resolve, reject) => { s.once("connect", resolve); s.once("error", reject); });
    sendRaw = (b) => !s.destroyed && s.write(b);
    end = () => s.destroy();
  }
  const next = (pred, ms = 5000, what = "frame") => {
    const i = frames.findIndex(pred);
    if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0]);
    if (closedInfo) return Promise.reject(Object.assign(new Error(`${name}: closed (${JSON.stringify(closedInfo)})`), { closed: closedInfo }));
    return new Promise((resolve, reject) => {
      const w = { pred, resolve, reject };
      w.timer = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); reject(new Error(`${name}: no ${what} within ${ms} ms; got ${JSON.stringify(frames.map((f) => f.raw))}`)); }, ms);
      waiters.push(w);
    });
  };
  Object.defineProperty(c, "closedInfo", { get: () => closedInfo });
  Object.assign(c, {
    name, frames, closed, end,
    send: (cmd, h, b) => sendRaw(encode(cmd, h, b)),
    next,
    receipt: (id, ms) => next((f) => f.command === "RECEIPT" && f.headers["receipt-id"] === id, ms, `RECEIPT ${id}`),
    listen: (fn) => listeners.push(fn), // fn(frame) -> true if consumed
  });
  c.send("CONNECT", { "accept-version": "1.2", host: "/", login: "guest", passcode: "guest", "heart-beat": "0,0" });
  const f = await next((x) => x.command === "CONNECTED" || x.command === "ERROR", 10000, "CONNECTED");
  if (f.command !== "CONNECTED") throw new Error(`${name}: ${f.raw}`);
  c.connectMs = Date.now() - t0;
  return c;
}

// ---- facts -------------------------------------------------------------------------------------
const facts = { prefix: PREFIX, rounds: [], checks: {} };
const failures = [];
const hold = (name, ok, detail) => {
  facts.checks[name] = ok;
  log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
  if (!ok) failures.push(name);
};
const qHeaders = (q, id, extra = {}) => ({
  id, destination: `/queue/${q}`, "x-queue-type": "quorum", durable: "true", "auto-delete": "false",
  ack: "client-individual", ...(PREFETCH ? { "prefetch-count": PREFETCH } : {}), ...extra,
});
const queueInfo = async (via, q) => {
  const { out } = await cluster("ctl", via, "list_queues", "name", "type", "leader", "members", "--formatter", "json");
  return JSON.parse(out).find((x) => x.name === q);
};
const nodeOf = (letter) => nodes[letter].name;

let nodes = {};
let started = false;
async function main() {
  if (process.env.CLUSTER_START === "1") {
    log("starting the cluster (scripts/rabbitmq-cluster.sh start)");
    const { ms } = await cluster("start");
    started = true;
    facts.clusterStartMs = ms;
  }
  const { out } = await cluster("urls");
  for (const line of out.split("\n")) {
    const [name, ws, stomp] = line.split(" ");
    nodes[name.replace(/@.*/, "").slice(-1)] = { name, ws, tcp: `tcp:${stomp}` };
  }
  const st = await cluster("status").catch((e) => e);
  if (st instanceof Error) throw new Error("the cluster does not run 3 nodes (scripts/rabbitmq-cluster.sh start, or CLUSTER_START=1)");

  // (a) quorum queue by SUBSCRIBE on a
  const qa = `${PREFIX}a`;
  {
    const c = await connect(nodes.a.ws, "a-sub");
    const t = Date.now();
    c.send("SUBSCRIBE", qHeaders(qa, "0", { receipt: "s" }));
    await c.receipt("s", 15000);
    const subscribeMs = Date.now() - t;
    const info = await queueInfo("b", qa);
    facts.a = { queue: qa, subscribeReceiptMs: subscribeMs, listQueues: info };
    hold("a: SUBSCRIBE x-queue-type:quorum makes a quorum queue on all 3 nodes",
      info?.type === "quorum" && info.members.length === 3 && ["a", "b", "c"].every((l) => info.members.includes(nodeOf(l))),
      JSON.stringify(info));
    c.send("DISCONNECT", { receipt: "bye" });
    await c.receipt("bye").catch(() => {});
    c.end();
  }

  // (b) re-SUBSCRIBE without the header on other nodes
  {
    const noHdr = { ...qHeaders(qa, "0", { receipt: "s" }) };
    delete noHdr["x-queue-type"];
    const ws = await connect(nodes.b.ws, "b-ws-noheader");
    const t = Date.now();
    ws.send("SUBSCRIBE", noHdr);
    const got = await Promise.race([ws.closed.then(() => "closed"), sleep(5000).then(() => "timeout")]);
    const wsFrames = ws.frames.map((f) => f.raw);
    facts.b = {
      webStomp: { node: nodeOf("b"), outcome: got, close: ws.closedInfo && { code: ws.closedInfo.code, reason: ws.closedInfo.reason, afterMs: ws.closedInfo.at - t }, frames: wsFrames },
    };
    ws.end();
    const tcp = await connect(nodes.c.tcp, "c-tcp-noheader");
    const t2 = Date.now();
    tcp.send("SUBSCRIBE", noHdr);
    const err = await tcp.next((f) => f.command === "ERROR" || f.command === "RECEIPT", 5000).catch((e) => e);
    const closedAfter = await Promise.race([tcp.closed.then((i) => i.at - t2), sleep(2000).then(() => null)]);
    facts.b.tcpStomp = {
      node: nodeOf("c"),
      frame: err instanceof Error ? String(err.message) : { command: err.command, headers: err.headers, body: err.body },
      connectionClosedAfterMs: closedAfter,
    };
    tcp.end();
    // SEND without the header (TCP), and /amq/queue/<name> without it (Web-STOMP).
    const tcp2 = await connect(nodes.c.tcp, "c-tcp-send-noheader");
    tcp2.send("SEND", { destination: `/queue/${qa}`, receipt: "p" }, "x");
    const e2 = await tcp2.next((f) => f.command === "ERROR" || f.command === "RECEIPT", 5000).catch((e) => e);
    facts.b.tcpSendWithoutHeader = e2 instanceof Error ? String(e2.message) : { command: e2.command, message: e2.headers.message };
    tcp2.end();
    const amq = await connect(nodes.b.ws, "b-ws-amq");
    amq.send("SUBSCRIBE", { id: "0", destination: `/amq/queue/${qa}`, ack: "client-individual", receipt: "s" });
    const r3 = await amq.receipt("s", 5000).then(() => "RECEIPT").catch((e) => String(e.message));
    facts.b.amqQueueWithoutHeader = r3;
    amq.end();
    hold("b: Web-STOMP re-SUBSCRIBE without x-queue-type: socket closes, no ERROR frame",
      got === "closed" && !wsFrames.some((f) => f.startsWith("ERROR")) && !wsFrames.some((f) => f.startsWith("RECEIPT")),
      JSON.stringify(facts.b.webStomp));
    hold("b: TCP STOMP re-SUBSCRIBE without x-queue-type: ERROR frame (PRECONDITION_FAILED)",
      !(err instanceof Error) && err.command === "ERROR" && /PRECONDITION_FAILED|inequivalent/i.test(err.raw),
      JSON.stringify(facts.b.tcpStomp));
    hold("b: /amq/queue/<name> SUBSCRIBE works without the header", r3 === "RECEIPT", r3);
  }

  // (c)+(d) kill rounds
  const qc = `${PREFIX}c`;
  let K = "a", P = "b", T = "c"; // killed (consumer's), publisher's, reconnect target
  // The consumer: persistent across rounds, reconnecting on close.
  const consumer = { conn: null, node: null, deliveries: [], onMsg: null };
  const subscribe = async (letter) => {
    const t0 = Date.now();
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        const c = await connect(nodes[letter].ws, `consumer@${letter}`);
        c.listen((f) => {
          if (f.command !== "MESSAGE") return false;
          c.send("ACK", { id: f.headers.ack });
          consumer.deliveries.push({ round: Number(f.headers.round), seq: Number(f.headers.seq), redelivered: f.headers.redelivered === "true", at: f.at, node: letter, mid: f.headers["message-id"] });
          consumer.onMsg?.();
          return true;
        });
        c.send("SUBSCRIBE", qHeaders(qc, "sub", { receipt: "s" }));
        await c.receipt("s", 10000);
        consumer.conn = c;
        consumer.node = letter;
        return { attempts, ms: Date.now() - t0 };
      } catch (e) {
        if (Date.now() - t0 > 30000) throw new Error(`consumer: no subscription on ${letter} within 30 s (${attempts} attempts): ${e.message}`);
        await sleep(100);
      }
    }
  };
  await subscribe(K);
  const info0 = await queueInfo("b", qc);
  hold("c: the failover queue is a quorum queue on 3 nodes", info0?.type === "quorum" && info0.members.length === 3, JSON.stringify(info0));

  for (let r = 1; r <= ROUNDS; r++) {
    const R = { round: r, killed: nodeOf(K), publisherOn: nodeOf(P), consumerReconnectsTo: nodeOf(T) };
    const before = await queueInfo(P, qc);
    R.leaderBefore = before.leader;
    R.killedWasLeader = before.leader === nodeOf(K);
    const { out: pidOut } = await cluster("pid", K);
    const pid = Number(pidOut);
    if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "beam.smp") throw new Error(`pid ${pid} is not beam.smp`);
    const start = consumer.deliveries.length;
    const mine = () => consumer.deliveries.slice(start).filter((d) => d.round === r);
    // kill when the consumer has KILL_AT of the round
    let tKill = null;
    const killAt = Math.floor(N * KILL_AT);
    const killed = new Promise((resolve) => {
      consumer.onMsg = () => {
        if (tKill === null && mine().length >= killAt) {
          tKill = Date.now();
          process.kill(pid, "SIGKILL");
          log(`round ${r}: SIGKILL ${nodeOf(K)} (beam.smp ${pid}) after ${killAt} deliveries`);
          consumer.onMsg = null;
          resolve();
        }
      };
    });
    // consumer reconnection on close
    const oldConn = consumer.conn;
    const reconnected = oldConn.closed.then(async (ci) => {
      R.consumerClose = { code: ci.code, reason: ci.reason, error: ci.error, afterKillMs: tKill === null ? null : ci.at - tKill };
      const s = await subscribe(T);
      R.consumerResubscribe = { attempts: s.attempts, ms: s.ms, subscribedAfterKillMs: Date.now() - tKill };
    });
    // publisher
    const pub = await connect(nodes[P].tcp, `publisher@${P}`);
    const sentAt = new Array(N).fill(0);
    const receiptAt = new Array(N).fill(0);
    pub.listen((f) => {
      if (f.command === "RECEIPT" && f.headers["receipt-id"].startsWith(`p${r}-`)) { receiptAt[Number(f.headers["receipt-id"].split("-")[1])] = f.at; return true; }
      if (f.command === "ERROR") { (R.publisherErrors ||= []).push(f.raw); return true; }
      return false;
    });
    const t0 = Date.now();
    for (let i = 0; i < N; i++) {
      const due = t0 + (i * 1000) / RATE;
      const w = due - Date.now();
      if (w > 0) await sleep(w);
      sentAt[i] = Date.now();
      pub.send("SEND", { destination: `/queue/${qc}`, "x-queue-type": "quorum", persistent: "true", "content-type": "text/plain", round: r, seq: i, receipt: `p${r}-${i}` }, `${r}:${i}`);
    }
    R.sendMs = Date.now() - t0;
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline && (receiptAt.some((x) => !x) || new Set(mine().map((d) => d.seq)).size < N)) await sleep(50);
    if (tKill === null) R.reconnectError = "the kill never happened";
    else if (await Promise.race([reconnected.then(() => false, (e) => { R.reconnectError = e.message; return false; }), sleep(35000).then(() => true)])) R.reconnectError = "timeout";
    await sleep(1000); // late duplicates
    pub.send("DISCONNECT", { receipt: "bye" });
    await pub.receipt("bye", 3000).catch(() => {});
    pub.end();
    // counts
    const ds = mine();
    const seen = new Map();
    let dups = 0, dupsFlagged = 0, dupsUnflagged = 0, firstSightFlagged = 0, dupsSameMid = 0;
    for (const d of ds) {
      if (seen.has(d.seq)) {
        dups++; if (d.redelivered) dupsFlagged++; else dupsUnflagged++;
        if (seen.get(d.seq).mid === d.mid) dupsSameMid++;
        R.duplicateExample ||= { first: seen.get(d.seq), again: d };
      } else { seen.set(d.seq, d); if (d.redelivered) firstSightFlagged++; }
    }
    const receipts = receiptAt.filter(Boolean).length;
    const lost = [...Array(N).keys()].filter((i) => receiptAt[i] && !seen.has(i));
    const afterKill = tKill === null ? [] : ds.filter((d) => d.at > tKill && d.node === T); // on the new connection
    const lat = [...Array(N).keys()].filter((i) => receiptAt[i]).map((i) => receiptAt[i] - sentAt[i]);
    const latAfterKill = tKill === null ? [] : [...Array(N).keys()].filter((i) => receiptAt[i] && sentAt[i] >= tKill - 200 && sentAt[i] <= tKill + 3000).map((i) => receiptAt[i] - sentAt[i]);
    const rAt = receiptAt.filter(Boolean).sort((a, b) => a - b);
    let receiptGap = 0;
    for (let i = 1; i < rAt.length; i++) if (rAt[i] >= tKill && rAt[i - 1] >= tKill - 2000) receiptGap = Math.max(receiptGap, rAt[i] - rAt[i - 1]);
    let deliveryGap = 0;
    for (let i = 1; i < ds.length; i++) deliveryGap = Math.max(deliveryGap, ds[i].at - ds[i - 1].at);
    Object.assign(R, {
      sent: N, receipts, deliveries: ds.length, distinct: seen.size, lost: lost.length, lostSeqs: lost.slice(0, 20),
      unreceipted: N - receipts, duplicates: dups, duplicatesFlaggedRedelivered: dupsFlagged, duplicatesUnflagged: dupsUnflagged, duplicatesWithSameMessageId: dupsSameMid,
      redeliveredFlags: ds.filter((d) => d.redelivered).length, redeliveredOnFirstSight: firstSightFlagged,
      deliveredOnKilledNode: ds.filter((d) => d.node === K).length,
      // read from the dead node's socket after the SIGKILL (already in the client's receive buffer; their ACKs are lost)
      deliveredFromDeadSocketAfterKill: tKill === null ? 0 : ds.filter((d) => d.node === K && d.at > tKill).length,
      deliveredAfterFailover: afterKill.length,
      failoverMs: afterKill.length ? afterKill[0].at - tKill : null, // SIGKILL -> first MESSAGE on the new node
      maxDeliveryGapMs: deliveryGap,
      publisherMaxReceiptGapAfterKillMs: receiptGap,
      receiptLatencyMs: { p50: pct(lat, 50), p99: pct(lat, 99), max: pct(lat, 100) },
      receiptLatencyAroundKillMs: { p50: pct(latAfterKill, 50), max: pct(latAfterKill, 100) },
    });
    log(`round ${r}: ${JSON.stringify({ receipts, distinct: seen.size, lost: lost.length, dups, failoverMs: R.failoverMs })}`);
    hold(`c${r}: all ${N} SENDs receipted`, receipts === N, `${receipts}`);
    hold(`c${r}: 0 lost (every receipted message delivered)`, lost.length === 0, `${lost.length} lost`);
    hold(`c${r}: duplicates only as flagged redeliveries`, dupsUnflagged === 0, `${dups} duplicates, ${dupsFlagged} flagged`);
    hold(`c${r}: the consumer reconnected to ${nodeOf(T)} and got messages there`, afterKill.length > 0 && consumer.node === T);

    // (d) restart the killed node, check it rejoins
    const rs = await cluster("restart", K);
    R.restartMs = rs.ms;
    const st2 = await cluster("status").then(() => true, () => false);
    let after = await queueInfo(K, qc);
    // the restarted member catches up: quorum_status from another node
    const { out: qs } = await cluster("queues", P, "quorum_status", qc, "--formatter", "json");
    R.quorumStatusAfterRestart = JSON.parse(qs).map((m) => ({ node: m["Node Name"], state: m["Raft State"], commit: m["Commit Index"] }));
    R.leaderAfter = after?.leader;
    const back = R.quorumStatusAfterRestart.find((m) => m.node === nodeOf(K));
    hold(`d${r}: ${nodeOf(K)} restarted and rejoined (3 running, quorum member back)`,
      st2 && after?.members.length === 3 && back && ["follower", "leader"].includes(back.state), JSON.stringify(R.quorumStatusAfterRestart));
    facts.rounds.push(R);
    [K, P, T] = [T, K, P]; // the consumer's node is killed next; the restarted node publishes
  }
  // (d) the last restarted node serves clients: SUBSCRIBE (with the header) + SEND on it
  {
    const last = facts.rounds.at(-1);
    const letter = last.killed.replace(/@.*/, "").slice(-1);
    const q = `${PREFIX}d`;
    const c = await connect(nodes[letter].ws, `d@${letter}`);
    c.send("SUBSCRIBE", qHeaders(q, "0", { receipt: "s" }));
    await c.receipt("s", 15000);
    c.send("SEND", { destination: `/queue/${q}`, "x-queue-type": "quorum", receipt: "p" }, "hello");
    await c.receipt("p", 10000);
    const m = await c.next((f) => f.command === "MESSAGE", 10000).catch((e) => e);
    hold(`d: the restarted ${last.killed} serves SUBSCRIBE/SEND on a new quorum queue`, !(m instanceof Error) && m.body === "hello");
    c.end();
  }
  consumer.conn?.end();

  const fo = facts.rounds.map((r) => r.failoverMs).filter((x) => x !== null);
  const rg = facts.rounds.map((r) => r.publisherMaxReceiptGapAfterKillMs);
  const rst = facts.rounds.map((r) => r.restartMs);
  facts.summary = {
    loadavg1m: os.loadavg()[0].toFixed(1), cpus: os.cpus().length, prefetch: PREFETCH ?? "none sent",
    rounds: facts.rounds.length, messagesPerRound: N, ratePerS: RATE,
    lost: facts.rounds.reduce((a, r) => a + r.lost, 0),
    duplicates: facts.rounds.reduce((a, r) => a + r.duplicates, 0),
    duplicatesUnflagged: facts.rounds.reduce((a, r) => a + r.duplicatesUnflagged, 0),
    redeliveredOnFirstSight: facts.rounds.reduce((a, r) => a + r.redeliveredOnFirstSight, 0),
    consumerFailoverMs: { p50: pct(fo, 50), max: pct(fo, 100), all: fo },
    publisherReceiptGapMs: { p50: pct(rg, 50), max: pct(rg, 100), all: rg },
    restartMs: { p50: pct(rst, 50), max: pct(rst, 100), all: rst },
  };
}

let code = 0;
try {
  await main();
} catch (e) {
  log("error:", e.stack || e.message);
  facts.error = e.message;
  code = 1;
}
try { await cluster("delete-queues", PREFIX); } catch (e) { log("delete-queues failed:", e.message); }
if (started && process.env.CLUSTER_KEEP !== "1") await cluster("stop").catch((e) => log("stop failed:", e.message));
facts.failures = failures;
console.log(JSON.stringify(facts, null, 2));
process.exit(code || (failures.length ? 1 : 0));
