//! The browser driver: turns browser callbacks into engine inputs and engine actions into
//! browser calls, through one small JS object, the [`Port`] (`src/glue.js`), which owns the
//! `WebSocket`, the one re-armable timer and the window listeners and reports every input
//! through one callback. No decisions live here or there: the pump and every check are Rust.
//!
//! Transport seam: everything socket-specific is the Port's `o`/`s`/`c`/`x` (open, send,
//! close, detach); a later HTTP streaming or long-polling transport plugs in beside it without
//! touching the engine.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use js_sys::{JsString, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[cfg(feature = "socketio")]
mod socketio;
#[cfg(feature = "socketio")]
pub(crate) use socketio::SioState;
#[cfg(feature = "sockjs")]
mod sockjs;

use crate::core::envelope::WireFrame;
use crate::core::envelope::{classify, Field};
use crate::core::{Action, Config, Delivery, Engine, Event, FrameKind, SendError, Sent};

/// What a queued frame is (kept with it so `drop`/`sent` events can describe it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A `{"type","data"}` event or request envelope.
    Envelope,
    /// A raw frame.
    Raw,
}

/// A frame held as a JS value (a string, or a `Uint8Array` for binary): payloads never
/// cross into wasm memory on the send path.
#[derive(Debug, Clone)]
pub(crate) struct JsFrame {
    /// The string or `Uint8Array` handed to `WebSocket.send`.
    pub value: JsValue,
    /// Its size: UTF-16 code units for text, bytes for binary.
    pub len: usize,
    /// Its engine channel (a Socket.IO namespace; 0: none, see `Engine::open_channel`).
    #[cfg(feature = "socketio")]
    pub ch: u32,
}

impl WireFrame for JsFrame {
    fn wire_len(&self) -> usize {
        self.len
    }
    fn text(s: String) -> Self {
        let len = s.len();
        JsFrame::new(JsValue::from_str(&s), len)
    }
    fn channel(&self) -> u32 {
        // Only Socket.IO has channels: elsewhere the engine's channel code folds away.
        #[cfg(feature = "socketio")]
        return self.ch;
        #[cfg(not(feature = "socketio"))]
        0
    }
    fn with_seq(&self, seq: u64) -> Option<Self> {
        let s = with_seq(&self.value, seq as f64)?;
        Some(JsFrame::from_js_string(&s))
    }
}

impl JsFrame {
    /// A text frame from a JS string.
    pub fn from_js_string(s: &JsString) -> Self {
        JsFrame::new(s.into(), s.length() as usize)
    }

    /// A frame of channel 0.
    pub fn new(value: JsValue, len: usize) -> Self {
        Self::on(value, len, 0)
    }

    /// A frame of channel `ch` (ignored without Socket.IO: no channels).
    pub fn on(value: JsValue, len: usize, ch: u32) -> Self {
        #[cfg(not(feature = "socketio"))]
        let _ = ch;
        JsFrame {
            value,
            len,
            #[cfg(feature = "socketio")]
            ch,
        }
    }
}

/// `(type, data)` of a queued frame for `drop`/`sent` events: parsed back from the
/// envelope (only when someone listens), or `(null, frame)` for raw frames. (The JS facade
/// does this in JS.)
#[cfg(feature = "rust-api")]
pub(crate) fn frame_parts(kind: Kind, frame: &JsFrame) -> (JsValue, JsValue) {
    match kind {
        Kind::Raw => (JsValue::NULL, frame.value.clone()),
        Kind::Envelope => match frame.value.dyn_ref::<JsString>().map(json_parse) {
            Some(Ok(v)) => KEYS.with(|k| (get_or_null(&v, &k.ty), get_or_null(&v, &k.data))),
            _ => (JsValue::NULL, JsValue::NULL),
        },
    }
}

/// Where the URL comes from.
pub(crate) enum UrlSource {
    Fixed(String),
    /// An endpoint list: each attempt uses the one the engine picks (`Engine::endpoint_for`).
    List(Vec<String>),
    /// A JS function returning a string or a Promise of one, called before every attempt.
    Provider(js_sys::Function),
}

/// What the driver reports to the facade.
pub(crate) enum Note {
    Engine(Event<Kind, JsFrame>),
    Message {
        ty: JsValue,
        data: JsValue,
    },
    /// A typed message with an `id` (v1 and codecs): a request from the server, to be
    /// answered on connection `conn` with `{"replyTo": id, ...}`.
    Request {
        ty: JsValue,
        data: JsValue,
        id: f64,
        conn: u64,
    },
    Raw(JsValue),
    Reply {
        id: u64,
        error: bool,
        value: JsValue,
    },
    /// A protocol frame for the application (a STOMP `MESSAGE`): the connection it came on,
    /// its headers (an object, first occurrence wins) and its body (a `Uint8Array`).
    #[cfg_attr(not(feature = "stomp"), allow(dead_code))]
    Frame {
        conn: u64,
        headers: JsValue,
        body: JsValue,
    },
    /// An error frame from the peer (a STOMP `ERROR`): its description, headers and body.
    #[cfg_attr(not(feature = "stomp"), allow(dead_code))]
    ServerError {
        message: String,
        headers: JsValue,
        body: JsValue,
    },
    /// Socket.IO (`k`), for namespace channel `ch`: 0 an event, 1 an ack of request `id`,
    /// 2 a connect error (`v`: `[json, attachments, ack id]`, see `web/socketio.rs`), 3 a
    /// server ping, 4 the namespace connected, 5 the server disconnected it, 6 its `auth`
    /// failed (`v`: why); `conn` the connection it came on.
    #[cfg(feature = "socketio")]
    Sio {
        k: u32,
        id: f64,
        conn: u64,
        v: JsValue,
        ch: u32,
    },
}

/// The wire protocol: how inbound frames are classified (the protocol seam's driver half;
/// encoding is the facade's, which builds frames in JS, except STOMP's, encoded here).
pub(crate) enum Proto {
    /// The `{"type","data"}` envelope.
    V1,
    /// No envelope: every frame is raw; `pong`, if set, is a JS predicate telling heartbeat
    /// answers apart (they are not delivered).
    Raw { pong: Option<js_sys::Function> },
    /// The application's codec: `decode(frame)` returns a `{type, data, id?, replyTo?, error?}`
    /// object (classified like v1) or anything else for a raw frame.
    Custom { decode: js_sys::Function },
    /// STOMP 1.2.
    #[cfg(feature = "stomp")]
    Stomp(StompState),
    /// Engine.IO v4 + Socket.IO v5, one namespace.
    #[cfg(feature = "socketio")]
    Sio(SioState),
}

/// The STOMP session of one driver: the stream decoder and what the handshake asked.
#[cfg(feature = "stomp")]
pub(crate) struct StompState {
    decoder: crate::core::stomp::Decoder,
    /// Whether the current connection got its `CONNECTED`.
    connected: bool,
    /// The `heart-beat` the client asks for (`cx`, `cy`).
    ask: (u32, u32),
}

