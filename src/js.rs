//! The JavaScript facade: `new SteadySocket(url, options)` and its methods, as thin
//! `#[wasm_bindgen]` wrappers over the browser driver. Options are read once, by hand with
//! `Reflect`, into a validated [`Config`]: a wrong type throws `TypeError`, a bad value
//! `RangeError`, and both name the option path (`reconnect.maxDelayMs`). Hand reading (not
//! serde-wasm-bindgen) gives exact paths, rejects unknown keys (typos), and is smaller.

use std::cell::{Cell, Ref, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::text::num;
use crate::core::{
    BackoffConfig, ClosePolicy, Config, Event, HeartbeatConfig, OutboxConfig, Overflow,
    ReconnectConfig, SendError,
};
use crate::error::{OptionError, OptionErrorKind};
use crate::web::{frame_parts, Driver, JsFrame, Kind, Note, Sink, UrlSource, KEYS};

#[wasm_bindgen(typescript_custom_section)]
const TS: &'static str = include_str!("steadysocket.d.ts");

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(a: &JsValue, b: &JsValue);
}

// ---------- errors ----------

fn option_error(e: &OptionError) -> JsValue {
    let msg = e.to_string();
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

fn type_error(msg: &str) -> JsValue {
    js_sys::TypeError::new(&format!("steadysocket: {msg}")).into()
}

/// What every method throws after `free()`.
fn freed_error() -> JsValue {
    js_sys::Error::new("steadysocket: the socket was freed (free() was called); create a new one")
        .into()
}

/// An `Error` with a `kind` (and optional `code`/`data`).
fn kind_error(kind: &str, message: &str, code: Option<JsValue>, data: Option<JsValue>) -> JsValue {
    let e = js_sys::Error::new(message);
    set(&e, "kind", &kind.into());
    if let Some(c) = code {
        set(&e, "code", &c);
    }
    if let Some(d) = data {
        set(&e, "data", &d);
    }
    e.into()
}

fn send_error(e: SendError) -> JsValue {
    match e {
        SendError::Closed => kind_error("closed", "steadysocket: the socket is closed", None, None),
        SendError::QueueFull => kind_error(
            "queue-full",
            "steadysocket: the queue is full (queue.overflow is \"error\")",
            None,
            None,
        ),
    }
}

/// `"sent"`, `"queued"` or `"dropped"` as a cached JS string.
fn sent_value(s: crate::core::Sent) -> JsValue {
    KEYS.with(|k| match s {
        crate::core::Sent::Sent => k.sent.clone(),
        crate::core::Sent::Queued => k.queued.clone(),
        crate::core::Sent::Dropped => k.dropped.clone(),
    })
}

fn set(o: &JsValue, k: &str, v: &JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(k), v);
}

fn obj(fields: &[(&str, JsValue)]) -> JsValue {
    let o: JsValue = Object::new().into();
    for (k, v) in fields {
        set(&o, k, v);
    }
    o
}

fn opt_num(v: Option<f64>) -> JsValue {
    v.map_or(JsValue::UNDEFINED, JsValue::from_f64)
}

// ---------- options ----------

struct Reader<'a> {
    v: &'a JsValue,
    prefix: &'static str,
}

impl Reader<'_> {
    fn path(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn check_keys(&self, allowed: &[&str]) -> Result<(), JsValue> {
        for k in Object::keys(self.v.unchecked_ref::<Object>()).iter() {
            let k = k.as_string().unwrap_or_default();
            if !allowed.contains(&k.as_str()) {
                return Err(OptionError::type_error(
                    self.path(&k),
                    format!("is not an option (known: {})", crate::core::text::join(allowed)),
                )
                .into());
            }
        }
        Ok(())
    }

    /// The option's value; a getter that throws propagates its exception.
    fn get(&self, key: &str) -> Result<JsValue, JsValue> {
        Reflect::get(self.v, &key.into())
    }

    fn num(&self, key: &str) -> Result<Option<f64>, JsValue> {
        let v = self.get(key)?;
        if v.is_undefined() {
            return Ok(None);
        }
        Ok(Some(v.as_f64().ok_or_else(|| {
            OptionError::type_error(
                self.path(key),
                format!("must be a number, got {}", js_type(&v)),
            )
        })?))
    }

    fn int(&self, key: &str, min: f64) -> Result<Option<usize>, JsValue> {
        match self.num(key)? {
            None => Ok(None),
            Some(n) if n.fract() == 0.0 && n >= min && n <= 9_007_199_254_740_991.0 => {
                Ok(Some(n as usize))
            }
            Some(n) => Err(OptionError::range_error(
                self.path(key),
                format!("must be an integer >= {}, got {}", num(min), num(n)),
            )
            .into()),
        }
    }
}

