//! The Rust API, for Yew/Leptos/plain wasm front ends: the same driver and engine as the JS
//! class, with serde types and a `futures` `Stream` of events.
//!
//! **Targets.** It connects in the browser only (`wasm32-unknown-unknown`), but every type
//! and signature exists on every target, so the same code type-checks in a Leptos SSR
//! (server) build and under rust-analyzer's default (native) check. Off wasm32,
//! [`Builder::build`] (and, with feature `stomp`, `StompBuilder::build`) validates
//! its settings as in the browser, then returns [`Error::Unsupported`]; no value that needs
//! a browser can be made, and nothing panics. Create sockets on the client only (e.g. in an
//! effect).
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use serde::{Deserialize, Serialize};
//! use steadysocket::client::{SocketEvent, SteadySocket};
//!
//! #[derive(Serialize, Deserialize)]
//! #[serde(tag = "type", content = "data")]
//! enum Msg {
//!     #[serde(rename = "chat")]
//!     Chat { text: String },
//! }
//!
//! # async fn demo() -> Result<(), steadysocket::Error> {
//! let socket = SteadySocket::builder("wss://example.com/ws").request_timeout_ms(5000.0).build()?;
//! let mut events = socket.events();
//! socket.send_message(&Msg::Chat { text: "hi".into() })?; // queued until open
//! let sum: f64 = socket.request("add", &serde_json::json!({"a": 1, "b": 2})).await?;
//! while let Some(ev) = events.next().await {
//!     if let SocketEvent::Message(m) = ev {
//!         if let Ok(Msg::Chat { text }) = m.to_message::<Msg>() {
//!             println!("{text} ({sum})");
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_channel::{mpsc, oneshot};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use wasm_bindgen::JsValue;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen::{closure::Closure, JsCast};

use crate::core::envelope::encode_event;
use crate::core::envelope::{encode_request, WireFrame};
#[cfg(target_arch = "wasm32")]
use crate::core::Event;
use crate::core::{
    Config, DropReason, ErrorKind, HeartbeatConfig, Metrics, OutboxConfig, ReconnectConfig,
    SendError, Sent, State,
};
#[cfg(target_arch = "wasm32")]
use crate::error::RequestErrorKind;
use crate::error::{check_ws_url, Error};
#[cfg(target_arch = "wasm32")]
use crate::web::{frame_parts, Driver, JsFrame, Kind, Note, Proto, Sink, UrlSource};
#[cfg(not(target_arch = "wasm32"))]
use native::{Driver, JsFrame, Kind};

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(feature = "socketio")]
pub mod socketio;
#[cfg(feature = "stomp")]
pub mod stomp;

/// Why [`Builder::build`] fails off wasm32 ([`Error::Unsupported`]).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn native_unsupported() -> Error {
    Error::Unsupported(
        "the socket runs only in the browser (target wasm32-unknown-unknown): create it on the \
         client (e.g. in an effect); this build has the types only"
            .into(),
    )
}

/// Deserializes a JS value (`JSON.parse` output) into `T`.
#[cfg(target_arch = "wasm32")]
fn from_js<T: DeserializeOwned>(v: &JsValue) -> Result<T, Error> {
    serde_wasm_bindgen::from_value(v.clone()).map_err(|e| Error::Serde(e.to_string()))
}

/// Off wasm32 there is no JS value to read (not even a clone of one: wasm-bindgen's
/// would panic there).
#[cfg(not(target_arch = "wasm32"))]
fn from_js<T: DeserializeOwned>(_: &JsValue) -> Result<T, Error> {
    Err(native_unsupported())
}

/// An inbound typed event.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The event type.
    pub ty: String,
    /// The event data as parsed by `JSON.parse`.
    pub data: JsValue,
}

impl Incoming {
    /// Deserializes `data` into `T`.
    ///
    /// # Errors
    /// [`Error::Serde`] if it does not fit `T`.
    /// ([`Error::Unsupported`] off wasm32.)
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, Error> {
        from_js(&self.data)
    }

    /// Deserializes the whole `{"type", "data"}` envelope into a user enum declared with
    /// `#[serde(tag = "type", content = "data")]`.
    ///
    /// # Errors
    /// [`Error::Serde`] if no variant fits ([`Error::Unsupported`] off wasm32).
    pub fn to_message<E: DeserializeOwned>(&self) -> Result<E, Error> {
        #[cfg(target_arch = "wasm32")]
        {
            let o = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&o, &"type".into(), &self.ty.as_str().into());
            let _ = js_sys::Reflect::set(&o, &"data".into(), &self.data);
            from_js(&o.into())
        }
        #[cfg(not(target_arch = "wasm32"))]
        from_js(&self.data)
    }
}

/// A raw (non-envelope) frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawMessage {
    /// A text frame that is not a JSON envelope.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
}

impl RawMessage {
    /// The frame's bytes (UTF-8 for text).
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            RawMessage::Text(s) => s.into_bytes(),
            RawMessage::Binary(b) => b,
        }
    }

    /// The text of a text frame (`None` for binary).
    pub fn as_text(&self) -> Option<&str> {
        match self {
            RawMessage::Text(s) => Some(s),
            RawMessage::Binary(_) => None,
        }
    }

    /// The frame as the driver sends it: a JS string, or a `Uint8Array` copy of the bytes.
    #[cfg(target_arch = "wasm32")]
    fn into_frame(self) -> JsFrame {
        match self {
            RawMessage::Text(s) => JsFrame::text(s),
            RawMessage::Binary(b) => JsFrame::new(js_sys::Uint8Array::from(&b[..]).into(), b.len()),
        }
    }
}

/// The wire protocol of a [`SteadySocket`] ([`Builder::protocol`]). Default [`Protocol::V1`].
#[derive(Clone, Default)]
pub enum Protocol {
    /// steadysocket's `{"type", "data"}` envelope with requests (`id`/`replyTo`) and the
    /// `{"type":"ping"}`/`{"type":"pong"}` heartbeat. The default.
    #[default]
    V1,
    /// No envelope: a drop-in reconnecting WebSocket. Every inbound frame is a
    /// [`SocketEvent::Raw`]; send with [`SteadySocket::send_raw`] (`send`/`request` fail with
    /// [`Error::Unsupported`]). The heartbeat is **off** unless [`Builder::heartbeat`] is
    /// called, whose `ping` is then sent as it is; `pong`, if set, tells its answers apart
    /// (they count as liveness and RTT samples and are not delivered). Peer pings are not
    /// answered.
    Raw {
        /// The heartbeat answer matcher. Default `None`: no frame is a pong (any inbound
        /// frame still proves the peer alive).
        pong: Option<Pong>,
    },
    /// The application's codec (see [`Codec`]): typed messages, requests and heartbeats in a
    /// wire format of its own.
    Codec(Rc<dyn Codec>),
}

