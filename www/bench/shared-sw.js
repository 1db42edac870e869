// SharedWorker for tests/bench/shared-compare.mjs (K1): the channel a SharedWorker design would
// use between a tab and the worker. Every tab that connects gets a MessagePort:
// - a string: echoed back as it is (the raw tab ↔ worker round trip);
// - {ws: url}: the worker opens a WebSocket to `url` (a plain echo, /ws/raw) for this port and
//   answers {open: true}; then every string the tab posts goes out on it and every frame that
//   comes back is posted to the tab (tab → worker → server → worker → tab: where a
//   SharedWorker-held connection puts its hop); {close: true} closes it.
onconnect = (e) => {
  const port = e.ports[0];
  let ws = null;
  port.onmessage = (m) => {
    const d = m.data;
    if (typeof d === "string") {
      if (ws) ws.send(d);
      else port.postMessage(d);
    } else if (d && d.ws) {
      ws = new WebSocket(d.ws);
      ws.onopen = () => port.postMessage({ open: true });
      ws.onmessage = (f) => port.postMessage(f.data);
      ws.onerror = () => port.postMessage({ error: "websocket error" });
    } else if (d && d.close) {
      ws?.close();
      ws = null;
      port.postMessage({ closed: true });
    }
  };
  port.start();
};
