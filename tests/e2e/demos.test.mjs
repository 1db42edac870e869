// The demos under www/, driven as a user would, in headless Chromium:
// - chat (index.html): two pages chat live; a message typed while the server drops and
//   refuses the sender's socket shows "queued", then "sent", then "delivered", and appears
//   exactly once on both pages after the reconnect (history + live echo are de-duplicated)
// - connection lab (lab.html): every fault button (drop, refuse, half-open, garbage,
//   close 1008 + reconnect) and browser toggle (offline/online, hidden/visible) shows the
//   right state sequence in the event log and recovers; queue gauge, RTT chart, timeline,
//   options re-create the socket; layout fits 375 px
// - the Vite bundler check (www/vite/dist, built by scripts/test.sh's "vite" step) connects
// Screenshots go to build/screenshots/ (chat, chat-b, lab, lab-375).
// No fixed sleeps: every wait is on a DOM condition with a timeout.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { control, launchBrowser, openPage, screenshot, waitForText } from "./helpers.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const rand = () => Math.random().toString(36).slice(2, 10);
// Chromium logs failed WebSocket handshakes (e.g. HTTP 503 while refusing) as console errors:
// expected during faults, so not counted as page errors.
const unexpected = (errors) => errors.filter((e) => !/WebSocket connection to .* failed/.test(e));

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

// ---- chat -----------------------------------------------------------------------------------

// Text of every message bubble with `text` on `page`.
const bubbles = (page, text) =>
  page.$$eval("#messages li.msg .text", (els, t) => els.filter((e) => e.textContent === t).length, text);
const waitBubble = (page, text, timeout = 5000) =>
  page.waitForFunction(
    (t) => [...document.querySelectorAll("#messages li.msg .text")].some((e) => e.textContent === t),
    text,
    { timeout },
  );

test("chat: two pages chat live; a message typed during a drop is queued, sent and delivered exactly once", { timeout: 30_000 }, async () => {
  const room = `e2e-${rand()}`;
  const tagA = `chat-a-${rand()}`;
  const tagB = `chat-b-${rand()}`;
  const fast = "minDelay=50&maxDelay=200&hb=1000&hbTimeout=1000";
  const a = await openPage(browser, `/?tag=${tagA}&name=alice&room=${room}&${fast}`);
  const b = await openPage(browser, `/?tag=${tagB}&name=bob&room=${room}&${fast}`);
  try {
    await waitForText(a.page, "#state", "open");
    await waitForText(b.page, "#state", "open");
    // bob sees alice join (presence), then they talk
    await a.page.fill("#text", "hi bob!");
    await a.page.press("#text", "Enter");
    await waitBubble(b.page, "hi bob!");
    await a.page.waitForSelector('#messages li.msg.mine[data-status="delivered"]');
    await b.page.fill("#text", "hey alice, how is the connection?");
    await b.page.click("#composer button[type=submit]");
    await waitBubble(a.page, "hey alice, how is the connection?");

    // The server drops alice's socket and refuses her for a moment ("restart").
    await control("refuse", { ms: 700, drop: 1, tag: tagA });
    await a.page.waitForFunction(() => document.querySelector("#state").textContent !== "open", null, { timeout: 5000 });
    const offlineText = "typed while the server was down";
    await a.page.fill("#text", offlineText);
    await a.page.press("#text", "Enter");
    const queued = a.page.locator(`#messages li.msg.mine:has(.text:text-is("${offlineText}"))`);
    assert.equal(await queued.getAttribute("data-status"), "queued");
    assert.match(await a.page.locator("#queued").textContent(), /1 queued/);
    await screenshot(a.page, "chat-queued");

    // After the reconnect: queued → sent → delivered, on both pages exactly once.
    await a.page.waitForFunction(
      (t) => [...document.querySelectorAll("#messages li.msg.mine")].some(
        (li) => li.querySelector(".text").textContent === t && li.dataset.status === "delivered"),
      offlineText,
      { timeout: 10_000 },
    );
    assert.equal(await queued.getAttribute("data-history"), "queued sent delivered");
    await waitBubble(b.page, offlineText);
    // A later message proves both pages processed everything before it (history included).
    await b.page.fill("#text", "welcome back");
    await b.page.press("#text", "Enter");
    await waitBubble(a.page, "welcome back");
    await waitBubble(b.page, "welcome back");
    for (const p of [a.page, b.page]) {
      assert.equal(await bubbles(p, offlineText), 1);
      assert.equal(await bubbles(p, "hi bob!"), 1);
      assert.equal(await bubbles(p, "hey alice, how is the connection?"), 1);
    }
    await waitForText(a.page, "#state", "open");
    await screenshot(a.page, "chat");
    await screenshot(b.page, "chat-b");
    assert.deepEqual(unexpected(a.errors), []);
    assert.deepEqual(unexpected(b.errors), []);
  } finally {
    await a.context.close();
    await b.context.close();
  }
});

