//! The Rust API, for Yew/Leptos/plain wasm front ends: the same driver and engine as the JS
//! class, with serde types and a `futures` `Stream` of events.
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
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_channel::{mpsc, oneshot};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::envelope::encode_event;
use crate::core::envelope::{encode_request, WireFrame};
use crate::core::{
    Config, DropReason, ErrorKind, Event, HeartbeatConfig, Metrics, OutboxConfig, ReconnectConfig,
    SendError, Sent, State,
};
use crate::error::{check_ws_url, Error};
use crate::web::{frame_parts, Driver, JsFrame, Kind, Note, Proto, Sink, UrlSource};

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
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_wasm_bindgen::from_value(self.data.clone()).map_err(|e| Error::Serde(e.to_string()))
    }

    /// Deserializes the whole `{"type", "data"}` envelope into a user enum declared with
    /// `#[serde(tag = "type", content = "data")]`.
    ///
    /// # Errors
    /// [`Error::Serde`] if no variant fits.
    pub fn to_message<E: DeserializeOwned>(&self) -> Result<E, Error> {
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"type".into(), &self.ty.as_str().into());
        let _ = js_sys::Reflect::set(&o, &"data".into(), &self.data);
        serde_wasm_bindgen::from_value(o.into()).map_err(|e| Error::Serde(e.to_string()))
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
    /// A queued message was dropped.
    Dropped {
        /// Its type (`None` for raw frames).
        ty: Option<String>,
        /// Its JSON data (`None` for raw frames).
        data_json: Option<String>,
        /// Why.
        reason: DropReason,
    },
}

type Reply = Result<JsValue, Error>;

#[derive(Default)]
struct RustSink {
    subscribers: RefCell<Vec<mpsc::UnboundedSender<SocketEvent>>>,
    pending: RefCell<HashMap<u64, oneshot::Sender<Reply>>>,
}

impl RustSink {
    fn publish(&self, ev: SocketEvent) {
        self.subscribers.borrow_mut().retain(|tx| tx.unbounded_send(ev.clone()).is_ok());
    }

    fn settle(&self, id: u64, r: Reply) {
        let tx = self.pending.borrow_mut().remove(&id);
        if let Some(tx) = tx {
            let _ = tx.send(r);
        }
    }
}

impl Sink for RustSink {
    fn note(&self, note: Note) {
        let ev = match note {
            Note::Message { ty, data } => {
                SocketEvent::Message(Incoming { ty: ty.as_string().unwrap_or_default(), data })
            }
            Note::Raw(v) => SocketEvent::Raw(match v.as_string() {
                Some(s) => RawMessage::Text(s),
                None => RawMessage::Binary(
                    v.dyn_into::<js_sys::Uint8Array>().map(|a| a.to_vec()).unwrap_or_default(),
                ),
            }),
            Note::Reply { id, error: false, value } => return self.settle(id, Ok(value)),
            Note::Reply { id, error: true, value } => {
                let get = |k: &str| {
                    js_sys::Reflect::get(&value, &k.into()).ok().and_then(|v| v.as_string())
                };
                let message = get("message").unwrap_or_else(|| "remote error".into());
                return self.settle(
                    id,
                    Err(Error::Request { kind: "remote".into(), code: get("code"), message }),
                );
            }
            // STOMP notes: the Rust API speaks v1 only for now.
            Note::Frame { .. } => return,
            Note::ServerError { message, .. } => {
                SocketEvent::Error { kind: crate::core::ErrorKind::Protocol, message }
            }
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
                    let (ty, data_json) = describe(meta, &frame);
                    SocketEvent::Dropped { ty, data_json, reason }
                }
                Event::Sent { meta, frame, .. } => {
                    let (ty, data_json) = describe(meta, &frame);
                    SocketEvent::Sent { ty, data_json }
                }
                Event::Rtt(r) => SocketEvent::Rtt(r),
                Event::RequestFailed { id, failure } => {
                    let kind = failure.as_str();
                    return self.settle(
                        id,
                        Err(Error::Request {
                            kind: kind.into(),
                            code: None,
                            message: format!("request failed: {kind}"),
                        }),
                    );
                }
            },
        };
        self.publish(ev);
    }

    fn check_url(&self, url: &str) -> Result<(), String> {
        check_ws_url(url).map_err(|e| e.to_string())
    }
}

