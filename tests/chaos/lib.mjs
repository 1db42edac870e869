// Shared by the chaos drivers (scripts/chaos.sh runs them; README "Reliability (chaos suite)").
// - Server: the reference server as a child process on a fixed loopback port, restartable
//   (SIGKILL and restart on the same port), with --log-file so what it received survives it;
// - freePort(): a free 127.0.0.1 port, picked once per run (then fixed across restarts);
// - writeResult(name, obj): $CHAOS_OUT/<name>.json (default build/chaos), merged by tests/chaos/summary.mjs;
// - pct(values, p), round(x, digits), sleep(ms) (pacing the faults only: never an assertion).

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// scripts/chaos.sh: build/chaos (full form) or build/chaos-short (the short form, in `make test`).
export const outDir = path.resolve(repoRoot, process.env.CHAOS_OUT || path.join("build", "chaos"));
mkdirSync(outDir, { recursive: true });

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const round = (x, d = 0) => (x == null || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

/** The p-th percentile (0..100, nearest rank) of `values`, or null when empty. */
export function pct(values, p) {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function writeResult(name, obj) {
  const file = path.join(outDir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, at: new Date().toISOString(), ...obj }, null, 2) + "\n");
  console.log(`[chaos] wrote ${path.relative(repoRoot, file)}`);
  return file;
}

export function serverBin() {
  const bin = process.env.CHAOS_SERVER_BIN || path.join(repoRoot, "target", "debug", "steadysocket-server");
  if (!existsSync(bin)) throw new Error(`no server binary at ${bin}: cargo build -p steadysocket-server`);
  return bin;
}

/** Reads a --log-file: one JSON object per line (a torn last line after a SIGKILL is skipped). */
export function readLog(file) {
  if (!existsSync(file)) return [];
  const out = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a line cut by SIGKILL: one write() per line makes this practically impossible
    }
  }
  return out;
}

/** The reference server as a child process on a fixed port; start() again after kill(). */
export class Server {
  constructor({ port, args = [], name = "server" }) {
    this.port = port;
    this.args = args;
    this.name = name;
    this.proc = null;
    this.portFile = path.join(outDir, `${name}.port`);
    this.stderr = "";
  }
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  /** Starts the server; resolves with Date.now() once it listens (its port file is written). */
  async start(extra = []) {
    rmSync(this.portFile, { force: true });
    const args = ["--port", String(this.port), "--root", repoRoot, "--port-file", this.portFile, ...this.args, ...extra];
    const proc = spawn(serverBin(), args, { stdio: ["ignore", "ignore", "pipe"] });
    this.proc = proc;
    proc.stderr.on("data", (d) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (existsSync(this.portFile)) return Date.now();
      if (proc.exitCode !== null) throw new Error(`${this.name} exited (${proc.exitCode}): ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`${this.name} not listening within 20 s: ${this.stderr}`);
      await sleep(5); // polling the port file
    }
  }
  /** SIGKILL (the kernel closes its sockets: FIN, or RST with unread data); waits for the exit. */
  async kill(signal = "SIGKILL") {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode) return;
    this.proc.kill(signal);
    await this.exited;
  }
  async control(action, params = {}) {
    const q = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
    const res = await fetch(`${this.url}/control/${action}${q.size ? `?${q}` : ""}`, { method: "POST" });
    const body = await res.text();
    if (!res.ok) throw new Error(`POST /control/${action}: ${res.status} ${body}`);
    return body ? JSON.parse(body) : null;
  }
}

/** Kills `server` on SIGINT/SIGTERM/exit of this driver. */
export function cleanupOnExit(...servers) {
  const kill = () => servers.forEach((s) => s.proc && s.proc.exitCode === null && s.proc.kill("SIGKILL"));
  process.on("exit", kill);
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => (kill(), process.exit(130)));
}

/** Parses `--name value` / `--name=value` flags into an object (numbers stay strings). */
export function flags(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = argv[i].replace(/^--/, "").split("=");
    out[k] = v ?? (argv[i + 1] && !argv[i + 1].startsWith("--") ? argv[++i] : "1");
  }
  return out;
}
