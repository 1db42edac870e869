/** Connection states. `closed` is terminal unless you call `reconnect()`. */
export type State = "connecting" | "open" | "reconnecting" | "closing" | "closed";

/** Reconnect options. */
export interface ReconnectOptions {
  /** Base delay before the first retry, in ms (>= 1). @default 250 */
  minDelayMs?: number;
  /** Cap of the un-jittered delay, in ms. @default 10000 */
  maxDelayMs?: number;
  /** Growth per retry (>= 1). @default 2 */
  factor?: number;
  /** Randomization in [0, 1]: the delay is drawn from [d·(1−jitter), d]. @default 0.5 */
  jitter?: number;
  /** Retries in a row before giving up (then state `closed`). @default Infinity */
  maxAttempts?: number;
  /** A connection must stay open this long (ms) before the retry counter resets. @default 5000 */
  stableMs?: number;
  /** Server close codes (or [from, to] ranges) that mean "do not reconnect". @default [1008, [4000, 4099]] */
  stopOnCodes?: Array<number | [number, number]>;
  /** Ceiling (ms) on a server's `{"retryAfterMs": n}` close-reason advice; larger advice is clamped to it. @default 300000 */
  maxRetryAfterMs?: number;
}

/** Heartbeat options. */
export interface HeartbeatOptions {
  /** Silence (ms) after which a ping is sent. @default 25000 */
  intervalMs?: number;
  /** Wait (ms) for any inbound frame after a ping before declaring the connection dead. @default 10000 */
  timeoutMs?: number;
  /**
   * The exact text frame sent as a ping. @default '{"type":"ping"}' (v1); a codec's
   * `encode({type: "ping"})`. With `protocol: "raw"` the heartbeat is off unless `ping` is set.
   */
  ping?: string;
  /**
   * `protocol: "raw"` only (any other protocol throws `TypeError`): tells the server's
   * answers to the ping apart. A string matches a text frame exactly, a RegExp is tested on
   * text frames, a function gets every inbound frame and returns whether it is a pong.
   * Matching frames are not delivered and give RTT samples. Without it, any inbound frame
   * is proof of life and is delivered as usual.
   */
  pong?: string | RegExp | ((frame: string | Uint8Array) => boolean);
}

/** A message as a codec sees it (the shape of protocol v1's envelope). */
export interface CodecMessage {
  /** The event or request type; `"ping"`/`"pong"` are the heartbeat's. Absent in replies. */
  type?: string;
  /** The payload (`null` when `send` got none). Absent in heartbeat frames and error replies. */
  data?: unknown;
  /** Set when encoding a request: the id its reply must carry as `replyTo`. */
  id?: number;
  /** Set when encoding the reply to a server request (see `handle`). */
  replyTo?: number;
  /** An error reply to a server request: `{message, code?}`. */
  error?: { message: string; code?: string | number };
}

/** What `decode` may return for a frame of the codec's protocol. */
export interface DecodedMessage {
  /** A string `type` makes a typed event (`"ping"` is answered, `"pong"` is a heartbeat answer). */
  type?: string;
  /** The event's payload; without a `data` key handlers get the whole object. */
  data?: unknown;
  /** With a string `type`: a request from the server (a non-negative integer), answered by `handle`. */
  id?: number;
  /** A reply to request `replyTo` (a non-negative integer; any other value, `null` included, is a `protocol` error). */
  replyTo?: number;
  /** With `replyTo`: the request rejects `remote` with this (its `message` and `code` are read). */
  error?: unknown;
}

/**
 * A custom wire protocol: `{protocol: {encode, decode}}`. `encode` gets
 * `{type, data}` for `send`, `{type, id, data}` for `request`, and, once at construction,
 * `{type: "pong"}` and (unless `heartbeat.ping` is set or `heartbeat` is `false`)
 * `{type: "ping"}`: those two must return a string. `decode` gets every inbound frame (a
 * string, or a `Uint8Array` for binary frames); a result that is not an object with a
 * string `type` or a `replyTo` makes the frame raw (`raw` event). A throwing `decode` is a
 * `protocol` error and the frame is not delivered.
 */
export interface Codec {
  encode(msg: CodecMessage): string | Uint8Array;
  /** Returns a {@link DecodedMessage}, or anything else (e.g. `null`) for a raw frame. */
  decode(frame: string | Uint8Array): unknown;
}