impl Protocol {
    /// [`Protocol::Raw`] without a pong matcher.
    pub fn raw() -> Self {
        Protocol::Raw { pong: None }
    }

    /// [`Protocol::Raw`] whose heartbeat answers match `pong` (an exact text, or
    /// [`Pong::matching`] a closure).
    pub fn raw_with_pong(pong: impl Into<Pong>) -> Self {
        Protocol::Raw { pong: Some(pong.into()) }
    }

    /// [`Protocol::Codec`] from a codec value.
    pub fn codec(codec: impl Codec + 'static) -> Self {
        Protocol::Codec(Rc::new(codec))
    }
}

impl fmt::Debug for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protocol::V1 => f.write_str("V1"),
            Protocol::Raw { pong } => f.debug_struct("Raw").field("pong", pong).finish(),
            Protocol::Codec(_) => f.write_str("Codec(..)"),
        }
    }
}

/// Off wasm32 nothing is sent.
#[cfg(not(target_arch = "wasm32"))]
impl RawMessage {
    fn into_frame(self) -> JsFrame {
        JsFrame
    }
}

/// How raw mode recognises a heartbeat answer ([`Protocol::Raw`]).
#[derive(Clone)]
pub enum Pong {
    /// A text frame equal to this string (compared in JS: the frame is not copied).
    Exact(String),
    /// A predicate over each inbound frame (`true`: it is a pong). It must not call back
    /// into the socket.
    Matching(Rc<dyn Fn(&RawMessage) -> bool>),
}

impl Pong {
    /// [`Pong::Matching`] from a closure.
    pub fn matching(f: impl Fn(&RawMessage) -> bool + 'static) -> Self {
        Pong::Matching(Rc::new(f))
    }
}

impl From<&str> for Pong {
    fn from(s: &str) -> Self {
        Pong::Exact(s.into())
    }
}

impl From<String> for Pong {
    fn from(s: String) -> Self {
        Pong::Exact(s)
    }
}

impl fmt::Debug for Pong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pong::Exact(s) => f.debug_tuple("Exact").field(s).finish(),
            Pong::Matching(_) => f.write_str("Matching(..)"),
        }
    }
}

/// A custom wire format ([`Protocol::Codec`]): the application maps steadysocket's message
/// model, as JSON values shaped like protocol v1's envelope, to and from its frames.
///
/// Messages are objects:
/// - an event: `{"type": String, "data": Value}`;
/// - a request: `{"type": String, "id": u64, "data": Value}`;
/// - a reply (decode only): `{"replyTo": u64, "data": Value}` or
///   `{"replyTo": u64, "error": {"message": String, "code"?: String}}`;
/// - heartbeats: `{"type": "ping"}` and `{"type": "pong"}`.
///
/// Both methods run inside the socket's calls and callbacks: they must not call back into
/// the socket.
pub trait Codec {
    /// Encodes an outbound message into a text or binary frame. An `Err` (e.g.
    /// [`Error::Serde`]) is returned by the `send`/`request` that asked. `{"type":"ping"}` is
    /// encoded once at build time for the heartbeat (unless [`Builder::heartbeat`] sets a
    /// `ping` other than v1's default) and must give text; `{"type":"pong"}` too, to answer
    /// the peer's pings (a binary answer leaves them unanswered).
    ///
    /// # Errors
    /// Whatever the codec cannot encode.
    fn encode(&self, msg: &serde_json::Value) -> Result<RawMessage, Error>;

    /// Decodes an inbound frame into a message (see above); `None`, or a value that is not
    /// an object, makes it a [`SocketEvent::Raw`].
    fn decode(&self, frame: &RawMessage) -> Option<serde_json::Value>;
}

/// Events from [`SteadySocket::events`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SocketEvent {
    /// Every state transition.
    State {
        /// Previous state.
        from: State,
        /// New state.
        to: State,
    },
    /// A connection opened.
    Open {
        /// Whether a connection had opened before.
        reconnected: bool,
        /// Retries it took.
        attempt: u32,
    },
    /// An open connection closed (or `close()` was called).
    Close {
        /// Close code (1006: no close frame).
        code: u16,
        /// Close reason.
        reason: String,
        /// Whether the closing handshake completed.
        was_clean: bool,
        /// Whether a reconnect follows.
        will_reconnect: bool,
    },
    /// The next attempt is scheduled (`delay_ms: None` while offline).
    Reconnecting {
        /// Retry number.
        attempt: u32,
        /// Delay in ms.
        delay_ms: Option<f64>,
    },
    /// A problem; see [`ErrorKind`].
    Error {
        /// What kind.
        kind: ErrorKind,
        /// Description.
        message: String,
    },
    /// A typed event arrived.
    Message(Incoming),
    /// A raw frame arrived.
    Raw(RawMessage),
    /// A queued message was transmitted after the connection (re)opened.
    Sent {
        /// Its type (`None` for raw frames).
        ty: Option<String>,
        /// Its JSON data (`None` for raw frames).
        data_json: Option<String>,
    },
    /// A heartbeat round trip was measured.
    Rtt(crate::core::Rtt),
    /// The socket's buffer drained to the low water mark after going above the high one
    /// (see [`Builder::water_marks`]): messages flow again.
    Drain,
    /// A connection opened on another transport than the previous open (the first open
    /// too): a fallback or an upgrade (see [`Builder::transports`]).
    Transport(crate::core::Transport),
    /// A connection opened to another endpoint of the URL list than the previous open (the
    /// first open too): its index in the list.
    Endpoint(usize),
    /// A message transmitted but not confirmed by a heartbeat pong when its connection was
    /// lost: it may not have reached the server ([`Builder::confirm_sends`]).
    Lost {
        /// Its type (`None` for raw frames).
        ty: Option<String>,
        /// Its JSON data (`None` for raw frames).
        data_json: Option<String>,
    },
    /// A queued message was dropped.
    Dropped {
        /// Its type (`None` for raw frames).
        ty: Option<String>,
        /// Its JSON data (`None` for raw frames).
        data_json: Option<String>,
        /// Why.
        reason: DropReason,
    },
    /// Reliable mode: the server acknowledged every message with a seq up to `upto` (compare
    /// with [`SteadySocket::last_seq`] read right after a `send`/`request`).
    Acked {
        /// The cumulative ack.
        upto: u64,
    },
    /// Reliable mode: server messages `from..=to` were lost for good (`to` `None`: the
    /// server lost the session, an unknown number from `from` on). Comes before the messages
    /// after the gap.
    Gap {
        /// The first missing server seq.
        from: u64,
        /// The last missing server seq, if known.
        to: Option<u64>,
    },
    /// The peer reported an error in a frame of its protocol (a STOMP `ERROR` that answers
    /// no receipt); the connection's fate is the peer's (a broker usually closes it next).
    ServerError {
        /// A one-line description (the `message` header and the body's first line).
        message: String,
        /// The frame's headers (the first occurrence of a name wins).
        headers: Vec<(String, String)>,
        /// The frame's body.
        body: Vec<u8>,
    },
}