fn js_type(v: &JsValue) -> String {
    if v.is_null() {
        "null".into()
    } else if Array::is_array(v) {
        "array".into()
    } else {
        v.js_typeof().as_string().unwrap_or_default()
    }
}

fn sub<'a>(v: &'a JsValue, prefix: &'static str, name: &str) -> Result<Reader<'a>, OptionError> {
    if v.is_object() && !Array::is_array(v) && !v.is_function() {
        Ok(Reader { v, prefix })
    } else {
        Err(OptionError::type_error(name, format!("must be an object, got {}", js_type(v))))
    }
}

/// An option that is `false` (handled by the caller), `true`/absent (defaults: `None`), or an
/// object of settings (`Some`).
fn toggle<'a>(
    v: &'a JsValue,
    prefix: &'static str,
    name: &str,
) -> Result<Option<Reader<'a>>, OptionError> {
    if v.is_undefined() || v.as_bool() == Some(true) {
        return Ok(None);
    }
    sub(v, prefix, name).map(Some).map_err(|_| {
        OptionError::type_error(
            name,
            format!("must be false, true or an object, got {}", js_type(v)),
        )
    })
}

/// Parses the JS options object into a validated config and the subprotocol list.
fn parse_options(options: &JsValue) -> Result<(Config, Vec<String>), JsValue> {
    let mut cfg = Config {
        seed: (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64,
        ..Config::default()
    };
    let mut protocols = Vec::new();
    if options.is_undefined() || options.is_null() {
        return Ok((cfg, protocols));
    }
    let o = sub(options, "", "options")?;
    o.check_keys(&[
        "protocols",
        "reconnect",
        "heartbeat",
        "queue",
        "connectTimeoutMs",
        "requestTimeoutMs",
        "maxMessageBytes",
    ])?;

    let p = o.get("protocols")?;
    if let Some(s) = p.as_string() {
        protocols.push(s);
    } else if Array::is_array(&p) {
        for (i, x) in Array::from(&p).iter().enumerate() {
            protocols.push(x.as_string().ok_or_else(|| {
                OptionError::type_error(format!("protocols[{i}]"), "must be a string")
            })?);
        }
    } else if !p.is_undefined() {
        return Err(OptionError::type_error(
            "protocols",
            format!("must be a string or an array of strings, got {}", js_type(&p)),
        )
        .into());
    }
    crate::core::validate::protocols(&protocols)?;

    let r = o.get("reconnect")?;
    if r.as_bool() == Some(false) {
        cfg.reconnect = None;
    } else if let Some(r) = toggle(&r, "reconnect.", "reconnect")? {
        r.check_keys(&[
            "minDelayMs",
            "maxDelayMs",
            "factor",
            "jitter",
            "maxAttempts",
            "stableMs",
            "stopOnCodes",
            "maxRetryAfterMs",
        ])?;
        let d = BackoffConfig::default();
        let min_delay_ms = r.num("minDelayMs")?.unwrap_or(d.min_delay_ms);
        let backoff = BackoffConfig {
            min_delay_ms,
            max_delay_ms: r.num("maxDelayMs")?.unwrap_or(d.max_delay_ms.max(min_delay_ms)),
            factor: r.num("factor")?.unwrap_or(d.factor),
            jitter: r.num("jitter")?.unwrap_or(d.jitter),
            max_attempts: match r.num("maxAttempts")? {
                None => None,
                Some(n) if n == f64::INFINITY => None,
                Some(n) if n.fract() == 0.0 && (0.0..=4_294_967_295.0).contains(&n) => {
                    Some(n as u32)
                }
                Some(n) => {
                    return Err(OptionError::range_error(
                        "reconnect.maxAttempts",
                        format!("must be an integer >= 0 or Infinity, got {}", num(n)),
                    )
                    .into())
                }
            },
        };
        let mut policy = ClosePolicy::default();
        let codes = r.get("stopOnCodes")?;
        if !codes.is_undefined() {
            if !Array::is_array(&codes) {
                return Err(OptionError::type_error(
                    "reconnect.stopOnCodes",
                    format!("must be an array, got {}", js_type(&codes)),
                )
                .into());
            }
            policy.stop_codes.clear();
            for (i, c) in Array::from(&codes).iter().enumerate() {
                let path = format!("reconnect.stopOnCodes[{i}]");
                let code = |v: &JsValue| -> Result<u16, OptionError> {
                    match v.as_f64() {
                        Some(n) if n.fract() == 0.0 && (0.0..=65535.0).contains(&n) => Ok(n as u16),
                        Some(n) => Err(OptionError::range_error(
                            path.clone(),
                            format!("must be an integer close code, got {}", num(n)),
                        )),
                        None => Err(OptionError::type_error(
                            path.clone(),
                            format!("must be a number or a [from, to] pair, got {}", js_type(v)),
                        )),
                    }
                };
                if Array::is_array(&c) {
                    let pair = Array::from(&c);
                    if pair.length() != 2 {
                        return Err(OptionError::type_error(
                            path,
                            "a range must be a [from, to] pair",
                        )
                        .into());
                    }
                    policy.stop_codes.push((code(&pair.get(0))?, code(&pair.get(1))?));
                } else {
                    let n = code(&c)?;
                    policy.stop_codes.push((n, n));
                }
            }
        }
        let dr = ReconnectConfig::default();
        cfg.reconnect = Some(ReconnectConfig {
            backoff,
            stable_ms: r.num("stableMs")?.unwrap_or(dr.stable_ms),
            policy,
            max_retry_after_ms: r.num("maxRetryAfterMs")?.unwrap_or(dr.max_retry_after_ms),
        });
    }

    let h = o.get("heartbeat")?;
    if h.as_bool() == Some(false) {
        cfg.heartbeat = None;
    } else if let Some(h) = toggle(&h, "heartbeat.", "heartbeat")? {
        h.check_keys(&["intervalMs", "timeoutMs", "ping"])?;
        let d = HeartbeatConfig::default();
        let ping = h.get("ping")?;
        cfg.heartbeat = Some(HeartbeatConfig {
            interval_ms: h.num("intervalMs")?.unwrap_or(d.interval_ms),
            timeout_ms: h.num("timeoutMs")?.unwrap_or(d.timeout_ms),
            ping: if ping.is_undefined() {
                d.ping
            } else {
                ping.as_string().ok_or_else(|| {
                    OptionError::type_error(
                        "heartbeat.ping",
                        format!("must be a string, got {}", js_type(&ping)),
                    )
                })?
            },
        });
    }

    let q = o.get("queue")?;
    if !q.is_undefined() {
        let q = sub(&q, "queue.", "queue")?;
        q.check_keys(&["maxMessages", "maxBytes", "overflow", "ttlMs"])?;
        let d = OutboxConfig::default();
        let overflow = q.get("overflow")?;
        cfg.queue = OutboxConfig {
            max_messages: q.int("maxMessages", 0.0)?.unwrap_or(d.max_messages),
            max_bytes: q.int("maxBytes", 0.0)?.unwrap_or(d.max_bytes),
            overflow: if overflow.is_undefined() {
                d.overflow
            } else {
                let s = overflow.as_string().ok_or_else(|| {
                    OptionError::type_error(
                        "queue.overflow",
                        format!("must be a string, got {}", js_type(&overflow)),
                    )
                })?;
                Overflow::parse(&s).ok_or_else(|| {
                    OptionError::range_error(
                        "queue.overflow",
                        format!(
                            "must be \"drop-oldest\", \"drop-newest\" or \"error\", got \"{s}\""
                        ),
                    )
                })?
            },
            ttl_ms: q.num("ttlMs")?,
        };
    }
    if let Some(v) = o.num("connectTimeoutMs")? {
        cfg.connect_timeout_ms = v;
    }
    if let Some(v) = o.num("requestTimeoutMs")? {
        cfg.request_timeout_ms = v;
    }
    if let Some(v) = o.int("maxMessageBytes", 1.0)? {
        cfg.max_message_bytes = v;
    }
    cfg.validate()?;
    Ok((cfg, protocols))
}

// ---------- the event sink ----------

const EVENTS: [&str; 10] =
    ["open", "close", "reconnecting", "state", "error", "message", "drop", "sent", "rtt", "raw"];

#[derive(Default)]
struct JsSink {
    /// (event name, handler), in subscription order.
    listeners: RefCell<Vec<(&'static str, Function)>>,
    /// (message type, handler), in subscription order.
    typed: RefCell<Vec<(JsValue, Function)>>,
    pending: RefCell<crate::core::idmap::IdMap<(Function, Function)>>,
    dispatching_error: Cell<bool>,
}

impl JsSink {
    fn call(&self, f: &Function, arg: &JsValue) {
        if let Err(e) = f.call1(&JsValue::UNDEFINED, arg) {
            if self.dispatching_error.get() {
                console_error(&"steadysocket: an \"error\" handler threw:".into(), &e);
            } else {
                let message =
                    format!("an event handler threw: {}", crate::web::socket::describe(&e));
                let ev =
                    obj(&[("kind", "handler".into()), ("message", message.into()), ("error", e)]);
                self.emit("error", &ev);
            }
        }
    }

    fn listens(&self, name: &str) -> bool {
        self.listeners.borrow().iter().any(|(n, _)| *n == name)
    }

    fn emit(&self, name: &str, arg: &JsValue) {
        let list = handlers_for(&self.listeners.borrow(), name);
        let is_error = name == "error";
        if is_error {
            self.dispatching_error.set(true);
        }
        for f in &list {
            self.call(f, arg);
        }
        if is_error {
            self.dispatching_error.set(false);
        }
    }

    fn settle(&self, id: u64, ok: bool, value: &JsValue) {
        let entry = self.pending.borrow_mut().remove(id);
        if let Some((resolve, reject)) = entry {
            let f = if ok { resolve } else { reject };
            let _ = f.call1(&JsValue::UNDEFINED, value);
        }
    }
}

impl Sink for JsSink {
    fn note(&self, note: Note) {
        match note {
            Note::Message { ty, data } => {
                let has_message = self.listeners.borrow().iter().any(|(n, _)| *n == "message");
                if has_message {
                    let ev: JsValue = Object::new().into();
                    KEYS.with(|k| {
                        let _ = Reflect::set(&ev, &k.ty, &ty);
                        let _ = Reflect::set(&ev, &k.data, &data);
                    });
                    self.emit("message", &ev);
                }
                let typed: Vec<Function> = self
                    .typed
                    .borrow()
                    .iter()
                    .filter(|(k, _)| *k == ty)
                    .map(|(_, f)| f.clone())
                    .collect();
                for f in &typed {
                    self.call(f, &data);
                }
            }
            Note::Raw(v) => self.emit("raw", &v),
            Note::Reply { id, error: false, value } => self.settle(id, true, &value),
            Note::Reply { id, error: true, value } => {
                let message = Reflect::get(&value, &"message".into())
                    .ok()
                    .and_then(|m| m.as_string())
                    .unwrap_or_else(|| "remote error".into());
                let code = Reflect::get(&value, &"code".into()).ok().filter(|c| !c.is_undefined());
                self.settle(id, false, &kind_error("remote", &message, code, Some(value)));
            }
            Note::Engine(ev) => match ev {
                Event::State { from, to } => self.emit(
                    "state",
                    &obj(&[("from", from.as_str().into()), ("to", to.as_str().into())]),
                ),
                Event::Open { reconnected, attempt } => self.emit(
                    "open",
                    &obj(&[("reconnected", reconnected.into()), ("attempt", attempt.into())]),
                ),
                Event::Close { code, reason, was_clean, will_reconnect } => self.emit(
                    "close",
                    &obj(&[
                        ("code", code.into()),
                        ("reason", reason.into()),
                        ("wasClean", was_clean.into()),
                        ("willReconnect", will_reconnect.into()),
                    ]),
                ),
                Event::Reconnecting { attempt, delay_ms } => self.emit(
                    "reconnecting",
                    &obj(&[
                        ("attempt", attempt.into()),
                        ("delayMs", delay_ms.map_or(JsValue::NULL, JsValue::from_f64)),
                    ]),
                ),
                Event::Error { kind, message } => self.emit(
                    "error",
                    &obj(&[("kind", kind.as_str().into()), ("message", message.into())]),
                ),
                Event::Dropped { meta, frame, reason, .. } => {
                    if self.listens("drop") {
                        let (ty, data) = frame_parts(meta, &frame);
                        let reason = reason.as_str().into();
                        self.emit("drop", &obj(&[("type", ty), ("data", data), ("reason", reason)]))
                    }
                }
                Event::Sent { meta, frame, .. } => {
                    if self.listens("sent") {
                        let (ty, data) = frame_parts(meta, &frame);
                        self.emit("sent", &obj(&[("type", ty), ("data", data)]))
                    }
                }
                Event::Rtt(r) => {
                    if self.listens("rtt") {
                        let ev = obj(&[
                            ("rtt", opt_num(r.latest)),
                            ("srtt", opt_num(r.smoothed)),
                            ("jitter", opt_num(r.jitter)),
                        ]);
                        self.emit("rtt", &ev)
                    }
                }
                Event::RequestFailed { id, failure } => {
                    let msg = format!("steadysocket: request failed: {}", failure.as_str());
                    self.settle(id, false, &kind_error(failure.as_str(), &msg, None, None));
                }
            },
        }
    }
}

// ---------- the class ----------

/// A WebSocket that stays connected. See the README and `steadysocket.d.ts`.
#[wasm_bindgen(js_name = SteadySocket, skip_typescript)]
pub struct JsSteadySocket {
    /// `None` after `free()`.
    driver: RefCell<Option<Driver>>,
    sink: Rc<JsSink>,
}

#[wasm_bindgen(js_class = SteadySocket)]
impl JsSteadySocket {
    /// `new SteadySocket(urlOrProvider, options?)`.
    ///
    /// # Errors
    /// `TypeError`/`RangeError` naming a bad option; `SyntaxError`/`TypeError` naming a bad
    /// URL.
    #[wasm_bindgen(constructor)]
    pub fn new(url: JsValue, options: JsValue) -> Result<JsSteadySocket, JsValue> {
        let source = if let Some(s) = url.as_string() {
            crate::error::check_ws_url(&s).map_err(|e| -> JsValue {
                let m = e.to_string();
                if crate::core::text::find(&s, "://").is_some()
                    && !s.starts_with("ws")
                    && !s.starts_with("WS")
                {
                    js_sys::TypeError::new(&m).into()
                } else {
                    js_sys::SyntaxError::new(&m).into()
                }
            })?;
            UrlSource::Fixed(s)
        } else if let Some(f) = url.dyn_ref::<Function>() {
            UrlSource::Provider(f.clone())
        } else {
            return Err(type_error(&format!(
                "url must be a ws:/wss: URL string or a function returning one, got {}",
                js_type(&url)
            )));
        };
        let (config, protocols) = parse_options(&options)?;
        let sink = Rc::new(JsSink::default());
        let driver = Driver::new(source, protocols, config, sink.clone());
        Ok(JsSteadySocket { driver: RefCell::new(Some(driver)), sink })
    }

    /// The driver, or the "freed" error.
    fn d(&self) -> Result<Ref<'_, Driver>, JsValue> {
        Ref::filter_map(self.driver.borrow(), Option::as_ref).map_err(|_| freed_error())
    }

    /// Closes at once and releases everything (replaces wasm-bindgen's `free`, which must
    /// not run while a method holds the object). Pending requests reject `closed`, queued
    /// messages get `drop` events (`closed`), then the socket, timer and listeners are
    /// released. Safe from any handler; a second call does nothing; every other method
    /// throws afterwards.
    #[wasm_bindgen(js_name = free)]
    pub fn free(&self) {
        let d = self.driver.borrow_mut().take();
        drop(d);
    }

    /// `"connecting" | "open" | "reconnecting" | "closing" | "closed"`.
    ///
    /// # Errors
    /// After `free()`.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> Result<String, JsValue> {
        Ok(self.d()?.read(|e, _| e.state().as_str()).to_string())
    }

    /// Messages waiting in the queue.
    ///
    /// # Errors
    /// After `free()`.
    #[wasm_bindgen(getter)]
    pub fn queued(&self) -> Result<u32, JsValue> {
        Ok(self.d()?.read(|e, _| e.queued() as u32))
    }

    /// The latest heartbeat round-trip time in ms, or `undefined` before the first pong
    /// (kept across reconnects until a new sample arrives).
    ///
    /// # Errors
    /// After `free()`.
    #[wasm_bindgen(getter)]
    pub fn rtt(&self) -> Result<JsValue, JsValue> {
        Ok(opt_num(self.d()?.read(|e, _| e.rtt().latest)))
    }

    /// A plain object of counters and gauges.
    ///
    /// # Errors
    /// After `free()`.
    pub fn metrics(&self) -> Result<JsValue, JsValue> {
        let m = self.d()?.read(|e, now| e.metrics(now));
        Ok(obj(&[
            ("attempts", (m.attempts as f64).into()),
            ("reconnects", (m.reconnects as f64).into()),
            ("downtimeMs", m.downtime_ms.into()),
            ("messagesIn", (m.messages_in as f64).into()),
            ("messagesOut", (m.messages_out as f64).into()),
            ("bytesIn", (m.bytes_in as f64).into()),
            ("bytesOut", (m.bytes_out as f64).into()),
            ("queued", (m.queued as f64).into()),
            ("queuedBytes", (m.queued_bytes as f64).into()),
            ("dropped", (m.dropped as f64).into()),
            ("pendingRequests", (m.pending_requests as f64).into()),
            ("rtt", opt_num(m.rtt.latest)),
            ("srtt", opt_num(m.rtt.smoothed)),
            ("rttJitter", opt_num(m.rtt.jitter)),
        ]))
    }

    /// Subscribes `handler` to `event`; returns an unsubscribe function.
    ///
    /// # Errors
    /// `TypeError` for an unknown event name or a non-function handler.
    pub fn on(&self, event: &str, handler: JsValue) -> Result<Function, JsValue> {
        self.d()?;
        let Some(name) = EVENTS.iter().find(|n| **n == event) else {
            return Err(type_error(&format!(
                "unknown event \"{event}\" (known: {})",
                crate::core::text::join(&EVENTS)
            )));
        };
        let f: Function =
            handler.dyn_into().map_err(|_| type_error("handler must be a function"))?;
        self.sink.listeners.borrow_mut().push((name, f.clone()));
        let sink = Rc::downgrade(&self.sink);
        // Freed when called, or by the FinalizationRegistry when garbage-collected.
        let unsub = Closure::once_into_js(move || {
            if let Some(s) = sink.upgrade() {
                remove(&mut s.listeners.borrow_mut(), name, &f);
            }
        });
        Ok(unsub.unchecked_into())
    }

    /// Unsubscribes `handler` from `event`.
    ///
    /// # Errors
    /// After `free()`.
    pub fn off(&self, event: &str, handler: JsValue) -> Result<(), JsValue> {
        self.d()?;
        if let Some(name) = EVENTS.iter().find(|n| **n == event) {
            remove(&mut self.sink.listeners.borrow_mut(), name, &handler);
        }
        Ok(())
    }

    /// Subscribes `handler(data)` to typed events of `type`; returns an unsubscribe function.
    ///
    /// # Errors
    /// `TypeError` for a non-string type or a non-function handler.
    #[wasm_bindgen(js_name = onMessage)]
    pub fn on_message(&self, ty: JsValue, handler: JsValue) -> Result<Function, JsValue> {
        self.d()?;
        if !ty.is_string() {
            return Err(type_error("onMessage: type must be a string"));
        }
        let f: Function =
            handler.dyn_into().map_err(|_| type_error("handler must be a function"))?;
        self.sink.typed.borrow_mut().push((ty.clone(), f.clone()));
        let sink = Rc::downgrade(&self.sink);
        let unsub = Closure::once_into_js(move || {
            if let Some(s) = sink.upgrade() {
                let mut typed = s.typed.borrow_mut();
                if let Some(pos) = typed.iter().position(|(k, x)| *k == ty && *x == f) {
                    typed.remove(pos);
                }
            }
        });
        Ok(unsub.unchecked_into())
    }

    /// Sends a typed event: `"sent"`, `"queued"` or `"dropped"`.
    ///
    /// # Errors
    /// `TypeError` for a non-string type or data `JSON.stringify` rejects; an `Error` with
    /// `kind` `"closed"` or `"queue-full"`.
    pub fn send(&self, ty: JsValue, data: JsValue) -> Result<JsValue, JsValue> {
        if !ty.is_string() {
            return Err(type_error("send: type must be a string"));
        }
        self.d()?;
        // User code (`toJSON`) runs here: no borrow of the driver is held.
        let frame = JsFrame::from_js_string(&event_envelope(&ty, &data).map_err(not_json)?);
        self.d()?.send(frame, Kind::Envelope).map(sent_value).map_err(send_error)
    }

    /// Sends a request; resolves with the reply's `data`.
    ///
    /// # Errors
    /// Throws `TypeError`/`RangeError` for bad arguments. The promise rejects with an `Error`
    /// whose `kind` is `"timeout"`, `"remote"` (with `code`), `"connection-lost"`, `"closed"`,
    /// `"dropped"` or `"queue-full"`.
    pub fn request(
        &self,
        ty: JsValue,
        data: JsValue,
        options: JsValue,
    ) -> Result<Promise, JsValue> {
        self.d()?;
        if !ty.is_string() {
            return Err(type_error("request: type must be a string"));
        }
        let timeout_ms = if options.is_undefined() || options.is_null() {
            None
        } else {
            let r = sub(&options, "", "request options")?;
            r.check_keys(&["timeoutMs"])?;
            crate::core::validate::request_timeout(r.num("timeoutMs")?)?
        };
        // The data is serialized exactly once, here, before anything is queued (a throwing
        // `toJSON` throws from `request()` and nothing is sent); the engine step only
        // concatenates strings.
        let json = data_json(&data).map_err(not_json)?;
        let mut slot: Option<(Function, Function)> = None;
        let promise = Promise::new(&mut |res, rej| slot = Some((res, rej)));
        let Some((resolve, reject)) = slot else {
            return Err(type_error("Promise executor did not run"));
        };
        let sink = self.sink.clone();
        let r = self.d()?.request(
            timeout_ms,
            |id| JsFrame::from_js_string(&request_envelope(&ty, id as f64, &json)),
            |id| {
                sink.pending.borrow_mut().insert(id, (resolve.clone(), reject.clone()));
            },
        );
        if let Err(e) = r {
            let _ = reject.call1(&JsValue::UNDEFINED, &send_error(e));
        }
        Ok(promise)
    }

    /// Sends a raw frame (`string` → text, `ArrayBuffer`/view → binary).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    #[wasm_bindgen(js_name = sendRaw)]
    pub fn send_raw(&self, data: JsValue) -> Result<JsValue, JsValue> {
        self.d()?;
        // Binary data is copied (in JS) so later changes to the caller's buffer cannot
        // alter a queued frame.
        let frame = if let Some(s) = data.dyn_ref::<js_sys::JsString>() {
            JsFrame::from_js_string(s)
        } else if let Some(b) = data.dyn_ref::<js_sys::ArrayBuffer>() {
            let copy = js_sys::Uint8Array::new(b).slice(0, b.byte_length());
            let len = copy.length() as usize;
            JsFrame { value: copy.into(), len }
        } else if js_sys::ArrayBuffer::is_view(&data) {
            let v: &js_sys::Object = data.unchecked_ref();
            let buf = Reflect::get(v, &"buffer".into()).unwrap_or(JsValue::UNDEFINED);
            let off =
                Reflect::get(v, &"byteOffset".into()).ok().and_then(|x| x.as_f64()).unwrap_or(0.0)
                    as u32;
            let len =
                Reflect::get(v, &"byteLength".into()).ok().and_then(|x| x.as_f64()).unwrap_or(0.0)
                    as u32;
            let copy =
                js_sys::Uint8Array::new_with_byte_offset_and_length(&buf, off, len).slice(0, len);
            JsFrame { value: copy.into(), len: len as usize }
        } else {
            return Err(type_error(&format!(
                "sendRaw: data must be a string, ArrayBuffer or ArrayBufferView, got {}",
                js_type(&data)
            )));
        };
        self.d()?.send(frame, Kind::Raw).map(sent_value).map_err(send_error)
    }

    /// Closes for good (no reconnect): `code` defaults to 1000, `reason` to `""`.
    ///
    /// # Errors
    /// `TypeError` for a code that is not a number or a reason that is not a string;
    /// `RangeError` for a code other than 1000 or 3000–4999, or a reason over 123 UTF-8
    /// bytes; an `Error` after `free()`.
    pub fn close(&self, code: JsValue, reason: JsValue) -> Result<(), JsValue> {
        self.d()?;
        let code = if code.is_undefined() {
            None
        } else {
            Some(code.as_f64().ok_or_else(|| {
                OptionError::type_error("code", format!("must be a number, got {}", js_type(&code)))
            })?)
        };
        let code = crate::core::validate::close_code(code)?;
        let reason = if reason.is_undefined() {
            String::new()
        } else {
            reason.as_string().ok_or_else(|| {
                OptionError::type_error(
                    "reason",
                    format!("must be a string, got {}", js_type(&reason)),
                )
            })?
        };
        crate::core::validate::close_reason(&reason)?;
        self.d()?.close(code, &reason);
        Ok(())
    }

    /// Drops the current connection (if any) and attempts now with the backoff reset.
    ///
    /// # Errors
    /// After `free()`.
    pub fn reconnect(&self) -> Result<(), JsValue> {
        self.d()?.reconnect();
        Ok(())
    }
}

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    /// `JSON.stringify({type, data})`: one flat string; the payload never crosses into
    /// wasm memory. Throws what `JSON.stringify` throws.
    #[wasm_bindgen(js_name = eventEnvelope, catch)]
    fn event_envelope(ty: &JsValue, data: &JsValue) -> Result<js_sys::JsString, JsValue>;
    /// `JSON.stringify(data)` (`undefined` → `"null"`). Throws what `JSON.stringify` throws.
    #[wasm_bindgen(js_name = dataJson, catch)]
    fn data_json(data: &JsValue) -> Result<js_sys::JsString, JsValue>;
    /// `{"type","id","data"}` by concatenation (runs no user code).
    #[wasm_bindgen(js_name = requestEnvelope)]
    fn request_envelope(ty: &JsValue, id: f64, data: &js_sys::JsString) -> js_sys::JsString;
}

/// The `TypeError` for data `JSON.stringify` refused (or a throwing `toJSON`).
fn not_json(e: JsValue) -> JsValue {
    type_error(&format!("data is not JSON-serializable: {}", crate::web::socket::describe(&e)))
}

/// The handlers subscribed under `key`, in order (a snapshot: handlers may unsubscribe
/// while being called).
fn handlers_for<K: AsRef<str>>(list: &[(K, Function)], key: &str) -> Vec<Function> {
    list.iter().filter(|(k, _)| k.as_ref() == key).map(|(_, f)| f.clone()).collect()
}

/// Removes the first subscription of `f` under `key`.
fn remove<K: AsRef<str>>(list: &mut Vec<(K, Function)>, key: &str, f: &JsValue) {
    if let Some(pos) = list.iter().position(|(k, x)| k.as_ref() == key && JsValue::from(x) == *f) {
        list.remove(pos);
    }
}