#[cfg(feature = "stomp")]
impl StompState {
    /// A session asking for `heart-beat: cx,cy`, decoding frames of up to `max` bytes.
    pub fn new(ask: (u32, u32), max: usize) -> Self {
        Self { decoder: crate::core::stomp::Decoder::new(max), connected: false, ask }
    }
}

/// The facade's side: receives notes (it may call back into the driver re-entrantly).
pub(crate) trait Sink {
    fn note(&self, note: Note);
    /// Why a URL the URL provider returned is refused (the error event's message), if it is.
    /// The JS facade asks the browser's `URL` parser; the Rust API uses
    /// [`crate::error::check_ws_url`].
    fn check_url(&self, url: &str) -> Result<(), String>;
    /// Whether to reconnect after the open connection closed with `code`/`reason` (the JS
    /// `shouldReconnect` option; user code, called with no borrow held). Default: yes.
    fn keep(&self, code: u16, reason: &str, clean: bool) -> bool {
        let _ = (code, reason, clean);
        true
    }
    /// The handshake's headers for this attempt, as `[name, value, name, value, …]` (may run
    /// user code, e.g. a function returning fresh credentials); `Err` fails the attempt.
    #[cfg(feature = "stomp")]
    fn handshake(&self) -> Result<Vec<String>, String> {
        Ok(Vec::new())
    }
    /// Socket.IO: produce the `auth` of namespace channel `ch` on connection `conn` (may run
    /// user code) and hand it to [`Driver::sio_connect`], now or later; `Err` fails that
    /// namespace (a connect error).
    #[cfg(feature = "socketio")]
    fn sio_auth(&self, conn: u64, ch: u32) -> Result<(), String> {
        let _ = (conn, ch);
        Ok(())
    }
}

struct Inner {
    engine: Engine<Kind, JsFrame>,
    proto: Proto,
    /// The conn whose socket the Port holds (it holds at most one).
    socket: Option<u64>,
    /// The deadline the Port's timer is armed for.
    armed_at: Option<f64>,
    /// Water marks are set: report the socket's buffered amount before sends and timers.
    marks: bool,
    url: Rc<UrlSource>,
    /// SockJS: the endpoint URL of the current attempt (`Some` from the start: the URL is a
    /// SockJS endpoint).
    #[cfg(feature = "sockjs")]
    sockjs: Option<String>,
}

/// An inbound frame waiting for its [`Action::Deliver`]: the event's data and, for JSON
/// text, the parsed object.
struct Inbound {
    data: JsValue,
    parsed: Option<JsValue>,
    /// The connection it came on (a request from the server is answered there).
    conn: u64,
}

/// Where the pump was entered from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// A browser callback (socket, timer, window event, microtask): user code may run now.
    Callback,
    /// A method the application called: only actions that run no user code are performed
    /// now; the rest waits for a microtask (a handler must never run inside a method call:
    /// wasm-bindgen holds a borrow of the object, and the caller is mid-statement).
    Method,
}

/// The event pump and the state it guards.
///
/// Rules (see the README's "Behaviour in detail"):
/// - one FIFO: the engine's action queue. Every input (a browser callback, or a method the
///   application calls, including from inside a handler) is fed to the engine at once and
///   appends its actions at the back; the pump performs them from the front, one at a
///   time, so nothing newer is ever performed before something older;
/// - no `RefCell` borrow is held while user code runs (handlers, the URL provider);
/// - only one pump runs: a call made while pumping just feeds the engine and returns;
/// - inside a method call, actions that run user code (`Emit`, `Deliver`, `Connect`) wait
///   for a microtask; socket I/O before them is performed at once.
struct Shared {
    inner: RefCell<Inner>,
    sink: Rc<dyn Sink>,
    pumping: Cell<bool>,
    /// The front of the FIFO, taken from the engine and held for the microtask pump.
    held: RefCell<Option<Action<Kind, JsFrame>>>,
    /// Payloads of inbound frames, in the order of their `Deliver` actions.
    inbound: RefCell<VecDeque<Inbound>>,
    /// A strong reference held while a microtask is queued, so the callback is alive
    /// when it runs even if the owner was dropped meanwhile.
    keep: RefCell<Option<Rc<Shared>>>,
    /// The owner dropped the driver: release every browser resource once the pump drains.
    freed: Cell<bool>,
    /// The browser side; disposed when the pump drains after `freed`, and on drop.
    port: Port,
    /// The Port's one callback (dropped after the Port is disposed: see `Drop`).
    _input: Closure<dyn Fn(u32, f64, f64, JsValue)>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Before `_input` is freed: the Port reports nothing after this.
        self.port.d();
    }
}

/// A confirmed standing frame: the receipt's timeout and the encoder of the first frame.
#[cfg_attr(not(feature = "stomp"), allow(dead_code))]
pub(crate) type Confirm<'a> = (Option<f64>, &'a dyn Fn(u64) -> JsFrame);

/// The owning handle. Dropping it closes the socket (settling pending requests and the
/// queue as `closed`), then, once those events are delivered, cancels the timer and
/// removes every listener.
pub(crate) struct Driver {
    shared: Rc<Shared>,
}

impl Driver {
    /// Starts connecting (in a microtask, so handlers registered right after construction
    /// see every event). `config` must be validated.
    #[cfg_attr(not(feature = "rust-api"), allow(dead_code))]
    pub fn new(
        url: UrlSource,
        protocols: Vec<String>,
        config: Config,
        proto: Proto,
        sink: Rc<dyn Sink>,
    ) -> Self {
        Self::build(url, protocols, config, proto, sink, false)
    }

    /// As [`new`](Self::new), with `idle`: do not connect until [`connect`](Self::connect)
    /// (messages queue meanwhile: [`Engine::new_idle`]).
    pub fn build(
        url: UrlSource,
        protocols: Vec<String>,
        config: Config,
        proto: Proto,
        sink: Rc<dyn Sink>,
        idle: bool,
    ) -> Self {
        let marks = config.water_marks.is_some();
        let q = js_sys::Array::new();
        for p in &protocols {
            q.push(&JsValue::from_str(p));
        }
        let shared = Rc::new_cyclic(|weak: &Weak<Shared>| {
            let weak = weak.clone();
            let input = Closure::<dyn Fn(u32, f64, f64, JsValue)>::new(
                move |kind: u32, conn: f64, n: f64, a: JsValue| {
                    if let Some(s) = weak.upgrade() {
                        s.on_input(kind, conn as u64, n, a);
                    }
                },
            );
            #[cfg(feature = "socketio")]
            let port = match &proto {
                Proto::Sio(st) => st.port(&input, &q),
                _ => Port::new(&input, &q),
            };
            #[cfg(not(feature = "socketio"))]
            let port = Port::new(&input, &q);
            #[cfg(feature = "sockjs")]
            let port = if config.sockjs { sockjs::port(&input, &q) } else { port };
            #[cfg(feature = "sockjs")]
            let sockjs = config.sockjs.then(String::new);
            Shared {
                inner: RefCell::new(Inner {
                    engine: Engine::with_start(config, now(), !idle),
                    proto,
                    socket: None,
                    armed_at: None,
                    marks,
                    url: Rc::new(url),
                    #[cfg(feature = "sockjs")]
                    sockjs,
                }),
                sink,
                pumping: Cell::new(false),
                held: RefCell::new(None),
                inbound: RefCell::new(VecDeque::new()),
                keep: RefCell::new(None),
                freed: Cell::new(false),
                port,
                _input: input,
            }
        });
        shared.pump(Ctx::Method);
        Driver { shared }
    }