/** `"v1"`: the JSON envelope (wire protocol v1); `"raw"`: no envelope, a reconnecting `WebSocket`; or a codec. */
export type Protocol = "v1" | "raw" | Codec;

/** Offline queue options. */
export interface QueueOptions {
  /** Most messages held. @default 1000 */
  maxMessages?: number;
  /** Most bytes held. @default 1048576 */
  maxBytes?: number;
  /** What to do when full. @default "drop-oldest" */
  overflow?: "drop-oldest" | "drop-newest" | "error";
  /** Time-to-live of a queued message, in ms. @default undefined (no expiry) */
  ttlMs?: number;
}

/** Constructor options; every field is optional. */
export interface Options {
  /** The wire protocol. @default "v1" */
  protocol?: Protocol;
  /** WebSocket subprotocols: tokens (RFC 7230), no duplicates. @default [] */
  protocols?: string | string[];
  /** `false` disables reconnection. @default true */
  reconnect?: boolean | ReconnectOptions;
  /** `false` disables heartbeats. @default true (with `protocol: "raw"`: off unless `heartbeat.ping` is set) */
  heartbeat?: boolean | HeartbeatOptions;
  /** The queue used while not open. */
  queue?: QueueOptions;
  /** An attempt that has not opened after this many ms counts as failed. @default 10000 */
  connectTimeoutMs?: number;
  /** Default request deadline in ms, counted from the call (queued time included). @default 10000 */
  requestTimeoutMs?: number;
  /** Inbound frames larger than this (bytes) are refused with an `error` event. @default 16777216 */
  maxMessageBytes?: number;
  /**
   * How long (ms, > 0) a handshake may take: a protocol's (STOMP's CONNECT) once the
   * transport is open, and the app's (an `open` handler's Promise) once the `open` event
   * fired. Exceeding it fails the connection like a failed attempt (`error` kind `handshake`).
   * @default 10000
   */
  handshakeTimeoutMs?: number;
  /** `false`: start in state `closed` and connect on `connect()`; sends made before are queued. @default true */
  autoConnect?: boolean;
  /**
   * Backpressure (bytes, integer >= 1): once the socket's own buffer goes above it, new
   * messages wait in the queue (`send` returns `"queued"`, `writable` is `false`) until it
   * drains to `lowWaterMark` (`drain` event). @default undefined (off)
   */
  highWaterMark?: number;
  /** Where the buffer must drain to (bytes, 0..highWaterMark). Needs `highWaterMark`. @default highWaterMark / 4 */
  lowWaterMark?: number;
  /**
   * `"at-least-once"`: reliable mode (protocol `"v1"` only, with a server implementing the
   * README's "Reliable mode (protocol extension)"): messages carry seqs, stay queued until the
   * server acks them, are re-sent after a reconnect and de-duplicated by the server; server
   * messages are de-duplicated and replayed after a reconnect (a `gap` event reports what
   * could not be). Requests survive reconnects. `sendRaw` throws. Other protocols throw `TypeError`.
   * @default "at-most-once"
   */
  delivery?: "at-most-once" | "at-least-once";
  /**
   * One connection for all tabs of this origin that use the same name (1 to 200 characters):
   * one tab (the leader, elected with a Web Lock) holds the connection; the others reach the
   * server through it over `BroadcastChannel`, with the same API. Server events reach every
   * tab; replies reach the tab that asked; a leader that closes is replaced in ~50 ms, one
   * that stops answering for 3 s within ~5 s. Protocol `"v1"` or `"raw"` only, not with
   * `delivery: "at-least-once"` or `sockjs` (`TypeError`). Without `BroadcastChannel` and
   * `navigator.locks` (e.g. Node) the socket connects on its own. See the README, "One
   * connection for all tabs". @default undefined (off)
   */
  shared?: string;
  /**
   * A persistent queue (README "Persistent queue"): the name (1-200 characters) under which
   * the messages this socket owes are kept in IndexedDB: those `send` queued (with
   * `delivery: "at-least-once"`: every accepted one until its ack). The next socket with this
   * name (e.g. after a reload, or in another tab once this one is gone) puts them back in its
   * queue first, in order, exactly once, within its `queue` limits (`drop` events for what
   * does not fit) and TTL (counted from the original `send`: `drop` events, reason
   * `"expired"`); reliable mode also continues the session, so the server de-duplicates.
   * The socket connects once that is done (sends made meanwhile wait behind it, in order).
   * Requests are never persisted. `close()` and `free()` drop the queue, stored part
   * included. Without IndexedDB or Web Locks (`navigator.locks`), or when storage fails:
   * an `error` event (kind `persist`) and the socket runs on without persistence.
   * @default undefined (not persisted)
   */
  persist?: string;
  /**
   * The transports, most preferred first (README "Transports"). Attempts use the first; one that
   * has never opened and fails 2 attempts in a row is left for the next (the last is kept); the
   * one that opened is kept for the socket's life; while on a later one, the first is probed in
   * the background and the socket moves back to it when a probe opens (`upgradeProbeMs`).
   * `"sse"` and `"long-polling"` need a server implementing the README's "HTTP side of the
   * protocol" (the reference server does). With `sockjs: true`: SockJS's transports,
   * `"websocket"`, `"xhr-streaming"`, `"eventsource"`, `"xhr-polling"` (README "SockJS").
   * @default ["websocket"]; with `sockjs`: all four, in that order
   */
  transports?: Transport[];
  /**
   * The URL is a SockJS endpoint (e.g. `https://example.com/echo`, a Spring or npm `sockjs`
   * server): every attempt asks its `/info` and opens a new SockJS session over the first
   * allowed transport of `transports`. Needs the `steadysocket/sockjs` entry (elsewhere a
   * `TypeError`). SockJS carries text only. @default false
   */
  sockjs?: boolean;
  /**
   * While open on a transport that is not the first of `transports`: the first upgrade probe's
   * delay (ms; doubling after each failed probe, up to 5 minutes); 0 disables upgrades. @default 10000
   */
  upgradeProbeMs?: number;
  /** With an endpoint list: how long (ms, >= 0) an endpoint that refused an attempt, or whose open connection died, is skipped. @default 30000 */
  endpointSkipMs?: number;
  /**
   * Asked when the open connection closes (after `reconnect.stopOnCodes`, which wins):
   * return `false` to stop reconnecting (state `closed`, `error` kind `reconnect-stopped`).
   * A throw counts as `true` and fires an `error` event (kind `handler`). @default undefined
   */
  shouldReconnect?: (ev: { code: number; reason: string; wasClean: boolean }) => boolean | void;
}

