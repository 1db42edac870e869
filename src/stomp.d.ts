/* tslint:disable */
/* eslint-disable */
// Types of the npm entry `steadysocket/stomp` (copied to pkg/stomp/stomp.d.ts by
// scripts/build-pkg.sh). Self-contained: the shared option and event types are repeated
// here, so the file resolves the same way from src/ and from pkg/stomp/.

/** Connection states. `closed` is terminal unless you call `reconnect()`. */
export type State = "connecting" | "open" | "reconnecting" | "closing" | "closed";

/** STOMP headers as given: values are sent as `String(value)`; `undefined` values are left out. */
export type StompHeaders = Record<string, string | number | boolean | undefined>;

/** Reconnect options (as `SteadySocket`'s). */
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
  /** Ceiling (ms) on a server's `{"retryAfterMs": n}` close-reason advice. @default 300000 */
  maxRetryAfterMs?: number;
}

/** Offline queue options (as `SteadySocket`'s): `publish` and `begin`/`commit`/`abort` frames wait here while not open. */
export interface QueueOptions {
  /** Most frames held. @default 1000 */
  maxMessages?: number;
  /** Most bytes held. @default 1048576 */
  maxBytes?: number;
  /** What to do when full. @default "drop-oldest" */
  overflow?: "drop-oldest" | "drop-newest" | "error";
  /** Time-to-live of a queued frame, in ms. @default undefined (no expiry) */
  ttlMs?: number;
}

/**
 * The `heart-beat` the client asks for in `CONNECT` (integers >= 0, ms). The negotiated
 * beats: the client sends one after `max(outgoingMs, server's wish)` ms of outbound silence,
 * and declares the broker dead after 2 × `max(server's offer, incomingMs)` ms without a
 * frame or beat from it; 0 on either side turns that direction off.
 */
export interface StompHeartbeat {
  /** How often the client can send beats. @default 10000 */
  outgoingMs?: number;
  /** How often the client wants the broker's beats. @default 10000 */
  incomingMs?: number;
}

