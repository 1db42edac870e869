//! The wasm half of the JavaScript facade. The public class `SteadySocket` is JavaScript
//! (`src/facade.js`, bundled into the package entry by `scripts/build-pkg.sh`): it checks
//! option and argument TYPES, unknown keys and URL syntax, keeps the listeners and builds
//! the event objects. This file is the minimal wasm class it wraps, `Core`: it takes the
//! options as packed numbers, checks their RANGES (`Config::validate` and
//! `core::validate`, shared with the Rust API; errors are `RangeError`s naming the option
//! path), owns the [`Driver`], and reports every event with one call, `hub.e(...)`.
//!
//! Boundary crossings are coarse on purpose: one call per method, one call per event, plain
//! numbers instead of JS objects (see DESIGN.md §5).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::text::{digits, num};
use crate::core::{
    BackoffConfig, ClosePolicy, Config, Event, HeartbeatConfig, OutboxConfig, Overflow,
    ReconnectConfig, SendError, Transport,
};
use crate::error::{OptionError, OptionErrorKind};
use crate::web::{Driver, JsFrame, Kind, Note, Proto, Sink, UrlSource};

#[wasm_bindgen(typescript_custom_section)]
const TS: &'static str = include_str!("steadysocket.d.ts");

#[wasm_bindgen]
extern "C" {
    /// The JS side of one socket (`Hub` in `src/facade.js`).
    pub type Hub;
    /// One event: `k` says which (see [`JsSink::note`]); the rest are its fields.
    #[wasm_bindgen(method, js_name = e)]
    fn e(this: &Hub, k: u32, a: f64, b: f64, c: f64, v: &JsValue, w: &JsValue);
    /// The app's `shouldReconnect` verdict on a close of the open connection (never throws).
    #[wasm_bindgen(method, js_name = k)]
    fn k(this: &Hub, code: u16, reason: &str, clean: bool) -> bool;
    /// Why a URL from the URL provider is refused (`undefined` when it is fine).
    #[wasm_bindgen(method, js_name = u)]
    fn u(this: &Hub, url: &str) -> Option<String>;
    /// The handshake headers for this attempt, `[name, value, …]` (runs the app's header
    /// function, if any); throws the reason the attempt fails.
    #[cfg(feature = "stomp")]
    #[wasm_bindgen(method, catch, js_name = h)]
    fn h(this: &Hub) -> Result<Vec<String>, JsValue>;
    /// Socket.IO: produces the `auth` of this attempt on connection `conn` and hands it to
    /// `Core.ca` (now or later); throws the reason the attempt fails.
    #[cfg(feature = "socketio")]
    #[wasm_bindgen(method, catch, js_name = ha)]
    fn ha(this: &Hub, conn: f64, ch: u32) -> Result<(), JsValue>;
}

#[cfg(feature = "socketio")]
mod sio;

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    /// `JSON.stringify(data)` (`undefined` → `"null"`); throws the facade's `TypeError`
    /// when `JSON.stringify` (or a `toJSON`) throws.
    #[wasm_bindgen(js_name = dataJson, catch)]
    fn data_json(data: &JsValue) -> Result<js_sys::JsString, JsValue>;
    /// `{"type","id","data"}` by concatenation (runs no user code).
    #[wasm_bindgen(js_name = requestEnvelope)]
    fn request_envelope(ty: &JsValue, id: f64, data: &js_sys::JsString) -> js_sys::JsString;
}

fn option_error(e: &OptionError) -> JsValue {
    let msg = e.text();
    match e.kind {
        OptionErrorKind::Type => js_sys::TypeError::new(&msg).into(),
        OptionErrorKind::Range => js_sys::RangeError::new(&msg).into(),
    }
}

impl From<OptionError> for JsValue {
    fn from(e: OptionError) -> JsValue {
        option_error(&e)
    }
}

/// An integer option `>= min` (a JS number that must be whole).
fn int(path: &str, v: Option<f64>, min: f64) -> Result<Option<usize>, OptionError> {
    match v {
        None => Ok(None),
        Some(n) if n.fract() == 0.0 && n >= min && n <= 9_007_199_254_740_991.0 => {
            Ok(Some(n as usize))
        }
        Some(n) => Err(OptionError::range_error(
            path,
            ["must be an integer >= ", &num(min), ", got ", &num(n)].concat(),
        )),
    }
}

