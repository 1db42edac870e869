// A React app on `steadysocket/react`, rendered in StrictMode and built by Vite in development
// mode (www/bundlers/build.mjs), so that React runs every effect twice (mount → unmount →
// mount): the hook must end with one live connection. Driven by tests/e2e/bundlers.test.mjs.
// The same file is built against React 19 (app react) and React 18 (app react18, from a copy
// under www/bundlers/react18/app/). No JSX (no compiler plugin needed): createElement as h.
import { StrictMode, createElement as h, useEffect, useState, version } from "react";
import { createRoot } from "react-dom/client";
import { useSteadySocket } from "steadysocket/react";

const tag = new URLSearchParams(location.search).get("tag") ?? "react";
const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?tag=${encodeURIComponent(tag)}`;
// For the test: how often the component's mount effect ran (2 in StrictMode development
// builds), every state the hook reported, in order, and the React version bundled.
window.__react = version;
window.__effects = 0;
window.__states = [];

function Live() {
  const { state, lastMessage, send, request } = useSteadySocket(url, { reconnect: { minDelayMs: 50 } }, { track: ["echo"] });
  const [sum, setSum] = useState("");
  useEffect(() => {
    window.__effects++;
  }, []);
  useEffect(() => {
    window.__states.push(state);
  }, [state]);
  return h(
    "section",
    null,
    h("p", null, "state: ", h("output", { id: "state" }, state)),
    h("p", null, "last message: ", h("output", { id: "last" }, lastMessage ? JSON.stringify(lastMessage) : "")),
    h("button", { id: "send", onClick: () => send("echo", { text: "hi from react" }) }, "send"),
    h("button", { id: "add", onClick: () => request("add", { a: 20, b: 22 }).then((r) => setSum(String(r))) }, "request"),
    h("p", null, "20 + 22 = ", h("output", { id: "sum" }, sum)),
  );
}

function App() {
  const [mounted, setMounted] = useState(true);
  return h(
    "main",
    null,
    h("button", { id: "toggle", onClick: () => setMounted((m) => !m) }, mounted ? "unmount" : "mount"),
    mounted ? h(Live) : h("p", { id: "unmounted" }, "unmounted"),
  );
}

createRoot(document.getElementById("root")).render(h(StrictMode, null, h(App)));