type Reply = Result<JsValue, Error>;

/// The Rust API's [`Sink`]: fans events out to every [`Events`] stream and settles requests.
#[derive(Default)]
pub(crate) struct RustSink {
    subscribers: RefCell<Vec<mpsc::UnboundedSender<SocketEvent>>>,
    pending: RefCell<HashMap<u64, oneshot::Sender<Reply>>>,
    /// A custom codec describes its own frames in `Sent`/`Dropped` events.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    codec: Option<Rc<dyn Codec>>,
    /// The JS functions handed to the driver (a pong matcher, a codec's `decode`, the URL
    /// provider): kept alive as long as the driver, which owns this sink.
    #[cfg(target_arch = "wasm32")]
    _hooks: Vec<Closure<dyn Fn(JsValue) -> JsValue>>,
    /// The STOMP session's routes (subscriptions, connect headers).
    #[cfg(feature = "stomp")]
    pub(crate) stomp: Option<stomp::Routes>,
    /// The Socket.IO session's routes (event streams, `auth`).
    #[cfg(feature = "socketio")]
    pub(crate) sio: Option<socketio::Routes>,
}

impl RustSink {
    #[cfg(target_arch = "wasm32")]
    fn publish(&self, ev: SocketEvent) {
        self.subscribers.borrow_mut().retain(|tx| tx.unbounded_send(ev.clone()).is_ok());
    }

    #[cfg(target_arch = "wasm32")]
    fn settle(&self, id: u64, r: Reply) {
        let tx = self.pending.borrow_mut().remove(&id);
        if let Some(tx) = tx {
            let _ = tx.send(r);
        }
    }

    /// A new stream of every event from now on.
    pub(crate) fn events(&self) -> Events {
        let (tx, rx) = mpsc::unbounded();
        self.subscribers.borrow_mut().push(tx);
        Events(rx)
    }

    /// Registers a pending request's reply channel.
    pub(crate) fn expect(&self, id: u64) -> oneshot::Receiver<Reply> {
        let (tx, rx) = oneshot::channel();
        self.pending.borrow_mut().insert(id, tx);
        rx
    }

    /// `(type, JSON data)` of a queued frame, for `Sent`/`Dropped` events.
    #[cfg(target_arch = "wasm32")]
    fn describe(&self, kind: Kind, frame: &JsFrame) -> (Option<String>, Option<String>) {
        #[cfg(feature = "stomp")]
        if self.stomp.is_some() {
            return stomp::describe(frame);
        }
        match (&self.codec, kind) {
            (_, Kind::Raw) => (None, None),
            (Some(c), Kind::Envelope) => match c.decode(&raw_message(&frame.value)) {
                Some(v) => (
                    v.get("type").and_then(|t| t.as_str()).map(Into::into),
                    Some(v.get("data").unwrap_or(&serde_json::Value::Null).to_string()),
                ),
                None => (None, None),
            },
            (None, Kind::Envelope) => describe(kind, frame),
        }
    }
}

/// A frame the driver hands over (a string, or a `Uint8Array` for binary) as a [`RawMessage`].
#[cfg(target_arch = "wasm32")]
pub(crate) fn raw_message(v: &JsValue) -> RawMessage {
    match v.as_string() {
        Some(s) => RawMessage::Text(s),
        None => RawMessage::Binary(
            v.dyn_ref::<js_sys::Uint8Array>().map(js_sys::Uint8Array::to_vec).unwrap_or_default(),
        ),
    }
}

/// The headers of a STOMP note (a JS object) as pairs.
#[cfg(target_arch = "wasm32")]
pub(crate) fn header_pairs(obj: &JsValue) -> Vec<(String, String)> {
    let Some(obj) = obj.dyn_ref::<js_sys::Object>() else { return Vec::new() };
    js_sys::Object::entries(obj)
        .iter()
        .map(|kv| {
            let kv: js_sys::Array = kv.unchecked_into();
            (kv.get(0).as_string().unwrap_or_default(), kv.get(1).as_string().unwrap_or_default())
        })
        .collect()
}

