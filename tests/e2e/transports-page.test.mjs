// www/transports.html (the transports comparison page), driven as a user would: small counts in
// the query string, the Run button, then every contender (steadysocket over WebSocket, SSE and
// long polling, and the page's own naive poller) must have completed with every echo back once,
// finite latencies and throughput, and the chart and table must show them. The full measurement
// is tests/bench/transports.mjs (BENCHMARKS.md); this only proves the page works.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage, screenshot } from "./helpers.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test("transports page: all four contenders complete with sane numbers", { timeout: 30_000 }, async () => {
  const M = 20, N = 100;
  const { context, page, errors } = await openPage(browser, `/transports.html?m=${M}&rate=50&n=${N}&interval=50&rounds=1`);
  try {
    await page.waitForFunction(() => window.transports?.ready === true, null, { timeout: 15_000 });
    assert.equal(await page.inputValue("#m"), String(M), "the query string fills the form");
    await page.click("#run");
    await page.waitForFunction(() => /^done/.test(document.getElementById("status").textContent), null, { timeout: 25_000 });
    assert.equal(await page.textContent("#status"), "done");

    const { runs } = await page.evaluate(() => window.transports.last);
    assert.deepEqual(runs.map((r) => r.contender).sort(), ["long-polling", "polling", "sse", "websocket"]);
    for (const r of runs) {
      const what = `${r.contender}: ${JSON.stringify({ ...r, rtts: undefined })}`;
      assert.equal(r.ok, true, what);
      assert.equal(r.latencyReceived, M, what);
      assert.equal(r.throughputReceived, N, what);
      assert.equal(r.latencyDupes + r.throughputDupes, 0, what);
      for (const k of ["p50", "p99", "mean", "msgsPerS", "openMs"]) assert.ok(Number.isFinite(r[k]) && r[k] > 0, `${k} of ${what}`);
      assert.ok(r.p50 <= r.p99, what);
      assert.deepEqual(r.errors, [], what);
      if (r.contender === "polling") {
        assert.ok(r.polls >= 2 && r.posts >= 1, what);
      } else {
        assert.equal(r.transport, r.contender, what);
        assert.equal(r.unexpectedCloses, 0, what);
        assert.equal(r.notSent, 0, what);
      }
    }

    // the table: one row per contender with its live numbers
    const rows = await page.$$eval("#table tbody tr", (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    assert.equal(rows.length, 4);
    for (const row of rows) for (const i of [1, 2, 3]) assert.match(row[i], /^[\d,.]+$/, `table row ${row.join(" | ")}`);
    // the chart: latency and throughput bars for all four
    const bars = await page.$$eval("#charts .chart", (cs) => cs.slice(0, 3).map((c) => c.querySelectorAll("svg rect:not(.track)").length));
    assert.deepEqual(bars, [4, 4, 4]);
    await screenshot(page, "transports");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