    /// Feeds the engine (no user code runs), then pumps.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Engine<Kind, JsFrame>, f64) -> R) -> R {
        let r = f(&mut self.shared.inner.borrow_mut().engine, now());
        self.shared.pump(Ctx::Method);
        r
    }

    /// Reads the engine.
    pub fn read<R>(&self, f: impl FnOnce(&Engine<Kind, JsFrame>, f64) -> R) -> R {
        f(&self.shared.inner.borrow().engine, now())
    }

    /// Sends (or queues) a frame.
    #[cfg_attr(not(feature = "rust-api"), allow(dead_code))]
    pub fn send(&self, frame: JsFrame, meta: Kind) -> Result<Sent, SendError> {
        self.send_via(None, frame, meta)
    }

    /// Starts a request. `encode` builds the frame from the request id and must not run
    /// user code (it runs inside the engine step); `before_run` registers the caller's
    /// pending entry before any resulting action (e.g. an immediate failure) is performed.
    #[cfg_attr(not(feature = "rust-api"), allow(dead_code))]
    pub fn request(
        &self,
        timeout_ms: Option<f64>,
        encode: impl FnOnce(u64) -> JsFrame,
        before_run: impl FnOnce(u64),
    ) -> Result<(u64, Sent), SendError> {
        self.request_via(None, timeout_ms, encode, before_run)
    }

    /// User `close()`.
    pub fn close(&self, code: u16, reason: &str) {
        self.with(|e, now| e.close(code, reason, now));
    }

    /// User `reconnect()`.
    pub fn reconnect(&self) {
        self.with(|e, now| e.reconnect(now));
    }

    /// Registers subscription `key` ([`Engine::subscribe`]).
    pub fn subscribe(&self, key: u64, frame: JsFrame) -> bool {
        self.with(|e, now| e.subscribe(key, frame, now))
    }

    /// Forgets subscription `key` ([`Engine::unsubscribe`]).
    pub fn unsubscribe(&self, key: u64) -> bool {
        self.with(|e, _| e.unsubscribe(key))
    }

    /// User `connect()`: starts if closed.
    pub fn connect(&self) {
        self.with(|e, now| e.connect(now));
    }

    /// Holds the backlog behind the application's handshake ([`Engine::hold`]); the
    /// connection id to release, 0 when not open.
    pub fn hold(&self) -> u64 {
        self.with(|e, now| e.hold(now).unwrap_or(0))
    }

    /// Ends the gate of `conn` ([`Engine::release`]).
    pub fn release(&self, conn: u64, result: Result<(), String>) {
        self.with(|e, now| e.release(conn, result, now));
    }

    /// Sends (or queues) a frame; with `via`, through the gate on that connection
    /// ([`Engine::send_via`]).
    pub fn send_via(
        &self,
        via: Option<u64>,
        frame: JsFrame,
        meta: Kind,
    ) -> Result<Sent, SendError> {
        self.shared.report_buffered();
        self.with(|e, now| e.send_via(via, frame, meta, now))
    }

    /// As [`request`](Self::request); with `via`, through the gate on that connection
    /// ([`Engine::request_via`]).
    pub fn request_via(
        &self,
        via: Option<u64>,
        timeout_ms: Option<f64>,
        encode: impl FnOnce(u64) -> JsFrame,
        before_run: impl FnOnce(u64),
    ) -> Result<(u64, Sent), SendError> {
        self.shared.report_buffered();
        let r = self.shared.inner.borrow_mut().engine.request_via(
            via,
            timeout_ms,
            Kind::Envelope,
            now(),
            encode,
        );
        if let Ok((id, _)) = r {
            before_run(id);
        }
        self.shared.pump(Ctx::Method);
        r
    }

    /// The current `WebSocket` (`undefined` when there is none).
    pub fn socket(&self) -> JsValue {
        self.shared.port.ws()
    }

    /// The URL of the latest attempt (undefined before the first).
    pub fn last_url(&self) -> JsValue {
        self.shared.port.last_url()
    }

    /// Sets the Port's transport maker (see `Port::pm` in `src/glue.js`).
    pub fn set_maker(&self, f: &JsValue) {
        self.shared.port.set_maker(f);
    }

    /// The transport's own buffer in bytes (0 without one).
    pub fn socket_buffered(&self) -> f64 {
        self.shared.port.buffered()
    }

    /// Sends a control frame (e.g. a STOMP `ACK`, a reply to a server request) on connection
    /// `conn` if it is the open one (`conn` 0: whichever is open). Returns whether it was
    /// transmitted.
    pub fn control(&self, conn: u64, frame: JsFrame) -> bool {
        self.with(
            |e, now| {
                if conn == 0 {
                    e.control(frame, now)
                } else {
                    e.control_on(conn, frame, now)
                }
            },
        )
    }

    /// Registers (or replaces) standing frame `key`; with `confirm`, the first transmission
    /// is `encode(id)` for a new request `id` (returned; 0 when closed).
    #[cfg_attr(not(feature = "stomp"), allow(dead_code))]
    pub fn stand(&self, key: u64, frame: JsFrame, confirm: Option<Confirm<'_>>) -> u64 {
        self.with(|e, now| match confirm {
            None => {
                e.stand(key, frame, now);
                0
            }
            Some((t, encode)) => e.stand_confirmed(key, frame, t, now, encode).unwrap_or(0),
        })
    }

    /// Forgets standing frame `key`, sending `frame` if open.
    #[cfg_attr(not(feature = "stomp"), allow(dead_code))]
    pub fn unstand(&self, key: u64, frame: Option<JsFrame>) -> bool {
        self.with(|e, now| e.unstand(key, frame, now))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Settle everything: pending requests reject `closed`, queued messages are reported
        // as dropped, the socket is closed. The events are delivered by the pump (now, or in
        // a microtask); browser resources are released once it has drained.
        self.shared.freed.set(true);
        self.with(|e, now| e.shutdown(now));
    }
}

