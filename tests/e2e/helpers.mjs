// Shared helpers for the end-to-end tests (node --test + playwright-core + Debian Chromium).
//
// - serverUrl(): the reference server, from STEADYSOCKET_SERVER (scripts/test.sh sets it)
// - launchBrowser({ extraArgs }): headless Chromium from /usr/bin/chromium (or $CHROMIUM)
// - openPage(browser, path): a fresh context + page that records console errors and
//   uncaught exceptions in `errors`
// - waitFor(predicate, timeoutMs): polls until predicate() is truthy (no fixed sleeps)
// - screenshot(page, name): saves build/screenshots/<name>.png (git-ignored)
// - control(action, params): POST /control/<action>?params to the reference server

import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const screenshotDir = path.join(repoRoot, "build", "screenshots");

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** Base URL of the reference server, e.g. `http://127.0.0.1:8080` (no trailing slash). */
export function serverUrl() {
  const url = process.env.STEADYSOCKET_SERVER;
  if (!url) {
    throw new Error(
      "STEADYSOCKET_SERVER is not set: run the e2e tests through `make test`, or start " +
        "steadysocket-server and set STEADYSOCKET_SERVER=http://127.0.0.1:PORT",
    );
  }
  return url.replace(/\/+$/, "");
}

/**
 * Launches headless Chromium (fresh temp profile per launch); `extraArgs` are appended to
 * CHROMIUM_ARGS, e.g. `["--js-flags=--expose-gc"]`.
 */
export async function launchBrowser({ extraArgs = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

/**
 * Opens `path` (relative to the server) in a new context. Returns `{ context, page, errors }`;
 * `errors` collects console errors and uncaught page exceptions as strings.
 */
export async function openPage(browser, urlPath = "/", { viewport = { width: 1000, height: 700 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const where = msg.location()?.url ?? "";
    if (where.endsWith("/favicon.ico")) return;
    errors.push(`console.error: ${msg.text()}${where ? ` (${where})` : ""}`);
  });
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.stack || err.message}`));
  const response = await page.goto(serverUrl() + urlPath, { waitUntil: "load" });
  return { context, page, errors, response };
}

/**
 * Polls `predicate` (sync or async) until it returns a truthy value, which is returned.
 * Throws after `timeoutMs` with `message` and the last error the predicate threw, if any.
 */
export async function waitFor(predicate, timeoutMs = 10_000, { interval = 25, message = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? `; last error: ${lastError.message}` : "";
      throw new Error(`waitFor: ${message} not met within ${timeoutMs} ms${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Waits until `selector`'s text content equals `text` (evaluated in the page, no polling here). */
export async function waitForText(page, selector, text, timeoutMs = 10_000) {
  try {
    await page.waitForFunction(
      ([sel, want]) => document.querySelector(sel)?.textContent === want,
      [selector, text],
      { timeout: timeoutMs },
    );
  } catch (e) {
    const got = await page.locator(selector).textContent().catch(() => "<missing>");
    throw new Error(`${selector} never showed ${JSON.stringify(text)} (last: ${JSON.stringify(got)}): ${e.message}`);
  }
}

/** Saves a full-page PNG to build/screenshots/<name>.png and returns its path. */
export async function screenshot(page, name) {
  await mkdir(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** POST /control/<action> with query `params` (e.g. `{ ms: 500, tag: "t1" }`); returns the JSON reply. */
export async function control(action, params = {}) {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  const res = await fetch(`${serverUrl()}/control/${action}${query.size ? `?${query}` : ""}`, { method: "POST" });
  const body = await res.text();
  if (!res.ok) throw new Error(`POST /control/${action}: ${res.status} ${body}`);
  return body ? JSON.parse(body) : null;
}

/** GET /control/stats (optionally for one `tag`). */
export async function stats(params = {}) {
  const query = new URLSearchParams(params);
  const res = await fetch(`${serverUrl()}/control/stats${query.size ? `?${query}` : ""}`);
  if (!res.ok) throw new Error(`GET /control/stats: ${res.status}`);
  return res.json();
}

/** A unique connection tag for the reference server's per-test isolation. */
export const tag = (name) => `${name}-${Math.floor(Math.random() * 1e9)}`;

/**
 * Returns `inPage(fn, args)`, which runs `fn` inside `page` (a loaded www/harness.html) with
 * `{ SteadySocket, wasm, ws, until, settle, args, wsBase }`:
 * - `ws(tag, path = "/ws")`: the reference server's WebSocket URL for `tag`;
 * - `until(socket, event, pred?, ms = 5000)`: the first matching event, or a rejection;
 * - `settle()`: lets queued microtasks and one macrotask run (the pump delivers in microtasks).
 */
export function pageRunner(page) {
  const wsBase = serverUrl().replace(/^http/, "ws");
  return (fn, args = {}) =>
    page.evaluate(
      async ([src, args, wsBase]) => {
        const { SteadySocket, wasm } = window.steady;
        const until = (s, event, pred = () => true, ms = 5000) =>
          new Promise((resolve, reject) => {
            const timer = setTimeout(() => { off(); reject(new Error(`no ${event} within ${ms} ms`)); }, ms);
            const off = s.on(event, (ev) => {
              if (pred(ev)) { clearTimeout(timer); off(); resolve(ev); }
            });
          });
        const settle = () => new Promise((r) => setTimeout(r, 0));
        const ws = (tag, path = "/ws") => `${wsBase}${path}?tag=${tag}`;
        const f = new Function("ctx", `return (${src})(ctx);`);
        return f({ SteadySocket, wasm, ws, until, settle, args, wsBase });
      },
      [fn.toString(), args, wsBase],
    );
}