#[cfg(target_arch = "wasm32")]
impl Sink for RustSink {
    fn note(&self, note: Note) {
        #[cfg(feature = "socketio")]
        if let Some(routes) = &self.sio {
            return routes.note(self, note);
        }
        let ev = match note {
            // A request from the server is delivered as a message (the Rust API does not
            // answer server requests yet).
            Note::Message { ty, data } | Note::Request { ty, data, .. } => {
                SocketEvent::Message(Incoming { ty: ty.as_string().unwrap_or_default(), data })
            }
            Note::Raw(v) => SocketEvent::Raw(raw_message(&v)),
            Note::Reply { id, error: false, value } => return self.settle(id, Ok(value)),
            Note::Reply { id, error: true, value } => {
                let get = |k: &str| {
                    js_sys::Reflect::get(&value, &k.into()).ok().and_then(|v| v.as_string())
                };
                let message = get("message").unwrap_or_else(|| "remote error".into());
                return self.settle(
                    id,
                    Err(Error::Request {
                        kind: RequestErrorKind::Remote,
                        code: get("code"),
                        message,
                    }),
                );
            }
            #[cfg(feature = "stomp")]
            Note::Frame { conn, headers, body } => match &self.stomp {
                Some(routes) => match routes.route(conn, header_pairs(&headers), body) {
                    Some(ev) => ev,
                    None => return,
                },
                None => return,
            },
            #[cfg(not(feature = "stomp"))]
            Note::Frame { .. } => return,
            Note::ServerError { message, headers, body } => SocketEvent::ServerError {
                message,
                headers: header_pairs(&headers),
                body: raw_message(&body).into_bytes(),
            },
            Note::Engine(ev) => match ev {
                Event::State { from, to } => SocketEvent::State { from, to },
                Event::Open { reconnected, attempt } => SocketEvent::Open { reconnected, attempt },
                Event::Close { code, reason, was_clean, will_reconnect } => {
                    SocketEvent::Close { code, reason, was_clean, will_reconnect }
                }
                Event::Reconnecting { attempt, delay_ms } => {
                    SocketEvent::Reconnecting { attempt, delay_ms }
                }
                Event::Error { kind, message } => SocketEvent::Error { kind, message },
                Event::Dropped { meta, frame, reason, .. } => {
                    let (ty, data_json) = self.describe(meta, &frame);
                    SocketEvent::Dropped { ty, data_json, reason }
                }
                Event::Sent { meta, frame, .. } => {
                    let (ty, data_json) = self.describe(meta, &frame);
                    SocketEvent::Sent { ty, data_json }
                }
                Event::Rtt(r) => SocketEvent::Rtt(r),
                Event::Drain => SocketEvent::Drain,
                Event::Transport(t) => SocketEvent::Transport(t),
                Event::Endpoint(i) => SocketEvent::Endpoint(i),
                Event::Lost { meta, frame } => {
                    let (ty, data_json) = self.describe(meta, &frame);
                    SocketEvent::Lost { ty, data_json }
                }
                Event::Acked { upto } => SocketEvent::Acked { upto },
                Event::Gap { from, to } => SocketEvent::Gap { from, to },
                Event::RequestFailed { id, failure } => {
                    return self.settle(
                        id,
                        Err(Error::Request {
                            kind: failure.into(),
                            code: None,
                            message: ["request failed: ", failure.as_str()].concat(),
                        }),
                    );
                }
            },
            // Socket.IO notes go to its routes (above).
            #[cfg(feature = "socketio")]
            crate::web::Note::Sio { .. } => return,
        };
        self.publish(ev);
    }

    fn check_url(&self, url: &str) -> Result<(), String> {
        check_ws_url(url).map_err(|e| e.to_string())
    }

    #[cfg(feature = "stomp")]
    fn handshake(&self) -> Result<Vec<String>, String> {
        match &self.stomp {
            Some(routes) => routes.connect_headers(),
            None => Ok(Vec::new()),
        }
    }

    #[cfg(feature = "socketio")]
    fn sio_auth(&self, conn: u64, ch: u32) -> Result<(), String> {
        match &self.sio {
            Some(routes) => routes.auth(conn, ch),
            None => Ok(()),
        }
    }
}

/// The future a URL provider returns.
type UrlFuture = Pin<Box<dyn Future<Output = Result<String, String>>>>;

/// Where the URL of every attempt comes from.
#[derive(Clone)]
pub(crate) enum Target {
    /// One URL, checked at build time.
    Fixed(String),
    /// An endpoint list ([`SteadySocket::builder_endpoints`]), each URL checked at build time.
    List(Vec<String>),
    /// Called before every attempt ([`SteadySocket::builder_with`]).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    Provider(Rc<dyn Fn() -> UrlFuture>),
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Fixed(url) => f.debug_tuple("Fixed").field(url).finish(),
            Target::List(urls) => f.debug_tuple("List").field(urls).finish(),
            Target::Provider(_) => f.write_str("Provider(..)"),
        }
    }
}

impl Target {
    /// A provider from a closure returning a future of the URL.
    fn provider<F, Fut, E>(f: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<String, E>> + 'static,
        E: fmt::Display,
    {
        Target::Provider(Rc::new(move || {
            let fut = f();
            Box::pin(async move { fut.await.map_err(|e| e.to_string()) })
        }))
    }

    /// Checks a fixed URL now (a provider's URLs are checked on every attempt).
    pub(crate) fn check(&self) -> Result<(), Error> {
        match self {
            Target::Fixed(url) => check_ws_url(url),
            Target::List(urls) if urls.is_empty() || urls.len() > 64 => Err(Error::InvalidUrl {
                url: urls.join(" "),
                reason: "an endpoint list must hold 1 to 64 URLs".into(),
            }),
            Target::List(urls) => urls.iter().try_for_each(|u| check_ws_url(u)),
            Target::Provider(_) => Ok(()),
        }
    }

    /// The driver's URL source; a provider becomes a JS function returning a Promise, kept
    /// alive in `hooks`.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn source(self, hooks: &mut Vec<Closure<dyn Fn(JsValue) -> JsValue>>) -> UrlSource {
        match self {
            Target::Fixed(url) => UrlSource::Fixed(url),
            Target::List(urls) => UrlSource::List(urls),
            Target::Provider(f) => {
                let call = move |_: JsValue| -> JsValue {
                    let fut = f();
                    wasm_bindgen_futures::future_to_promise(async move {
                        match fut.await {
                            Ok(url) => Ok(JsValue::from_str(&url)),
                            Err(e) => Err(JsValue::from_str(&e)),
                        }
                    })
                    .into()
                };
                UrlSource::Provider(hook(hooks, Box::new(call)))
            }
        }
    }
}

/// Builds a [`SteadySocket`]; every setting defaults as documented on [`Config`].
#[derive(Debug, Clone)]
pub struct Builder {
    url: Target,
    config: Config,
    protocols: Vec<String>,
    protocol: Protocol,
    /// Whether [`heartbeat`](Self::heartbeat) or [`no_heartbeat`](Self::no_heartbeat) was
    /// called (raw mode's heartbeat is off otherwise).
    heartbeat_set: bool,
}

impl Builder {
    /// Reconnect settings. Default: [`ReconnectConfig::default`].
    pub fn reconnect(mut self, r: ReconnectConfig) -> Self {
        self.config.reconnect = Some(r);
        self
    }

    /// Disables reconnection.
    pub fn no_reconnect(mut self) -> Self {
        self.config.reconnect = None;
        self
    }

