/* tslint:disable */
/* eslint-disable */
// Types of the npm entry `steadysocket/sockjs` (copied to pkg/sockjs/sockjs.d.ts by
// scripts/build-pkg.sh): `SteadySocket` and `StompClient` with the SockJS transport compiled in
// (the `sockjs` option of both). The classes' own types are the main entry's and the stomp
// entry's.
export { SteadySocket } from "../steadysocket.js";
export type { Options, Transport, State, Protocol, Codec, ReconnectOptions, HeartbeatOptions, QueueOptions, UrlProvider } from "../steadysocket.js";
export { StompClient } from "../stomp/stomp.js";
export type { StompOptions, StompHeaders, StompMessage, StompSubscription, StompError } from "../stomp/stomp.js";

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;
export interface InitOutput {
  readonly memory: WebAssembly.Memory;
}
export type SyncInitInput = BufferSource | WebAssembly.Module;
/** Instantiates the wasm synchronously (`module`: its bytes or a compiled `WebAssembly.Module`). */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;
/** Loads and instantiates the wasm (`sockjs_bg.wasm` beside this module unless given); call once before creating a socket. */
export default function __wbg_init(module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
