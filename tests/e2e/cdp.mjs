// Chromium over raw CDP (a pipe), for truly hidden tabs: Playwright's pages always report
// `visible`. Used by tests/e2e/hidden.test.mjs and tests/chaos/r3-hidden.mjs.
// - launchCdp(): Chromium with --remote-debugging-pipe, without
//   --disable-background-timer-throttling and --disable-renderer-backgrounding, and with a
//   10 s grace period for the intensive wake-up throttling; `send(method, params, sessionId)`;
// - evaluate(cdp, sessionId, expression): the expression's JSON value (promises awaited).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CHROMIUM_ARGS } from "./helpers.mjs";

/** Chromium over CDP on a pipe (fd 3: commands in, fd 4: replies and events out, NUL-separated). */
export function launchCdp() {
  const profile = mkdtempSync(path.join(tmpdir(), "steadysocket-hidden-"));
  const args = [
    ...CHROMIUM_ARGS,
    "--remote-debugging-pipe",
    `--user-data-dir=${profile}`,
    "--enable-features=IntensiveWakeUpThrottling:grace_period_seconds/10",
    "about:blank",
  ];
  const proc = spawn(process.env.CHROMIUM || "/usr/bin/chromium", args, {
    stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const pending = new Map();
  let nextId = 1;
  let buf = Buffer.alloc(0);
  proc.stdio[4].on("data", (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (let end; (end = buf.indexOf(0)) >= 0; ) {
      const msg = JSON.parse(buf.subarray(0, end).toString("utf8"));
      buf = buf.subarray(end + 1);
      const p = msg.id !== undefined && pending.get(msg.id);
      if (!p) continue; // an event: not used
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${JSON.stringify(msg.error)}`));
      else p.resolve(msg.result);
    }
  });
  const exited = new Promise((resolve) => proc.on("exit", resolve));
  proc.on("exit", (code) => {
    for (const p of pending.values()) p.reject(new Error(`chromium exited (${code}): ${stderr}`));
    pending.clear();
  });
  return {
    send(method, params = {}, sessionId = undefined, timeoutMs = 20_000) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`CDP ${method}: no reply within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (f) => (v) => (clearTimeout(timer), f(v));
        pending.set(id, { method, resolve: done(resolve), reject: done(reject) });
        proc.stdio[3].write(JSON.stringify({ id, method, params, sessionId }) + "\0");
      });
    },
    async close() {
      try {
        await this.send("Browser.close", {}, undefined, 5000);
      } catch {
        proc.kill("SIGKILL");
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (proc.exitCode === null) proc.kill("SIGKILL");
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Evaluates `expression` in the page (awaiting promises); returns its JSON value. */
export async function evaluate(cdp, sessionId, expression) {
  const r = await cdp.send(
    "Runtime.evaluate",
    { expression, awaitPromise: true, returnByValue: true },
    sessionId,
  );
  if (r.exceptionDetails) {
    throw new Error(`page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
  }
  return r.result.value;
}

