// The `steadysocket/sockjs` npm entry: `SteadySocket` and `StompClient` with the SockJS transport
// compiled in (cargo features `sockjs` + `stomp`): `new SteadySocket(url, { sockjs: true })`,
// `new StompClient({ url, sockjs: true })`. See the README, "SockJS".
export { SteadySocket } from "./facade.js";
export { StompClient } from "./stomp-client.js";