/** Called before every connection attempt: a URL, or an endpoint list (see `Endpoints`). */
export type UrlProvider = () => string | string[] | Promise<string | string[]>;

/**
 * An endpoint list (1 to 64 URLs): attempts rotate through it with the backoff; an endpoint
 * that refused an attempt, or whose connection died, is skipped for `endpointSkipMs`; after an
 * open the same endpoint is tried first again (sticky); a working connection is never dropped
 * to go back to the first. The `endpoint` event names the one that opened; `url` is the
 * current one. README "Running against a cluster".
 */
export type Endpoints = Array<string | URL>;

export interface OpenEvent {
  reconnected: boolean;
  attempt: number;
  /**
   * `send` on this connection through the gate: while an `open` handler's Promise is
   * pending, `socket.send` queues behind the backlog; this sends now (the app's handshake).
   * On a connection that is gone the message is dropped (`drop` event, `connection-lost`).
   */
  send(type: string, data?: unknown): SendResult;
  /** `request` on this connection through the gate (see `send`). */
  request(type: string, data?: unknown, options?: { timeoutMs?: number }): Promise<unknown>;
}
export interface SocketCloseEvent { code: number; reason: string; wasClean: boolean; willReconnect: boolean }
/** `delayMs` is `null` while waiting for the network to come back. */
export interface ReconnectingEvent { attempt: number; delayMs: number | null }
export interface StateEvent { from: State; to: State }
export type ErrorKind =
  | "connect" | "connect-timeout" | "url" | "message-too-big" | "protocol" | "reconnect-failed"
  | "reconnect-stopped" | "handler" | "heartbeat-timeout" | "handshake" | "persist";
export interface SocketErrorEvent {
  /**
   * `reconnect-failed`: `maxAttempts` ran out; `reconnect-stopped`: the server closed with a
   * code in `stopOnCodes` (both end in state `closed`); `heartbeat-timeout`: the peer gave no
   * sign of life in time (the connection is dropped, then reconnects); `handshake`: the
   * protocol's handshake failed (STOMP only; a failed attempt); `persist`: the persistent
   * queue (`persist` option) has no storage here, or a read or write failed.
   */
  kind: ErrorKind;
  message: string;
  /** The thrown value, for `handler`. */
  error?: unknown;
}
/**
 * A typed event. With `protocol: "raw"` every frame comes as `{type: null, data}` (`data`: a
 * string or `Uint8Array`). A request from the server also carries its `id` (see `handle`).
 */