    /// Heartbeat settings. Default: [`HeartbeatConfig::default`] (for [`Protocol::Raw`]:
    /// off; for [`Protocol::Codec`]: its encoded `{"type":"ping"}` as the ping, unless `ping`
    /// here differs from the default).
    pub fn heartbeat(mut self, h: HeartbeatConfig) -> Self {
        self.config.heartbeat = Some(h);
        self.heartbeat_set = true;
        self
    }

    /// Disables heartbeats.
    pub fn no_heartbeat(mut self) -> Self {
        self.config.heartbeat = None;
        self.heartbeat_set = true;
        self
    }

    /// Queue settings. Default: [`OutboxConfig::default`].
    pub fn queue(mut self, q: OutboxConfig) -> Self {
        self.config.queue = q;
        self
    }

    /// `connectTimeoutMs`. Default `10000`.
    pub fn connect_timeout_ms(mut self, ms: f64) -> Self {
        self.config.connect_timeout_ms = ms;
        self
    }

    /// `requestTimeoutMs`. Default `10000`.
    pub fn request_timeout_ms(mut self, ms: f64) -> Self {
        self.config.request_timeout_ms = ms;
        self
    }

    /// `maxMessageBytes`. Default `16777216`.
    pub fn max_message_bytes(mut self, n: usize) -> Self {
        self.config.max_message_bytes = n;
        self
    }

    /// WebSocket subprotocols. Default none.
    pub fn protocols(mut self, p: Vec<String>) -> Self {
        self.protocols = p;
        self
    }

    /// The wire protocol. Default [`Protocol::V1`].
    pub fn protocol(mut self, p: Protocol) -> Self {
        self.protocol = p;
        self
    }

    /// Backpressure: above `high` bytes in the socket's buffer, new messages wait in the
    /// queue (its limits bound memory) until it drains to `low` ([`SocketEvent::Drain`];
    /// [`SteadySocket::ready`] waits for it). JS `highWaterMark`/`lowWaterMark`. Default off.
    /// `build()` checks `1 <= high` and `low <= high` ([`Error::Option`]).
    pub fn water_marks(mut self, high: usize, low: usize) -> Self {
        self.config.water_marks = Some((high, low));
        self
    }

    /// The transports, most preferred first (README "Transports"): attempts use the first;
    /// one that has never opened and fails 2 attempts in a row is left for the next; the
    /// one that opened is kept; while on a later one, the first is probed in the background
    /// and the session moves back to it when a probe opens ([`upgrade_probe_ms`]).
    /// HTTP transports need a server implementing the README's "HTTP side of the protocol".
    /// Default `[WebSocket]`. `build()` refuses an empty list or duplicates.
    ///
    /// [`upgrade_probe_ms`]: Self::upgrade_probe_ms
    pub fn transports(mut self, list: &[crate::core::Transport]) -> Self {
        self.config.transports = list.to_vec();
        self
    }

    /// The URL is a SockJS endpoint (`http(s)://host/prefix` or `ws(s)://…`, e.g. a Spring or
    /// npm `sockjs` server; cargo feature `sockjs`, else `build()` refuses it): every attempt asks its
    /// `/info` and opens a new SockJS session; the transports become SockJS's
    /// ([`core::sockjs::ORDER`](crate::core::sockjs::ORDER): websocket, xhr-streaming,
    /// eventsource, xhr-polling; call [`transports`](Self::transports) after this to choose).
    /// SockJS carries text: binary sends go as their UTF-8 text (invalid UTF-8 is not sent).
    /// Default off.
    pub fn sockjs(mut self) -> Self {
        // A SockJS endpoint is usually written http(s):; the driver uses ws(s): for its
        // websocket transport and http(s): for the others.
        if let Target::Fixed(url) = &mut self.url {
            for (from, to) in [("https://", "wss://"), ("http://", "ws://")] {
                if url.get(..from.len()).is_some_and(|p| p.eq_ignore_ascii_case(from)) {
                    *url = [to, &url[from.len()..]].concat();
                    break;
                }
            }
        }
        self.config.sockjs = true;
        self.config.transports = crate::core::sockjs::ORDER.to_vec();
        self
    }

    /// The first upgrade probe's delay (ms) after opening on a transport that is not the
    /// first (doubling after each failed probe, up to 5 minutes); `0` disables upgrades.
    /// Default `10000`.
    pub fn upgrade_probe_ms(mut self, ms: f64) -> Self {
        self.config.upgrade_probe_ms = ms;
        self
    }

    /// Report possibly lost sends ([`SocketEvent::Lost`]): messages transmitted since the
    /// last heartbeat pong when the connection is lost (a ping goes out within 1 s of a
    /// send). Needs the heartbeat. JS does this by default; here default `false`.
    pub fn confirm_sends(mut self, on: bool) -> Self {
        self.config.confirm_sends = on;
        self
    }

