// steadysocket/react: the `useSteadySocket` hook (React >= 18, an optional peer dependency).
import type { Options, SendResult, State, SteadySocket, UrlProvider } from "./steadysocket.js";

type AnyMap = Record<string, any>;
type ReqMap = Record<string, [any, any]>;

/** The last typed message received (of the tracked types): `{type, data}`. */
export type LastMessage<In> = { [K in keyof In & string]: { type: K; data: In[K] } }[keyof In & string];

/** The hook's own options (the third argument). */
export interface HookOptions<In> {
  /** Message types whose arrival updates `lastMessage` (and re-renders). @default every message */
  track?: Array<keyof In & string>;
}

/** What `useSteadySocket` returns. */
export interface SteadySocketHook<In extends object, Out extends object, Req extends { [K in keyof Req]: [any, any] }> {
  /** The socket, or `null` until the wasm is ready, without a `url`, or after unmount. */
  socket: SteadySocket<In, Out, Req> | null;
  /** The socket's state: `"connecting"` until the socket exists, `"closed"` without a `url`. */
  state: State;
  /** The last message received (of `track`'s types), or `null`. */
  lastMessage: LastMessage<In> | null;
  /**
   * `socket.send(type, data)`. Throws an `Error` with `kind: "closed"` while there is no socket
   * (wasm loading, no `url`, unmounted). A stable function (same identity on every render).
   */
  send<K extends keyof Out & string>(type: K, data: Out[K]): SendResult;
  /** `socket.request(…)`; rejects `kind: "closed"` while there is no socket. Stable. */
  request<K extends keyof Req & string>(type: K, data: Req[K][0], options?: { timeoutMs?: number }): Promise<Req[K][1]>;
  /** Why there is no socket: `init()` failed or the constructor threw (bad url or options); else `null`. */
  error: unknown;
}

/**
 * One SteadySocket for the component's lifetime: made in an effect (after `init()`, called
 * once for you), freed on unmount or when `url` changes. `options` are read when the socket is
 * made. `null`/`undefined` as `url`: no socket.
 */
export function useSteadySocket<In extends object = AnyMap, Out extends object = AnyMap, Req extends { [K in keyof Req]: [any, any] } = ReqMap>(
  url: string | UrlProvider | null | undefined,
  options?: Options,
  hookOptions?: HookOptions<In>,
): SteadySocketHook<In, Out, Req>;