/** `StompClient` options; every field is optional. */
export interface StompOptions {
  /**
   * Headers of every `CONNECT` (`login`, `passcode`, `host`, …), or a function returning
   * them, called synchronously before each attempt (a throwing function fails that attempt,
   * `error` kind `handshake`). `accept-version` or `heart-beat` here replace the client's own.
   * No `host` header is added for you.
   */
  connectHeaders?: StompHeaders | (() => StompHeaders);
  /** `true`: the defaults; `false`: ask for `0,0` and watch nothing. @default { outgoingMs: 10000, incomingMs: 10000 } */
  heartbeat?: boolean | StompHeartbeat;
  /** WebSocket subprotocols. @default ["v12.stomp"] */
  protocols?: string | string[];
  /** `false` disables reconnection. @default true */
  reconnect?: boolean | ReconnectOptions;
  /** The queue used while not open. */
  queue?: QueueOptions;
  /** An attempt whose WebSocket has not opened after this many ms counts as failed. @default 10000 */
  connectTimeoutMs?: number;
  /** From the WebSocket opening, how long (ms, > 0) to wait for `CONNECTED`; also how long an `open` handler's Promise may hold the queued frames. @default 10000 */
  handshakeTimeoutMs?: number;
  /** `false`: start in state `closed` and connect on `connect()`; frames published before are queued. @default true */
  autoConnect?: boolean;
  /** Asked when the open connection closes (after `reconnect.stopOnCodes`): `false` stops reconnecting (`reconnect-stopped`). @default undefined */
  shouldReconnect?: (ev: { code: number; reason: string; wasClean: boolean }) => boolean | void;
  /** Default receipt deadline in ms, counted from the call (queued time included). @default 10000 */
  requestTimeoutMs?: number;
  /** Largest inbound STOMP frame (bytes); a larger one is a `protocol` error and the connection is dropped. @default 16777216 */
  maxMessageBytes?: number;
  /**
   * The URL is a SockJS endpoint relaying STOMP (as Spring's): every attempt asks its `/info`
   * and opens a new SockJS session (websocket, xhr-streaming, eventsource, xhr-polling, the
   * first the server allows). Needs the `steadysocket/sockjs` entry (elsewhere a `TypeError`).
   * Frames travel as text: a binary body must be valid UTF-8. @default false
   */
  sockjs?: boolean;
  /** With `sockjs: true` only: SockJS's transports, most preferred first (as `SteadySocket`'s). @default ["websocket", "xhr-streaming", "eventsource", "xhr-polling"] */
  transports?: Array<"websocket" | "xhr-streaming" | "eventsource" | "xhr-polling">;
  /** With `sockjs: true` only: while on a later transport, the first upgrade probe's delay (ms; 0: no upgrades). @default 10000 */
  upgradeProbeMs?: number;
  /** With an endpoint list: how long (ms, >= 0) an endpoint that refused an attempt, or whose open connection died, is skipped. @default 30000 */
  endpointSkipMs?: number;
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

/** A `MESSAGE` frame, handed to the subscription's callback. */
export interface StompMessage {
  readonly command: "MESSAGE";
  /** Its headers (`destination`, `message-id`, `subscription`, `ack`, …): the first occurrence of a name wins. */
  readonly headers: Record<string, string>;
  /** The body decoded as UTF-8 (invalid bytes become U+FFFD). */
  readonly body: string;
  /** The body's bytes. */
  readonly binaryBody: Uint8Array;
  /**
   * Sends `ACK` (id: the message's `ack` header, plus `headers`, e.g. `transaction`) on the
   * connection the message came on. Returns `false`, sending nothing, when that connection is
   * no longer the open one (the broker redelivers the message) or the subscription is `ack: "auto"`.
   */
  ack(headers?: StompHeaders): boolean;
  /** As `ack`, with `NACK`. */
  nack(headers?: StompHeaders): boolean;
}

export interface StompSubscription {
  /** The `id` header: `headers.id` if given, else `"sub-<n>"`. */
  readonly id: string;
  /** Forgets the subscription (no longer re-sent) and sends `UNSUBSCRIBE` (with `headers`) if open. */
  unsubscribe(headers?: StompHeaders): void;
  /** With `{receipt: true}`: settles on the receipt of the first `SUBSCRIBE` sent (rejections: {@link StompError}). */
  readonly receipt?: Promise<void>;
}

export interface SubscribeOptions {
  /** Ask the broker for a receipt of the first `SUBSCRIBE`. */
  receipt?: boolean;
  /** The receipt's deadline (ms). @default requestTimeoutMs */
  timeoutMs?: number;
}

interface PublishBase {
  destination: string;
  /** Extra `SEND` headers (`content-type`, `transaction`, `persistent`, …). */
  headers?: StompHeaders;
}
/** A text body (sent as UTF-8), a binary one, or none. */
export type PublishParams = PublishBase & (
  | { body?: string; binaryBody?: undefined }
  | { binaryBody: Uint8Array | ArrayBuffer | ArrayBufferView; body?: undefined }
);

/** `sent`: on the wire now; `queued`: waiting for the connection; `dropped`: refused by the overflow policy (a `drop` event says so too). */
export type SendStatus = "sent" | "queued" | "dropped";

/** A transaction from `begin()`: put `transaction: id` in the headers of what belongs to it. */
export interface StompTransaction {
  readonly id: string;
  /** Sends (or queues) `COMMIT`. */
  commit(): SendStatus;
  /** Sends (or queues) `ABORT`. */
  abort(): SendStatus;
}

/** The rejection of a receipt promise, and the exception of `publish`. */
export interface StompError extends Error {
  kind: "timeout" | "remote" | "connection-lost" | "closed" | "dropped" | "queue-full";
  /** For `remote` (an `ERROR` frame whose `receipt-id` is this receipt's): its headers. */
  headers?: Record<string, string>;
  /** For `remote`: its body, decoded as UTF-8. */
  body?: string;
}

export interface OpenEvent { reconnected: boolean; attempt: number }
export interface SocketCloseEvent { code: number; reason: string; wasClean: boolean; willReconnect: boolean }
/** `delayMs` is `null` while waiting for the network to come back. */
export interface ReconnectingEvent { attempt: number; delayMs: number | null }
export interface StateEvent { from: State; to: State }

export type StompErrorEvent =
  | {
      /** An `ERROR` frame after `CONNECTED` (without a receipt of ours). The client does not close on it. */
      kind: "server";
      /** `"the broker sent ERROR: <message header> (<first body line>)"`. */
      message: string;
      headers: Record<string, string>;
      body: string;
    }
  | {
      /**
       * `handshake`: `ERROR` before `CONNECTED`, a close during the handshake, no `CONNECTED`
       * within `handshakeTimeoutMs`, or a throwing `connectHeaders` (a failed attempt);
       * `heartbeat-timeout`: the broker was silent too long (dropped, then reconnects);
       * `protocol`: a broken frame stream (dropped, then reconnects), or a `MESSAGE` for no
       * current subscription (`headers` set; nothing else happens).
       */
      kind:
        | "connect" | "connect-timeout" | "url" | "message-too-big" | "protocol" | "reconnect-failed"
        | "reconnect-stopped" | "handler" | "heartbeat-timeout" | "handshake";
      message: string;
      /** The thrown value, for `handler`. */
      error?: unknown;
      /** For `protocol` about a `MESSAGE`: its headers. */
      headers?: Record<string, string>;
    };

/** Why a queued frame was not transmitted. */
export type DropReason = "overflow" | "expired" | "closed" | "connection-lost";

/** A frame of the queue (`SEND`, `BEGIN`, `COMMIT`, `ABORT`) as `drop`/`sent` events describe it. */
export interface StompFrameEvent {
  command: string;
  /** Its `destination` header, `null` without one (`BEGIN`, `COMMIT`, `ABORT`). */
  destination: string | null;
  /** Its headers as encoded (first occurrence wins). */
  headers: Record<string, string>;
}

export interface StompEvents {
  open: OpenEvent;
  close: SocketCloseEvent;
  reconnecting: ReconnectingEvent;
  state: StateEvent;
  error: StompErrorEvent;
  drop: StompFrameEvent & { reason: DropReason };
  sent: StompFrameEvent;
  /** A connection opened to another endpoint of the URL list than the last open (the first open too). */
  endpoint: { index: number; url: string };
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
}

declare global {
  // `Symbol.dispose` for libs older than esnext.disposable/es2025 (as @types/node declares it).
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

/** A STOMP 1.2 client over a WebSocket that stays connected. */
export class StompClient extends EventTarget {
  constructor(url: string | URL | Endpoints | UrlProvider, options?: StompOptions);
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
  /** As `WebSocket.readyState`: 0 connecting or reconnecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: 0 | 1 | 2 | 3;
  /** The absolute ws:/wss: URL (a provider's: the latest attempt's, "" before one). */
  readonly url: string;
  /** The WebSocket subprotocol the broker selected (e.g. "v12.stomp"), "" when not open. */
  readonly protocol: string;
  readonly extensions: string;
  /** Bytes not on the wire yet: the socket's buffer + the queue. */
  readonly bufferedAmount: number;
  readonly state: State;
  /** The transport of the last open connection (`"websocket"`; with `sockjs`, SockJS's `"xhr-streaming"`, `"eventsource"` or `"xhr-polling"` too); null before the first open. */
  readonly transport: "websocket" | "xhr-streaming" | "eventsource" | "xhr-polling" | null;
  /** Frames waiting in the queue. */
  readonly queued: number;
  /** Always `undefined`: STOMP heart-beats give no round-trip sample. */
  readonly rtt: number | undefined;
  metrics(): Metrics;
  on<E extends keyof StompEvents>(event: E, handler: (ev: StompEvents[E]) => unknown): () => void;
  /** As `on`, for the next event only. */
  once<E extends keyof StompEvents>(event: E, handler: (ev: StompEvents[E]) => unknown): () => void;
  off<E extends keyof StompEvents>(event: E, handler: (ev: StompEvents[E]) => unknown): void;
  onopen: ((ev: Event & OpenEvent) => unknown) | null;
  onclose: ((ev: CloseEvent & { willReconnect: boolean }) => unknown) | null;
  onerror: ((ev: ErrorEvent & { kind: string }) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  /**
   * Subscribes now if open, and again on every reconnect (before the queued backlog).
   * `headers.ack` is `"auto"` (default), `"client"` or `"client-individual"`; `headers.id`
   * names it (a duplicate throws `RangeError`).
   */
  subscribe(destination: string, callback: (message: StompMessage) => void, headers?: StompHeaders, options?: SubscribeOptions): StompSubscription;
  /** `SEND` with a receipt: settles on the broker's `RECEIPT` (rejections: {@link StompError}). */
  publish(params: PublishParams & { receipt: true; timeoutMs?: number }): Promise<void>;
  /** `SEND`: on the wire now, queued, or dropped; throws a {@link StompError} (`closed`, `queue-full`). */
  publish(params: PublishParams & { receipt?: false; timeoutMs?: undefined }): SendStatus;
  publish(params: PublishParams & { receipt?: boolean; timeoutMs?: number }): SendStatus | Promise<void>;
  /** Sends (or queues) `BEGIN` with `id` (default `"tx-<n>"`). Not re-sent on reconnect. */
  begin(id?: string): StompTransaction;
  /**
   * Closes for good: sends `DISCONNECT` (asking for a receipt) and closes when the receipt or
   * the broker's close comes, or after 3 s. Queued frames get `drop` (`closed`), receipts reject `closed`.
   */
  close(code?: number, reason?: string): void;
  reconnect(): void;
  /** Starts connecting if `closed` (`autoConnect: false`, or after `close()`); otherwise nothing. */
  connect(): void;
  /** Closes at once (no `DISCONNECT`); every other method throws an `Error` afterwards. */
  free(): void;
  /** `free()`, for `using`. */
  [Symbol.dispose](): void;
}

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;
export interface InitOutput {
  readonly memory: WebAssembly.Memory;
}
export type SyncInitInput = BufferSource | WebAssembly.Module;

/** Instantiates this entry's wasm synchronously. */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/** Loads and instantiates this entry's wasm (`stomp_bg.wasm` next to the module by default); await it before `new StompClient(...)`. */
export default function __wbg_init(module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
