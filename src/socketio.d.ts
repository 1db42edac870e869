/* tslint:disable */
/* eslint-disable */
// Types of the npm entry `steadysocket/socketio` (copied to pkg/socketio/socketio.d.ts by
// scripts/build-pkg.sh). Self-contained: the shared option and event types are repeated here.
// In the style of socket.io-client's `Socket<ListenEvents, EmitEvents>`.

/** Connection states of the Manager (`socket.io.state`). */
export type State = "connecting" | "open" | "reconnecting" | "closing" | "closed";

/** An event map: event name → listener signature. */
export interface EventsMap {
  [event: string]: any;
}
/** The default map: any event with any arguments. */
export interface DefaultEventsMap {
  [event: string]: (...args: any[]) => void;
}
export type EventNames<Map extends EventsMap> = keyof Map & string;
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;
type Last<T extends any[]> = T extends [...any[], infer L] ? L : never;
type AllButLast<T extends any[]> = T extends [...infer H, any] ? H : never;
/** The first argument of an event's ack callback (what `emitWithAck` resolves with). */
type AckArg<F> = F extends (...args: infer A) => any ? (Last<A> extends (arg: infer R, ...rest: any[]) => any ? R : never) : never;
/** With `timeout()`, an ack callback takes an error first. */
type WithError<F> = F extends (...args: infer A) => any
  ? (...args: [...AllButLast<A>, Last<A> extends (...r: infer R) => any ? (err: SocketError | null, ...r: R) => void : never]) => void
  : never;

/** Reconnect options (steadysocket's; the socket.io-client names below map onto them). */
export interface ReconnectOptions {
  /** Base delay before the first retry, in ms (>= 1). @default reconnectionDelay (1000) */
  minDelayMs?: number;
  /** Cap of the un-jittered delay, in ms. @default reconnectionDelayMax (5000) */
  maxDelayMs?: number;
  /** Growth per retry (>= 1). @default 2 */
  factor?: number;
  /** Randomization in [0, 1]. @default randomizationFactor (0.5) */
  jitter?: number;
  /** Retries in a row before giving up. @default reconnectionAttempts (Infinity) */
  maxAttempts?: number;
  /** A connection must stay open this long (ms) before the retry counter resets. @default 5000 */
  stableMs?: number;
  /** Server close codes (or [from, to] ranges) that mean "do not reconnect". @default [1008, [4000, 4099]] */
  stopOnCodes?: Array<number | [number, number]>;
  /** Ceiling (ms) on a server's `{"retryAfterMs": n}` close-reason advice. @default 300000 */
  maxRetryAfterMs?: number;
}

/** The offline queue: emits wait here while not connected (socket.io-client's buffer is unbounded). */
export interface QueueOptions {
  /** Most packets held. @default 1000 */
  maxMessages?: number;
  /** Most bytes held. @default 1048576 */
  maxBytes?: number;
  /** What to do when full: `drop` events, or (`error`) `emit` throws. @default "drop-oldest" */
  overflow?: "drop-oldest" | "drop-newest" | "error";
  /** Drop a packet queued longer than this (ms). @default none */
  ttlMs?: number;
}

/** `auth`: an object, or a function called on every attempt with a callback (or returning a Promise of the object). */
export type AuthOption = Record<string, unknown> | ((cb: (data: Record<string, unknown>) => void) => void | Promise<Record<string, unknown>>);

