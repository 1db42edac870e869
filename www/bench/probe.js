// Receive-side CPU probe. Replaces the global WebSocket with a subclass BEFORE any contender
// loads (socket.io captures `globalThis.WebSocket` at module load). A socket constructed
// while `probe.armed` is true gets its `message` handlers (onmessage and
// addEventListener("message")) wrapped: each call is timed with performance.now() and summed
// in probe.recvMs / probe.calls. Sockets constructed while unarmed are untouched (zero
// per-message overhead), so the throughput runs do not pay for the probe.
const Native = globalThis.WebSocket;
export const probe = { armed: false, recvMs: 0, calls: 0, reset() { this.recvMs = 0; this.calls = 0; } };
globalThis.benchProbe = probe;

const wrapped = new WeakMap();
function wrap(h) {
  if (typeof h !== "function") return h;
  let w = wrapped.get(h);
  if (!w) {
    w = function (ev) {
      const t = performance.now();
      try {
        return h.call(this, ev);
      } finally {
        probe.recvMs += performance.now() - t;
        probe.calls++;
      }
    };
    wrapped.set(h, w);
  }
  return w;
}

class ProbedWebSocket extends Native {
  constructor(...args) {
    super(...args);
    this.__probed = probe.armed;
  }
  get onmessage() { return super.onmessage; }
  set onmessage(h) { super.onmessage = this.__probed ? wrap(h) : h; }
  addEventListener(type, h, opts) {
    return super.addEventListener(type, this.__probed && type === "message" ? wrap(h) : h, opts);
  }
  removeEventListener(type, h, opts) {
    return super.removeEventListener(type, (this.__probed && type === "message" && wrapped.get(h)) || h, opts);
  }
}
globalThis.WebSocket = ProbedWebSocket;
