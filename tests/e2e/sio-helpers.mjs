// Shared setup of the Socket.IO e2e files (socketio.test.mjs, socketio-polling.test.mjs): finds
// the built steadysocket/socketio entry through pkg/package.json, opens www/harness.html in
// headless Chromium and loads it there with `window.io`, `window.SIO` (the socket.io server's
// URL) and `window.until(cond, ms, what)` (polls `cond` every 10 ms; rejects after `ms`).

import { launchBrowser, serverUrl } from "./helpers.mjs";

/** The socket.io test server's URL (SIO_TEST_SERVER, no trailing slash; "" if unset). */
export const SIO = (process.env.SIO_TEST_SERVER || "").replace(/\/+$/, "");

/**
 * `{ skip }` (why the tests cannot run) or `{ browser, page }` with the entry loaded;
 * uncaught page errors are pushed to `pageErrors`.
 */
export async function openSioPage(pageErrors) {
  if (!SIO) return { skip: "SIO_TEST_SERVER is not set (scripts/test.sh starts tests/e2e/sio-test-server.mjs)" };
  let entry = null;
  try {
    const res = await fetch(`${serverUrl()}/pkg/package.json`);
    const rel = res.ok ? (await res.json()).exports?.["./socketio"]?.import : null;
    if (rel) entry = new URL(rel, `${serverUrl()}/pkg/`).pathname;
  } catch {
    /* no package */
  }
  if (!entry) return { skip: "pkg/ has no steadysocket/socketio entry (scripts/entries.txt; scripts/build-pkg.sh)" };
  const browser = await launchBrowser();
  const page = await browser.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(`${serverUrl()}/harness.html`);
  await page.evaluate(
    async ({ entry, sio }) => {
      const mod = await import(entry);
      await mod.default();
      window.io = mod.io;
      window.SIO = sio;
      window.until = (cond, ms = 8000, what = "condition") =>
        new Promise((res, rej) => {
          const t0 = performance.now();
          const tick = () => {
            let v;
            try { v = cond(); } catch (e) { return rej(e); }
            if (v) return res(v);
            if (performance.now() - t0 > ms) return rej(new Error(`timed out waiting for ${what}`));
            setTimeout(tick, 10);
          };
          tick();
        });
    },
    { entry, sio: SIO },
  );
  return { browser, page };
}