export interface SocketOptions {
  /** The Engine.IO path on the server. @default "/socket.io" */
  path?: string;
  /** Extra query parameters of the connection URL. @default none */
  query?: Record<string, string | number | boolean>;
  /** The CONNECT payload (the server's `socket.handshake.auth`); a function is called per attempt. @default none */
  auth?: AuthOption;
  /** Connect at once; with `false`, call `connect()` (emits queue meanwhile). @default true */
  autoConnect?: boolean;
  /** Reconnect after a lost connection. @default true */
  reconnection?: boolean;
  /** Retries in a row before `reconnect_failed`. @default Infinity */
  reconnectionAttempts?: number;
  /** The first retry's delay, in ms. @default 1000 */
  reconnectionDelay?: number;
  /** The longest retry delay, in ms. @default 5000 */
  reconnectionDelayMax?: number;
  /** Jitter in [0, 1]. @default 0.5 */
  randomizationFactor?: number;
  /** Connection timeout, in ms (until the Engine.IO open packet). @default 20000 */
  timeout?: number;
  /**
   * The Engine.IO transports, the first one opening: "polling" (HTTP long-polling) upgrades to
   * "websocket" inside the session when both are listed (see `upgrade`); ["websocket"] opens a
   * WebSocket only. "webtransport" is not supported (skipped; alone: a RangeError).
   * @default ["polling", "websocket"]
   */
  transports?: Array<"polling" | "websocket" | "webtransport">;
  /** Whether polling upgrades to WebSocket (probe, pause, switch: no packet lost or duplicated). @default true */
  upgrade?: boolean;
  /** After a WebSocket worked, the next connections open over WebSocket directly (back to polling if that fails before the open packet). @default false */
  rememberUpgrade?: boolean;
  /** The default ack timeout, in ms (as `requestTimeoutMs`). @default 10000 */
  ackTimeout?: number;
  /** A new connection (Manager) for this socket, not shared with other namespaces. @default false */
  forceNew?: boolean;
  /** `false`: as `forceNew: true`. By default `io()` calls for different namespaces of the same server (same origin, `path` and `query`) share one connection. @default true */
  multiplex?: boolean;
  /** `true`: the long-polling requests send cookies to a cross-origin server too (`credentials: "include"`), as socket.io-client's; a WebSocket always sends the cookies of its target. @default false */
  withCredentials?: boolean;
  /** Accepted and ignored: a browser WebSocket cannot send custom headers (use `auth` or `query`). */
  extraHeaders?: Record<string, string>;
  /** steadysocket's reconnect options (override the socket.io-client names); `false` = `reconnection: false`. @default on */
  reconnect?: boolean | ReconnectOptions;
  /** The offline queue. */
  queue?: QueueOptions;
  /** Ack timeout, in ms, when `timeout()` is not used. @default 10000 */
  requestTimeoutMs?: number;
  /** As `timeout` (steadysocket's name; wins over `timeout`). @default 20000 */
  connectTimeoutMs?: number;
  /** Largest inbound WebSocket message, in bytes. @default 16777216 */
  maxMessageBytes?: number;
  /** With an endpoint list (`io([url1, url2, …])`, the namespace from the first URL): how long (ms, >= 0) a node that refused an attempt, or whose connection died, is skipped. @default 30000 */
  endpointSkipMs?: number;
  /** Called when an open connection closes (not after a server DISCONNECT): `false` stops reconnecting. @default always true */
  shouldReconnect?: (ev: { code: number; reason: string; wasClean: boolean }) => boolean;
}

/** Errors of `connect_error`, `error`, and rejected acks. */
export interface SocketError extends Error {
  /**
   * `connect`: a CONNECT_ERROR from the server (`data` set; no reconnect), or a failed
   * transport; `connect-timeout`, `handshake`, `heartbeat-timeout`, `protocol`, `handler`,
   * `reconnect-failed`, `reconnect-stopped`, `message-too-big`, `url`; for acks: `timeout`,
   * `connection-lost`, `closed`, `dropped`, `queue-full`, `too-big` (the packet was over the
   * server's `maxPayload` when its connection opened: never sent).
   */
  kind: string;
  /** CONNECT_ERROR: the server's `err.data`. */
  data?: unknown;
}

/** Why `disconnect` fired. */
export type DisconnectReason = "io server disconnect" | "io client disconnect" | "ping timeout" | "transport close";
export interface DisconnectDetails { code: number; reason: string; wasClean: boolean; willReconnect: boolean }

export interface SocketReservedEvents {
  connect: () => void;
  connect_error: (err: SocketError) => void;
  disconnect: (reason: DisconnectReason, details: DisconnectDetails) => void;
}

/** `too-big`: queued before the server's `maxPayload` was known, and over it (never sent). */
export type DropReason = "overflow" | "expired" | "closed" | "connection-lost" | "too-big";
export interface Metrics {
  attempts: number; reconnects: number; downtimeMs: number; messagesIn: number; messagesOut: number;
  bytesIn: number; bytesOut: number; queued: number; queuedBytes: number; dropped: number;
  pendingRequests: number; rtt?: number; srtt?: number; rttJitter?: number;
}

export interface ManagerEvents {
  open: { reconnected: boolean; attempt: number };
  close: DisconnectDetails;
  error: SocketError | { kind: "handler"; message: string; error: unknown };
  ping: undefined;
  reconnect: number;
  reconnect_attempt: number;
  reconnect_error: SocketError;
  reconnect_failed: SocketError;
  /** The session moved from polling to WebSocket (the transport's name). */
  upgrade: "websocket";
  /** The upgrade probe failed; the session stays on polling (`kind` "upgrade"). */
  upgradeError: { kind: "upgrade"; message: string };
  reconnecting: { attempt: number; delayMs: number | null };
  state: { from: State; to: State };
  /** A queued emit was not sent: `type` is the event name, `data` its arguments. */
  drop: { type: string | null; data: unknown; reason: DropReason; nsp?: string };
  sent: { type: string | null; data: unknown; nsp?: string };
}