/// Builds a [`SteadySocket`]; every setting defaults as documented on [`Config`].
#[derive(Debug, Clone)]
pub struct Builder {
    url: String,
    config: Config,
    protocols: Vec<String>,
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

    /// Heartbeat settings. Default: [`HeartbeatConfig::default`].
    pub fn heartbeat(mut self, h: HeartbeatConfig) -> Self {
        self.config.heartbeat = Some(h);
        self
    }

    /// Disables heartbeats.
    pub fn no_heartbeat(mut self) -> Self {
        self.config.heartbeat = None;
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

    /// Jitter RNG seed. Default: random.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Validates and starts connecting.
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] or [`Error::Option`].
    pub fn build(self) -> Result<SteadySocket, Error> {
        check_ws_url(&self.url)?;
        self.config.validate()?;
        crate::core::validate::protocols(&self.protocols)?;
        let sink = Rc::new(RustSink::default());
        let driver = Driver::new(
            UrlSource::Fixed(self.url),
            self.protocols,
            self.config,
            Proto::V1,
            sink.clone(),
        );
        Ok(SteadySocket { driver, sink })
    }
}

/// A WebSocket that stays connected (Rust API). Dropping it closes the socket, cancels
/// timers and removes listeners.
pub struct SteadySocket {
    driver: Driver,
    sink: Rc<RustSink>,
}

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
        let seed = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
        Builder {
            url: url.into(),
            config: Config { seed, ..Config::default() },
            protocols: Vec::new(),
        }
    }

    /// A new stream of every event from now on (each call gets its own stream).
    pub fn events(&self) -> Events {
        let (tx, rx) = mpsc::unbounded();
        self.sink.subscribers.borrow_mut().push(tx);
        Events(rx)
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.driver.read(|e, _| e.state())
    }

    /// Messages queued.
    pub fn queued(&self) -> usize {
        self.driver.read(|e, _| e.queued())
    }

    /// Metrics now.
    pub fn metrics(&self) -> Metrics {
        self.driver.read(|e, now| e.metrics(now))
    }

    /// Sends a typed event `{"type": ty, "data": data}`.
    ///
    /// # Errors
    /// [`Error::Serde`], [`Error::Closed`], [`Error::QueueFull`].
    pub fn send<T: Serialize + ?Sized>(&self, ty: &str, data: &T) -> Result<Sent, Error> {
        let json = serde_json::to_string(data).map_err(|e| Error::Serde(e.to_string()))?;
        let frame = JsFrame::text(encode_event(ty, &json));
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
        let frame = match msg {
            RawMessage::Text(s) => JsFrame::text(s),
            RawMessage::Binary(b) => {
                JsFrame { value: js_sys::Uint8Array::from(&b[..]).into(), len: b.len() }
            }
        };
        self.driver.send(frame, Kind::Raw).map_err(send_err)
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
        let (tx, rx) = oneshot::channel();
        let json = match serde_json::to_string(data) {
            Ok(j) => j,
            Err(e) => return RequestFuture::failed(Error::Serde(e.to_string())),
        };
        let mut tx = Some(tx);
        let sink = self.sink.clone();
        let r = self.driver.request(
            timeout_ms,
            |id| JsFrame::text(encode_request(ty, id, &json)),
            |id| {
                if let Some(tx) = tx.take() {
                    sink.pending.borrow_mut().insert(id, tx);
                }
            },
        );
        match r {
            Ok(_) => RequestFuture { rx: Some(rx), err: None, _t: std::marker::PhantomData },
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

/// `(type, JSON data)` of a queued frame, for `Sent`/`Dropped` events (`(None, None)` for raw).
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
            Poll::Ready(Ok(Ok(v))) => Poll::Ready(
                serde_wasm_bindgen::from_value(v).map_err(|e| Error::Serde(e.to_string())),
            ),
        }
    }
}
