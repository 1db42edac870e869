// End-to-end smoke test, as a JS user sees it:
// - www/smoke.html loads the built package from /pkg/ (init() resolves) and a WebSocket to
//   /ws opens and echoes a protocol envelope; no console errors; screenshot
// - the demo index page (/) is served and loads without errors; screenshot

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage, screenshot, waitForText } from "./helpers.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test("smoke page: package initialises and the socket opens and echoes", { timeout: 60_000 }, async () => {
  const { context, page, errors, response } = await openPage(browser, "/smoke.html");
  try {
    assert.equal(response.status(), 200);
    // init() settles either way; an error shows up at once instead of as a timeout.
    await page.waitForFunction(() => document.querySelector("#wasm")?.textContent !== "loading");
    assert.equal(await page.locator("#wasm").textContent(), "ready");
    await waitForText(page, "#status", "open");
    await page.waitForFunction(() => document.querySelector("#echo")?.textContent !== "");
    const echo = JSON.parse(await page.locator("#echo").textContent());
    assert.deepEqual(echo, { type: "echo", data: { hello: "smoke" } });
    await screenshot(page, "smoke");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("index page loads without errors", { timeout: 60_000 }, async () => {
  const { context, page, errors, response } = await openPage(browser, "/");
  try {
    assert.equal(response.status(), 200);
    assert.match(response.headers()["content-type"] ?? "", /text\/html/);
    await screenshot(page, "index");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