// ---- connection lab -------------------------------------------------------------------------

describe("lab", () => {
  let lab;
  before(async () => {
    lab = await openPage(browser, "/lab.html?min=50&max=300&hb=500&hbt=500&refuseMs=800");
    try {
      await waitForText(lab.page, "#state", "open");
    } catch (e) {
      const log = await lab.page.locator("#log").innerText().catch(() => "?");
      throw new Error(`${e.message}\npage errors: ${JSON.stringify(lab.errors)}\nlog:\n${log}`);
    }
  });
  after(async () => {
    await lab?.context.close();
  });

  // Log entries (oldest first) newer than entry number `since`.
  const entries = (since) =>
    lab.page.$$eval(
      "#log li",
      (lis, since) =>
        lis
          .filter((li) => Number(li.dataset.n) > since)
          .reverse()
          .map((li) => ({ ...li.dataset, text: li.querySelector(".d").textContent })),
      since,
    );
  const lastN = () => lab.page.$eval("#log li", (li) => Number(li.dataset.n));
  const states = async (since) => (await entries(since)).filter((e) => e.kind === "state").map((e) => e.to);
  // Presses `button` and waits until the states logged since then end with `until`.
  async function press(button, until, timeout = 8000) {
    const since = await lastN();
    await lab.page.click(button);
    await lab.page.waitForFunction(
      ([since, until]) => {
        const got = [...document.querySelectorAll('#log li[data-kind="state"]')]
          .filter((li) => Number(li.dataset.n) > since)
          .reverse()
          .map((li) => li.dataset.to);
        return got.length >= until.length && got.slice(-until.length).join() === until.join();
      },
      [since, until],
      { timeout },
    );
    return since;
  }

  test("drop: open → reconnecting → connecting → open", { timeout: 15_000 }, async () => {
    const since = await press("#f-drop", ["reconnecting", "connecting", "open"]);
    assert.deepEqual(await states(since), ["reconnecting", "connecting", "open"]);
    const close = (await entries(since)).find((e) => e.kind === "close");
    assert.equal(close.code, "1006");
    await waitForText(lab.page, "#reconnects", "1");
  });

  test("refuse: failed attempts while refused, then open", { timeout: 15_000 }, async () => {
    const since = await press("#f-refuse", ["connecting", "open"]);
    const got = await states(since);
    assert.equal(got[0], "reconnecting");
    assert.ok(got.filter((s) => s === "connecting").length >= 2, `several attempts: ${got}`);
    const errs = (await entries(since)).filter((e) => e.kind === "error").map((e) => e.errorKind);
    assert.ok(errs.includes("connect"), `connect errors: ${errs}`);
  });

  test("half-open: the heartbeat notices within interval + timeout and reconnects", { timeout: 15_000 }, async () => {
    const since = await press("#f-halfopen", ["reconnecting", "connecting", "open"]);
    assert.deepEqual(await states(since), ["reconnecting", "connecting", "open"]);
    const close = (await entries(since)).find((e) => e.kind === "close");
    assert.ok(close, "a close event is logged");
    assert.match(close.text, /heartbeat timeout/);
  });

  test("garbage: malformed frames are logged, the socket stays open", { timeout: 15_000 }, async () => {
    const since = await lastN();
    await lab.page.click("#f-garbage");
    await lab.page.waitForSelector('#log li[data-kind="message"][data-type="garbage-done"]', { timeout: 5000 });
    const got = await entries(since);
    assert.deepEqual(got.filter((e) => e.kind === "state"), []);
    assert.ok(got.filter((e) => e.kind === "raw").length >= 3, "raw frames logged");
    assert.ok(got.some((e) => e.kind === "error" && e.errorKind === "protocol"), "protocol error logged");
    assert.equal(await lab.page.locator("#state").textContent(), "open");
  });

  test("close 1008: closed for good, then the Reconnect button brings it back", { timeout: 15_000 }, async () => {
    const since = await press("#f-close", ["closed"]);
    const close = (await entries(since)).find((e) => e.kind === "close");
    assert.equal(close.code, "1008");
    assert.match(close.text, /will reconnect: false/);
    assert.match(await lab.page.getAttribute("#b-reconnect", "class"), /attention/);
    await press("#b-reconnect", ["connecting", "open"]);
    assert.doesNotMatch((await lab.page.getAttribute("#b-reconnect", "class")) ?? "", /attention/);
  });

  test("offline: attempts pause and sends queue (gauge); online reconnects and flushes", { timeout: 15_000 }, async () => {
    await lab.page.click("#b-offline");
    assert.equal(await lab.page.getAttribute("#b-offline", "aria-pressed"), "true");
    const since = await press("#f-drop", ["reconnecting"]);
    await lab.page.waitForFunction(() => [...document.querySelectorAll('#log li[data-kind="reconnecting"]')]
      .some((li) => li.textContent.includes("waiting for the network")));
    await lab.page.click("#b-send");
    await waitForText(lab.page, "#q-count-text", "5 / 100");
    assert.equal(await lab.page.$eval("#q-count", (m) => m.value), 5);
    assert.deepEqual(await states(since), ["reconnecting"], "no attempt while offline");
    await press("#b-offline", ["connecting", "open"]);
    await waitForText(lab.page, "#q-count-text", "0 / 100");
  });

  test("hidden/visible: the socket stays open", { timeout: 15_000 }, async () => {
    const since = await lastN();
    await lab.page.click("#b-hidden");
    await lab.page.waitForFunction(() => document.visibilityState === "hidden");
    await lab.page.click("#b-hidden");
    await lab.page.waitForFunction(() => document.visibilityState === "visible");
    assert.deepEqual(await states(since), []);
    assert.equal(await lab.page.locator("#state").textContent(), "open");
  });

  test("options re-create the socket; RTT chart and timeline are drawn", { timeout: 15_000 }, async () => {
    const since = await lastN();
    await lab.page.fill('input[data-for="o-hb"]', "750");
    await lab.page.click("#apply");
    await lab.page.waitForFunction(
      (since) => [...document.querySelectorAll('#log li[data-kind="state"]')].some((li) => Number(li.dataset.n) > since && li.dataset.to === "open"),
      since,
    );
    const created = (await entries(since)).find((e) => e.kind === "socket");
    assert.match(created.text, /"intervalMs":750/);
    await lab.page.waitForFunction(() => Number(document.querySelector("#rtt-lines").dataset.points) >= 3, null, { timeout: 5000 });
    assert.ok((await lab.page.$$("#rtt-lines polyline")).length >= 1);
    const timeline = await lab.page.$eval("#timeline", (t) => t.dataset.states.split(" "));
    for (const s of ["connecting", "open", "reconnecting", "closed"]) assert.ok(timeline.includes(s), `timeline has ${s}`);
    assert.ok((await lab.page.$$("#timeline .band")).length > 5);
    assert.ok((await lab.page.$$("#timeline .mark")).length >= 5);
    await screenshot(lab.page, "lab");
  });

  test("fits a 375 px wide screen", { timeout: 15_000 }, async () => {
    await lab.page.setViewportSize({ width: 375, height: 800 });
    const overflow = await lab.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px`);
    await screenshot(lab.page, "lab-375");
    assert.deepEqual(unexpected(lab.errors), []);
  });
});

// ---- Vite bundler check ---------------------------------------------------------------------

const viteDist = path.join(repoRoot, "www/vite/dist/index.html");
test("vite: the bundled app (www/vite/dist) loads the wasm and connects", {
  timeout: 20_000,
  skip: existsSync(viteDist) ? false : "www/vite/dist not built (scripts/test.sh's vite step builds it)",
}, async () => {
  const { context, page, errors } = await openPage(browser, `/vite/dist/index.html?tag=vite-${rand()}`);
  try {
    await waitForText(page, "#state", "open");
    await page.waitForFunction(() => document.querySelector("#echo").textContent.includes("vite"));
    assert.deepEqual(JSON.parse(await page.locator("#echo").textContent()), { from: "vite" });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