/// Whether performing `a` may run user code (handlers, the URL provider).
fn runs_user_code(a: &Action<Kind, JsFrame>) -> bool {
    matches!(
        a,
        Action::Emit(_) | Action::Deliver(_) | Action::Connect { .. } | Action::Handshake { .. }
    )
}

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    /// The browser side of one driver (`Port` in `src/glue.js`): the `WebSocket`, one
    /// re-armable timer, the window/document listeners (`online`, `offline`,
    /// `visibilitychange`, `pageshow`) and microtasks. It reports every input through one
    /// callback `(kind, conn, n, a)` (kinds: see [`Shared::on_input`]) and decides nothing.
    ///
    /// **Hidden tabs.** Chromium's intensive wake-up throttling runs the chained timers (set
    /// from a timer callback, nesting level >= 5, as the heartbeat's are) of a page hidden for
    /// 5 minutes once a minute: with page timers a dead peer was noticed after ~2 minutes
    /// instead of interval + timeout, and the reconnect scheduled then waited 60 s for the
    /// next wake-up (tests/e2e/hidden.test.mjs). A dedicated Worker's timers are not throttled
    /// (@stomp/stompjs drives its heart-beat the same way), so the timer is ticked by one
    /// Worker per page (made from a Blob URL of a one-line script for the first Port, never
    /// one per socket or reconnect): an arm posts the delay, the worker posts back the arm's
    /// token when it is up, and each Port's `message` listener fires if the token is its own.
    ///
    /// **Always, not only while hidden.** A timer armed while visible (the heartbeat) must stay
    /// on time when the tab is hidden before it fires; choosing by `document.hidden` would
    /// mean re-arming every timer on `visibilitychange`. Measured in a visible tab (headless
    /// Chromium), the cost is small: an arm is one `postMessage` (~4 µs, vs ~5-8 µs for
    /// setTimeout + clearTimeout), a tick is ~0.3 ms later than a page timer (median 0.6 vs
    /// 0.3 ms late), and the worker adds ~0.3 MB of JS heap, once per page.
    ///
    /// **Stale ticks.** Each arm gets the next token of a page-wide counter (the generation);
    /// cancelling only forgets the token, and a tick that is not the Port's current token
    /// (cancelled, re-armed, or another Port's) is ignored.
    ///
    /// **Fallback.** Outside a window (the SDK inside a worker, whose timers are not
    /// throttled), or when the Worker cannot run (no `Worker`/`Blob`, or a CSP `worker-src`
    /// without `blob:`: `new Worker` throws, or the worker fires `error`), page timers are
    /// used and everything keeps working (throttled in hidden tabs). On `error`, a timer
    /// armed on the worker fires at once: early is harmless (the engine finds nothing due and
    /// re-arms, now on a page timer).
    type Port;
    #[wasm_bindgen(constructor)]
    fn new(input: &Closure<dyn Fn(u32, f64, f64, JsValue)>, protocols: &js_sys::Array) -> Port;
    /// Opens the socket for `conn` with the protocols (detaching any other); the browser's
    /// exception text (e.g. a `SyntaxError` for a bad URL) if it throws.
    /// `transport`: [`Transport::code`](crate::core::Transport::code).
    #[wasm_bindgen(method, js_name = o)]
    fn open(this: &Port, conn: f64, url: &str, transport: u32) -> Option<String>;
    /// `ws.send(d)` of a string or `Uint8Array` as it is (no copy through wasm memory);
    /// `false` when the socket is not OPEN (browsers silently discard those) or send threw.
    /// `tag`: the frame's [`Action::Transmit`] tag (reported back by HTTP transports).
    #[wasm_bindgen(method, js_name = s)]
    fn send(this: &Port, d: &JsValue, tag: f64) -> bool;
    /// The upgrade probe: a bare connection of `transport` to `conn`'s URL, reported once as
    /// input 13.
    #[wasm_bindgen(method, js_name = r)]
    fn probe(this: &Port, conn: f64, transport: u32);
    /// Starts the closing handshake, keeping the listeners.
    #[wasm_bindgen(method, js_name = c)]
    fn close(this: &Port, code: u16, reason: &str);
    /// Removes the socket's listeners (a dead socket's late events never reach the engine)
    /// and closes it if CONNECTING or OPEN.
    #[wasm_bindgen(method, js_name = x)]
    fn detach(this: &Port);
    /// Arms the timer `ms` from now, replacing any earlier arm.
    #[wasm_bindgen(method, js_name = a)]
    fn arm(this: &Port, ms: f64);
    /// Disarms the timer.
    #[wasm_bindgen(method, js_name = k)]
    fn cancel(this: &Port);
    /// Queues a microtask (input 8).
    #[wasm_bindgen(method, js_name = m)]
    fn microtask(this: &Port);
    /// `p.then(ok, err)` reporting inputs 9/10 for `conn` (JS closures: nothing on the wasm
    /// side outlives the Promise; nothing is reported after `d`).
    #[wasm_bindgen(method, js_name = u)]
    fn await_url(this: &Port, conn: f64, p: &js_sys::Promise);
    /// The current `WebSocket`, or `null` (none, or an HTTP transport).
    #[wasm_bindgen(method, getter, js_name = ws)]
    fn ws(this: &Port) -> JsValue;
    /// The current socket's `bufferedAmount` (0 without one).
    #[wasm_bindgen(method, js_name = b)]
    fn buffered(this: &Port) -> f64;
    /// Releases the socket, the timer and the listeners; idempotent.
    #[wasm_bindgen(method, js_name = d)]
    fn d(this: &Port);
    /// The URL of the latest attempt (as given: a provider's may be relative), or undefined.
    #[wasm_bindgen(method, getter, js_name = uc)]
    fn last_url(this: &Port) -> JsValue;
    /// Sets the transport maker `f(url, transport)` the Port asks first (JS `shared`: a
    /// follower tab's link to the leader tab); it returns a socket-like object or nothing.
    #[wasm_bindgen(method, js_name = pm)]
    fn set_maker(this: &Port, f: &JsValue);

    /// Milliseconds from a monotonic clock (`performance.now()`, else `Date.now()`).
    #[wasm_bindgen(static_method_of = Port, js_name = n)]
    fn now() -> f64;
    /// A short description of a thrown JS value: `"Name: message"` for an `Error`, a string
    /// as it is, else `"unknown error"` (built in JS: one call).
    pub(crate) fn describe(e: &JsValue) -> String;
}

/// Milliseconds from a monotonic clock (`performance.now()`, else `Date.now()`).
fn now() -> f64 {
    Port::now()
}

impl Shared {
    /// Reports the socket's buffered amount to the engine (water marks only).
    fn report_buffered(&self) {
        let mut i = self.inner.borrow_mut();
        if i.marks {
            let b = self.port.buffered() as usize;
            i.engine.set_socket_buffered(b);
        }
    }

    /// Performs pending engine actions, in order (see [`Shared`] for the rules).
    fn pump(self: &Rc<Self>, ctx: Ctx) {
        if self.pumping.replace(true) {
            return;
        }
        loop {
            let held = self.held.borrow_mut().take();
            let next = match held {
                Some(a) => Some(a),
                None => self.inner.borrow_mut().engine.poll_action(),
            };
            let Some(a) = next else { break };
            if ctx == Ctx::Method && runs_user_code(&a) {
                *self.held.borrow_mut() = Some(a);
                self.schedule();
                break;
            }
            self.perform(a);
        }
        self.pumping.set(false);
        self.settle();
    }

    /// Queues a microtask pump (once).
    fn schedule(self: &Rc<Self>) {
        let mut keep = self.keep.borrow_mut();
        if keep.is_none() {
            self.port.microtask();
            *keep = Some(self.clone());
        }
    }

