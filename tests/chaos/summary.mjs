// Merges the chaos parts' results ($CHAOS_OUT/<part>.json, and R4's counts from
// $CHAOS_OUT/logs/r4.log) into $CHAOS_OUT/results.json and a human summary,
// $CHAOS_OUT/summary.txt, which it prints ($CHAOS_OUT: build/chaos or build/chaos-short). Called by scripts/chaos.sh:
//   node tests/chaos/summary.mjs --form short|full --seconds N --status "r4:ok:12 r2:ok:9 ..."

import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { flags, outDir } from "./lib.mjs";

const opt = flags();
const read = (name) => {
  const f = path.join(outDir, `${name}.json`);
  return existsSync(f) ? JSON.parse(readFileSync(f, "utf8")) : null;
};
const status = Object.fromEntries(
  (opt.status ?? "").split(" ").filter(Boolean).map((s) => {
    const [part, result, secs] = s.split(":");
    return [part, { result, seconds: Number(secs) }];
  }),
);

// R4: "chaos-fuzz: <target> <n> cases in <s> s" lines, and engine_props' passing properties.
let r4 = null;
const r4log = path.join(outDir, "logs", "r4.log");
if (existsSync(r4log)) {
  const log = readFileSync(r4log, "utf8");
  const targets = [...log.matchAll(/chaos-fuzz: (\S+) (\d+) cases in ([\d.]+) s$/gm)].map((m) => ({
    target: m[1], cases: Number(m[2]), seconds: Number(m[3]),
  }));
  const propsCases = Number(process.env.ENGINE_PROPS_CASES || 0);
  // engine_props: every proptest! property passed runs exactly `cases` cases.
  const propsSection = log.split(/Running tests\/engine_props\.rs/)[1] ?? "";
  const propsPassed = [...propsSection.matchAll(/^test (\S+) \.\.\. (?:[^\n]*\n)?ok$/gm)]
    .map((m) => m[1])
    .filter((n) => /never_panics|invariants_hold/.test(n));
  if (propsCases && propsPassed.length) {
    const secs = propsSection.match(/finished in ([\d.]+)s/);
    targets.push({ target: `engine_props (${propsPassed.join(", ")})`, cases: propsCases * propsPassed.length, seconds: secs ? Number(secs[1]) : null });
  }
  const panicked = (log.match(/panicked at/g) ?? []).length;
  r4 = { targets, totalCases: targets.reduce((s, t) => s + t.cases, 0), panics: panicked, wallSeconds: status.r4?.seconds ?? null };
}

const r1 = readdirSync(outDir).filter((f) => /^r1-.*\.json$/.test(f)).map((f) => read(f.replace(/\.json$/, "")));
const results = {
  form: opt.form ?? "full",
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`,
  seconds: Number(opt.seconds ?? 0),
  status,
  R1: r1, R2: read("r2-halfopen"), R3: read("r3-hidden"), R4: r4, R6: read("r6-malformed"), R7: read("r7-cluster"),
};
writeFileSync(path.join(outDir, "results.json"), JSON.stringify(results, null, 2) + "\n");

const L = [];
L.push(`chaos suite, ${results.form} form, ${results.date}, ${results.machine}, ${results.seconds} s`);
for (const r of r1) {
  const c = r.clientToServer, s = r.serverToClient, k = r.reconnectAfterPortReopens;
  L.push(`R1 (${r.delivery}, ${r.cycles} cycles, ${r.durationS} s): client->server ${c.messages} messages (${c.requests} requests): ` +
    `lost ${c.lost} (reported ${c.lostReported}, unreported ${c.lostUnreported}), duplicated ${c.duplicated}, reordered ${c.reordered}; ` +
    `server->client ${s.queuedByServer} ticks: lost ${s.lost}, duplicated ${s.duplicated}, reordered ${s.reordered}; ` +
    `reconnect after the port reopens p50 ${k["port-closed"].p50Ms} ms / p95 ${k["port-closed"].p95Ms} ms ` +
    `(immediate restart p50 ${k["kill-restart"].p50Ms} / p95 ${k["kill-restart"].p95Ms} ms)`);
}
if (results.R2) {
  const d = results.R2.detection;
  L.push(`R2 (${d.all.trials} trials, heartbeat ${results.R2.heartbeat.intervalMs}+${results.R2.heartbeat.timeoutMs} ms, bound ${results.R2.boundMs} ms): ` +
    `detected p50 ${d.all.p50Ms} ms, max ${d.all.maxMs} ms (idle p50 ${d.idle.p50Ms}/max ${d.idle.maxMs}, sending p50 ${d.sending.p50Ms}/max ${d.sending.maxMs}); over bound ${results.R2.overBound}; ` +
    `sends that returned "sent" to the half-open peer: ${results.R2.halfOpenSends?.sentAfterFault}, unreported ${results.R2.halfOpenSends?.unreported}`);
}
if (results.R3) {
  const h = results.R3.healthy;
  const det = results.R3.deadPeer.map((d) => d.detectMs).join(", ");
  const att = results.R3.deadPeer.map((d) => d.reconnect && `${d.reconnect.attemptAfterMs}/${d.reconnect.delayMs}`).join(", ");
  L.push(`R3 (hidden ${results.R3.hiddenForS} s, ${results.R3.minutes} min healthy): false disconnects ${h.falseDisconnects}, ${h.heartbeats} heartbeats (gap p50 ${h.heartbeatGapP50Ms} ms, max ${h.heartbeatGapMaxMs} ms); ` +
    `dead peer detected in ${det} ms; next attempt after/announced ${att} ms; after a drop ${results.R3.drop?.attemptAfterMs}/${results.R3.drop?.delayMs} ms`);
} else {
  L.push("R3: not run in this form (tests/e2e/hidden.test.mjs covers a ~1 minute hidden tab in `make test`)");
}
if (r4) {
  L.push(`R4: ${r4.totalCases} cases, ${r4.panics} panics, ${r4.wallSeconds} s (build included): ` + r4.targets.map((t) => `${t.target} ${t.cases}${t.seconds != null ? ` in ${t.seconds} s` : ""}`).join("; "));
}
if (results.R6) {
  const a = results.R6.A, b = results.R6.B;
  L.push(`R6: ${a.framesSent} crafted frames: ${a.messages} messages, ${a.raw} raw, errors ${JSON.stringify(a.errors)}, closes ${a.closes.length}, alive ${a.alive}; ` +
    `garbage + 8 MB reply: closes ${b.closesBeforeOversizedSend}; oversized send -> close ${b.oversizedSendClose}, reconnected and answered`);
}
if (results.R7) {
  const r = results.R7;
  L.push(`R7: ${r.rounds} rounds × ${r.messagesPerRound} messages at ${r.rate}/s through a 3-node RabbitMQ cluster, the consumer's node SIGKILLed: ` +
    `lost ${r.lost}, duplicates ${JSON.stringify(r.duplicates)} (unflagged ${r.duplicatesUnflagged}), failover p50 ${r.failoverMs.p50} ms max ${r.failoverMs.max} ms, ` +
    `reconnect ${JSON.stringify(r.reconnectMs)} ms, node restart ${JSON.stringify(r.restartMs)} ms, side receipts ${JSON.stringify(r.sideReceipts.map((x) => `${x.ok} ok/${x.connectionLost} connection-lost`))}`);
}
L.push(`status: ${Object.entries(status).map(([p, s]) => `${p} ${s.result} (${s.seconds} s)`).join(", ")}`);
const text = L.join("\n") + "\n";
writeFileSync(path.join(outDir, "summary.txt"), text);
console.log(`\n${text}`);