/// Slot indexes of the packed options (`pack` in `src/facade.js`): `n[0]` is a mask whose
/// bit `i - 1` says slot `i` is present; bits 20–22 are flags; `n[17]` is the jitter seed;
/// `n[18..]` are `stopOnCodes` as `[from, to]` pairs.
const NO_RECONNECT: u32 = 1 << 20;
const STOP_CODES: u32 = 1 << 21;
const NO_HEARTBEAT: u32 = 1 << 22;
/// `autoConnect: false`: start closed, queueing, until `connect()`.
const IDLE: u32 = 1 << 23;
/// Report unconfirmed sends as `lost` (`Config::confirm_sends`).
const CONFIRM: u32 = 1 << 24;
/// `sockjs: true`: the URL is a SockJS endpoint (`Config::sockjs`).
const SOCKJS: u32 = 1 << 25;

/// Builds the validated config from the packed options.
fn config(n: &[f64], protocols: &[String], ping: Option<String>) -> Result<Config, OptionError> {
    let mask = n.first().copied().unwrap_or(0.0) as u32;
    let slot = |i: usize| (mask & (1 << (i - 1)) != 0).then(|| n.get(i).copied()).flatten();
    crate::core::validate::protocols(protocols)?;
    let mut cfg = Config {
        seed: n.get(17).copied().unwrap_or(0.0) as u64,
        confirm_sends: mask & CONFIRM != 0,
        ..Config::default()
    };
    if mask & SOCKJS != 0 {
        if !cfg!(feature = "sockjs") {
            return Err(OptionError::type_error(
                "sockjs",
                "needs the steadysocket/sockjs entry (import from \"steadysocket/sockjs\")",
            ));
        }
        cfg.sockjs = true;
        cfg.transports = crate::core::sockjs::ORDER.to_vec();
    }
    if mask & NO_RECONNECT != 0 {
        cfg.reconnect = None;
    } else {
        let d = BackoffConfig::default();
        let min_delay_ms = slot(1).unwrap_or(d.min_delay_ms);
        let max_attempts = match slot(5) {
            None => None,
            Some(n) if n == f64::INFINITY => None,
            Some(n) if n.fract() == 0.0 && (0.0..=4_294_967_295.0).contains(&n) => Some(n as u32),
            Some(n) => {
                return Err(OptionError::range_error(
                    "reconnect.maxAttempts",
                    ["must be an integer >= 0 or Infinity, got ", &num(n)].concat(),
                ))
            }
        };
        let mut policy = ClosePolicy::default();
        if mask & STOP_CODES != 0 {
            policy.stop_codes.clear();
            for (i, pair) in n.get(18..).unwrap_or(&[]).chunks(2).enumerate() {
                let code = |v: f64| {
                    if v.fract() == 0.0 && (0.0..=65535.0).contains(&v) {
                        Ok(v as u16)
                    } else {
                        Err(OptionError::range_error(
                            ["reconnect.stopOnCodes[", &digits(i as u64), "]"].concat(),
                            ["must be an integer close code, got ", &num(v)].concat(),
                        ))
                    }
                };
                let lo = code(pair.first().copied().unwrap_or(f64::NAN))?;
                let hi = code(pair.get(1).copied().unwrap_or(f64::NAN))?;
                policy.stop_codes.push((lo, hi));
            }
        }
        let r = ReconnectConfig::default();
        cfg.reconnect = Some(ReconnectConfig {
            backoff: BackoffConfig {
                min_delay_ms,
                max_delay_ms: slot(2).unwrap_or(d.max_delay_ms.max(min_delay_ms)),
                factor: slot(3).unwrap_or(d.factor),
                jitter: slot(4).unwrap_or(d.jitter),
                max_attempts,
            },
            stable_ms: slot(6).unwrap_or(r.stable_ms),
            policy,
            max_retry_after_ms: slot(7).unwrap_or(r.max_retry_after_ms),
        });
    }
    if mask & NO_HEARTBEAT != 0 {
        cfg.heartbeat = None;
    } else {
        let d = HeartbeatConfig::default();
        cfg.heartbeat = Some(HeartbeatConfig {
            interval_ms: slot(8).unwrap_or(d.interval_ms),
            timeout_ms: slot(9).unwrap_or(d.timeout_ms),
            ping: ping.unwrap_or(d.ping),
        });
    }
    let d = OutboxConfig::default();
    cfg.queue = OutboxConfig {
        max_messages: int("queue.maxMessages", slot(10), 0.0)?.unwrap_or(d.max_messages),
        max_bytes: int("queue.maxBytes", slot(11), 0.0)?.unwrap_or(d.max_bytes),
        overflow: match slot(12) {
            Some(1.0) => Overflow::DropNewest,
            Some(2.0) => Overflow::Error,
            Some(_) => Overflow::DropOldest,
            None => d.overflow,
        },
        ttl_ms: slot(13),
    };
    if let Some(v) = slot(14) {
        cfg.connect_timeout_ms = v;
    }
    if let Some(v) = slot(15) {
        cfg.request_timeout_ms = v;
    }
    if let Some(v) = int("maxMessageBytes", slot(16), 1.0)? {
        cfg.max_message_bytes = v;
    }
    cfg.validate()?;
    Ok(cfg)
}