    /// After a pump: re-arm the timer, or, once the owner is gone and nothing is pending,
    /// release every browser resource.
    fn settle(&self) {
        if !self.freed.get() {
            self.rearm();
            return;
        }
        if self.held.borrow().is_some() {
            return;
        }
        // The Port's callback stays alive (it is freed with `Shared`): we may be inside it.
        self.inner.borrow_mut().socket = None;
        self.port.d();
        self.inbound.borrow_mut().clear();
    }

    fn perform(self: &Rc<Self>, a: Action<Kind, JsFrame>) {
        // After the owner's `free()`/drop, only outcomes reach the application (queued
        // messages' `drop`s, request failures and replies), not status or messages, not even
        // events that were already queued.
        if self.freed.get() && a.is_status() {
            if let Action::Deliver(_) = a {
                self.inbound.borrow_mut().pop_front();
            }
            return;
        }
        match a {
            Action::Connect { conn } => self.connect(conn),
            Action::Probe { conn, transport } => {
                #[cfg(feature = "sockjs")]
                if self.sockjs() {
                    return self.sockjs_probe(conn, transport);
                }
                self.port.probe(conn as f64, transport.code())
            }
            Action::Transmit { conn, frame, msg, tag } => {
                let accepted = self.has_socket(conn) && self.send_value(&frame.value, tag as f64);
                if !accepted {
                    self.inner.borrow_mut().engine.on_transmit_failed(conn, frame, msg, now());
                }
            }
            Action::CloseSocket { conn, code, reason, await_close } => {
                if self.has_socket(conn) {
                    self.port.close(code, &reason);
                    if !await_close {
                        self.detach();
                    }
                }
            }
            Action::Flush => self.inner.borrow_mut().engine.flush(now()),
            Action::Handshake { conn } => {
                let mut i = self.inner.borrow_mut();
                // Reliable mode's `hello` (v1), else STOMP's `CONNECT`.
                match i.engine.hello() {
                    Some(h) => drop(i.engine.control(JsFrame::text(h), now())),
                    None => {
                        drop(i);
                        #[cfg(feature = "socketio")]
                        if self.sio() {
                            return self.sio_handshake(conn);
                        }
                        #[cfg(feature = "stomp")]
                        self.handshake(conn);
                        #[cfg(not(feature = "stomp"))]
                        let _ = conn;
                    }
                }
            }
            // Only STOMP has a goodbye (so far).
            #[cfg(feature = "stomp")]
            Action::Goodbye { conn } => self.goodbye(conn),
            #[cfg(not(feature = "stomp"))]
            Action::Goodbye { .. } => {}
            Action::Emit(ev) => {
                #[cfg(feature = "socketio")]
                let opened = match ev {
                    Event::Open { .. } if self.sio() => Some(self.inner.borrow().engine.conn()),
                    _ => None,
                };
                self.sink.note(Note::Engine(ev));
                // Socket.IO: the namespaces' `CONNECT`s, after the connection's `open`.
                #[cfg(feature = "socketio")]
                if let Some(conn) = opened {
                    self.sio_opened(conn);
                }
            }
            Action::Deliver(d) => {
                let Some(Inbound { data, parsed, conn }) = self.inbound.borrow_mut().pop_front()
                else {
                    return;
                };
                self.deliver(d, data, parsed, conn);
            }
        }
    }

    fn deliver(&self, d: Delivery, data: JsValue, parsed: Option<JsValue>, conn: u64) {
        #[cfg(feature = "socketio")]
        if self.sio() {
            return self.sio_deliver(d, data, parsed, conn);
        }
        match d {
            Delivery::Ignore => {}
            #[cfg(feature = "stomp")]
            Delivery::Event if parsed.is_none() => self.sink.note(stomp_note(data)),
            Delivery::Event => {
                let obj = parsed.unwrap_or(JsValue::NULL);
                // A typed frame without a `data` key: the handler gets the whole object.
                let (ty, data, id) = KEYS.with(|k| {
                    let data = if Reflect::has(&obj, &k.data).unwrap_or(false) {
                        get_or_null(&obj, &k.data)
                    } else {
                        obj.clone()
                    };
                    (get_or_null(&obj, &k.ty), data, Reflect::get(&obj, &k.id).ok())
                });
                // A numeric `id`: maybe a request from the server (the facade decides: it knows
                // which types the app handles, and checks the id).
                match id.and_then(|v| v.as_f64()) {
                    Some(id) => self.sink.note(Note::Request { ty, data, id, conn }),
                    None => self.sink.note(Note::Message { ty, data }),
                }
            }
            #[cfg(feature = "stomp")]
            Delivery::ServerError => self.sink.note(stomp_error_note(data)),
            #[cfg(not(feature = "stomp"))]
            Delivery::ServerError => {}
            Delivery::Raw => {
                let raw = match data.dyn_ref::<js_sys::ArrayBuffer>() {
                    Some(buf) => Uint8Array::new(buf).into(),
                    None => data,
                };
                self.sink.note(Note::Raw(raw));
            }
            Delivery::Reply { id, error } => {
                let obj = parsed.unwrap_or(JsValue::NULL);
                let value =
                    KEYS.with(|k| get_or_null(&obj, if error { &k.error } else { &k.data }));
                self.sink.note(Note::Reply { id, error, value });
            }
        }
    }

    /// Sends a frame's value: a string or `Uint8Array`; with Socket.IO also an Array of them
    /// (a binary packet: its header, then each attachment, as one queued message).
    fn send_value(&self, v: &JsValue, tag: f64) -> bool {
        #[cfg(feature = "socketio")]
        if let Some(a) = v.dyn_ref::<js_sys::Array>() {
            return a.iter().all(|x| self.port.send(&x, tag));
        }
        self.port.send(v, tag)
    }

    /// Whether the Port's socket is `conn`'s.
    fn has_socket(&self, conn: u64) -> bool {
        self.inner.borrow().socket == Some(conn)
    }

    /// Detaches the Port's socket (if any).
    fn detach(&self) {
        if self.inner.borrow_mut().socket.take().is_some() {
            self.port.detach();
        }
    }

    fn connect(self: &Rc<Self>, conn: u64) {
        self.detach();
        let source = self.inner.borrow().url.clone();
        match &*source {
            UrlSource::Fixed(url) => self.open_socket(conn, url),
            UrlSource::List(urls) => {
                let i = self.inner.borrow_mut().engine.endpoint_for(urls.len(), now());
                self.open_socket(conn, urls.get(i).map_or("", String::as_str));
            }
            // The provider is user code: called with no borrow held.
            UrlSource::Provider(f) => match f.call0(&JsValue::UNDEFINED) {
                Err(e) => {
                    self.connect_failed(conn, ["url provider threw: ", &describe(&e)].concat())
                }
                Ok(v) => match v.dyn_into::<js_sys::Promise>() {
                    // Settled by the Port (`then` in JS): inputs 9 and 10.
                    Ok(p) => self.port.await_url(conn as f64, &p),
                    Err(v) => self.open_url_value(conn, &v),
                },
            },
        }
    }