    /// Jitter RNG seed. Default: random.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Reliable mode (at-least-once with de-duplication and resume; protocol v1 only, with a
    /// server implementing the README's "Reliable mode (protocol extension)"), with a random
    /// session id. Default: off (at most once).
    pub fn at_least_once(mut self) -> Self {
        // From the (random) jitter seed, mixed (splitmix64).
        let mix = |mut z: u64| {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let a = mix(self.config.seed);
        let b = mix(a);
        let hex = |n: u64| {
            (0..13).map(move |i| char::from_digit(((n >> (i * 4)) & 15) as u32, 16).unwrap_or('0'))
        };
        self.config.reliable =
            Some(crate::core::ReliableConfig::new(hex(a).chain(hex(b)).collect::<String>()));
        self
    }

    /// Validates and starts connecting (in the browser).
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] (a fixed URL; a provider's are checked per attempt) or
    /// [`Error::Option`] (also when a codec's heartbeat frames cannot be encoded as text).
    /// Off wasm32, after those checks, always [`Error::Unsupported`]: the socket runs only
    /// in the browser (see the [module docs](self)).
    pub fn build(mut self) -> Result<SteadySocket, Error> {
        self.url.check()?;
        if self.config.reliable.is_some() && !matches!(self.protocol, Protocol::V1) {
            return Err(crate::OptionError::type_error(
                "delivery",
                "at-least-once needs protocol v1",
            )
            .into());
        }
        match &self.protocol {
            Protocol::V1 => {}
            Protocol::Raw { .. } => {
                self.config.session.pong = None;
                if !self.heartbeat_set {
                    self.config.heartbeat = None;
                }
            }
            Protocol::Codec(codec) => {
                self.config.session.pong = match codec.encode(&json!({"type": "pong"}))? {
                    RawMessage::Text(s) => Some(s),
                    RawMessage::Binary(_) => None,
                };
                if let Some(h) = &mut self.config.heartbeat {
                    if h.ping == HeartbeatConfig::default().ping {
                        h.ping = match codec.encode(&json!({"type": "ping"}))? {
                            RawMessage::Text(s) => s,
                            RawMessage::Binary(_) => {
                                return Err(crate::OptionError::type_error(
                                    "heartbeat.ping",
                                    "the codec encodes {\"type\":\"ping\"} as binary: set a \
                                     text heartbeat ping, or no_heartbeat()",
                                )
                                .into())
                            }
                        };
                    }
                }
            }
        }
        self.config.validate()?;
        crate::core::validate::protocols(&self.protocols)?;
        self.start()
    }

    /// Starts the driver on a validated builder.
    #[cfg(target_arch = "wasm32")]
    fn start(self) -> Result<SteadySocket, Error> {
        let mut hooks = Vec::new();
        let proto = match &self.protocol {
            Protocol::V1 => Proto::V1,
            Protocol::Raw { pong } => {
                Proto::Raw { pong: pong.clone().map(|p| hook(&mut hooks, pong_fn(p))) }
            }
            Protocol::Codec(codec) => {
                let c = codec.clone();
                let decode = move |v: JsValue| match c.decode(&raw_message(&v)) {
                    Some(m) => m.serialize(&JSON).unwrap_or(JsValue::UNDEFINED),
                    None => JsValue::UNDEFINED,
                };
                Proto::Custom { decode: hook(&mut hooks, Box::new(decode)) }
            }
        };
        let codec = match &self.protocol {
            Protocol::Codec(c) => Some(c.clone()),
            _ => None,
        };
        let url = self.url.source(&mut hooks);
        let sink = Rc::new(RustSink { codec, _hooks: hooks, ..RustSink::default() });
        let driver = Driver::new(url, self.protocols, self.config, proto, sink.clone());
        Ok(SteadySocket {
            driver,
            sink,
            protocol: self.protocol,
            next_sub: std::cell::Cell::new(0),
        })
    }

    /// No browser: see [`build`](Self::build).
    #[cfg(not(target_arch = "wasm32"))]
    #[allow(clippy::unused_self)]
    fn start(self) -> Result<SteadySocket, Error> {
        Err(native_unsupported())
    }
}

/// Serializes `serde_json::Value`s as plain JS objects (maps as objects, not `Map`s).
#[cfg(target_arch = "wasm32")]
const JSON: serde_wasm_bindgen::Serializer = serde_wasm_bindgen::Serializer::json_compatible();

/// A raw-mode pong matcher as the JS predicate the driver calls.
#[cfg(target_arch = "wasm32")]
fn pong_fn(p: Pong) -> Box<dyn Fn(JsValue) -> JsValue> {
    match p {
        Pong::Exact(s) => {
            let s = JsValue::from_str(&s);
            Box::new(move |v: JsValue| JsValue::from_bool(v == s))
        }
        Pong::Matching(f) => Box::new(move |v: JsValue| JsValue::from_bool(f(&raw_message(&v)))),
    }
}

/// Wraps `f` as a JS function, kept alive in `hooks`.
#[cfg(target_arch = "wasm32")]
fn hook(
    hooks: &mut Vec<Closure<dyn Fn(JsValue) -> JsValue>>,
    f: Box<dyn Fn(JsValue) -> JsValue>,
) -> js_sys::Function {
    let c = Closure::wrap(f);
    let func = c.as_ref().unchecked_ref::<js_sys::Function>().clone();
    hooks.push(c);
    func
}

/// A WebSocket that stays connected (Rust API). Dropping it closes the socket, cancels
/// timers and removes listeners.
pub struct SteadySocket {
    driver: Driver,
    sink: Rc<RustSink>,
    protocol: Protocol,
    /// The last [`SubscriptionId`] given.
    next_sub: std::cell::Cell<u64>,
}

/// A subscription of [`SteadySocket::subscribe`], for [`SteadySocket::unsubscribe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubscriptionId(u64);

impl std::fmt::Debug for SteadySocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.driver.read(|e, _| f.debug_tuple("SteadySocket").field(e).finish())
    }
}

fn send_err(e: SendError) -> Error {
    match e {
        SendError::Closed => Error::Closed,
        SendError::QueueFull => Error::QueueFull,
    }
}

impl SteadySocket {
    /// A builder for `url` (an absolute `ws:`/`wss:` URL).
    pub fn builder(url: impl Into<String>) -> Builder {
        Self::builder_for(Target::Fixed(url.into()))
    }

    /// A builder whose URL comes from `provider`, called before **every** connection
    /// attempt (the place to fetch a fresh auth token), like the JS `url` function. Its
    /// future resolves to an absolute `ws:`/`wss:` URL; an `Err` (its `Display` text), or a
    /// URL that is not one, fails that attempt only: a [`SocketEvent::Error`] of kind
    /// [`ErrorKind::Url`], then the backoff and the next
    /// attempt, as for a refused connection. The provider must not call back into the
    /// socket.
    ///
    /// ```no_run
    /// # use steadysocket::client::SteadySocket;
    /// # async fn fetch_token() -> Result<String, String> { Ok("t".into()) }
    /// let socket = SteadySocket::builder_with(|| async {
    ///     let token = fetch_token().await?;
    ///     Ok::<_, String>(format!("wss://example.com/ws?token={token}"))
    /// })
    /// .build();
    /// ```
    pub fn builder_with<F, Fut, E>(provider: F) -> Builder
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<String, E>> + 'static,
        E: fmt::Display,
    {
        Self::builder_for(Target::provider(provider))
    }