export type SocketMessageEvent<In> = { [K in keyof In & string]: { type: K; data: In[K]; id?: number } }[keyof In & string];
/** Why a message was dropped: `connection-lost` means the socket refused it (it was already closing), even if `send` had returned "sent". */
export type DropReason = "overflow" | "expired" | "closed" | "connection-lost";
export type DropEvent<Out> =
  | { [K in keyof Out & string]: { type: K; data: Out[K]; reason: DropReason } }[keyof Out & string]
  | { type: null; data: string | ArrayBuffer | ArrayBufferView; reason: DropReason };

/** A heartbeat round trip was measured (ms). */
export interface RttEvent { rtt: number; srtt: number; jitter: number }

/** A queued message went out after the connection (re)opened. */
export type SentEvent<Out> =
  | { [K in keyof Out & string]: { type: K; data: Out[K] } }[keyof Out & string]
  | { type: null; data: string | ArrayBuffer | ArrayBufferView };

/** Reliable mode: server messages `from`..`to` are lost for good (`to`/`count` `null`: the server lost the session, an unknown number from `from` on). */
export interface GapEvent { from: number; to: number | null; count: number | null }

export interface Events<In, Out> {
  gap: GapEvent;
  open: OpenEvent;
  close: SocketCloseEvent;
  reconnecting: ReconnectingEvent;
  state: StateEvent;
  error: SocketErrorEvent;
  message: SocketMessageEvent<In>;
  drop: DropEvent<Out>;
  sent: SentEvent<Out>;
  rtt: RttEvent;
  /** Frames that are not typed events; with `protocol: "raw"` every frame (which also fires `message` with `type: null`). */
  raw: string | Uint8Array;
  /** The socket's buffer drained to `lowWaterMark` after going above `highWaterMark`. */
  drain: {};
  /** A message that returned "sent" but was not confirmed by a heartbeat pong when its connection was lost: it may not have arrived. */
  lost: { type: string | null; data: unknown };
  /** A connection opened on another transport than the previous open (the first open too): a fallback or an upgrade. */
  transport: { transport: Transport };
  /** A connection opened to another endpoint of the URL list than the last open (the first open too). */
  endpoint: { index: number; url: string };
}

/** A transport (see the `transports` option). */
/** `sse`, `long-polling`: the reference server's HTTP side; `xhr-streaming`, `eventsource`, `xhr-polling`: SockJS's (`sockjs: true`). */
export type Transport = "websocket" | "sse" | "long-polling" | "xhr-streaming" | "eventsource" | "xhr-polling";

/** `sent`: on the wire now; `queued`: waiting for the connection; `dropped`: refused by the overflow policy (a `drop` event says so too). */
export type SendResult = "sent" | "queued" | "dropped";

/** The rejection of `request()` and the exception of `send()`. */
export interface SteadySocketError extends Error {
  kind: "timeout" | "remote" | "connection-lost" | "closed" | "dropped" | "queue-full" | "overflow" | "expired";
  /** The server's error code, for `remote`. */
  code?: string;
  /** The server's whole error object, for `remote`. */
  data?: unknown;
}

export interface Metrics {
  attempts: number;
  reconnects: number;
  downtimeMs: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  queued: number;
  queuedBytes: number;
  dropped: number;
  pendingRequests: number;
  rtt?: number;
  srtt?: number;
  rttJitter?: number;
  /** Reliable mode: duplicate server messages dropped. */
  duplicates: number;
  /** Reliable mode: messages transmitted again after a reconnect. */
  resent: number;
  /** Reliable mode: messages transmitted and awaiting the server's ack (included in `queued`). */
  unacked: number;
}

type AnyMap = Record<string, any>;