    fn open_url_value(self: &Rc<Self>, conn: u64, v: &JsValue) {
        // A list: the engine picks this attempt's endpoint (checked like a string).
        let v = match v.dyn_ref::<js_sys::Array>() {
            Some(a) if a.length() > 64 => {
                return self.connect_failed(
                    conn,
                    "url provider returned more than 64 URLs (an endpoint list holds 1 to 64)"
                        .into(),
                );
            }
            Some(a) if a.length() > 0 => {
                let i = self.inner.borrow_mut().engine.endpoint_for(a.length() as usize, now());
                let v = a.get(i as u32);
                if let Some(url) = v.as_string() {
                    if let Err(e) = self.sink.check_url(&url) {
                        let at = crate::core::text::digits(i as u64);
                        return self.connect_failed(
                            conn,
                            ["url provider's list: url[", &at, "]: ", &e].concat(),
                        );
                    }
                }
                v
            }
            _ => v.clone(),
        };
        match v.as_string() {
            Some(url) => match self.sink.check_url(&url) {
                Ok(()) => self.open_socket(conn, &url),
                Err(e) => self.connect_failed(conn, e),
            },
            None => self.connect_failed(
                conn,
                "url provider must return a URL string or a non-empty list of them (or a Promise of one)"
                    .into(),
            ),
        }
    }

    /// Feeds a failed attempt to the engine (the caller pumps).
    fn connect_failed(&self, conn: u64, msg: String) {
        self.inner.borrow_mut().engine.on_connect_failed(conn, msg, now());
    }

    /// Opens the socket for `conn` if the engine still wants it (a provider may resolve
    /// after the engine moved on). The caller pumps.
    fn open_socket(self: &Rc<Self>, conn: u64, url: &str) {
        {
            let i = self.inner.borrow();
            if i.engine.conn() != conn
                || i.engine.state() != crate::core::State::Connecting
                || self.freed.get()
            {
                return;
            }
        }
        #[cfg(feature = "sockjs")]
        if self.sockjs() {
            return self.sockjs_open(conn, url);
        }
        let transport = self.inner.borrow().engine.transport().code();
        match self.port.open(conn as f64, url, transport) {
            None => self.inner.borrow_mut().socket = Some(conn),
            Some(msg) => self.connect_failed(conn, msg),
        }
    }

    /// Every input the Port reports (see `src/glue.js`): 0 open, 1 message (`a` the data),
    /// 2 close (`n` the code + 65536 if clean, `a` the reason), 3 timer, 4 online, 5 offline,
    /// 6 visibility (`n` 1 if visible), 7 resume (`pageshow` persisted), 8 microtask, 9/10
    /// the URL provider's Promise fulfilled/rejected (`a` the value/reason). Feeds the
    /// engine, then pumps.
    fn on_input(self: &Rc<Self>, kind: u32, conn: u64, n: f64, a: JsValue) {
        let now = now();
        match kind {
            1 => return self.on_message(conn, a, now),
            #[cfg(feature = "sockjs")]
            14 => return self.on_sockjs_info(conn, n, a),
            2 => {
                // This socket is done: detach it (a no-op for a stale one) before the engine
                // may open the next.
                if self.has_socket(conn) {
                    self.detach();
                }
                let reason = a.as_string().unwrap_or_default();
                let (code, clean) = ((n as u32 & 0xffff) as u16, n >= 65536.0);
                let ask = {
                    let e = &self.inner.borrow().engine;
                    e.conn() == conn && e.state() == crate::core::State::Open
                };
                // The app's verdict (user code: no borrow held).
                let keep = !ask || self.sink.keep(code, &reason, clean);
                self.inner.borrow_mut().engine.on_close_with(conn, code, &reason, clean, keep, now);
            }
            8 => {
                let kept = self.keep.borrow_mut().take();
                self.pump(Ctx::Callback);
                drop(kept);
                return;
            }
            9 => self.open_url_value(conn, &a),
            10 => self.connect_failed(conn, ["url provider rejected: ", &describe(&a)].concat()),
            _ => {
                let mut i = self.inner.borrow_mut();
                // Socket.IO: the Engine.IO `open` packet is the real open (`on_sio`).
                #[cfg(feature = "socketio")]
                let later = matches!(i.proto, Proto::Sio(_));
                #[cfg(not(feature = "socketio"))]
                let later = false;
                let e = &mut i.engine;
                match kind {
                    0 if later => {}
                    0 => e.on_open(conn, now),
                    3 => {
                        i.armed_at = None;
                        // (Also for an upgrade, which waits for the transport to drain.)
                        i.engine.set_socket_buffered(self.port.buffered() as usize);
                        i.engine.on_timer(now);
                    }
                    11 => e.on_delivered(conn, n as u64),
                    15 => e.track_deliveries(conn),
                    12 => e.on_undelivered(conn, n as u64, now),
                    13 => e.on_probe(conn, n == 1.0, now),
                    4 => e.on_online(now),
                    5 => e.on_offline(now),
                    6 => e.on_visibility(n == 1.0, now),
                    7 => e.on_resume(now),
                    _ => {}
                }
            }
        }
        self.pump(Ctx::Callback);
    }

    fn on_message(self: &Rc<Self>, conn: u64, data: JsValue, now: f64) {
        #[cfg(feature = "socketio")]
        if self.sio() {
            return self.on_sio(conn, data, now);
        }
        #[cfg(feature = "sockjs")]
        if self.sockjs() {
            return self.on_sockjs(conn, data, now);
        }
        self.on_data(conn, data, now);
    }

    /// A message for the protocol (a WebSocket message, or one of a SockJS frame's).
    fn on_data(self: &Rc<Self>, conn: u64, data: JsValue, now: f64) {
        // Protocols whose classification runs user code (a codec's `decode`, a pong
        // predicate) or decodes a stream (STOMP): the function is called with no borrow held.
        let custom = match &self.inner.borrow().proto {
            Proto::V1 => None,
            Proto::Raw { pong } => Some((pong.clone(), false)),
            Proto::Custom { decode } => Some((Some(decode.clone()), true)),
            #[cfg(feature = "stomp")]
            Proto::Stomp(_) => Some((None, true)),
            #[cfg(feature = "socketio")]
            Proto::Sio(_) => None,
        };
        #[cfg(feature = "stomp")]
        if let Some((None, true)) = custom {
            // (the borrow above has ended)
            return self.on_stomp(conn, data, now);
        }
        if let Some((f, codec)) = custom {
            return self.on_custom(conn, data, f, codec, now);
        }
        let (len, kind, parsed) = if let Some(text) = data.dyn_ref::<JsString>() {
            let max = self.inner.borrow().engine.max_message_bytes();
            let units = text.length() as usize;
            // UTF-16 length is exact for ASCII; count UTF-8 bytes only near the limit.
            let len = if units.saturating_mul(3) <= max { units } else { utf8_len(text) };
            if len > max {
                (len, FrameKind::Raw, None)
            } else {
                let (kind, parsed) = classify_text(text);
                (len, kind, parsed)
            }
        } else if let Some(buf) = data.dyn_ref::<js_sys::ArrayBuffer>() {
            (buf.byte_length() as usize, FrameKind::Raw, None)
        } else {
            (0, FrameKind::Raw, None)
        };
        let mut i = self.inner.borrow_mut();
        let go = match &parsed {
            Some(obj) if i.engine.reliable() => {
                reliable_inbound(&mut i.engine, conn, obj, len, now)
            }
            _ => true,
        };
        let delivery = if go { i.engine.on_frame(conn, len, kind, now) } else { Delivery::Ignore };
        drop(i);
        if delivery != Delivery::Ignore {
            self.inbound.borrow_mut().push_back(Inbound { data, parsed, conn });
        }
        self.pump(Ctx::Callback);
    }

