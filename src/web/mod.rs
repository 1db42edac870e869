//! The browser driver: owns the `WebSocket`, one timer and the window listeners; turns
//! browser callbacks into engine inputs and engine actions into browser calls. No decisions
//! live here.
//!
//! Transport seam: everything socket-specific is in [`socket`]; a later HTTP streaming or
//! long-polling transport plugs in beside it without touching the engine.

pub(crate) mod env;
pub(crate) mod socket;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

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
/// envelope (only when someone listens), or `(null, frame)` for raw frames.
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
}

struct Inner {
    engine: Engine<Kind, JsFrame>,
    socket: Option<Socket>,
    timer: Option<Timer>,
    env: Option<EnvListeners>,
    url: Rc<UrlSource>,
    protocols: Rc<Vec<String>>,
    /// The driver was dropped: ignore everything.
    dead: bool,
}

struct Shared {
    inner: RefCell<Inner>,
    sink: Rc<dyn Sink>,
}

/// The owning handle. Dropping it closes the socket (settling pending requests and the
/// queue as `closed`), cancels the timer and removes every listener.
pub(crate) struct Driver {
    shared: Rc<Shared>,
}

impl Driver {
    /// Starts connecting at once. `config` must be validated.
    pub fn new(url: UrlSource, protocols: Vec<String>, config: Config, sink: Rc<dyn Sink>) -> Self {
        let shared = Rc::new(Shared {
            inner: RefCell::new(Inner {
                engine: Engine::new(config, now()),
                socket: None,
                timer: None,
                env: None,
                url: Rc::new(url),
                protocols: Rc::new(protocols),
                dead: false,
            }),
            sink,
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
        if let Ok(mut i) = shared.inner.try_borrow_mut() {
            i.timer = Some(timer);
            i.env = Some(env);
        }
        // Start in a microtask, never inside the constructor: handlers registered right
        // after `new` must see every event (e.g. a URL provider that throws).
        let weak_start = Rc::downgrade(&shared);
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(s) = weak_start.upgrade() {
                s.run();
            }
        });
        Driver { shared }
    }

    /// Runs `f` on the engine, then performs the resulting actions.
    fn with<R>(&self, f: impl FnOnce(&mut Engine<Kind, JsFrame>, f64) -> R) -> Option<R> {
        let r = {
            let mut i = self.shared.inner.try_borrow_mut().ok()?;
            f(&mut i.engine, now())
        };
        self.shared.run();
        Some(r)
    }

    /// Reads the engine.
    pub fn read<R>(&self, f: impl FnOnce(&Engine<Kind, JsFrame>, f64) -> R) -> Option<R> {
        let i = self.shared.inner.try_borrow().ok()?;
        Some(f(&i.engine, now()))
    }

    /// Sends (or queues) a frame.
    pub fn send(&self, frame: JsFrame, meta: Kind) -> Result<Sent, SendError> {
        self.with(|e, now| e.send(frame, meta, now)).unwrap_or(Err(SendError::Closed))
    }

    /// Starts a request; `before_run` registers the caller's pending entry before any
    /// resulting action (e.g. an immediate failure) is performed.
    pub fn request(
        &self,
        timeout_ms: Option<f64>,
        encode: impl FnOnce(u64) -> JsFrame,
        before_run: impl FnOnce(u64),
    ) -> Result<(u64, Sent), SendError> {
        let r = {
            let Ok(mut i) = self.shared.inner.try_borrow_mut() else {
                return Err(SendError::Closed);
            };
            i.engine.request_with(timeout_ms, Kind::Envelope, now(), encode)
        };
        if let Ok((id, _)) = r {
            before_run(id);
        }
        self.shared.run();
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
        // Settle everything first: pending requests reject `closed`, queued messages are
        // reported as dropped, and the socket is closed. Then release every resource.
        self.with(|e, now| e.shutdown(now));
        let leftovers = match self.shared.inner.try_borrow_mut() {
            Ok(mut i) => {
                i.dead = true;
                (i.socket.take(), i.timer.take(), i.env.take())
            }
            Err(_) => (None, None, None),
        };
        drop(leftovers);
    }
}

impl Shared {
    /// Performs every pending engine action, in order. Re-entrant: a handler that sends
    /// during an event runs a nested `run` that performs only the new actions, so its frames
    /// go out before actions still waiting in this batch (this is how `open`-handler sends
    /// precede the backlog flush).
    fn run(self: &Rc<Self>) {
        loop {
            let batch: Vec<Action<Kind, JsFrame>> = match self.inner.try_borrow_mut() {
                Ok(mut i) if !i.dead => std::iter::from_fn(|| i.engine.poll_action()).collect(),
                _ => return,
            };
            if batch.is_empty() {
                break;
            }
            for a in batch {
                self.perform(a);
            }
        }
        self.rearm();
    }

    fn perform(self: &Rc<Self>, a: Action<Kind, JsFrame>) {
        match a {
            Action::Connect { conn } => self.connect(conn),
            Action::Transmit { conn, frame } => {
                if let Ok(i) = self.inner.try_borrow() {
                    if let Some(s) = i.socket.as_ref().filter(|s| s.conn == conn) {
                        s.send(&frame.value);
                    }
                }
            }
            Action::CloseSocket { conn, code, reason, await_close } => {
                let abandoned = match self.inner.try_borrow_mut() {
                    Ok(mut i) if i.socket.as_ref().is_some_and(|s| s.conn == conn) => {
                        if await_close {
                            if let Some(s) = &i.socket {
                                s.close(code, &reason);
                            }
                            None
                        } else {
                            i.socket.take()
                        }
                    }
                    _ => None,
                };
                if let Some(s) = abandoned {
                    s.close(code, &reason);
                    drop(s);
                }
            }
            Action::Flush => {
                if let Ok(mut i) = self.inner.try_borrow_mut() {
                    i.engine.flush(now());
                }
            }
            Action::Emit(ev) => self.sink.note(Note::Engine(ev)),
        }
    }

