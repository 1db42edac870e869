// steadysocket/react: `useSteadySocket`, a React hook over one SteadySocket.
// Copied as is into pkg/react.js by scripts/build-pkg.sh (exported as `steadysocket/react`).
// It imports `react` (an optional peer dependency of the package: never bundled here) and the
// package's main entry, whose `init` it calls once (a no-op once the wasm is instantiated, and
// shared with a call already under way).
//
// Lifecycle: the socket is made in an effect and freed in its cleanup, so React StrictMode's
// mount → unmount → mount ends with one socket; the freed one never opened a connection (a
// socket starts in a microtask, after the synchronous StrictMode re-run has freed it). A new
// socket is made when `url` changes (a string compared by value; a function by identity), not
// when `options` do: they are read when the socket is made.
import { useCallback, useEffect, useRef, useState } from "react";
import init, { SteadySocket } from "./steadysocket.js";

const P = "steadysocket/react: ";
const notReady = () =>
  Object.assign(new Error(P + "no socket yet (the wasm is loading, url is null, or the component unmounted)"), {
    kind: "closed",
  });

/**
 * `useSteadySocket(url, options?, { track? }?)` → `{ socket, state, lastMessage, send, request, error }`.
 * - `url`: as for `new SteadySocket` (a string or a provider function); `null`/`undefined`: no socket.
 * - `options`: the SteadySocket options, read when the socket is made.
 * - `track`: message types that update `lastMessage` (default: every message).
 */
export function useSteadySocket(url, options, hookOptions) {
  const [socket, setSocket] = useState(null);
  const [state, setState] = useState(url == null ? "closed" : "connecting");
  const [lastMessage, setLastMessage] = useState(null);
  const [error, setError] = useState(null);
  // The latest options and track list, read in the effect (not dependencies: no re-creation).
  const latest = useRef({ options, hookOptions });
  latest.current = { options, hookOptions };

  useEffect(() => {
    if (url == null) {
      setState("closed");
      return undefined;
    }
    let live = true;
    let s = null;
    const start = () => {
      if (!live) return;
      const { options, hookOptions } = latest.current;
      const track = hookOptions?.track;
      try {
        s = options === undefined ? new SteadySocket(url) : new SteadySocket(url, options);
      } catch (e) {
        setError(e);
        setState("closed");
        return;
      }
      s.on("state", ({ to }) => live && setState(to));
      s.on("message", (m) => {
        if (live && (!track || track.includes(m.type))) setLastMessage({ type: m.type, data: m.data });
      });
      setError(null);
      setState(s.state);
      setSocket(s);
    };
    // init() resolves at once when the wasm is already instantiated.
    init().then(start, (e) => {
      if (!live) return;
      setError(e);
      setState("closed");
    });
    return () => {
      live = false;
      if (s) s.free();
      s = null;
      setSocket(null);
    };
  }, [url]);

  const ref = useRef(socket);
  ref.current = socket;
  const send = useCallback((...args) => {
    const s = ref.current;
    if (!s) throw notReady();
    return s.send(...args);
  }, []);
  const request = useCallback((...args) => {
    const s = ref.current;
    if (!s) return Promise.reject(notReady());
    return s.request(...args);
  }, []);
  return { socket, state, lastMessage, send, request, error };
}