    /// An inbound frame for the raw protocol (`codec` false: `f` is the pong predicate) or a
    /// custom codec (`f` is `decode`).
    fn on_custom(
        self: &Rc<Self>,
        conn: u64,
        data: JsValue,
        f: Option<js_sys::Function>,
        codec: bool,
        now: f64,
    ) {
        let len = match (data.dyn_ref::<JsString>(), data.dyn_ref::<js_sys::ArrayBuffer>()) {
            (Some(t), _) => utf8_len(t),
            (_, Some(b)) => b.byte_length() as usize,
            _ => 0,
        };
        let max = self.inner.borrow().engine.max_message_bytes();
        let data = match data.dyn_into::<js_sys::ArrayBuffer>() {
            Ok(buf) => Uint8Array::new(&buf).into(),
            Err(v) => v,
        };
        let (kind, parsed) = match f {
            Some(f) if len <= max => match (f.call1(&JsValue::UNDEFINED, &data), codec) {
                (Err(_), true) => (FrameKind::Malformed("protocol.decode threw"), None),
                (Err(_), false) => (FrameKind::Malformed("heartbeat.pong threw"), None),
                (Ok(v), false) => {
                    (if v.is_truthy() { FrameKind::Pong } else { FrameKind::Raw }, None)
                }
                (Ok(v), true) => classify_object(v),
            },
            _ => (FrameKind::Raw, None),
        };
        let delivery = self.inner.borrow_mut().engine.on_frame(conn, len, kind, now);
        if delivery != Delivery::Ignore {
            self.inbound.borrow_mut().push_back(Inbound { data, parsed, conn });
        }
        self.pump(Ctx::Callback);
    }

    /// Builds and sends the handshake for `conn` (STOMP `CONNECT`, with the facade's headers
    /// for this attempt; a throwing header function fails the attempt).
    #[cfg(feature = "stomp")]
    fn handshake(self: &Rc<Self>, conn: u64) {
        let headers = self.sink.handshake();
        let mut i = self.inner.borrow_mut();
        let now = now();
        match headers {
            Err(msg) => {
                i.engine.on_frame(conn, 0, FrameKind::Refused(msg), now);
            }
            Ok(h) => {
                if let Proto::Stomp(st) = &mut i.proto {
                    st.decoder.reset();
                    st.connected = false;
                    let pairs: Vec<(String, String)> = h
                        .chunks(2)
                        .map(|c| (c[0].clone(), c.get(1).cloned().unwrap_or_default()))
                        .collect();
                    let f = crate::core::stomp::connect_frame(&pairs, st.ask);
                    let frame = stomp_frame(&f);
                    i.engine.control(frame, now);
                }
            }
        }
    }

    /// Sends the goodbye (STOMP `DISCONNECT` asking for the receipt `BYE_RECEIPT`).
    #[cfg(feature = "stomp")]
    fn goodbye(&self, conn: u64) {
        use crate::core::stomp::{Command, Frame, BYE_RECEIPT};
        let _ = conn;
        let mut i = self.inner.borrow_mut();
        if let Proto::Stomp(_) = i.proto {
            let f = Frame::new(Command::Disconnect).with_header("receipt", BYE_RECEIPT);
            i.engine.control(stomp_frame(&f), now());
        }
    }

    /// Decodes STOMP from a WebSocket message (text or binary; frames may be split across or
    /// packed into messages) and feeds each frame to the engine.
    #[cfg(feature = "stomp")]
    fn on_stomp(self: &Rc<Self>, conn: u64, data: JsValue, now: f64) {
        use crate::core::stomp::{classify, Decoded};
        let bytes = match (data.dyn_ref::<js_sys::ArrayBuffer>(), data.as_string()) {
            (Some(b), _) => Uint8Array::new(b).to_vec(),
            (_, Some(s)) => s.into_bytes(),
            _ => Vec::new(),
        };
        let mut len = bytes.len();
        {
            let mut i = self.inner.borrow_mut();
            let Inner { engine, proto, .. } = &mut *i;
            if engine.conn() != conn {
                return;
            }
            let Proto::Stomp(st) = proto else { return };
            st.decoder.push(&bytes);
            for item in st.decoder.by_ref() {
                let (kind, payload) = match item {
                    Ok(Decoded::Heartbeat) => (FrameKind::Control, None),
                    Ok(Decoded::Frame(f)) => {
                        let kind = classify(&f, st.connected, st.ask);
                        if matches!(kind, FrameKind::Ready { .. }) {
                            st.connected = true;
                        }
                        (kind, Some(f))
                    }
                    Err(e) => {
                        engine.on_protocol_error(conn, e.describe(), now);
                        break;
                    }
                };
                let d = engine.on_frame(conn, std::mem::take(&mut len), kind, now);
                if d != Delivery::Ignore {
                    if let Some(f) = payload {
                        self.inbound.borrow_mut().push_back(stomp_inbound(d, &f, conn));
                    }
                }
            }
        }
        self.pump(Ctx::Callback);
    }