// ---------- the event sink ----------

struct JsSink {
    hub: Hub,
}

impl JsSink {
    fn e(&self, k: u32, a: f64, b: f64, c: f64, v: &JsValue, w: &JsValue) {
        self.hub.e(k, a, b, c, v, w);
    }
}

fn opt(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

impl Sink for JsSink {
    /// One `hub.e(k, a, b, c, v, w)` call per note. Codes: 0 state (a from, b to), 1 open
    /// (a reconnected, b attempt), 2 close (a code, b wasClean | willReconnect << 1, v
    /// reason), 3 reconnecting (a attempt, b delay or NaN), 4 error (a kind, v message),
    /// 5 message (v type, w data), 6 raw (v), 7/8 reply ok/error (a id, v value), 9 drop
    /// (a raw, b reason, v frame), 10 sent (a raw, v frame), 11 rtt (a, b, c; NaN = none),
    /// 12 request failed (a id, b failure), 13 protocol frame (a conn, v headers, w body), 14
    /// server error (v message, w `[headers, body]`), 15 request from the server (a id, b
    /// conn, v type, w data), 16 acked (a upto), 17 gap (a from, b to or NaN), 18 drain,
    /// 19 lost (a raw, v frame), 20 transport (a its code), 21 a Socket.IO packet (the
    /// socketio driver), 22 endpoint (a its index in the list). Enums go as their declaration
    /// index.
    fn note(&self, note: Note) {
        let u = &JsValue::UNDEFINED;
        match note {
            Note::Message { ty, data } => self.e(5, 0.0, 0.0, 0.0, &ty, &data),
            Note::Request { ty, data, id, conn } => self.e(15, id, conn as f64, 0.0, &ty, &data),
            Note::Raw(v) => self.e(6, 0.0, 0.0, 0.0, &v, u),
            Note::Reply { id, error, value } => {
                self.e(7 + u32::from(error), id as f64, 0.0, 0.0, &value, u)
            }
            Note::Engine(ev) => match ev {
                Event::State { from, to } => {
                    self.e(0, f64::from(from as u8), f64::from(to as u8), 0.0, u, u)
                }
                Event::Open { reconnected, attempt } => {
                    self.e(1, f64::from(u8::from(reconnected)), attempt.into(), 0.0, u, u)
                }
                Event::Close { code, reason, was_clean, will_reconnect } => {
                    let flags = u8::from(was_clean) | u8::from(will_reconnect) << 1;
                    self.e(2, code.into(), flags.into(), 0.0, &reason.into(), u)
                }
                Event::Reconnecting { attempt, delay_ms } => {
                    self.e(3, attempt.into(), opt(delay_ms), 0.0, u, u)
                }
                Event::Error { kind, message } => {
                    self.e(4, f64::from(kind as u8), 0.0, 0.0, &message.into(), u)
                }
                Event::Dropped { meta, frame, reason, .. } => {
                    let raw = f64::from(u8::from(meta == Kind::Raw));
                    self.e(9, raw, f64::from(reason as u8), 0.0, &frame.value, u)
                }
                Event::Sent { meta, frame, .. } => {
                    let raw = f64::from(u8::from(meta == Kind::Raw));
                    self.e(10, raw, 0.0, 0.0, &frame.value, u)
                }
                Event::Rtt(r) => self.e(11, opt(r.latest), opt(r.smoothed), opt(r.jitter), u, u),
                Event::Acked { upto } => self.e(16, upto as f64, 0.0, 0.0, u, u),
                Event::Gap { from, to } => {
                    self.e(17, from as f64, opt(to.map(|t| t as f64)), 0.0, u, u)
                }
                Event::Drain => self.e(18, 0.0, 0.0, 0.0, u, u),
                Event::Transport(t) => self.e(20, t.code().into(), 0.0, 0.0, u, u),
                Event::Endpoint(i) => self.e(22, i as f64, 0.0, 0.0, u, u),
                Event::Lost { meta, frame } => {
                    let raw = f64::from(u8::from(meta == Kind::Raw));
                    self.e(19, raw, 0.0, 0.0, &frame.value, u)
                }
                Event::RequestFailed { id, failure } => {
                    self.e(12, id as f64, f64::from(failure as u8), 0.0, u, u)
                }
            },
            Note::Frame { conn, headers, body } => {
                self.e(13, conn as f64, 0.0, 0.0, &headers, &body)
            }
            Note::ServerError { message, headers, body } => {
                self.e(14, 0.0, 0.0, 0.0, &message.into(), &js_sys::Array::of2(&headers, &body))
            }
            #[cfg(feature = "socketio")]
            Note::Sio { k, id, conn, v, ch } => {
                self.e(21, k.into(), id, conn as f64, &v, &f64::from(ch).into())
            }
        }
    }

    fn check_url(&self, url: &str) -> Result<(), String> {
        self.hub.u(url).map_or(Ok(()), Err)
    }

    fn keep(&self, code: u16, reason: &str, clean: bool) -> bool {
        self.hub.k(code, reason, clean)
    }

    #[cfg(feature = "stomp")]
    fn handshake(&self) -> Result<Vec<String>, String> {
        self.hub.h().map_err(|e| crate::web::describe(&e))
    }

    #[cfg(feature = "socketio")]
    fn sio_auth(&self, conn: u64, ch: u32) -> Result<(), String> {
        self.hub.ha(conn as f64, ch).map_err(|e| crate::web::describe(&e))
    }
}

// ---------- the class ----------

/// The wasm side of one `SteadySocket` (the JS class in `src/facade.js` wraps it).
#[wasm_bindgen(skip_typescript)]
pub struct Core {
    /// `None` after `x()` (the JS `free()`).
    driver: RefCell<Option<Driver>>,
}

/// `send`/`request` statuses beyond [`Sent`]: 3 closed, 4 queue full, 5 freed.
fn refused(e: SendError) -> u32 {
    match e {
        SendError::Closed => 3,
        SendError::QueueFull => 4,
    }
}

#[wasm_bindgen]
impl Core {
    /// `url` is a string (its syntax already checked by the facade) or a URL provider
    /// function; `n` the packed options (see [`config`]).
    ///
    /// # Errors
    /// A `RangeError` naming the option whose value is out of range.
    ///
    /// The protocol (the seam): `p` is `[kind, handshakeTimeoutMs or NaN, cx, cy]`, kind 0 v1,
    /// 1 raw (`f` the pong predicate or `undefined`), 2 a custom codec (`f` its `decode`), 3
    /// STOMP (the `stomp` feature; `cx`,`cy` its `heart-beat` ask), 4 Socket.IO (the
    /// `socketio` feature; `sid` is the namespace, `pong` Engine.IO's `3`; the heartbeat is
    /// the server's, so any `heartbeat` option is replaced); `pong` answers a peer's
    /// ping (v1's default when `undefined` and kind 0); `sid`, with kind 0, turns reliable
    /// mode on with that session id.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        url: JsValue,
        hub: Hub,
        n: &[f64],
        protocols: Vec<String>,
        ping: Option<String>,
        p: &[f64],
        pong: Option<String>,
        f: JsValue,
        sid: Option<String>,
    ) -> Result<Core, JsValue> {
        let mut config = config(n, &protocols, ping)?;
        let at = |i: usize| p.get(i).copied().filter(|v| !v.is_nan());
        let kind = at(0).unwrap_or(0.0) as u32;
        #[cfg(feature = "socketio")]
        let (sid, nsp) = if kind == 4 { (None, sid) } else { (sid, None) };
        if let (Some(sid), 0) = (sid, kind) {
            config.reliable = Some(crate::core::ReliableConfig::new(sid));
            config.validate()?;
        }
        if kind != 0 {
            config.session.pong = pong;
        }
        if let Some(t) = at(1) {
            crate::core::validate::positive_ms("handshakeTimeoutMs", t)?;
            config.session.handshake_timeout_ms = t;
        }
        if let Some(high) = at(4) {
            config.water_marks = Some(crate::core::validate::water_marks(high, at(5))?);
        }
        // The transports as digits, most preferred first: 1 + `Transport::code` (1 websocket,
        // 2 sse, 3 long-polling, 4 xhr-streaming, 5 eventsource, 6 xhr-polling; the facade has
        // checked the names).
        if let Some(mut code) = at(6).map(|c| c as u64) {
            let mut list = Vec::new();
            while code > 0 {
                let c = ((code % 10) as u32).clamp(1, 6) - 1;
                list.insert(0, Transport::from_code(c).unwrap_or(Transport::WebSocket));
                code /= 10;
            }
            config.transports = list;
        }
        if let Some(ms) = at(7) {
            config.upgrade_probe_ms = ms;
        }
        if let Some(ms) = at(8) {
            config.endpoint_skip_ms = ms;
        }
        config.validate()?;
        let func = || f.clone().dyn_into::<js_sys::Function>().ok();
        let proto = match kind {
            1 => Proto::Raw { pong: func() },
            2 => match func() {
                Some(decode) => Proto::Custom { decode },
                None => Proto::V1,
            },
            #[cfg(feature = "stomp")]
            3 => {
                config.session.handshake = true;
                config.session.goodbye = true;
                let beat = |i: usize| at(i).unwrap_or(0.0).clamp(0.0, 4_294_967_295.0) as u32;
                let ask = if config.heartbeat.is_some() { (beat(2), beat(3)) } else { (0, 0) };
                if let Some(h) = &mut config.heartbeat {
                    h.ping = "\n".into();
                }
                Proto::Stomp(crate::web::StompState::new(ask, config.max_message_bytes))
            }
            #[cfg(feature = "socketio")]
            4 => {
                config.session.handshake = true;
                // The server pings; the client only answers (the beat role from the CONNECT).
                config.heartbeat = Some(crate::core::HeartbeatConfig::default());
                let nsp = nsp.unwrap_or_else(|| "/".into());
                // The first namespace connects with the connection unless autoConnect is off.
                let active = n.first().is_none_or(|m| (*m as u32) & IDLE == 0);
                Proto::Sio(crate::web::SioState::new(nsp, f.clone(), active))
            }
            _ => Proto::V1,
        };
        let source = match url.as_string() {
            Some(s) => UrlSource::Fixed(s),
            // An endpoint list (the facade checked and resolved each URL).
            None if js_sys::Array::is_array(&url) => UrlSource::List(
                js_sys::Array::from(&url).iter().filter_map(|u| u.as_string()).collect(),
            ),
            None => UrlSource::Provider(url.unchecked_into()),
        };
        let idle = n.first().is_some_and(|m| (*m as u32) & IDLE != 0);
        let driver = Driver::build(source, protocols, config, proto, Rc::new(JsSink { hub }), idle);
        Ok(Core { driver: RefCell::new(Some(driver)) })
    }

    /// Runs `f` on the driver, or returns `none` after `x()`.
    fn with<R>(&self, none: R, f: impl FnOnce(&Driver) -> R) -> R {
        self.driver.borrow().as_ref().map_or(none, f)
    }

    /// The JS `free()`: closes at once and releases everything (pending requests reject
    /// `closed`, queued messages get `drop` events, delivered by the pump). Safe from any
    /// handler: no method holds the driver while user code runs.
    pub fn x(&self) {
        let d = self.driver.borrow_mut().take();
        drop(d);
    }

    /// The state's index (`connecting`, `open`, `reconnecting`, `closing`, `closed`).
    pub fn s(&self) -> u32 {
        self.with(4, |d| d.read(|e, _| e.state() as u32))
    }

    /// Messages waiting in the queue.
    pub fn q(&self) -> u32 {
        self.with(0, |d| d.read(|e, _| e.queued() as u32))
    }

    /// The latest RTT sample, NaN before the first.
    pub fn r(&self) -> f64 {
        self.with(f64::NAN, |d| d.read(|e, _| opt(e.rtt().latest)))
    }

    /// Reliable mode: the seq of the latest accepted message.
    pub fn sq(&self) -> f64 {
        self.with(0.0, |d| d.read(|e, _| e.last_seq() as f64))
    }

    /// Writes the 17 metrics into `out` (the order of `metrics()` in the README; NaN for
    /// an RTT not measured yet).
    pub fn m(&self, out: &mut [f64]) {
        let Some(m) = self.with(None, |d| Some(d.read(|e, now| e.metrics(now)))) else { return };
        let v = [
            m.attempts as f64,
            m.reconnects as f64,
            m.downtime_ms,
            m.messages_in as f64,
            m.messages_out as f64,
            m.bytes_in as f64,
            m.bytes_out as f64,
            m.queued as f64,
            m.queued_bytes as f64,
            m.dropped as f64,
            m.pending_requests as f64,
            opt(m.rtt.latest),
            opt(m.rtt.smoothed),
            opt(m.rtt.jitter),
            m.duplicates as f64,
            m.resent as f64,
            m.unacked as f64,
        ];
        for (o, x) in out.iter_mut().zip(v) {
            *o = x;
        }
    }

    /// Sends (or queues) a frame: a string (`len` UTF-16 units) or a `Uint8Array` (`len`
    /// bytes); `raw` says whether it is a raw frame or an envelope. Returns 0 sent, 1
    /// queued, 2 dropped, or a refusal (see [`refused`]).
    /// With `conn` (the open event's connection), through the gate of an open handler's
    /// Promise ([`hd`](Self::hd)). `ch`: the engine channel (a Socket.IO namespace's).
    pub fn t(
        &self,
        value: JsValue,
        len: u32,
        raw: bool,
        conn: Option<f64>,
        ch: Option<u32>,
    ) -> u32 {
        let frame = JsFrame::on(value, len as usize, ch.unwrap_or(0));
        let kind = if raw { Kind::Raw } else { Kind::Envelope };
        self.with(5, |d| {
            d.send_via(conn.map(|c| c as u64), frame, kind).map_or_else(refused, |s| s as u32)
        })
    }

    /// `connect()`: starts connecting if closed.
    pub fn cn(&self) {
        self.with((), Driver::connect);
    }

    /// Holds the backlog behind an open handler's Promise: the connection id to pass to
    /// [`rl`](Self::rl), 0 when not open.
    pub fn hd(&self) -> f64 {
        self.with(0.0, |d| d.hold() as f64)
    }

    /// The open handlers' Promises of connection `conn` settled: `err` is `None` when all
    /// fulfilled, else why one rejected (the connection fails).
    pub fn rl(&self, conn: f64, err: Option<String>) {
        self.with((), |d| d.release(conn as u64, err.map_or(Ok(()), Err)));
    }

    /// Registers (or replaces) subscription `key`: sent on every open before the backlog, and
    /// now if the backlog already went; whether it was sent now.
    pub fn sb(&self, key: f64, frame: JsValue, len: u32) -> bool {
        let frame = JsFrame::new(frame, len as usize);
        self.with(false, |d| d.subscribe(key as u64, frame))
    }

    /// Forgets subscription `key`; whether it existed.
    pub fn ub(&self, key: f64) -> bool {
        self.with(false, |d| d.unsubscribe(key as u64))
    }

    /// Whether new messages go straight out (not held above the high water mark).
    pub fn wr(&self) -> bool {
        self.with(false, |d| d.read(|e, _| !e.congested()))
    }

    /// The current connection id (the open event's, while it is dispatched).
    pub fn o(&self) -> f64 {
        self.with(0.0, |d| d.read(|e, _| e.conn() as f64))
    }

    /// The URL of the latest attempt (undefined before the first).
    pub fn lu(&self) -> JsValue {
        self.with(JsValue::UNDEFINED, Driver::last_url)
    }

    /// The current `WebSocket` (`null` when there is none).
    pub fn w(&self) -> JsValue {
        self.with(JsValue::NULL, Driver::socket)
    }

    /// Sets the Port's transport maker (JS `shared`: the follower tab's link to the leader).
    pub fn pm(&self, f: JsValue) {
        self.with((), |d| d.set_maker(&f));
    }

    /// The transport's own buffer (`WebSocket.bufferedAmount`, or an HTTP transport's frames
    /// not yet answered), in bytes.
    pub fn bf(&self) -> f64 {
        self.with(0.0, Driver::socket_buffered)
    }

    /// Sends a reply to a server request (or any control frame) on connection `conn` only
    /// (0: the open one); whether it was transmitted.
    pub fn cf(&self, conn: f64, frame: JsValue, len: u32) -> bool {
        let frame = JsFrame::new(frame, len as usize);
        self.with(false, |d| d.control(conn as u64, frame))
    }

    /// Starts a request; returns its id, or minus a refusal (see [`refused`]).
    ///
    /// # Errors
    /// A `RangeError` for the timeout; the `TypeError` of data `JSON.stringify` refuses.
    /// With `conn`, through the gate (see [`t`](Self::t)).
    pub fn rq(
        &self,
        ty: JsValue,
        data: JsValue,
        timeout_ms: Option<f64>,
        conn: Option<f64>,
    ) -> Result<f64, JsValue> {
        let timeout_ms = crate::core::validate::request_timeout(timeout_ms)?;
        // The data is serialized exactly once, here, before anything is queued (user code,
        // `toJSON`, runs with no borrow held); the engine step only concatenates strings.
        let json = data_json(&data)?;
        let encode = |id: u64| JsFrame::from_js_string(&request_envelope(&ty, id as f64, &json));
        Ok(self.with(-5.0, |d| {
            d.request_via(conn.map(|c| c as u64), timeout_ms, encode, |_| {})
                .map_or_else(|e| -f64::from(refused(e)), |(id, _)| id as f64)
        }))
    }

    /// Closes for good. Checks the code's range, then (`reason` is `None` when the facade
    /// found it is not a string) returns 1 without closing, else the reason's length.
    ///
    /// # Errors
    /// A `RangeError` for a code other than 1000 or 3000–4999, or a reason over 123 UTF-8
    /// bytes.
    pub fn c(&self, code: Option<f64>, reason: Option<String>) -> Result<u32, JsValue> {
        let code = crate::core::validate::close_code(code)?;
        let Some(reason) = reason else { return Ok(1) };
        crate::core::validate::close_reason(&reason)?;
        self.with((), |d| d.close(code, &reason));
        Ok(0)
    }

    /// Drops the current connection (if any) and attempts now with the backoff reset.
    pub fn rc(&self) {
        self.with((), Driver::reconnect);
    }

    /// The id the next request will get (a custom codec encodes the request with it first).
    pub fn ni(&self) -> f64 {
        self.with(0.0, |d| d.read(|e, _| e.next_request_id() as f64))
    }

    /// Starts a request whose frame the facade already encoded with id `expect` (see
    /// [`ni`](Self::ni)); returns its id, minus a refusal (see [`refused`]), or -6 when the
    /// next id is no longer `expect` (the encoder called back into the socket: re-encode).
    /// `ch`: the engine channel (a Socket.IO namespace's).
    ///
    /// # Errors
    /// A `RangeError` for the timeout.
    pub fn rf(
        &self,
        value: JsValue,
        len: u32,
        expect: f64,
        timeout_ms: Option<f64>,
        conn: Option<f64>,
        ch: Option<u32>,
    ) -> Result<f64, JsValue> {
        let timeout_ms = crate::core::validate::request_timeout(timeout_ms)?;
        Ok(self.with(-5.0, |d| {
            if d.read(|e, _| e.next_request_id() as f64) != expect {
                return -6.0;
            }
            let frame = JsFrame::on(value, len as usize, ch.unwrap_or(0));
            d.request_via(conn.map(|c| c as u64), timeout_ms, |_| frame, |_| {})
                .map_or_else(|e| -f64::from(refused(e)), |(id, _)| id as f64)
        }))
    }
}

