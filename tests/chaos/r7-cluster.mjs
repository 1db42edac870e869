// R7: STOMP failover across a 3-node RabbitMQ cluster (issue 18; README "Running against a
// cluster"). scripts/rabbitmq-cluster.sh runs nodes a, b, c (Web-STOMP each); the built package
// (pkg/stomp/, loaded in www/harness.html served by the reference server) runs in headless
// Chromium with two StompClients, each given the three Web-STOMP URLs as an endpoint list:
// - the consumer starts on the round's node and subscribes to a quorum queue (`x-queue-type:
//   quorum`, durable, `ack: client-individual`, `prefetch-count: 50`), acking every message;
// - the publisher starts on another node (its list rotated) and SENDs N numbered messages
//   (a `seq` header), each with a receipt, at CLUSTER_RATE per second;
// - at 30% of the sends the consumer's node is SIGKILLed (by pid); the consumer fails over to
//   another node of its list (the `endpoint` event names it) and re-subscribes with the same
//   headers; meanwhile it also publishes with receipts to a side queue: each of those must
//   settle (resolved, or rejected `connection-lost` when it was sent on the dying node),
//   never hang;
// - the killed node is restarted and must rejoin (3 running).
// Asserted per round: every receipt resolved; 0 lost (every seq received); every duplicate
// flagged `redelivered: true` (counted); the consumer's endpoint changed; the side receipts
// settled; the node rejoined. Measured: failover (kill → first message through the new node,
// p50/max over rounds), the consumer's reconnect (kill → its `open`), duplicates, restart time.
// Usage: node tests/chaos/r7-cluster.mjs [--rounds 3] [--msgs 2000] [--rate 400]
// (CLUSTER_KEEP=1 leaves the cluster running; otherwise it is stopped at the end.)

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { launchBrowser, openPage } from "../e2e/helpers.mjs";
import { Server, cleanupOnExit, flags, freePort, pct, repoRoot, round, sleep, writeResult } from "./lib.mjs";

const opt = flags();
const ROUNDS = Number(opt.rounds ?? process.env.CHAOS_R7_ROUNDS ?? 3);
const MSGS = Number(opt.msgs ?? process.env.CHAOS_R7_MSGS ?? 2000);
const RATE = Number(opt.rate ?? process.env.CHAOS_R7_RATE ?? 400);
const SCRIPT = path.join(repoRoot, "scripts", "rabbitmq-cluster.sh");
const cluster = (...a) => execFileSync(SCRIPT, a, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });

const t0 = Date.now();
console.log("[r7] starting the cluster (scripts/rabbitmq-cluster.sh start)");
const nodes = cluster("start").trim().split("\n").map((l) => {
  const [node, ws] = l.trim().split(/\s+/);
  return { node, short: node.replace(/@.*/, "").slice(-1), ws };
});
assert.equal(nodes.length, 3, "three nodes");
const startMs = Date.now() - t0;
const port = await freePort();
const server = new Server({ port, name: "r7" });
cleanupOnExit(server);
process.env.STEADYSOCKET_SERVER = server.url;
await server.start();
const browser = await launchBrowser();
const rounds = [];
try {
  const { page, errors } = await openPage(browser, "/harness.html");
  await page.waitForFunction(() => document.title === "ready", null, { timeout: 20_000 });
  await page.evaluate(async () => {
    const mod = await import("/pkg/stomp/stomp.js");
    await mod.default();
    window.StompClient = mod.StompClient;
  });
  for (let r = 0; r < ROUNDS; r++) {
    const victim = r % 3; // the node the consumer starts on (and that is killed)
    const order = (k) => [0, 1, 2].map((i) => nodes[(k + i) % 3].ws);
    const q = `r7-${Date.now()}-${r}`;
    console.log(`[r7] round ${r + 1}/${ROUNDS}: consumer on ${nodes[victim].node}, ${MSGS} messages, queue ${q}`);
    await page.evaluate(([consumerUrls, publisherUrls, q, N, rate]) => {
      const guest = { login: "guest", passcode: "guest", host: "/" };
      const opts = { connectHeaders: guest, reconnect: { minDelayMs: 100, maxDelayMs: 1000 }, heartbeat: { outgoingMs: 2000, incomingMs: 2000 } };
      const R = (window.R = { got: [], eps: [], opens: [], side: {}, receipts: { ok: 0, failed: [] }, errors: [], sent: 0, done: false });
      const c = (window.C = new window.StompClient(consumerUrls, opts));
      c.on("endpoint", (e) => R.eps.push({ ...e, at: Date.now() }));
      c.on("open", () => R.opens.push(Date.now()));
      R.closes = [];
      c.on("close", (e) => R.closes.push(`${e.code} ${e.reason}`));
      c.on("error", (e) => R.errors.push(`consumer ${e.kind}: ${e.message}`));
      const headers = { ack: "client-individual", "x-queue-type": "quorum", durable: "true", "auto-delete": "false", "prefetch-count": "50" };
      window.sub = c.subscribe(`/queue/${q}`, (m) => {
        R.got.push({ seq: +m.headers.seq, redelivered: m.headers.redelivered === "true", at: Date.now(), ep: R.eps.at(-1)?.index });
        m.ack();
      }, headers, { receipt: true });
      // The side publishes: each one settles (resolved, or rejected connection-lost).
      let k = 0;
      R.sideTimer = setInterval(() => {
        const n = ++k;
        R.side[n] = "pending";
        c.publish({ destination: `/topic/${q}-side`, body: String(n), receipt: true, timeoutMs: 15000 }).then(
          () => (R.side[n] = "ok"),
          (e) => (R.side[n] = e.kind),
        );
      }, 20);
      window.startPublisher = () => {
        const p = (window.P = new window.StompClient(publisherUrls, opts));
        p.on("error", (e) => R.errors.push(`publisher ${e.kind}: ${e.message}`));
        let i = 0;
        const every = 1000 / rate;
        const t0 = performance.now();
        const tick = () => {
          // Catch up to the rate (timers are coarse): one macrotask sends what is due.
          const due = Math.min(N, Math.floor((performance.now() - t0) / every) + 1);
          while (i < due) {
            const seq = ++i;
            p.publish({ destination: `/queue/${q}`, body: `m${seq}`, headers: { seq: String(seq), "x-queue-type": "quorum", durable: "true" }, receipt: true, timeoutMs: 30000 }).then(
              () => R.receipts.ok++,
              (e) => R.receipts.failed.push(`${seq}:${e.kind}`),
            );
            R.sent = seq;
          }
          if (i < N) setTimeout(tick, 5);
          else R.done = true;
        };
        tick();
      };
    }, [order(victim), order(victim + 1), q, MSGS, RATE]);
    // The victim's beam.smp pid now: the kill itself is one syscall at the chosen moment.
    const pid = Number(cluster("pid", nodes[victim].short).trim());
    assert.ok(pid > 0, "the victim's pid");
    await page.waitForFunction(() => window.sub.receipt && window.R.eps.length == 1, null, { timeout: 20_000 });
    await page.evaluate(() => window.sub.receipt);
    await page.evaluate(() => window.startPublisher());
    await page.waitForFunction((n) => window.R.sent >= n, Math.floor(MSGS * 0.3), { timeout: 60_000 });
    const killAt = Date.now();
    process.kill(pid, "SIGKILL");
    console.log(`[r7] SIGKILL ${nodes[victim].node} (pid ${pid}) at message ${await page.evaluate(() => window.R.sent)}`);
    await page.waitForFunction((n) => window.R.done && window.R.receipts.ok + window.R.receipts.failed.length >= n, MSGS, { timeout: 120_000 });
    await page.waitForFunction((n) => new Set(window.R.got.map((g) => g.seq)).size >= n, MSGS, { timeout: 60_000 }).catch(() => {});
    await page.evaluate(() => clearInterval(window.R.sideTimer));
    await page.waitForFunction(() => Object.values(window.R.side).every((v) => v != "pending"), null, { timeout: 20_000 }).catch(() => {});
    const R = await page.evaluate(() => ({ ...window.R, sideTimer: undefined }));
    const restart0 = Date.now();
    cluster("restart", nodes[victim].short);
    const restartMs = Date.now() - restart0;
    cluster("status");
    const seqs = R.got.map((g) => g.seq);
    const unique = new Set(seqs);
    const seen = new Set(), dups = [];
    for (const g of R.got) (seen.has(g.seq) ? dups.push(g) : seen.add(g.seq));
    const after = R.got.find((g) => g.at > killAt && g.ep !== undefined && g.ep !== 0);
    const reopen = R.opens.find((t) => t > killAt);
    const sides = Object.values(R.side);
    const res = {
      round: r + 1, killed: nodes[victim].node, sent: R.sent, receiptsOk: R.receipts.ok, receiptsFailed: R.receipts.failed.length,
      received: R.got.length, lost: MSGS - [...unique].filter((s) => s >= 1 && s <= MSGS).length, duplicates: dups.length,
      duplicatesUnflagged: dups.filter((g) => !g.redelivered).length, endpoints: R.eps.map((e) => e.index),
      failoverMs: after ? after.at - killAt : null, reconnectMs: reopen ? reopen - killAt : null,
      side: { total: sides.length, ok: sides.filter((v) => v == "ok").length, connectionLost: sides.filter((v) => v == "connection-lost").length, other: sides.filter((v) => v != "ok" && v != "connection-lost") },
      restartMs, errors: R.errors.slice(0, 5), closes: R.closes.slice(0, 5),
    };
    console.log(`[r7] ${JSON.stringify(res)}`);
    rounds.push(res);
    await page.evaluate(() => (window.C.free(), window.P.free()));
    cluster("delete-queues", q);
  }
  assert.deepEqual(errors, [], "no page errors");
} finally {
  await browser.close();
  await server.kill();
  if (process.env.CLUSTER_KEEP !== "1") cluster("stop");
}
const fo = rounds.map((r) => r.failoverMs).filter((x) => x != null);
const summary = {
  rounds: rounds.length, messagesPerRound: MSGS, rate: RATE, clusterStartMs: startMs,
  lost: rounds.reduce((a, r) => a + r.lost, 0), duplicates: rounds.map((r) => r.duplicates),
  duplicatesUnflagged: rounds.reduce((a, r) => a + r.duplicatesUnflagged, 0),
  failoverMs: { p50: round(pct(fo, 50)), max: Math.max(...fo) },
  reconnectMs: rounds.map((r) => r.reconnectMs), restartMs: rounds.map((r) => r.restartMs),
  sideReceipts: rounds.map((r) => r.side), perRound: rounds,
};
writeResult("r7-cluster", summary);
console.log(`[r7] summary ${JSON.stringify({ ...summary, perRound: undefined })}`);
for (const r of rounds) {
  assert.equal(r.receiptsOk, MSGS, `round ${r.round}: every publisher receipt resolved (${r.receiptsFailed} failed)`);
  assert.equal(r.lost, 0, `round ${r.round}: nothing lost`);
  assert.equal(r.duplicatesUnflagged, 0, `round ${r.round}: every duplicate flagged redelivered`);
  assert.ok(r.endpoints.length >= 2 && r.endpoints[1] != r.endpoints[0], `round ${r.round}: the consumer moved to another node (${r.endpoints})`);
  assert.deepEqual(r.side.other, [], `round ${r.round}: side receipts settled ok or connection-lost`);
  assert.ok(r.failoverMs != null, `round ${r.round}: a message through the new node`);
}
console.log("[r7] ok");
