// The ticker demo (www/ticker.html: steadysocket/stomp's StompClient through RabbitMQ), driven
// in headless Chromium against the reference server (STEADYSOCKET_SERVER serves www/ and pkg/)
// and a RabbitMQ Web-STOMP broker (scripts/rabbitmq.sh start; RABBITMQ_WS_URL, default
// ws://127.0.0.1:15674/ws):
// - a publishing page and a watch-only page both see ticks for several symbols through the
//   /topic/ticker.<feed>.* wildcard subscription (the feed word isolates this run);
// - "Drop connection" (c.reconnect()) on the publisher: its state leaves `open` and comes back,
//   the reconnect is counted, and ticks keep arriving on BOTH pages afterwards (the client
//   re-subscribed by itself; the watcher sees the publisher's post-reconnect ticks);
// - the same on the watcher (its subscription survives its own reconnect).
// Skips (with the reason) when the broker is not reachable, or when the stomp entry is not part
// of the build yet (scripts/entries.txt has no `stomp` line). No fixed sleeps.
// Screenshot: build/screenshots/ticker.png.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { launchBrowser, openPage, screenshot, serverUrl, waitForText } from "./helpers.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BROKER = process.env.RABBITMQ_WS_URL || `ws://127.0.0.1:${process.env.RMQ_WS_PORT || 15674}/ws`;
const rand = () => Math.random().toString(36).slice(2, 10);
const unexpected = (errors) => errors.filter((e) => !/WebSocket connection to .* failed/.test(e));

/** Resolves true when a TCP connection to the broker's Web-STOMP port opens within 2 s. */
function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const sock = net.connect({ host: hostname, port: Number(port) || 80 });
    const done = (ok) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(2000, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}
// The entry is part of the build once scripts/entries.txt lists it (then a missing pkg/stomp/
// fails the test); before that, the test runs only if a pkg/stomp/ happens to be served.
const stompListed = readFileSync(path.join(repoRoot, "scripts/entries.txt"), "utf8")
  .split("\n").some((l) => l.trim().split(/\s+/)[0] === "stomp");
const stompServed = async () => {
  try {
    return (await fetch(`${serverUrl()}/pkg/stomp/stomp.js`, { method: "HEAD" })).ok;
  } catch {
    return false;
  }
};
const skip = !stompListed && !(await stompServed())
  ? "the steadysocket/stomp entry is not in scripts/entries.txt yet (no pkg/stomp/ to test)"
  : !(await reachable(BROKER))
    ? `RabbitMQ Web-STOMP is not reachable at ${BROKER} (scripts/rabbitmq.sh start, or set RABBITMQ_WS_URL)`
    : false;

let browser;
before(async () => {
  if (!skip) browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const num = (page, id) => page.$eval(`#${id}`, (e) => Number(e.textContent));
/** Waits until `#id` on `page` shows a number >= `min`. */
const atLeast = (page, id, min, timeout = 10_000) =>
  page.waitForFunction(([id, min]) => Number(document.getElementById(id).textContent) >= min, [id, min], { timeout })
    .catch(async (e) => { throw new Error(`#${id} stayed below ${min} (at ${await num(page, id)}): ${e.message}`); });
/** Number of symbols whose row has received at least one tick. */
const pricedSymbols = (page) => page.$$eval("#prices tr[data-price]", (trs) => trs.length);
/** Log entries of `kind` (newest first). */
const logged = (page, kind) => page.$$eval(`#log li[data-kind="${kind}"]`, (lis) => lis.map((li) => ({ ...li.dataset })));

/** Presses "Drop connection" on `page`; waits for state to leave open and come back. */
async function dropAndRecover(page) {
  const before = { reconnects: await num(page, "reconnects"), received: await num(page, "received") };
  const n0 = await page.$eval("#log li", (li) => Number(li.dataset.n)).catch(() => 0);
  await page.click("#drop");
  // the state log after the click must leave `open` and end in `open`
  await page.waitForFunction((n0) => {
    const to = [...document.querySelectorAll('#log li[data-kind="state"]')]
      .filter((li) => Number(li.dataset.n) > n0).reverse().map((li) => li.dataset.to);
    return to.length >= 2 && to.some((s) => s !== "open") && to[to.length - 1] === "open";
  }, n0, { timeout: 10_000 });
  await waitForText(page, "#state", "open");
  await atLeast(page, "reconnects", before.reconnects + 1);
  return before;
}

test("ticker: ticks flow through RabbitMQ to a publisher and a watcher, and survive forced reconnects", {
  timeout: 60_000,
  skip,
}, async () => {
  const feed = `e2e${rand()}`;
  const q = `broker=${encodeURIComponent(BROKER)}&feed=${feed}&interval=50&minDelay=50&maxDelay=500`;
  const pub = await openPage(browser, `/ticker.html?${q}`);
  const watch = await openPage(browser, `/ticker.html?${q}&publish=0`);
  try {
    for (const p of [pub, watch]) {
      try {
        await waitForText(p.page, "#state", "open", 15_000);
      } catch (e) {
        const log = await p.page.locator("#log").innerText().catch(() => "?");
        throw new Error(`${e.message}\npage errors: ${JSON.stringify(p.errors)}\nlog:\n${log}`);
      }
    }
    assert.equal(await pub.page.locator("#sub-dest").textContent(), `/topic/ticker.${feed}.*`);

    // Ticks arrive on both pages, for several symbols (one wildcard subscription).
    await atLeast(pub.page, "published", 20);
    await atLeast(pub.page, "received", 20);
    await atLeast(watch.page, "received", 20);
    await pub.page.waitForFunction(() => document.querySelectorAll("#prices tr[data-price]").length >= 3);
    assert.ok((await pricedSymbols(watch.page)) >= 3, "the watcher sees several symbols");
    assert.equal(await num(watch.page, "published"), 0, "the watcher publishes nothing");
    await pub.page.waitForFunction(() => document.getElementById("tick-rtt").textContent.endsWith("ms"));

    // Forced reconnect of the publisher: ticks keep flowing on both pages afterwards.
    const b1 = await dropAndRecover(pub.page);
    assert.equal(await num(pub.page, "reconnects"), b1.reconnects + 1);
    const closes = await logged(pub.page, "close");
    assert.ok(closes.length >= 1, "a close is logged");
    const opens = await logged(pub.page, "open");
    assert.equal(opens[0].reconnected, "true");
    await atLeast(pub.page, "since", 10); // received since the reconnect: re-subscribed
    const w1 = await num(watch.page, "received");
    await atLeast(watch.page, "received", w1 + 10);

    // Forced reconnect of the watcher: its own subscription comes back too.
    const b2 = await dropAndRecover(watch.page);
    await atLeast(watch.page, "since", 10);
    assert.ok((await num(watch.page, "received")) >= b2.received + 10);

    // Nothing left waiting, nothing reported lost, no page errors.
    await waitForText(pub.page, "#queue", "0");
    assert.deepEqual(await logged(pub.page, "error"), []);
    assert.deepEqual(await logged(watch.page, "error"), []);
    await screenshot(pub.page, "ticker");
    assert.deepEqual(unexpected(pub.errors), []);
    assert.deepEqual(unexpected(watch.errors), []);
  } finally {
    await pub.context.close();
    await watch.context.close();
  }
});