    /// A builder for an endpoint list (1 to 64 absolute `ws:`/`wss:` URLs: a cluster's
    /// nodes), like the JS `url: [a, b, c]`: attempts rotate through it with the backoff, an
    /// endpoint that failed is skipped for [`Config::endpoint_skip_ms`] (default 30 s), sticky
    /// to the last good one; [`SocketEvent::Endpoint`] names the index that opened (README
    /// "Running against a cluster").
    pub fn builder_endpoints<I, S>(urls: I) -> Builder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::builder_for(Target::List(urls.into_iter().map(Into::into).collect()))
    }

    fn builder_for(url: Target) -> Builder {
        #[cfg(target_arch = "wasm32")]
        let seed = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
        #[cfg(not(target_arch = "wasm32"))]
        let seed = {
            use std::hash::{BuildHasher, Hasher};
            std::collections::hash_map::RandomState::new().build_hasher().finish()
        };
        Builder {
            url,
            config: Config { seed, ..Config::default() },
            protocols: Vec::new(),
            protocol: Protocol::V1,
            heartbeat_set: false,
        }
    }

    /// A new stream of every event from now on (each call gets its own stream).
    pub fn events(&self) -> Events {
        self.sink.events()
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.driver.read(|e, _| e.state())
    }

    /// Messages queued.
    pub fn queued(&self) -> usize {
        self.driver.read(|e, _| e.queued())
    }

    /// Reliable mode: the seq of the latest message accepted by `send`/`request` (0 before
    /// the first, and in at-most-once mode); it is acknowledged when a
    /// [`SocketEvent::Acked`] with `upto` >= it arrives (or dropped: [`SocketEvent::Dropped`]).
    pub fn last_seq(&self) -> u64 {
        self.driver.read(|e, _| e.last_seq())
    }

    /// Reliable mode: sends `{"type": ty, "data": data}` and resolves when the server has
    /// acknowledged it (the future of JS `send(type, data, {ack: true})`).
    ///
    /// # Errors
    /// As [`send`](Self::send); [`Error::Unsupported`] without
    /// [`Builder::at_least_once`]; [`Error::Closed`] when the message is dropped (overflow,
    /// TTL, `close()`) or the socket closes before the ack.
    pub async fn send_acked<T: Serialize + ?Sized>(&self, ty: &str, data: &T) -> Result<(), Error> {
        if !self.driver.read(|e, _| e.reliable()) {
            return Err(Error::Unsupported("send_acked needs at_least_once()".into()));
        }
        let mut events = self.events();
        if self.send(ty, data)? == Sent::Dropped {
            return Err(Error::Closed);
        }
        let seq = self.last_seq();
        loop {
            let next = std::future::poll_fn(|cx| {
                futures_core::Stream::poll_next(std::pin::Pin::new(&mut events), cx)
            })
            .await;
            match next {
                Some(SocketEvent::Acked { upto }) if upto >= seq => return Ok(()),
                // A drop of ours (it left the queue without an ack).
                Some(SocketEvent::Dropped { .. }) if !self.driver.read(|e, _| e.holds_seq(seq)) => {
                    return Err(Error::Closed);
                }
                None | Some(SocketEvent::State { to: State::Closed, .. }) => {
                    return Err(Error::Closed)
                }
                Some(_) => {}
            }
        }
    }

    /// Counters and gauges.
    pub fn metrics(&self) -> Metrics {
        self.driver.read(|e, now| e.metrics(now))
    }

    /// The transport the current (or next) connection uses ([`Builder::transports`]).
    pub fn transport(&self) -> crate::core::Transport {
        self.driver.read(|e, _| e.transport())
    }

    /// Whether new messages go straight out: `false` while the socket's buffer is above the
    /// high water mark ([`Builder::water_marks`]) and messages wait in the queue.
    pub fn writable(&self) -> bool {
        self.driver.read(|e, _| !e.congested())
    }

    /// Resolves when new messages go straight out again ([`writable`](Self::writable)): at
    /// once if they do, else at the next [`SocketEvent::Drain`] (or when the connection is no
    /// longer open, or the socket is dropped).
    pub async fn ready(&self) {
        let mut events = self.events();
        if self.writable() {
            return;
        }
        loop {
            let next = std::future::poll_fn(|cx| {
                futures_core::Stream::poll_next(std::pin::Pin::new(&mut events), cx)
            })
            .await;
            match next {
                None | Some(SocketEvent::Drain) => return,
                Some(SocketEvent::State { to, .. }) if to != State::Open => return,
                Some(_) => {}
            }
        }
    }

    /// A subscription: `{"type": ty, "data": data}` sent on every open after the open and
    /// before the queued backlog (and now, if this connection's backlog already went), until
    /// [`unsubscribe`](Self::unsubscribe). Not a queued message (no `Sent`/`Dropped` events).
    ///
    /// # Errors
    /// [`Error::Serde`] (or the codec's error); [`Error::Unsupported`] with [`Protocol::Raw`].
    pub fn subscribe<T: Serialize + ?Sized>(
        &self,
        ty: &str,
        data: &T,
    ) -> Result<SubscriptionId, Error> {
        let frame = match &self.protocol {
            Protocol::V1 => {
                let json = serde_json::to_string(data).map_err(|e| Error::Serde(e.to_string()))?;
                JsFrame::text(encode_event(ty, &json))
            }
            Protocol::Raw { .. } => return Err(raw_unsupported("subscribe")),
            Protocol::Codec(c) => {
                let data = serde_json::to_value(data).map_err(|e| Error::Serde(e.to_string()))?;
                c.encode(&json!({"type": ty, "data": data}))?.into_frame()
            }
        };
        let id = self.next_sub.get() + 1;
        self.next_sub.set(id);
        self.driver.subscribe(id, frame);
        Ok(SubscriptionId(id))
    }

    /// Stops a subscription (nothing is sent); whether it was registered.
    pub fn unsubscribe(&self, id: SubscriptionId) -> bool {
        self.driver.unsubscribe(id.0)
    }

    /// Sends a typed event `{"type": ty, "data": data}` (with [`Protocol::Codec`], the
    /// codec's encoding of it).
    ///
    /// # Errors
    /// [`Error::Serde`] (or the codec's error), [`Error::Closed`], [`Error::QueueFull`];
    /// [`Error::Unsupported`] with [`Protocol::Raw`] (use [`send_raw`](Self::send_raw)).
    pub fn send<T: Serialize + ?Sized>(&self, ty: &str, data: &T) -> Result<Sent, Error> {
        let frame = match &self.protocol {
            Protocol::V1 => {
                let json = serde_json::to_string(data).map_err(|e| Error::Serde(e.to_string()))?;
                JsFrame::text(encode_event(ty, &json))
            }
            Protocol::Raw { .. } => return Err(raw_unsupported("send")),
            Protocol::Codec(c) => {
                let data = serde_json::to_value(data).map_err(|e| Error::Serde(e.to_string()))?;
                c.encode(&json!({"type": ty, "data": data}))?.into_frame()
            }
        };
        self.driver.send(frame, Kind::Envelope).map_err(send_err)
    }

    /// Sends a user enum declared with `#[serde(tag = "type", content = "data")]`: it
    /// serializes to exactly the envelope.
    ///
    /// # Errors
    /// As [`send`](Self::send); [`Error::Serde`] if it does not serialize to an object with a
    /// string `type`.
    pub fn send_message<E: Serialize>(&self, msg: &E) -> Result<Sent, Error> {
        let v = serde_json::to_value(msg).map_err(|e| Error::Serde(e.to_string()))?;
        let ty = v.get("type").and_then(|t| t.as_str()).ok_or_else(|| {
            Error::Serde("message must serialize to an object with a string `type`".into())
        })?;
        let data = v.get("data").cloned().unwrap_or(serde_json::Value::Null);
        self.send(ty, &data)
    }

    /// Sends a raw frame.
    ///
    /// # Errors
    /// [`Error::Closed`], [`Error::QueueFull`].
    pub fn send_raw(&self, msg: RawMessage) -> Result<Sent, Error> {
        self.driver.send(msg.into_frame(), Kind::Raw).map_err(send_err)
    }

    /// Sends a request and awaits the reply's `data`, with the default timeout.
    ///
    /// # Errors
    /// The future yields [`Error::Request`] (`timeout`, `remote`, `connection-lost`,
    /// `closed`, `dropped`), [`Error::Serde`], [`Error::Closed`] or [`Error::QueueFull`].
    pub fn request<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        ty: &str,
        data: &Req,
    ) -> RequestFuture<Resp> {
        self.request_with_timeout(ty, data, None)
    }

    /// As [`request`](Self::request) with a per-request timeout in ms (`None`: the
    /// default). The future yields [`Error::Option`] for a timeout that is not a finite
    /// number > 0 (NaN included).
    pub fn request_with_timeout<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        ty: &str,
        data: &Req,
        timeout_ms: Option<f64>,
    ) -> RequestFuture<Resp> {
        let timeout_ms = match crate::core::validate::request_timeout(timeout_ms) {
            Ok(t) => t,
            Err(e) => return RequestFuture::failed(e.into()),
        };
        let mut rx = None;
        let expect = |id| rx = Some(self.sink.expect(id));
        let r = match &self.protocol {
            Protocol::V1 => {
                let json = match serde_json::to_string(data) {
                    Ok(j) => j,
                    Err(e) => return RequestFuture::failed(Error::Serde(e.to_string())),
                };
                self.driver.request(
                    timeout_ms,
                    |id| JsFrame::text(encode_request(ty, id, &json)),
                    expect,
                )
            }
            Protocol::Raw { .. } => return RequestFuture::failed(raw_unsupported("request")),
            Protocol::Codec(c) => {
                let data = match serde_json::to_value(data) {
                    Ok(d) => d,
                    Err(e) => return RequestFuture::failed(Error::Serde(e.to_string())),
                };
                // The codec is user code: it encodes with the id the request will get, before
                // the engine step (no borrow is held while it runs).
                let id = self.driver.read(|e, _| e.next_request_id());
                let frame = match c.encode(&json!({"type": ty, "id": id, "data": data})) {
                    Ok(m) => m.into_frame(),
                    Err(e) => return RequestFuture::failed(e),
                };
                if self.driver.read(|e, _| e.next_request_id()) != id {
                    return RequestFuture::failed(Error::Unsupported(
                        "request: the codec called back into the socket".into(),
                    ));
                }
                self.driver.request(timeout_ms, |_| frame, expect)
            }
        };
        match r {
            Ok(_) => RequestFuture { rx, err: None, _t: std::marker::PhantomData },
            Err(e) => RequestFuture::failed(send_err(e)),
        }
    }

    /// Closes for good.
    ///
    /// # Errors
    /// [`Error::Option`] for a code other than 1000 or 3000–4999, or a reason over 123 bytes.
    pub fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        let code = crate::core::validate::close_code(Some(f64::from(code)))?;
        crate::core::validate::close_reason(reason)?;
        self.driver.close(code, reason);
        Ok(())
    }

    /// Drops the current connection and attempts now with the backoff reset.
    pub fn reconnect(&self) {
        self.driver.reconnect();
    }
}