declare global {
  // `Symbol.dispose` for libs older than esnext.disposable/es2025 (as @types/node declares it),
  // so `[Symbol.dispose]` below compiles everywhere and `using` works where the lib has it.
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

/** The data argument(s) of `send`: optional when the payload type is `void`/`undefined`. */
type DataArg<T> = [T] extends [void] ? [data?: T] : [data: T];

/** The DOM events of the `addEventListener`/`on<name>` surface (the native `WebSocket`'s, plus ours). */
export interface SteadySocketEventMap {
  /** A plain `Event` with `reconnected`, `attempt`, `send`, `request` (see {@link OpenEvent}). */
  open: Event & OpenEvent;
  /** `data`: the typed message `{type, data}` (v1, a codec), or the frame (`protocol: "raw"`: a string, or an `ArrayBuffer`/`Blob` per `binaryType`). */
  message: MessageEvent;
  /** A `CloseEvent` (a plain `Event` outside browsers) with `willReconnect`. */
  close: CloseEvent & { willReconnect: boolean };
  /** An `ErrorEvent` (`message`, `error`) with our `kind`. */
  error: ErrorEvent & { kind: ErrorKind };
  /** A frame that is not a typed message: `data` a string, or an `ArrayBuffer`/`Blob` per `binaryType`. */
  raw: MessageEvent;
  state: CustomEvent<StateEvent>;
  reconnecting: CustomEvent<ReconnectingEvent>;
  rtt: CustomEvent<RttEvent>;
  drop: CustomEvent<DropEvent<AnyMap>>;
  sent: CustomEvent<SentEvent<AnyMap>>;
  gap: CustomEvent<GapEvent>;
  drain: CustomEvent<{}>;
  lost: CustomEvent<{ type: string | null; data: unknown }>;
  transport: CustomEvent<{ transport: Transport }>;
  endpoint: CustomEvent<{ index: number; url: string }>;
}

/** A handle of `subscribe`. */
export interface Subscription {
  /** Stops re-sending it; with a `type`, sends that message too (e.g. a leave). Returns `false` if already stopped. */
  unsubscribe(type?: string, data?: unknown): boolean;
}

/** What a `handle` handler gets beside the data. */
export interface ServerRequest { type: string; id: number }

/**
 * A WebSocket that stays connected.
 * @typeParam In  inbound event types → their `data`
 * @typeParam Out outbound event types → their `data`
 * @typeParam Req request types → [request data, reply data]
 * @typeParam Srv requests FROM the server (see `handle`) → [request data, reply data]
 */
export class SteadySocket<In extends object = AnyMap, Out extends object = AnyMap, Req extends { [K in keyof Req]: [any, any] } = Record<string, [any, any]>, Srv extends { [K in keyof Srv]: [any, any] } = Record<string, [any, any]>> extends EventTarget {
  constructor(url: string | URL | Endpoints | UrlProvider, options?: Options);
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
  readonly state: State;
  /** As `WebSocket.readyState`: `CONNECTING` (also while reconnecting), `OPEN`, `CLOSING`, `CLOSED` (also after `free()`). */
  readonly readyState: 0 | 1 | 2 | 3;
  /** The absolute ws:/wss: URL (relative and http(s): URLs resolved against the page); with a URL provider, the latest attempt's ("" before one). */
  readonly url: string;
  /** The subprotocol the server selected ("" when none, or not open). */
  readonly protocol: string;
  /** The extensions the server selected ("" when none, or not open). */
  readonly extensions: string;
  /** Bytes accepted but not yet on the wire: the socket's buffer + the queue + Blobs being read. */
  readonly bufferedAmount: number;
  /** How binary frames reach DOM `message`/`raw` listeners (`on()` handlers always get `Uint8Array`). @default "arraybuffer" */
  binaryType: "arraybuffer" | "blob";
  readonly queued: number;
  /** `false` while the socket's buffer is above `highWaterMark` (sends wait in the queue until `drain`). */
  readonly writable: boolean;
  /** The transport of the last open connection; `null` before the first open. */
  readonly transport: Transport | null;
  /** Latest heartbeat RTT in ms (kept across reconnects until a new sample). */
  readonly rtt: number | undefined;
  /** The DOM-style handlers (one each; an `onopen` returning a Promise gates the backlog like an `open` handler). */
  onopen: ((this: SteadySocket<In, Out, Req, Srv>, ev: SteadySocketEventMap["open"]) => unknown) | null;
  onmessage: ((this: SteadySocket<In, Out, Req, Srv>, ev: MessageEvent) => unknown) | null;
  onclose: ((this: SteadySocket<In, Out, Req, Srv>, ev: SteadySocketEventMap["close"]) => unknown) | null;
  onerror: ((this: SteadySocket<In, Out, Req, Srv>, ev: SteadySocketEventMap["error"]) => unknown) | null;
  addEventListener<K extends keyof SteadySocketEventMap>(type: K, listener: (this: SteadySocket<In, Out, Req, Srv>, ev: SteadySocketEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof SteadySocketEventMap>(type: K, listener: (this: SteadySocket<In, Out, Req, Srv>, ev: SteadySocketEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
  metrics(): Metrics;
  /** An `open` handler may return a Promise: the backlog and new sends wait until it settles (see `OpenEvent.send`). */
  on<E extends keyof Events<In, Out>>(event: E, handler: (ev: Events<In, Out>[E]) => unknown): () => void;
  /** As `on`, for the next event only. */
  once<E extends keyof Events<In, Out>>(event: E, handler: (ev: Events<In, Out>[E]) => unknown): () => void;
  off<E extends keyof Events<In, Out>>(event: E, handler: (ev: Events<In, Out>[E]) => unknown): void;
  onMessage<K extends keyof In & string>(type: K, handler: (data: In[K]) => void): () => void;
  send<K extends keyof Out & string>(type: K, ...data: DataArg<Out[K]>): SendResult;
  /**
   * With `delivery: "at-least-once"`: sends (or queues) and returns a Promise that resolves
   * when the server acknowledges this message, and rejects (error `kind` = the drop reason:
   * `overflow`, `expired`, `closed`) if it is dropped first. `{ack: true}` without reliable
   * mode throws `TypeError`.
   */
  send<K extends keyof Out & string>(type: K, data: Out[K], options: { ack: true }): Promise<void>;
  send<K extends keyof Out & string>(type: K, data: Out[K], options: { ack?: false }): SendResult;
  /** Throws `TypeError` with `protocol: "raw"` (no replies). */
  request<K extends keyof Req & string>(type: K, ...args: [Req[K][0]] extends [void] ? [data?: Req[K][0], options?: { timeoutMs?: number }] : [data: Req[K][0], options?: { timeoutMs?: number }]): Promise<Req[K][1]>;
  /**
   * A message sent on every open: after the `open` handlers (and any open gate), before the
   * queued backlog; now too if this connection's backlog already went. `protocol: "raw"`:
   * `subscribe(frame)`.
   */
  subscribe<K extends keyof Out & string>(type: K, ...data: DataArg<Out[K]>): Subscription;
  subscribe(this: string extends keyof Out ? SteadySocket<In, Out, Req, Srv> : never, frame: string | ArrayBuffer | ArrayBufferView): Subscription;
  /**
   * Answers the server's requests `{"type", "id", "data"}` of `type`: the handler's return
   * value (or Promise) goes back as `{"replyTo": id, "data"}`, a throw or rejection as
   * `{"replyTo": id, "error": {"message", "code"?}}`. One handler per type (a new one
   * replaces it). Without a handler for its type, a frame with an `id` stays an ordinary event (no reply).
   * Returns a function that removes the handler. Throws `TypeError` with `protocol: "raw"`.
   */
  handle<K extends keyof Srv & string>(type: K, handler: (data: Srv[K][0], req: ServerRequest) => Srv[K][1] | PromiseLike<Srv[K][1]>): () => void;
  /**
   * `protocol: "raw"`: sends one frame, as `WebSocket.send` (string, binary or `Blob`;
   * queued while not open). Only for sockets without typed `Out` messages.
   */
  send(this: string extends keyof Out ? SteadySocket<In, Out, Req, Srv> : never, data: string | ArrayBuffer | ArrayBufferView | Blob): SendResult;
  /** A `Blob` is read first (`"queued"`); sends made meanwhile wait behind it, in order. */
  sendRaw(data: string | ArrayBuffer | ArrayBufferView | Blob): SendResult;
  close(code?: number, reason?: string): void;
  reconnect(): void;
  /** Starts connecting if `closed` (`autoConnect: false`, or after `close()`); otherwise does nothing. */
  connect(): void;
  /** Closes at once: pending requests reject "closed", queued messages get `drop` events, then timers, listeners and the socket are released. Safe from any handler; a second call does nothing; every other method throws an `Error` afterwards. */
  free(): void;
  /** `free()`, for `using s = new SteadySocket(...)`. */
  [Symbol.dispose](): void;
}