/** The connection (socket.io-client's Manager): `socket.io`. */
export class Manager extends EventTarget {
  readonly state: State;
  /** Packets waiting in the queue. */
  readonly queued: number;
  readonly url: string;
  /** The Engine.IO transport in use (or being opened). */
  readonly transport: "polling" | "websocket";
  /** socket.io-client's `socket.io.engine.transport.name` (read-only). */
  readonly engine: { readonly transport: { readonly name: "polling" | "websocket" } };
  metrics(): Metrics;
  on<E extends keyof ManagerEvents>(event: E, handler: (ev: ManagerEvents[E]) => unknown): this;
  once<E extends keyof ManagerEvents>(event: E, handler: (ev: ManagerEvents[E]) => unknown): this;
  off<E extends keyof ManagerEvents>(event: E, handler: (ev: ManagerEvents[E]) => unknown): this;
  /** Drops the connection and reconnects now. */
  reconnect(): void;
  /** The Socket of namespace `nsp` (starts with "/") on this connection: the same one on every call; `opts.auth` as `io()`'s. */
  socket(nsp: string, opts?: { auth?: SocketOptions["auth"] }): Socket;
  /** Releases the wasm side at once (every Socket on this connection). */
  free(): void;
}

/** A Socket.IO socket for one namespace. */
export class Socket<ListenEvents extends EventsMap = DefaultEventsMap, EmitEvents extends EventsMap = ListenEvents> {
  /** As `io(url, options)`. */
  constructor(url?: string | URL | Array<string | URL>, options?: SocketOptions);
  /** As `manager.socket(nsp, opts)` (throws if `nsp` already has a Socket there). */
  constructor(manager: Manager, nsp: string, opts?: { auth?: SocketOptions["auth"] });
  /** The namespace socket id (`undefined` while disconnected). */
  id: string | undefined;
  connected: boolean;
  readonly disconnected: boolean;
  /** Whether the latest connection restored the session (connection state recovery). */
  recovered: boolean;
  /** `false` after `disconnect()`, a server disconnect or a connect error. */
  readonly active: boolean;
  /** The namespace. */
  readonly nsp: string;
  readonly io: Manager;
  on<Ev extends keyof SocketReservedEvents>(event: Ev, listener: SocketReservedEvents[Ev]): this;
  on<Ev extends EventNames<ListenEvents>>(event: Ev, listener: ListenEvents[Ev]): this;
  once<Ev extends keyof SocketReservedEvents>(event: Ev, listener: SocketReservedEvents[Ev]): this;
  once<Ev extends EventNames<ListenEvents>>(event: Ev, listener: ListenEvents[Ev]): this;
  off(event?: string, listener?: (...args: any[]) => void): this;
  listeners(event: string): Array<(...args: any[]) => void>;
  hasListeners(event: string): boolean;
  onAny(listener: (event: string, ...args: any[]) => void): this;
  prependAny(listener: (event: string, ...args: any[]) => void): this;
  offAny(listener?: (event: string, ...args: any[]) => void): this;
  listenersAny(): Array<(event: string, ...args: any[]) => void>;
  /** Emits (queued while disconnected). A function as the last argument is the ack callback. */
  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): this;
  /** Resolves with the ack's first argument; rejects with a {@link SocketError} (`timeout`, `connection-lost`, `closed`, `dropped`, `queue-full`, `too-big`). */
  emitWithAck<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: AllButLast<EventParams<EmitEvents, Ev>>): Promise<AckArg<EmitEvents[Ev]>>;
  /** The next emit's ack timeout (ms, >= 0; 0 times out at once): its callback gets an error first. */
  timeout(ms: number): TimedSocket<EmitEvents>;
  /** The next emit is dropped unless connected. */
  readonly volatile: this;
  compress(flag: boolean): this;
  send(...args: any[]): this;
  /** Connects when closed; right after `disconnect()` too (the closing connection is abandoned). */
  connect(): this;
  open(): this;
  /** Leaves the namespace (`connected` false and `disconnect` at once); the connection closes when no other namespace uses it. The queue is kept and later emits queue for the next `connect()`. */
  disconnect(): this;
  close(): this;
  /** Leaves the namespace; releases the connection's wasm side when no other live Socket uses it. */
  free(): void;
}

/** `socket.timeout(ms)`: ack callbacks take an error first. */
export interface TimedSocket<EmitEvents extends EventsMap> {
  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: Parameters<WithError<EmitEvents[Ev]>>): Socket<any, EmitEvents>;
  emitWithAck<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: AllButLast<EventParams<EmitEvents, Ev>>): Promise<AckArg<EmitEvents[Ev]>>;
}

/** socket.io-client's `io()`: the Socket of the URL's namespace (its path), sharing the connection of other namespaces of the same server unless `forceNew`/`multiplex: false` (README "Namespaces"). */
export function io<ListenEvents extends EventsMap = DefaultEventsMap, EmitEvents extends EventsMap = ListenEvents>(url?: string | URL | Array<string | URL>, options?: SocketOptions): Socket<ListenEvents, EmitEvents>;
export function io<ListenEvents extends EventsMap = DefaultEventsMap, EmitEvents extends EventsMap = ListenEvents>(options: SocketOptions): Socket<ListenEvents, EmitEvents>;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;
export interface InitOutput {
  readonly memory: WebAssembly.Memory;
}
export type SyncInitInput = BufferSource | WebAssembly.Module;

/** Instantiates this entry's wasm synchronously. */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/** Loads and instantiates this entry's wasm (`socketio_bg.wasm` next to the module by default); await it before `io(...)`. */
export default function __wbg_init(module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