fn raw_unsupported(what: &str) -> Error {
    Error::Unsupported(
        [what, ": protocol raw has no typed messages or replies (use send_raw)"].concat(),
    )
}

/// `(type, JSON data)` of a queued frame, for `Sent`/`Dropped` events (`(None, None)` for raw).
#[cfg(target_arch = "wasm32")]
fn describe(kind: Kind, frame: &JsFrame) -> (Option<String>, Option<String>) {
    if kind == Kind::Raw {
        return (None, None);
    }
    let (ty, data) = frame_parts(kind, frame);
    let json = js_sys::JSON::stringify(&data).ok().and_then(|s| s.as_string());
    (ty.as_string(), json)
}

/// A stream of [`SocketEvent`]s.
pub struct Events(mpsc::UnboundedReceiver<SocketEvent>);

impl futures_core::Stream for Events {
    type Item = SocketEvent;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SocketEvent>> {
        Pin::new(&mut self.0).poll_next(cx)
    }
}

/// The future of [`SteadySocket::request`].
pub struct RequestFuture<T> {
    rx: Option<oneshot::Receiver<Reply>>,
    err: Option<Error>,
    _t: std::marker::PhantomData<T>,
}

impl<T> RequestFuture<T> {
    fn failed(e: Error) -> Self {
        Self { rx: None, err: Some(e), _t: std::marker::PhantomData }
    }
}

impl<T> Unpin for RequestFuture<T> {}

impl<T: DeserializeOwned> Future for RequestFuture<T> {
    type Output = Result<T, Error>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(e) = self.err.take() {
            return Poll::Ready(Err(e));
        }
        let Some(rx) = self.rx.as_mut() else { return Poll::Ready(Err(Error::Closed)) };
        match Pin::new(rx).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(_)) => Poll::Ready(Err(Error::Closed)),
            Poll::Ready(Ok(Err(e))) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(Ok(v))) => Poll::Ready(from_js(&v)),
        }
    }
}