/// The persistent queue of the JS `SteadySocket` (`persist`, `src/persist.js`): compiled into
/// the entries that export it (the main one and `steadysocket/sockjs`), not into the STOMP and
/// Socket.IO ones (whose classes have no such option).
#[cfg(any(feature = "sockjs", not(any(feature = "stomp", feature = "socketio"))))]
#[wasm_bindgen]
impl Core {
    /// A persisted queue (`persist`): puts back a message an earlier page queued, `age` ms
    /// ago (wall clock), at the back of the queue ([`Engine::restore`](crate::core::Engine::restore):
    /// its TTL counts from then; overflow applies; reliable mode: `seq` its seq, 0 for a new
    /// one). Returns 1 queued, 2 dropped (expired or overflow: a `drop` event), 3 closed, 5
    /// freed.
    pub fn rs(&self, value: JsValue, len: u32, raw: bool, age: f64, seq: f64) -> u32 {
        let frame = JsFrame::new(value, len as usize);
        let kind = if raw { Kind::Raw } else { Kind::Envelope };
        let age = if age > 0.0 { age } else { 0.0 };
        self.with(5, |d| {
            d.with(|e, now| e.restore(frame, kind, now - age, seq as u64, now))
                .map_or_else(refused, |s| s as u32)
        })
    }

