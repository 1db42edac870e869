// The package under a strict Content-Security-Policy *header* (README "Setup by environment"),
// in headless Chromium. www/csp/ and pkg/ are served by a small static server started here
// (the reference server sends no CSP) with the policy under test; the page connects to the
// reference server's /ws.
// - `script-src 'self' 'wasm-unsafe-eval'`: init, connect, echo and heartbeat RTT work; the only
//   violation is the timers' blob: Worker (worker-src falls back to script-src), and nothing
//   else reaches the console or throws
// - plus `worker-src blob:`: no violation at all
// - `script-src 'self'` without 'wasm-unsafe-eval': init fails (the page shows the error), so
//   the first case really needed it
// No fixed sleeps: every wait is on a page condition with a timeout.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { launchBrowser, serverUrl, tag, waitForText } from "./helpers.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".wasm": "application/wasm" };

// Serves /pkg/* from pkg/ and the rest from www/csp/, with the CSP given by ?csp= on the page's
// URL (kept per page load in `policy`).
let policy = "";
const server = http.createServer(async (req, res) => {
  const { pathname } = new URL(req.url, "http://x");
  const file = pathname.startsWith("/pkg/")
    ? path.join(repoRoot, "pkg", pathname.slice(5))
    : path.join(repoRoot, "www/csp", pathname === "/" ? "index.html" : pathname.slice(1));
  if (file.includes("..")) return res.writeHead(400).end();
  try {
    const body = await readFile(file);
    res.writeHead(200, {
      "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "content-security-policy": policy,
    });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});

let browser;
let base;
before(async () => {
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await new Promise((resolve) => server.close(resolve));
});

async function load(csp) {
  policy = csp;
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleErrors = [];
  const pageErrors = [];
  page.on("console", (m) => m.type() === "error" && !/favicon\.ico/.test(m.location()?.url ?? "") && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  const ws = `${serverUrl().replace(/^http/, "ws")}/ws?tag=${tag("csp")}`;
  const response = await page.goto(`${base}/?ws=${encodeURIComponent(ws)}`);
  assert.equal(response.headers()["content-security-policy"], csp, "the page is served with the policy");
  return { context, page, consoleErrors, pageErrors, violations: () => page.evaluate(() => window.__violations) };
}

async function works({ page, pageErrors }) {
  await waitForText(page, "#state", "open");
  await page.waitForFunction(() => document.querySelector("#echo").textContent !== "");
  assert.deepEqual(JSON.parse(await page.locator("#echo").textContent()), { from: "csp" });
  await page.waitForFunction(() => document.querySelector("#rtt").textContent !== "", null, { timeout: 5000 });
  assert.deepEqual(pageErrors, []);
}

test("CSP script-src 'self' 'wasm-unsafe-eval': inits and connects; the blob: Worker is refused, timers fall back", { timeout: 20_000 }, async () => {
  const p = await load("script-src 'self' 'wasm-unsafe-eval'");
  try {
    await works(p);
    const violations = await p.violations();
    assert.ok(violations.length >= 1, "the Worker was refused");
    for (const v of violations) assert.match(v, /^worker-src blob/, `only the blob: Worker is refused: ${violations}`);
    for (const e of p.consoleErrors) assert.match(e, /^Creating a worker from 'blob:.* violates the following Content Security Policy directive/, `only the refusal is logged: ${e}`);
  } finally {
    await p.context.close();
  }
});

test("CSP script-src 'self' 'wasm-unsafe-eval'; worker-src blob:: no violation at all", { timeout: 20_000 }, async () => {
  const p = await load("script-src 'self' 'wasm-unsafe-eval'; worker-src blob:");
  try {
    await works(p);
    assert.deepEqual(await p.violations(), []);
    assert.deepEqual(p.consoleErrors, []);
  } finally {
    await p.context.close();
  }
});

test("CSP script-src 'self' without 'wasm-unsafe-eval': init fails", { timeout: 20_000 }, async () => {
  const p = await load("script-src 'self'");
  try {
    await p.page.waitForFunction(() => document.querySelector("#state").textContent.startsWith("failed"));
    assert.match(await p.page.locator("#state").textContent(), /CompileError/);
    assert.ok((await p.violations()).some((v) => v.startsWith("script-src")), "a script-src violation");
  } finally {
    await p.context.close();
  }
});
