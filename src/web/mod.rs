//! The browser driver: owns the `WebSocket`, one timer and the window listeners; turns
//! browser callbacks into engine inputs and engine actions into browser calls. No decisions
//! live here.
//!
//! Transport seam: everything socket-specific is in [`socket`]; a later HTTP streaming or
//! long-polling transport plugs in beside it without touching the engine.

pub(crate) mod env;
pub(crate) mod socket;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{JsString, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::envelope::WireFrame;
use crate::core::envelope::{classify, Field};
use crate::core::{Action, Config, Delivery, Engine, Event, FrameKind, SendError, Sent};
use env::{now, EnvEvent, EnvListeners, Timer};
use socket::{describe, Handlers, Socket};

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
}

impl WireFrame for JsFrame {
    fn wire_len(&self) -> usize {
        self.len
    }
    fn text(s: String) -> Self {
        let len = s.len();
        JsFrame { value: JsValue::from_str(&s), len }
    }
}

impl JsFrame {
    /// A text frame from a JS string.
    pub fn from_js_string(s: &JsString) -> Self {
        JsFrame { value: s.into(), len: s.length() as usize }
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
    /// A JS function returning a string or a Promise of one, called before every attempt.
    Provider(js_sys::Function),
}

/// What the driver reports to the facade.
pub(crate) enum Note {
    Engine(Event<Kind, JsFrame>),
    Message { ty: JsValue, data: JsValue },
    Raw(JsValue),
    Reply { id: u64, error: bool, value: JsValue },
}

/// The facade's side: receives notes (it may call back into the driver re-entrantly).
pub(crate) trait Sink {
    fn note(&self, note: Note);
    /// Why a URL the URL provider returned is refused (the error event's message), if it is.
    /// The JS facade asks the browser's `URL` parser; the Rust API uses
    /// [`crate::error::check_ws_url`].
    fn check_url(&self, url: &str) -> Result<(), String>;
}

struct Inner {
    engine: Engine<Kind, JsFrame>,
    socket: Option<Socket>,
    timer: Option<Timer>,
    env: Option<EnvListeners>,
    url: Rc<UrlSource>,
    protocols: Rc<Vec<String>>,
}

/// An inbound frame waiting for its [`Action::Deliver`]: the event's data and, for JSON
/// text, the parsed object.
struct Inbound {
    data: JsValue,
    parsed: Option<JsValue>,
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
    /// The microtask callback (created once, reused).
    micro: RefCell<Option<Closure<dyn Fn()>>>,
    /// A strong reference held while a microtask is queued, so the callback is alive
    /// when it runs even if the owner was dropped meanwhile.
    keep: RefCell<Option<Rc<Shared>>>,
    /// The owner dropped the driver: release every browser resource once the pump drains.
    freed: Cell<bool>,
}

/// The owning handle. Dropping it closes the socket (settling pending requests and the
/// queue as `closed`), then, once those events are delivered, cancels the timer and
/// removes every listener.
pub(crate) struct Driver {
    shared: Rc<Shared>,
}

impl Driver {
    /// Starts connecting (in a microtask, so handlers registered right after construction
    /// see every event). `config` must be validated.
    pub fn new(url: UrlSource, protocols: Vec<String>, config: Config, sink: Rc<dyn Sink>) -> Self {
        let shared = Rc::new(Shared {
            inner: RefCell::new(Inner {
                engine: Engine::new(config, now()),
                socket: None,
                timer: None,
                env: None,
                url: Rc::new(url),
                protocols: Rc::new(protocols),
            }),
            sink,
            pumping: Cell::new(false),
            held: RefCell::new(None),
            inbound: RefCell::new(VecDeque::new()),
            micro: RefCell::new(None),
            keep: RefCell::new(None),
            freed: Cell::new(false),
        });
        let weak = Rc::downgrade(&shared);
        let timer = Timer::new({
            let weak = weak.clone();
            move || {
                if let Some(s) = weak.upgrade() {
                    s.on_timer();
                }
            }
        });
        let env = EnvListeners::attach({
            let weak = weak.clone();
            move |ev| {
                if let Some(s) = weak.upgrade() {
                    s.on_env(ev);
                }
            }
        });
        let micro = Closure::<dyn Fn()>::new(move || {
            if let Some(s) = weak.upgrade() {
                let kept = s.keep.borrow_mut().take();
                s.pump(Ctx::Callback);
                drop(kept);
            }
        });
        {
            let mut i = shared.inner.borrow_mut();
            i.timer = Some(timer);
            i.env = Some(env);
        }
        *shared.micro.borrow_mut() = Some(micro);
        shared.pump(Ctx::Method);
        Driver { shared }
    }

    /// Feeds the engine (no user code runs), then pumps.
    fn with<R>(&self, f: impl FnOnce(&mut Engine<Kind, JsFrame>, f64) -> R) -> R {
        let r = f(&mut self.shared.inner.borrow_mut().engine, now());
        self.shared.pump(Ctx::Method);
        r
    }

