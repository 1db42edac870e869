// The app every bundler check builds (www/bundlers/build.mjs): init, connect to the reference
// server's /ws (the page's own origin; `?tag=` passed on), send an echo, make a request, show
// the results. Each main-*.js gives it `init` and `SteadySocket` the way its recipe imports them.
export async function run(init, SteadySocket, from) {
  const $ = (id) => document.getElementById(id);
  try {
    await init();
    const tag = new URLSearchParams(location.search).get("tag");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const s = new SteadySocket(`${scheme}://${location.host}/ws${tag ? `?tag=${encodeURIComponent(tag)}` : ""}`);
    s.on("state", ({ to }) => ($("state").textContent = to));
    s.onMessage("echo", (data) => ($("echo").textContent = JSON.stringify(data)));
    s.send("echo", { from });
    $("sum").textContent = String(await s.request("add", { a: 2, b: 3 }));
  } catch (e) {
    $("state").textContent = `failed: ${e}`;
    throw e;
  }
}
