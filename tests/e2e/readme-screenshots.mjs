// Regenerates the README's demo screenshots in www/screenshots/ (chat.png, lab.png,
// lab-375.png) by staging a short scene in each demo. Not a test (make test does not run it);
// takes about 40 s. With a reference server running (see README, "Running one test"):
//   STEADYSOCKET_SERVER=http://127.0.0.1:8080 node tests/e2e/readme-screenshots.mjs

import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { control, launchBrowser, openPage, waitForText } from "./helpers.mjs";

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../www/screenshots");
await mkdir(out, { recursive: true });
const rand = () => Math.random().toString(36).slice(2, 8);
const bubble = (page, text) =>
  page.waitForFunction(
    (t) => [...document.querySelectorAll("#messages li.msg .text")].some((e) => e.textContent === t),
    text,
  );
// A pause that waits on the page's own clock (scene pacing, not synchronisation).
const pause = (page, ms) => page.waitForFunction((until) => Date.now() > until, Date.now() + ms, { polling: 100 });

const browser = await launchBrowser();
try {
  // ---- chat: a conversation, then alice's server connection drops and she keeps typing ---
  const room = `demo-${rand()}`;
  const tagA = `shot-a-${rand()}`;
  const a = await openPage(browser, `/?tag=${tagA}&name=alice&room=${room}&hb=1000&hbTimeout=1000`, { viewport: { width: 900, height: 640 } });
  const b = await openPage(browser, `/?name=bob&room=${room}&hb=1000&hbTimeout=1000`, { viewport: { width: 900, height: 640 } });
  await waitForText(a.page, "#state", "open");
  await waitForText(b.page, "#state", "open");
  const lines = [
    [a, "Morning! Boarding the train now."],
    [b, "Nice. Send me the slides when you can?"],
    [a, "Uploading them now."],
  ];
  for (const [who, text] of lines) {
    await who.page.fill("#text", text);
    await who.page.press("#text", "Enter");
    await bubble(a.page, text);
    await bubble(b.page, text);
  }
  await pause(a.page, 1500); // let the RTT show
  await control("refuse", { ms: 20_000, drop: 1, tag: tagA });
  await a.page.waitForFunction(() => document.querySelector("#state").textContent === "reconnecting");
  for (const text of ["Tunnel… this one will wait in the queue", "…and so will this one"]) {
    await a.page.fill("#text", text);
    await a.page.press("#text", "Enter");
  }
  await a.page.screenshot({ path: path.join(out, "chat.png") });
  await control("refuse", { ms: 0, tag: tagA });
  await a.context.close();
  await b.context.close();

  // ---- lab: a minute of faults ---------------------------------------------------------
  const lab = await openPage(browser, "/lab.html?hb=1000&hbt=1000&min=250&max=2000&refuseMs=3000", { viewport: { width: 1100, height: 900 } });
  await waitForText(lab.page, "#state", "open");
  const waitState = (s) => waitForText(lab.page, "#state", s, 15_000);
  await pause(lab.page, 4000);
  await lab.page.click("#f-delay"); // RTT goes up by 300 ms
  await pause(lab.page, 5000);
  await lab.page.click("#f-delay");
  await pause(lab.page, 3000);
  await lab.page.click("#f-drop");
  await waitState("open");
  await pause(lab.page, 3000);
  await lab.page.click("#f-refuse");
  await lab.page.click("#b-send");
  await waitState("open");
  await pause(lab.page, 3000);
  await lab.page.click("#f-halfopen");
  await waitState("reconnecting");
  await waitState("open");
  await pause(lab.page, 2000);
  await lab.page.click("#f-garbage");
  await pause(lab.page, 2000);
  await lab.page.click("#f-close");
  await waitState("closed");
  await pause(lab.page, 1500);
  await lab.page.click("#b-reconnect");
  await waitState("open");
  await pause(lab.page, 3000);
  await lab.page.screenshot({ path: path.join(out, "lab.png") });
  await lab.page.setViewportSize({ width: 375, height: 812 });
  await lab.page.screenshot({ path: path.join(out, "lab-375.png") });
  await lab.context.close();
  console.log(`screenshots written to ${out}`);
} finally {
  await browser.close();
}