    /// Reads the engine.
    pub fn read<R>(&self, f: impl FnOnce(&Engine<Kind, JsFrame>, f64) -> R) -> R {
        f(&self.shared.inner.borrow().engine, now())
    }

    /// Sends (or queues) a frame.
    pub fn send(&self, frame: JsFrame, meta: Kind) -> Result<Sent, SendError> {
        self.with(|e, now| e.send(frame, meta, now))
    }

    /// Starts a request. `encode` builds the frame from the request id and must not run
    /// user code (it runs inside the engine step); `before_run` registers the caller's
    /// pending entry before any resulting action (e.g. an immediate failure) is performed.
    pub fn request(
        &self,
        timeout_ms: Option<f64>,
        encode: impl FnOnce(u64) -> JsFrame,
        before_run: impl FnOnce(u64),
    ) -> Result<(u64, Sent), SendError> {
        let r = self.shared.inner.borrow_mut().engine.request_with(
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

    /// User `close()`.
    pub fn close(&self, code: u16, reason: &str) {
        self.with(|e, now| e.close(code, reason, now));
    }

    /// User `reconnect()`.
    pub fn reconnect(&self) {
        self.with(|e, now| e.reconnect(now));
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
    matches!(a, Action::Emit(_) | Action::Deliver(_) | Action::Connect { .. })
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(f: &js_sys::Function);
}

impl Shared {
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
            if let Some(f) = self.micro.borrow().as_ref() {
                queue_microtask(f.as_ref().unchecked_ref());
                *keep = Some(self.clone());
            }
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
        let leftovers = {
            let mut i = self.inner.borrow_mut();
            (i.socket.take(), i.timer.take(), i.env.take())
        };
        // Dropped outside the borrow; a closure dropped while it runs (we may be inside
        // the socket's or the timer's callback) is freed by wasm-bindgen after it returns.
        drop(leftovers);
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
            Action::Transmit { conn, frame, msg } => {
                let accepted = {
                    let i = self.inner.borrow();
                    i.socket.as_ref().is_some_and(|s| s.conn == conn && s.send(&frame.value))
                };
                if !accepted {
                    self.inner.borrow_mut().engine.on_transmit_failed(conn, frame, msg, now());
                }
            }
            Action::CloseSocket { conn, code, reason, await_close } => {
                let abandoned = {
                    let mut i = self.inner.borrow_mut();
                    if i.socket.as_ref().is_some_and(|s| s.conn == conn) {
                        if await_close {
                            if let Some(s) = &i.socket {
                                s.close(code, &reason);
                            }
                            None
                        } else {
                            i.socket.take()
                        }
                    } else {
                        None
                    }
                };
                if let Some(s) = abandoned {
                    s.close(code, &reason);
                    drop(s);
                }
            }
            Action::Flush => self.inner.borrow_mut().engine.flush(now()),
            Action::Emit(ev) => self.sink.note(Note::Engine(ev)),
            Action::Deliver(d) => {
                let Some(Inbound { data, parsed }) = self.inbound.borrow_mut().pop_front() else {
                    return;
                };
                self.deliver(d, data, parsed);
            }
        }
    }

    fn deliver(&self, d: Delivery, data: JsValue, parsed: Option<JsValue>) {
        match d {
            Delivery::Ignore => {}
            Delivery::Event => {
                let obj = parsed.unwrap_or(JsValue::NULL);
                let (ty, data) =
                    KEYS.with(|k| (get_or_null(&obj, &k.ty), get_or_null(&obj, &k.data)));
                self.sink.note(Note::Message { ty, data });
            }
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

    fn connect(self: &Rc<Self>, conn: u64) {
        let source = {
            let mut i = self.inner.borrow_mut();
            i.socket = None;
            i.url.clone()
        };
        match &*source {
            UrlSource::Fixed(url) => self.open_socket(conn, url),
            // The provider is user code: called with no borrow held.
            UrlSource::Provider(f) => match f.call0(&JsValue::UNDEFINED) {
                Err(e) => {
                    self.connect_failed(conn, ["url provider threw: ", &describe(&e)].concat())
                }
                Ok(v) => match v.dyn_into::<js_sys::Promise>() {
                    Ok(p) => {
                        // `p.then(ok, err)`: both callbacks live in `slot` until the first
                        // call empties it (freeing both once this call returns), so nothing
                        // outlives a settled Promise (an unsettled one keeps them, as any
                        // pending `then` does).
                        type Settle = Closure<dyn FnMut(JsValue)>;
                        let slot: Rc<RefCell<Option<(Settle, Settle)>>> = Rc::default();
                        let settle = |fulfilled: bool| {
                            let (weak, slot) = (Rc::downgrade(self), slot.clone());
                            Settle::new(move |v: JsValue| {
                                let _done = slot.borrow_mut().take();
                                let Some(s) = weak.upgrade() else { return };
                                if fulfilled {
                                    s.open_url_value(conn, &v);
                                } else {
                                    let why = ["url provider rejected: ", &describe(&v)].concat();
                                    s.connect_failed(conn, why);
                                }
                                s.pump(Ctx::Callback);
                            })
                        };
                        let (ok, err) = (settle(true), settle(false));
                        let _ = p.then2(&ok, &err);
                        *slot.borrow_mut() = Some((ok, err));
                    }
                    Err(v) => self.open_url_value(conn, &v),
                },
            },
        }
    }

    fn open_url_value(self: &Rc<Self>, conn: u64, v: &JsValue) {
        match v.as_string() {
            Some(url) => match self.sink.check_url(&url) {
                Ok(()) => self.open_socket(conn, &url),
                Err(e) => self.connect_failed(conn, e),
            },
            None => self.connect_failed(
                conn,
                "url provider must return a string or a Promise of one".into(),
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
        let protocols = {
            let i = self.inner.borrow();
            if i.engine.conn() != conn
                || i.engine.state() != crate::core::State::Connecting
                || self.freed.get()
            {
                return;
            }
            i.protocols.clone()
        };
        let w = Rc::downgrade(self);
        let handlers = Handlers {
            open: Box::new({
                let w = w.clone();
                move || {
                    if let Some(s) = w.upgrade() {
                        s.input(|e, now| e.on_open(conn, now));
                    }
                }
            }),
            message: Box::new({
                let w = w.clone();
                move |ev| {
                    if let Some(s) = w.upgrade() {
                        s.on_message(conn, ev.data());
                    }
                }
            }),
            close: Box::new(move |ev: web_sys::CloseEvent| {
                if let Some(s) = w.upgrade() {
                    let reason = ev.reason();
                    let mine = {
                        let mut i = s.inner.borrow_mut();
                        if i.socket.as_ref().is_some_and(|s| s.conn == conn) {
                            i.socket.take()
                        } else {
                            None
                        }
                    };
                    s.input(|e, now| e.on_close(conn, ev.code(), &reason, ev.was_clean(), now));
                    drop(mine);
                }
            }),
        };
        match Socket::open(conn, url, &protocols, handlers) {
            Ok(sock) => self.inner.borrow_mut().socket = Some(sock),
            Err(msg) => self.connect_failed(conn, msg),
        }
    }

    /// A browser callback's input: feed the engine, then pump.
    fn input(self: &Rc<Self>, f: impl FnOnce(&mut Engine<Kind, JsFrame>, f64)) {
        f(&mut self.inner.borrow_mut().engine, now());
        self.pump(Ctx::Callback);
    }

    fn on_message(self: &Rc<Self>, conn: u64, data: JsValue) {
        let now = now();
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
        let delivery = self.inner.borrow_mut().engine.on_frame(conn, len, kind, now);
        if delivery != Delivery::Ignore {
            self.inbound.borrow_mut().push_back(Inbound { data, parsed });
        }
        self.pump(Ctx::Callback);
    }

    fn on_timer(self: &Rc<Self>) {
        if let Some(t) = &mut self.inner.borrow_mut().timer {
            t.fired();
        }
        self.input(|e, now| e.on_timer(now));
    }

    fn on_env(self: &Rc<Self>, ev: EnvEvent) {
        self.input(|e, now| match ev {
            EnvEvent::Online => e.on_online(now),
            EnvEvent::Offline => e.on_offline(now),
            EnvEvent::Visible(v) => e.on_visibility(v, now),
            EnvEvent::Resume => e.on_resume(now),
        });
    }

    /// Arms the timer for the engine's next deadline. Lazy: a timer already armed earlier
    /// than needed is kept (it fires, finds nothing due, and re-arms), so busy traffic that
    /// pushes the heartbeat deadline forward costs no `setTimeout` churn.
    fn rearm(&self) {
        let mut i = self.inner.borrow_mut();
        let next = i.engine.poll_timeout();
        let Some(timer) = i.timer.as_mut() else { return };
        match next {
            None => timer.cancel(),
            Some(d) => {
                if timer.armed_at.is_none_or(|a| a > d) {
                    timer.arm(d, now());
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
    pub ping: JsValue,
    pub pong: JsValue,
}

thread_local! {
    pub(crate) static KEYS: Keys = Keys {
        ty: "type".into(),
        data: "data".into(),
        reply_to: "replyTo".into(),
        error: "error".into(),
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
    let Ok(v) = json_parse(text) else { return (FrameKind::Raw, None) };
    if !v.is_object() || js_sys::Array::is_array(&v) {
        return (FrameKind::Raw, None);
    }
    let kind = KEYS.with(|k| {
        let ty = Reflect::get(&v, &k.ty).unwrap_or(JsValue::UNDEFINED);
        let reply = Reflect::get(&v, &k.reply_to).unwrap_or(JsValue::UNDEFINED);
        let has_error = Reflect::has(&v, &k.error).unwrap_or(false);
        // Compare in JS: only `ping`/`pong` matter to the engine, so the type string is
        // never copied into wasm memory.
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

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    /// UTF-8 length of a JS string, computed in JS (no copy, one call).
    #[wasm_bindgen(js_name = utf8Len)]
    fn utf8_len(s: &JsString) -> usize;
}