    /// Arms the timer for the engine's next deadline. Lazy: a timer already armed earlier
    /// than needed is kept (it fires, finds nothing due, and re-arms), so busy traffic that
    /// pushes the heartbeat deadline forward costs no `setTimeout` churn.
    fn rearm(&self) {
        let mut i = self.inner.borrow_mut();
        match i.engine.poll_timeout() {
            None => {
                if i.armed_at.take().is_some() {
                    self.port.cancel();
                }
            }
            Some(d) => {
                if i.armed_at.is_none_or(|a| a > d) {
                    i.armed_at = Some(d);
                    // setTimeout's delay is a 32-bit signed int; longer waits fire early and
                    // re-arm.
                    self.port.arm((d - now()).clamp(0.0, 2_147_483_647.0).ceil());
                }
            }
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` on a JS string, without a round trip through Rust memory.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(s: &JsString) -> Result<JsValue, JsValue>;
}

/// JS strings used on every message, made once (creating a JS string from Rust costs a
/// `TextDecoder` call).
pub(crate) struct Keys {
    pub ty: JsValue,
    pub data: JsValue,
    pub reply_to: JsValue,
    pub error: JsValue,
    pub id: JsValue,
    pub ping: JsValue,
    pub pong: JsValue,
}

thread_local! {
    pub(crate) static KEYS: Keys = Keys {
        ty: "type".into(),
        data: "data".into(),
        reply_to: "replyTo".into(),
        error: "error".into(),
        id: "id".into(),
        ping: "ping".into(),
        pong: "pong".into(),
    };
}

fn get_or_null(obj: &JsValue, key: &JsValue) -> JsValue {
    match Reflect::get(obj, key) {
        Ok(v) if !v.is_undefined() => v,
        _ => JsValue::NULL,
    }
}

/// `JSON.parse` + the envelope fields, without copying the payload into Rust.
fn classify_text(text: &JsString) -> (FrameKind, Option<JsValue>) {
    match json_parse(text) {
        Ok(v) => classify_object(v),
        Err(_) => (FrameKind::Raw, None),
    }
}

/// Classifies a parsed v1 envelope, or a custom codec's `decode` result (anything but a
/// non-array object is raw). The type string is compared in JS: only `ping`/`pong` matter
/// to the engine, so it is never copied into wasm memory.
fn classify_object(v: JsValue) -> (FrameKind, Option<JsValue>) {
    if !v.is_object() || js_sys::Array::is_array(&v) {
        return (FrameKind::Raw, None);
    }
    let kind = KEYS.with(|k| {
        let ty = Reflect::get(&v, &k.ty).unwrap_or(JsValue::UNDEFINED);
        let reply = Reflect::get(&v, &k.reply_to).unwrap_or(JsValue::UNDEFINED);
        let has_error = Reflect::has(&v, &k.error).unwrap_or(false);
        let ty_field = if !ty.is_string() {
            field(&ty, None)
        } else if ty == k.ping {
            Field::Str("ping")
        } else if ty == k.pong {
            Field::Str("pong")
        } else {
            Field::Str("")
        };
        classify(ty_field, field(&reply, None), has_error)
    });
    (kind, Some(v))
}

fn field<'a>(val: &JsValue, s: Option<&'a str>) -> Field<'a> {
    if val.is_undefined() {
        Field::Absent
    } else if let Some(s) = s {
        Field::Str(s)
    } else if let Some(n) = val.as_f64() {
        Field::Num(n)
    } else {
        Field::Other
    }
}

/// Reliable mode's look at a parsed v1 frame (before [`Engine::on_frame`]): a `welcome`
/// opens the session, an `ack` settles the window, a `seq` is checked for duplicates.
/// Returns whether to go on with the frame.
fn reliable_inbound(
    e: &mut Engine<Kind, JsFrame>,
    conn: u64,
    obj: &JsValue,
    len: usize,
    now: f64,
) -> bool {
    let get = |o: &JsValue, k: &str| Reflect::get(o, &JsValue::from_str(k)).ok();
    let num = |o: &JsValue, k: &str| get(o, k).and_then(|v| v.as_f64()).map(|n| n.max(0.0) as u64);
    let data = get(obj, "data").unwrap_or(JsValue::UNDEFINED);
    match get(obj, "type").and_then(|t| t.as_string()).as_deref() {
        Some("welcome") if e.handshaking() => {
            let gap = get(&data, "gap")
                .filter(|g| g.is_object())
                .map(|g| (num(&g, "from").unwrap_or(0), num(&g, "to").unwrap_or(0)));
            let resumed = get(&data, "resumed").is_some_and(|r| r.is_truthy());
            e.on_welcome(conn, num(&data, "ack").unwrap_or(0), resumed, gap, now);
            false
        }
        Some("ack") => {
            e.on_ack(conn, data.as_f64().map_or(0, |n| n.max(0.0) as u64), now);
            e.on_frame(conn, len, FrameKind::Control, now);
            false
        }
        _ => match num(obj, "seq") {
            Some(seq) => e.on_seq(conn, seq, now),
            None => true,
        },
    }
}

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    /// Reliable mode: a JSON object text with `"seq": n` first (`undefined` for anything
    /// else: binary, not an object).
    #[wasm_bindgen(js_name = withSeq)]
    fn with_seq(frame: &JsValue, n: f64) -> Option<JsString>;
    /// UTF-8 length of a JS string, computed in JS (no copy, one call).
    #[wasm_bindgen(js_name = utf8Len)]
    fn utf8_len(s: &JsString) -> usize;
}

/// A STOMP frame as the binary `JsFrame` sent on the socket.
#[cfg(feature = "stomp")]
pub(crate) fn stomp_frame(f: &crate::core::stomp::Frame) -> JsFrame {
    let bytes = crate::core::stomp::encode(f);
    JsFrame::new(Uint8Array::from(&bytes[..]).into(), bytes.len())
}

/// A frame's headers as a JS object (the first occurrence of a name wins).
#[cfg(feature = "stomp")]
fn stomp_headers(f: &crate::core::stomp::Frame) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in f.headers.iter().rev() {
        let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o.into()
}

/// The payload kept for a delivered STOMP frame: `[headers, body, description]` for a
/// `MESSAGE` or `ERROR` (`data`), or, for an `ERROR` settling a receipt, the v1-shaped
/// `{error: {message, headers, body}}` (`parsed`).
#[cfg(feature = "stomp")]
fn stomp_inbound(d: Delivery, f: &crate::core::stomp::Frame, conn: u64) -> Inbound {
    let headers = stomp_headers(f);
    let body: JsValue = Uint8Array::from(&f.body[..]).into();
    if let Delivery::Reply { error: true, .. } = d {
        let e = js_sys::Object::new();
        let msg = crate::core::stomp::error_text(f);
        let _ = Reflect::set(&e, &"message".into(), &msg.into());
        let _ = Reflect::set(&e, &"headers".into(), &headers);
        let _ = Reflect::set(&e, &"body".into(), &body);
        let o = js_sys::Object::new();
        let _ = Reflect::set(&o, &"error".into(), &e);
        return Inbound { data: JsValue::NULL, parsed: Some(o.into()), conn };
    }
    if let Delivery::Reply { .. } = d {
        return Inbound { data: JsValue::NULL, parsed: Some(js_sys::Object::new().into()), conn };
    }
    let a = js_sys::Array::of4(
        &headers,
        &body,
        &crate::core::stomp::error_text(f).into(),
        &JsValue::from_f64(conn as f64),
    );
    Inbound { data: a.into(), parsed: None, conn }
}

#[cfg(feature = "stomp")]
fn stomp_parts(data: &JsValue) -> (JsValue, JsValue, JsValue, u64) {
    let a: &js_sys::Array = data.unchecked_ref();
    (a.get(0), a.get(1), a.get(2), a.get(3).as_f64().unwrap_or(0.0) as u64)
}

#[cfg(feature = "stomp")]
fn stomp_note(data: JsValue) -> Note {
    let (headers, body, _, conn) = stomp_parts(&data);
    Note::Frame { conn, headers, body }
}

#[cfg(feature = "stomp")]
fn stomp_error_note(data: JsValue) -> Note {
    let (headers, body, msg, _) = stomp_parts(&data);
    Note::ServerError { message: msg.as_string().unwrap_or_default(), headers, body }
}