    fn connect(self: &Rc<Self>, conn: u64) {
        let source = match self.inner.try_borrow_mut() {
            Ok(mut i) => {
                i.socket = None;
                i.url.clone()
            }
            Err(_) => return,
        };
        match &*source {
            UrlSource::Fixed(url) => self.open_socket(conn, url),
            UrlSource::Provider(f) => match f.call0(&JsValue::UNDEFINED) {
                Err(e) => {
                    self.connect_failed(conn, format!("url provider threw: {}", describe(&e)))
                }
                Ok(v) => match v.dyn_into::<js_sys::Promise>() {
                    Ok(p) => {
                        let weak: Weak<Shared> = Rc::downgrade(self);
                        wasm_bindgen_futures::spawn_local(async move {
                            let r = wasm_bindgen_futures::JsFuture::from(p).await;
                            let Some(s) = weak.upgrade() else { return };
                            match r {
                                Ok(v) => s.open_url_value(conn, &v),
                                Err(e) => s.connect_failed(
                                    conn,
                                    format!("url provider rejected: {}", describe(&e)),
                                ),
                            }
                        });
                    }
                    Err(v) => self.open_url_value(conn, &v),
                },
            },
        }
    }

    fn open_url_value(self: &Rc<Self>, conn: u64, v: &JsValue) {
        match v.as_string() {
            Some(url) => match crate::error::check_ws_url(&url) {
                Ok(()) => self.open_socket(conn, &url),
                Err(e) => self.connect_failed(conn, e.to_string()),
            },
            None => self.connect_failed(
                conn,
                "url provider must return a string or a Promise of one".into(),
            ),
        }
    }

    fn connect_failed(self: &Rc<Self>, conn: u64, msg: String) {
        if let Ok(mut i) = self.inner.try_borrow_mut() {
            i.engine.on_connect_failed(conn, msg, now());
        }
        self.run();
    }

    fn open_socket(self: &Rc<Self>, conn: u64, url: &str) {
        let protocols = match self.inner.try_borrow() {
            // A provider may resolve after the engine moved on.
            Ok(i)
                if i.engine.conn() == conn
                    && i.engine.state() == crate::core::State::Connecting
                    && !i.dead =>
            {
                i.protocols.clone()
            }
            _ => return,
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
                    let dropped = s.inner.try_borrow_mut().ok().and_then(|mut i| {
                        if i.socket.as_ref().is_some_and(|s| s.conn == conn) {
                            i.socket.take()
                        } else {
                            None
                        }
                    });
                    s.input(|e, now| e.on_close(conn, ev.code(), &reason, ev.was_clean(), now));
                    drop(dropped);
                }
            }),
        };
        match Socket::open(conn, url, &protocols, handlers) {
            Ok(sock) => {
                if let Ok(mut i) = self.inner.try_borrow_mut() {
                    i.socket = Some(sock);
                }
            }
            Err(msg) => self.connect_failed(conn, msg),
        }
    }

    fn input(self: &Rc<Self>, f: impl FnOnce(&mut Engine<Kind, JsFrame>, f64)) {
        if let Ok(mut i) = self.inner.try_borrow_mut() {
            if i.dead {
                return;
            }
            f(&mut i.engine, now());
        }
        self.run();
    }

    fn on_message(self: &Rc<Self>, conn: u64, data: JsValue) {
        let now = now();
        let (len, kind, parsed) = if let Some(text) = data.dyn_ref::<JsString>() {
            let max = match self.inner.try_borrow() {
                Ok(i) => i.engine_max_bytes(),
                Err(_) => return,
            };
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
        let delivery = match self.inner.try_borrow_mut() {
            Ok(mut i) if !i.dead => i.engine.on_frame(conn, len, kind, now),
            _ => return,
        };
        match delivery {
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
        self.run();
    }

    fn on_timer(self: &Rc<Self>) {
        if let Ok(mut i) = self.inner.try_borrow_mut() {
            if let Some(t) = &mut i.timer {
                t.fired();
            }
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
        let Ok(mut i) = self.inner.try_borrow_mut() else { return };
        if i.dead {
            return;
        }
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

impl Inner {
    fn engine_max_bytes(&self) -> usize {
        self.engine.max_message_bytes()
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
    pub sent: JsValue,
    pub queued: JsValue,
    pub dropped: JsValue,
}

thread_local! {
    pub(crate) static KEYS: Keys = Keys {
        ty: "type".into(),
        data: "data".into(),
        reply_to: "replyTo".into(),
        error: "error".into(),
        ping: "ping".into(),
        pong: "pong".into(),
        sent: "sent".into(),
        queued: "queued".into(),
        dropped: "dropped".into(),
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

/// UTF-8 length of a JS string.
fn utf8_len(s: &JsString) -> usize {
    let mut n = 0usize;
    for c in s.iter() {
        n += match c {
            0..=0x7f => 1,
            0x80..=0x7ff => 2,
            // A surrogate pair is 4 bytes in UTF-8: 2 per half.
            0xd800..=0xdfff => 2,
            _ => 3,
        };
    }
    n
}