    /// Reliable mode, a persisted queue: continues session `session` of an earlier page
    /// (`last_in` its last server seq, `last_out` its last seq; see
    /// [`Engine::resume_session`](crate::core::Engine::resume_session)); whether it applied.
    pub fn se(&self, session: &str, last_in: f64, last_out: f64) -> bool {
        self.with(false, |d| {
            d.with(|e, _| e.resume_session(session, last_in as u64, last_out as u64))
        })
    }

    /// Reliable mode: the highest server seq received (0 before the first).
    pub fn li(&self) -> f64 {
        self.with(0.0, |d| d.read(|e, _| e.last_in() as f64))
    }
}

/// STOMP frames for the `StompClient` facade (`src/stomp.js`): headers travel as flat
/// `[name, value, …]` string arrays, bodies as bytes; every frame is encoded by
/// `core::stomp`.
#[cfg(feature = "stomp")]
#[wasm_bindgen]
impl Core {
    /// Encodes a frame (`SEND`, `BEGIN`, `COMMIT`, `ABORT`, `ACK`, `NACK`): its bytes.
    pub fn sf(&self, command: &str, headers: Vec<String>, body: &[u8]) -> js_sys::Uint8Array {
        let frame = stomp_frame(command, &headers, body, None);
        frame.value.unchecked_into()
    }

