// The package as each bundler (and no bundler) delivers it, in headless Chromium, against the
// reference server (README "Setup by environment"). The apps are built from the packed
// tarball by www/bundlers/build.mjs (scripts/test.sh's "bundlers" step):
// - no bundler (import map), webpack 5, esbuild (wasm file loader), Rollup (plugin-url) and the
//   embedded-wasm entry `steadysocket/inline` under esbuild and Rollup: each page inits,
//   connects, gets its echo and a request's reply; the wasm file is fetched with status 200
//   (none is fetched by the inline builds); no request fails, nothing is logged as an error
// - React (`steadysocket/react`, Vite, StrictMode, React development build), once with React
//   19.3 (app react) and once with React 18.3 (app react18: the same app, React from its own
//   install in www/bundlers/react18/): the bundled React is that major; StrictMode ran
//   the effects twice, yet one WebSocket was made and the server sees one connection; the
//   state goes connecting → open; a sent message comes back as `lastMessage`; `request`
//   works; unmounting closes the connection (the server sees it go); mounting again
//   connects again
// No fixed sleeps: every wait is on a page condition or a server count, with a timeout.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { launchBrowser, serverUrl, stats, tag, waitFor, waitForText } from "./helpers.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dist = path.join(repoRoot, "www/bundlers/dist");
const built = ["react", "react18"].every((app) => existsSync(path.join(dist, app, "index.html")))
  ? false
  : "www/bundlers/dist not built (scripts/test.sh's bundlers step: node www/bundlers/build.mjs)";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

// Console errors, but the browser's own favicon.ico 404 (as helpers.mjs's openPage).
const consoleErrors = (errors) => (m) => {
  if (m.type() === "error" && !(m.location()?.url ?? "").endsWith("/favicon.ico")) errors.push(m.text());
};

// Opens `urlPath` recording every response: `failed` (status >= 400, or a failed request) and
// `wasm` (responses for .wasm files).
async function open(urlPath) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const failed = [];
  const wasm = [];
  page.on("response", (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    if (/\.wasm(\?|$)/.test(r.url())) wasm.push({ status: r.status(), type: r.headers()["content-type"] });
  });
  page.on("requestfailed", (r) => failed.push(`failed ${r.url()}: ${r.failure()?.errorText}`));
  const errors = [];
  page.on("console", consoleErrors(errors));
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(serverUrl() + urlPath, { waitUntil: "load" });
  return { context, page, failed, wasm, errors };
}

const apps = [
  { app: "esm", path: "/bundlers/esm/index.html", wasmFile: true },
  { app: "webpack", wasmFile: true },
  { app: "esbuild", wasmFile: true },
  { app: "esbuild-inline", wasmFile: false },
  { app: "rollup", wasmFile: true },
  { app: "rollup-inline", wasmFile: false },
];

// Why esbuild needs its recipe: a plain `await init()` bundled by esbuild fetches a wasm file
// esbuild never copied.
test("bundler esbuild-plain (no recipe): the wasm is a 404 and init() fails", { timeout: 20_000, skip: built }, async () => {
  const { context, page, failed } = await open(`/bundlers/dist/esbuild-plain/index.html?tag=${tag("plain")}`);
  try {
    await page.waitForFunction(() => document.querySelector("#state").textContent.startsWith("failed"));
    assert.ok(failed.some((f) => /^404 .*\/steadysocket_bg\.wasm$/.test(f)), `a 404 for the wasm: ${failed}`);
  } finally {
    await context.close();
  }
});

for (const { app, path: p = `/bundlers/dist/${app}/index.html`, wasmFile } of apps) {
  test(`bundler ${app}: inits, connects, echoes and replies`, { timeout: 20_000, skip: built }, async () => {
    const t = tag(`bundler-${app}`);
    const { context, page, failed, wasm, errors } = await open(`${p}?tag=${t}`);
    try {
      await waitForText(page, "#state", "open");
      await waitForText(page, "#sum", "5");
      await page.waitForFunction(() => document.querySelector("#echo").textContent !== "");
      assert.deepEqual(JSON.parse(await page.locator("#echo").textContent()), { from: app });
      if (wasmFile) {
        assert.deepEqual(wasm, [{ status: 200, type: "application/wasm" }], "the wasm file is served once");
      } else {
        assert.deepEqual(wasm, [], "the inline build fetches no wasm file");
      }
      assert.deepEqual(failed, []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
}

// The same StrictMode app against React 19 and React 18.
const reactApps = [
  { app: "react", major: "19" },
  { app: "react18", major: "18" },
];
for (const { app, major } of reactApps) {
  test(`${app}: useSteadySocket in StrictMode (React ${major}): one connection, state, lastMessage, send, request, cleanup on unmount`, {
    timeout: 30_000,
    skip: built,
  }, async () => {
    const t = tag(app);
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on("console", consoleErrors(errors));
    page.on("pageerror", (e) => errors.push(String(e)));
    const wasm = [];
    page.on("response", (r) => /\.wasm(\?|$)/.test(r.url()) && wasm.push({ status: r.status(), type: r.headers()["content-type"] }));
    // Count the WebSockets the page makes.
    await page.addInitScript(() => {
      const WS = window.WebSocket;
      window.__ws = 0;
      window.WebSocket = class extends WS {
        constructor(...args) {
          super(...args);
          window.__ws++;
        }
      };
    });
    const connections = async () => (await stats({ tag: t })).connections;
    try {
      await page.goto(`${serverUrl()}/bundlers/dist/${app}/index.html?tag=${t}`);
      await waitForText(page, "#state", "open");
      assert.equal((await page.evaluate(() => window.__react)).split(".")[0], major, `React ${major} is bundled`);
      assert.equal(await page.evaluate(() => window.__effects), 2, "StrictMode ran the mount effect twice (development build)");
      assert.equal(await page.evaluate(() => window.__ws), 1, "one WebSocket made");
      assert.equal(await connections(), 1, "the server sees one connection");
      assert.deepEqual(wasm, [{ status: 200, type: "application/wasm" }], "Vite emitted the wasm; it is served once");
      const states = await page.evaluate(() => window.__states);
      assert.equal(states[0], "connecting");
      assert.equal(states.at(-1), "open");
      assert.ok(!states.includes("closed"), `no closed state on the way: ${states}`);

      await page.click("#send");
      await waitForText(page, "#last", JSON.stringify({ type: "echo", data: { text: "hi from react" } }));
      await page.click("#add");
      await waitForText(page, "#sum", "42");

      // Unmount: the hook frees the socket; the server sees the connection go.
      await page.click("#toggle");
      await page.waitForSelector("#unmounted");
      await waitFor(async () => (await connections()) === 0, 5000, { message: "the server sees the connection close" });

      // Mount again (StrictMode double effects again): one more WebSocket, open again.
      await page.click("#toggle");
      await waitForText(page, "#state", "open");
      assert.equal(await page.evaluate(() => window.__ws), 2, "one more WebSocket after remounting");
      assert.equal(await connections(), 1);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
}