    /// Sends a `SEND` asking for a receipt: a request whose id is the `receipt` header;
    /// returns the id or minus a refusal (see [`refused`]).
    ///
    /// # Errors
    /// A `RangeError` for the timeout.
    pub fn sr(
        &self,
        headers: Vec<String>,
        body: &[u8],
        timeout_ms: Option<f64>,
    ) -> Result<f64, JsValue> {
        let timeout_ms = crate::core::validate::request_timeout(timeout_ms)?;
        Ok(self.with(-5.0, |d| {
            d.request(timeout_ms, |id| stomp_frame("SEND", &headers, body, Some(id)), |_| {})
                .map_or_else(|e| -f64::from(refused(e)), |(id, _)| id as f64)
        }))
    }

    /// Registers subscription `key` (its `SUBSCRIBE` headers), sent now if connected and on
    /// every reconnect before the backlog. With `receipt`, the first `SUBSCRIBE` asks for one:
    /// returns its request id (0 without, -5 after free, -3 when closed).
    pub fn ss(
        &self,
        key: f64,
        headers: Vec<String>,
        receipt: bool,
        timeout_ms: Option<f64>,
    ) -> f64 {
        let plain = stomp_frame("SUBSCRIBE", &headers, &[], None);
        self.with(-5.0, |d| {
            if !receipt {
                d.stand(key as u64, plain, None);
                return 0.0;
            }
            let encode = |id: u64| stomp_frame("SUBSCRIBE", &headers, &[], Some(id));
            match d.stand(key as u64, plain, Some((timeout_ms, &encode))) {
                0 => -3.0,
                id => id as f64,
            }
        })
    }

    /// Forgets subscription `key`, sending its `UNSUBSCRIBE` (headers given) if connected.
    pub fn su(&self, key: f64, headers: Vec<String>) -> bool {
        let frame = stomp_frame("UNSUBSCRIBE", &headers, &[], None);
        self.with(false, |d| d.unstand(key as u64, Some(frame)))
    }
}

/// Encodes a STOMP frame from flat headers (plus `receipt: <id>`).
#[cfg(feature = "stomp")]
fn stomp_frame(command: &str, headers: &[String], body: &[u8], receipt: Option<u64>) -> JsFrame {
    use crate::core::stomp::{Command, Frame};
    let mut f = Frame::new(Command::parse(command)).with_body(body.to_vec());
    for c in headers.chunks(2) {
        if let [k, v] = c {
            f.headers.push((k.clone(), v.clone()));
        }
    }
    if let Some(id) = receipt {
        f.headers.push(("receipt".into(), digits(id)));
    }
    crate::web::stomp_frame(&f)
}
