//! A STOMP 1.2 client (cargo features `rust-api` and `stomp`) over the same driver and engine
//! as [`SteadySocket`]: reconnect, heart-beats, the offline queue and
//! receipts (requests) are the engine's; this module only shapes frames and routes messages.
//!
//! Per connection attempt the driver sends `CONNECT` (with [`StompBuilder::connect_headers`]
//! or a fresh set from [`StompBuilder::connect_headers_with`]) and the session opens on
//! `CONNECTED`, with the negotiated heart-beats. Subscriptions are standing frames: their
//! `SUBSCRIBE` is re-sent on every (re)connect before the queued backlog. [`StompClient::close`]
//! sends `DISCONNECT` and waits for its receipt.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use steadysocket::client::stomp::StompClient;
//!
//! # async fn demo() -> Result<(), steadysocket::Error> {
//! let client = StompClient::builder("ws://127.0.0.1:15674/ws")
//!     .connect_headers(&[("login", "guest"), ("passcode", "guest")])
//!     .build()?;
//! let mut sub = client.subscribe("/queue/jobs", &[("ack", "client-individual")])?;
//! client.publish_with_receipt("/queue/jobs", &[], "hello").await?;
//! while let Some(msg) = sub.next().await {
//!     println!("{:?}", msg.body_text());
//!     msg.ack();
//! }
//! # Ok(()) }
//! ```

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use futures_channel::{mpsc, oneshot};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen::JsValue;

#[cfg(not(target_arch = "wasm32"))]
use super::native::{stomp_frame, Driver, Kind};
#[cfg(target_arch = "wasm32")]
use super::SocketEvent;
use super::{send_err, Builder, Events, Reply, RustSink, SteadySocket};
use crate::core::stomp::{Command, Frame};
#[cfg(target_arch = "wasm32")]
use crate::core::stomp::{Decoded, Decoder};
use crate::core::text::digits;
#[cfg(target_arch = "wasm32")]
use crate::core::ErrorKind;
use crate::core::{
    machine::Session, HeartbeatConfig, Metrics, OutboxConfig, ReconnectConfig, Sent, State,
};
use crate::error::{Error, OptionError};
#[cfg(target_arch = "wasm32")]
use crate::web::{stomp_frame, Driver, JsFrame, Kind, Proto, StompState};

/// Headers as `(name, value)` pairs, in order.
pub type Headers = Vec<(String, String)>;

type HeaderFn = Rc<dyn Fn() -> Result<Headers, String>>;

/// Where the `CONNECT` headers come from.
#[derive(Clone)]
enum ConnectHeaders {
    Fixed(Headers),
    /// Called before every attempt; `Err` fails the attempt.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    Provider(HeaderFn),
}

impl fmt::Debug for ConnectHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Values may be credentials: names only.
            ConnectHeaders::Fixed(h) => f.debug_list().entries(h.iter().map(|(k, _)| k)).finish(),
            ConnectHeaders::Provider(_) => f.write_str("Provider(..)"),
        }
    }
}

/// The STOMP session's side of the Rust sink: subscription routes and `CONNECT` headers.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) struct Routes {
    subs: RefCell<HashMap<String, mpsc::UnboundedSender<StompMessage>>>,
    headers: ConnectHeaders,
    driver: RefCell<Weak<Driver>>,
}

#[cfg(target_arch = "wasm32")]
impl Routes {
    /// Routes a `MESSAGE` to its subscription; an event for one nobody subscribed to.
    pub(crate) fn route(&self, conn: u64, headers: Headers, body: JsValue) -> Option<SocketEvent> {
        let sub = headers.iter().find(|(k, _)| k == "subscription").map(|(_, v)| v.clone());
        let tx = sub.as_ref().and_then(|s| self.subs.borrow().get(s).cloned());
        let Some(tx) = tx else {
            let sub = sub.unwrap_or_default();
            return Some(SocketEvent::Error {
                kind: ErrorKind::Protocol,
                message: ["MESSAGE for unknown subscription \"", &sub, "\""].concat(),
            });
        };
        let body = super::raw_message(&body).into_bytes();
        let driver = self.driver.borrow().clone();
        let _ = tx.unbounded_send(StompMessage { headers, body, conn, driver });
        None
    }

    /// This attempt's `CONNECT` headers, flat.
    pub(crate) fn connect_headers(&self) -> Result<Vec<String>, String> {
        let h = match &self.headers {
            ConnectHeaders::Fixed(h) => h.clone(),
            ConnectHeaders::Provider(f) => f().map_err(|e| ["connect headers: ", &e].concat())?,
        };
        Ok(h.into_iter().flat_map(|(k, v)| [k, v]).collect())
    }
}

/// `(command, JSON object of the headers)` of a queued STOMP frame, for `Sent`/`Dropped`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn describe(frame: &JsFrame) -> (Option<String>, Option<String>) {
    let bytes = super::raw_message(&frame.value).into_bytes();
    let mut d = Decoder::new(usize::MAX);
    d.push(&bytes);
    match d.next() {
        Some(Ok(Decoded::Frame(f))) => {
            let mut m = serde_json::Map::new();
            for (k, v) in f.headers {
                m.entry(k).or_insert(serde_json::Value::String(v));
            }
            (Some(f.command.as_str().into()), Some(serde_json::Value::Object(m).to_string()))
        }
        _ => (None, None),
    }
}

fn owned(headers: &[(&str, &str)]) -> Headers {
    headers.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
}

/// A frame with `base` headers, then `extra` (a name in both: the `extra` value replaces it).
fn frame(command: Command, base: Headers, extra: &[(&str, &str)], body: Vec<u8>) -> Frame {
    let mut f = Frame::new(command).with_body(body);
    f.headers = base;
    for (k, v) in extra {
        match f.headers.iter_mut().find(|(n, _)| n == k) {
            Some(h) => h.1 = (*v).into(),
            None => f.headers.push(((*k).into(), (*v).into())),
        }
    }
    f
}

/// Builds a [`StompClient`]. Unless set, everything defaults as for
/// [`SteadySocket::builder`], except the subprotocols (`["v12.stomp"]`) and the heartbeat
/// (STOMP heart-beats, [`heart_beat`](Self::heart_beat)).
#[derive(Debug, Clone)]
pub struct StompBuilder {
    base: Builder,
    headers: ConnectHeaders,
    heart_beat: Option<(u32, u32)>,
    handshake_timeout_ms: Option<f64>,
}

impl StompBuilder {
    /// The `CONNECT` headers (`login`, `passcode`, `host`, custom ones), sent on every attempt.
    /// A `heart-beat` or `accept-version` here replaces the client's. Default none.
    pub fn connect_headers(mut self, headers: &[(&str, &str)]) -> Self {
        self.headers = ConnectHeaders::Fixed(owned(headers));
        self
    }

    /// `CONNECT` headers produced before every attempt (fresh credentials); an `Err` fails
    /// that attempt (an `Error` event of kind `handshake`; reconnection goes on). Default: the
    /// fixed [`connect_headers`](Self::connect_headers).
    pub fn connect_headers_with(
        mut self,
        f: impl Fn() -> Result<Headers, String> + 'static,
    ) -> Self {
        self.headers = ConnectHeaders::Provider(Rc::new(f));
        self
    }

    /// The `heart-beat` the client asks for: it can send every `outgoing_ms` and wants the
    /// broker's every `incoming_ms` (0: not that direction). The broker's answer decides;
    /// silence for twice the negotiated incoming interval drops the connection. Default
    /// `(10000, 10000)`.
    pub fn heart_beat(mut self, outgoing_ms: u32, incoming_ms: u32) -> Self {
        self.heart_beat = Some((outgoing_ms, incoming_ms));
        self
    }

    /// Asks for no heart-beats (`heart-beat:0,0`).
    pub fn no_heart_beat(mut self) -> Self {
        self.heart_beat = None;
        self
    }

    /// The URL is a SockJS endpoint relaying STOMP (as Spring's broker relay; cargo feature
    /// `sockjs`): see [`Builder::sockjs`]. Frames travel as text (a body must be valid UTF-8).
    /// Default off.
    pub fn sockjs(mut self) -> Self {
        self.base = self.base.sockjs();
        self
    }

    /// SockJS's transports to use, most preferred first (after [`sockjs`](Self::sockjs));
    /// default all four ([`crate::core::sockjs::ORDER`]).
    pub fn transports(mut self, list: &[crate::core::Transport]) -> Self {
        self.base = self.base.transports(list);
        self
    }

    /// How long, in ms, `CONNECT` may wait for `CONNECTED`. Default `10000`.
    pub fn handshake_timeout_ms(mut self, ms: f64) -> Self {
        self.handshake_timeout_ms = Some(ms);
        self
    }

    /// Reconnect settings. Default: [`ReconnectConfig::default`].
    pub fn reconnect(mut self, r: ReconnectConfig) -> Self {
        self.base = self.base.reconnect(r);
        self
    }

    /// Disables reconnection.
    pub fn no_reconnect(mut self) -> Self {
        self.base = self.base.no_reconnect();
        self
    }

    /// Queue settings for frames sent while disconnected. Default: [`OutboxConfig::default`].
    pub fn queue(mut self, q: OutboxConfig) -> Self {
        self.base = self.base.queue(q);
        self
    }

    /// `connectTimeoutMs` (the WebSocket opening). Default `10000`.
    pub fn connect_timeout_ms(mut self, ms: f64) -> Self {
        self.base = self.base.connect_timeout_ms(ms);
        self
    }

    /// How long, in ms, a receipt may take. Default `10000`.
    pub fn receipt_timeout_ms(mut self, ms: f64) -> Self {
        self.base = self.base.request_timeout_ms(ms);
        self
    }

    /// The largest inbound frame, in bytes (a larger one drops the connection). Default
    /// `16777216`.
    pub fn max_message_bytes(mut self, n: usize) -> Self {
        self.base = self.base.max_message_bytes(n);
        self
    }

    /// WebSocket subprotocols. Default `["v12.stomp"]`.
    pub fn protocols(mut self, p: Vec<String>) -> Self {
        self.base = self.base.protocols(p);
        self
    }

    /// Jitter RNG seed. Default: random.
    pub fn seed(mut self, seed: u64) -> Self {
        self.base = self.base.seed(seed);
        self
    }

    /// Validates and starts connecting (in the browser).
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] (a fixed URL; a provider's are checked per attempt) or
    /// [`Error::Option`]. Off wasm32, after those checks, always [`Error::Unsupported`] (see
    /// [`Builder::build`]).
    pub fn build(self) -> Result<StompClient, Error> {
        let Builder { url, mut config, protocols, .. } = self.base;
        url.check()?;
        let mut session =
            Session { handshake: true, goodbye: true, pong: None, ..Session::default() };
        if let Some(t) = self.handshake_timeout_ms {
            crate::core::validate::positive_ms("handshakeTimeoutMs", t)?;
            session.handshake_timeout_ms = t;
        }
        config.session = session;
        config.heartbeat =
            self.heart_beat.map(|_| HeartbeatConfig { ping: "\n".into(), ..Default::default() });
        config.validate()?;
        crate::core::validate::protocols(&protocols)?;
        #[cfg(target_arch = "wasm32")]
        {
            let ask = self.heart_beat.unwrap_or((0, 0));
            let proto = Proto::Stomp(StompState::new(ask, config.max_message_bytes));
            let routes = Routes {
                subs: RefCell::default(),
                headers: self.headers,
                driver: RefCell::new(Weak::new()),
            };
            let mut hooks = Vec::new();
            let url = url.source(&mut hooks);
            let sink =
                Rc::new(RustSink { stomp: Some(routes), _hooks: hooks, ..RustSink::default() });
            let driver = Rc::new(Driver::new(url, protocols, config, proto, sink.clone()));
            if let Some(r) = &sink.stomp {
                *r.driver.borrow_mut() = Rc::downgrade(&driver);
            }
            Ok(StompClient { driver, sink, next: Cell::new(0) })
        }
        #[cfg(not(target_arch = "wasm32"))]
        Err(super::native_unsupported())
    }
}

/// A STOMP 1.2 client over a WebSocket that stays connected. Dropping it closes the socket
/// at once (no `DISCONNECT`; use [`close`](Self::close) for that) and ends every
/// [`Subscription`] stream.
pub struct StompClient {
    driver: Rc<Driver>,
    sink: Rc<RustSink>,
    /// Subscription keys and ids, transaction ids.
    next: Cell<u64>,
}

impl fmt::Debug for StompClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.driver.read(|e, _| f.debug_tuple("StompClient").field(e).finish())
    }
}

impl StompClient {
    /// A builder for `url` (an absolute `ws:`/`wss:` URL, e.g. RabbitMQ's
    /// `ws://host:15674/ws`).
    pub fn builder(url: impl Into<String>) -> StompBuilder {
        Self::builder_from(SteadySocket::builder(url))
    }

    /// A builder whose URL comes from `provider`, called before every connection attempt
    /// (see [`SteadySocket::builder_with`]; the `CONNECT` headers can be fresh per attempt
    /// too: [`StompBuilder::connect_headers_with`]).
    pub fn builder_with<F, Fut, E>(provider: F) -> StompBuilder
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<String, E>> + 'static,
        E: fmt::Display,
    {
        Self::builder_from(SteadySocket::builder_with(provider))
    }

    /// A builder for an endpoint list (a cluster's Web-STOMP URLs; see
    /// [`SteadySocket::builder_endpoints`]).
    pub fn builder_endpoints<I, S>(urls: I) -> StompBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::builder_from(SteadySocket::builder_endpoints(urls))
    }

    fn builder_from(base: Builder) -> StompBuilder {
        StompBuilder {
            base: base.protocols(vec!["v12.stomp".into()]),
            headers: ConnectHeaders::Fixed(Vec::new()),
            heart_beat: Some((10_000, 10_000)),
            handshake_timeout_ms: None,
        }
    }

    fn next(&self) -> u64 {
        self.next.set(self.next.get() + 1);
        self.next.get()
    }

    fn closed(&self) -> bool {
        matches!(self.state(), State::Closing | State::Closed)
    }

    /// A new stream of every event from now on: state, open/close, reconnecting, errors
    /// (`handshake` for a refused `CONNECT`, `protocol` for a broken frame stream or a
    /// `MESSAGE` for no subscription), [`ServerError`](super::SocketEvent::ServerError) for an `ERROR` frame,
    /// `Sent`/`Dropped` for queued frames (`ty` the command, `data_json` its headers).
    pub fn events(&self) -> Events {
        self.sink.events()
    }

    /// The current state (`Connecting` until `CONNECTED`).
    pub fn state(&self) -> State {
        self.driver.read(|e, _| e.state())
    }

    /// Frames queued while disconnected.
    pub fn queued(&self) -> usize {
        self.driver.read(|e, _| e.queued())
    }

    /// Metrics now.
    pub fn metrics(&self) -> Metrics {
        self.driver.read(|e, now| e.metrics(now))
    }

    /// Subscribes to `destination`. `headers` may set `ack` (default `auto`; `client` or
    /// `client-individual` to [`ack`](StompMessage::ack)), `id` (default `sub-N`) or any
    /// other. The `SUBSCRIBE` is sent now if connected, and on every reconnect.
    ///
    /// # Errors
    /// [`Error::Closed`]; [`Error::Option`] for an `id` already subscribed.
    pub fn subscribe(
        &self,
        destination: &str,
        headers: &[(&str, &str)],
    ) -> Result<Subscription, Error> {
        self.subscribe_inner(destination, headers, false).map(|(s, _)| s)
    }

    /// As [`subscribe`](Self::subscribe), the first `SUBSCRIBE` asking for a receipt: the
    /// [`Receipt`] resolves when the broker confirms it (timeout: the receipt timeout).
    ///
    /// # Errors
    /// As [`subscribe`](Self::subscribe).
    pub fn subscribe_with_receipt(
        &self,
        destination: &str,
        headers: &[(&str, &str)],
    ) -> Result<(Subscription, Receipt), Error> {
        let (s, r) = self.subscribe_inner(destination, headers, true)?;
        Ok((s, r.unwrap_or_else(|| Receipt::failed(Error::Closed))))
    }

    fn subscribe_inner(
        &self,
        destination: &str,
        headers: &[(&str, &str)],
        receipt: bool,
    ) -> Result<(Subscription, Option<Receipt>), Error> {
        if self.closed() {
            return Err(Error::Closed);
        }
        let key = self.next();
        let id = match headers.iter().find(|(k, _)| *k == "id") {
            Some((_, v)) => (*v).to_owned(),
            None => ["sub-", &digits(key)].concat(),
        };
        let Some(routes) = &self.sink.stomp else { return Err(Error::Closed) };
        if routes.subs.borrow().contains_key(&id) {
            return Err(OptionError::range_error(
                "headers.id",
                ["\"", &id, "\" is already subscribed"].concat(),
            )
            .into());
        }
        let base = vec![
            ("destination".into(), destination.into()),
            ("id".into(), id.clone()),
            ("ack".into(), "auto".into()),
        ];
        let f = frame(Command::Subscribe, base, headers, Vec::new());
        let (tx, rx) = mpsc::unbounded();
        routes.subs.borrow_mut().insert(id.clone(), tx);
        let plain = stomp_frame(&f);
        let receipt = if receipt {
            let encode = |rid: u64| stomp_frame(&f.clone().with_header("receipt", digits(rid)));
            match self.driver.stand(key, plain, Some((None, &encode))) {
                0 => Some(Receipt::failed(Error::Closed)),
                rid => Some(Receipt::pending(self.sink.expect(rid))),
            }
        } else {
            self.driver.stand(key, plain, None);
            None
        };
        let sub = Subscription {
            id,
            key,
            rx,
            driver: Rc::downgrade(&self.driver),
            sink: Rc::downgrade(&self.sink),
        };
        Ok((sub, receipt))
    }

    /// Sends `body` to `destination` (`SEND`; queued while disconnected). `headers` may set
    /// `content-type`, `transaction` or any other (`content-length` is added for binary
    /// bodies).
    ///
    /// # Errors
    /// [`Error::Closed`], [`Error::QueueFull`].
    pub fn publish(
        &self,
        destination: &str,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Result<Sent, Error> {
        let f = frame(
            Command::Send,
            vec![("destination".into(), destination.into())],
            headers,
            body.into(),
        );
        self.driver.send(stomp_frame(&f), Kind::Raw).map_err(send_err)
    }

    /// As [`publish`](Self::publish), asking for a receipt: the future resolves when the
    /// broker has the message (`Ok(())`), or fails: [`Error::Request`] of kind `remote` (an
    /// `ERROR` answered it), `timeout` (the receipt timeout), `connection-lost` (sent, then
    /// the connection dropped: it may or may not have arrived), `closed`, `dropped`; or
    /// [`Error::Closed`], [`Error::QueueFull`].
    pub fn publish_with_receipt(
        &self,
        destination: &str,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Receipt {
        let f = frame(
            Command::Send,
            vec![("destination".into(), destination.into())],
            headers,
            body.into(),
        );
        let mut rx = None;
        let r = self.driver.request(
            None,
            |id| stomp_frame(&f.with_header("receipt", digits(id))),
            |id| rx = Some(self.sink.expect(id)),
        );
        match (r, rx) {
            (Ok(_), Some(rx)) => Receipt::pending(rx),
            (Err(e), _) => Receipt::failed(send_err(e)),
            (Ok(_), None) => Receipt::failed(Error::Closed),
        }
    }

    /// Starts a transaction (`BEGIN`, queued while disconnected). A transaction does not
    /// survive a reconnect (the broker forgets it: its `COMMIT` then gets an `ERROR`).
    ///
    /// # Errors
    /// [`Error::Closed`], [`Error::QueueFull`].
    pub fn begin(&self) -> Result<Transaction<'_>, Error> {
        let id = ["tx-", &digits(self.next())].concat();
        self.control_frame(Command::Begin, &id)?;
        Ok(Transaction { client: self, id, done: false })
    }

    fn control_frame(&self, command: Command, tx: &str) -> Result<Sent, Error> {
        let f = Frame::new(command).with_header("transaction", tx);
        self.driver.send(stomp_frame(&f), Kind::Raw).map_err(send_err)
    }

    /// Closes for good: `DISCONNECT`, then the socket closes when its receipt arrives (or
    /// after the close timeout). Pending receipts fail `closed`; subscription streams end.
    pub fn close(&self) {
        self.driver.close(1000, "");
        if let Some(r) = &self.sink.stomp {
            r.subs.borrow_mut().clear();
        }
    }

    /// Drops the current connection and reconnects now with the backoff reset.
    pub fn reconnect(&self) {
        self.driver.reconnect();
    }
}

/// A subscription: a [`Stream`](futures_core::Stream) of its messages, across reconnects.
/// Dropping it (or [`unsubscribe`](Self::unsubscribe)) sends `UNSUBSCRIBE` if connected and
/// stops re-subscribing. The stream ends when the client is closed or dropped.
#[derive(Debug)]
pub struct Subscription {
    id: String,
    key: u64,
    rx: mpsc::UnboundedReceiver<StompMessage>,
    driver: Weak<Driver>,
    sink: Weak<RustSink>,
}

impl Subscription {
    /// The subscription id (the `id` header of `SUBSCRIBE`, `subscription` of its messages).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Unsubscribes (the same as dropping it).
    pub fn unsubscribe(self) {}
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(routes) = self.sink.upgrade().as_ref().and_then(|s| s.stomp.as_ref()) {
            routes.subs.borrow_mut().remove(&self.id);
        }
        if let Some(d) = self.driver.upgrade() {
            let f = Frame::new(Command::Unsubscribe).with_header("id", self.id.as_str());
            d.unstand(self.key, Some(stomp_frame(&f)));
        }
    }
}

impl futures_core::Stream for Subscription {
    type Item = StompMessage;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StompMessage>> {
        Pin::new(&mut self.rx).poll_next(cx)
    }
}

/// A `MESSAGE` from a subscription.
#[derive(Debug, Clone)]
pub struct StompMessage {
    /// Its headers (`destination`, `message-id`, `subscription`, `ack`, custom ones; the
    /// first occurrence of a name wins).
    pub headers: Headers,
    /// Its body.
    pub body: Vec<u8>,
    /// The connection it came on (acks go there only).
    conn: u64,
    driver: Weak<Driver>,
}

impl StompMessage {
    /// The value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The body as text, if it is UTF-8.
    pub fn body_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// Acknowledges it (subscriptions with `ack: client` or `client-individual`) on the
    /// connection it came on. `false` when nothing was sent: an `auto` subscription, or that
    /// connection is gone (the broker redelivers the message on the new one).
    pub fn ack(&self) -> bool {
        self.reply(Command::Ack, None)
    }

    /// Refuses it (see [`ack`](Self::ack)).
    pub fn nack(&self) -> bool {
        self.reply(Command::Nack, None)
    }

    /// As [`ack`](Self::ack), inside transaction `tx`.
    pub fn ack_in(&self, tx: &Transaction<'_>) -> bool {
        self.reply(Command::Ack, Some(&tx.id))
    }

    /// As [`nack`](Self::nack), inside transaction `tx`.
    pub fn nack_in(&self, tx: &Transaction<'_>) -> bool {
        self.reply(Command::Nack, Some(&tx.id))
    }

    fn reply(&self, command: Command, tx: Option<&str>) -> bool {
        let (Some(id), Some(d)) = (self.header("ack"), self.driver.upgrade()) else {
            return false;
        };
        let mut f = Frame::new(command).with_header("id", id);
        if let Some(tx) = tx {
            f = f.with_header("transaction", tx);
        }
        d.control(self.conn, stomp_frame(&f))
    }
}

/// A transaction from [`StompClient::begin`]. Dropping it without
/// [`commit`](Self::commit) aborts it.
#[derive(Debug)]
pub struct Transaction<'a> {
    client: &'a StompClient,
    id: String,
    done: bool,
}

impl Transaction<'_> {
    /// Its id (the `transaction` header).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// [`StompClient::publish`] inside this transaction.
    ///
    /// # Errors
    /// As [`StompClient::publish`].
    pub fn publish(
        &self,
        destination: &str,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Result<Sent, Error> {
        let mut h = headers.to_vec();
        h.push(("transaction", &self.id));
        self.client.publish(destination, &h, body)
    }

    /// Commits it (`COMMIT`).
    ///
    /// # Errors
    /// [`Error::Closed`], [`Error::QueueFull`].
    pub fn commit(mut self) -> Result<Sent, Error> {
        self.done = true;
        self.client.control_frame(Command::Commit, &self.id)
    }

    /// Aborts it (`ABORT`).
    ///
    /// # Errors
    /// [`Error::Closed`], [`Error::QueueFull`].
    pub fn abort(mut self) -> Result<Sent, Error> {
        self.done = true;
        self.client.control_frame(Command::Abort, &self.id)
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.client.control_frame(Command::Abort, &self.id);
        }
    }
}

/// The future of a receipt: `Ok(())` once the broker confirmed the frame.
#[derive(Debug)]
pub struct Receipt {
    rx: Option<oneshot::Receiver<Reply>>,
    err: Option<Error>,
}

impl Receipt {
    fn pending(rx: oneshot::Receiver<Reply>) -> Self {
        Self { rx: Some(rx), err: None }
    }

    fn failed(e: Error) -> Self {
        Self { rx: None, err: Some(e) }
    }
}

impl Future for Receipt {
    type Output = Result<(), Error>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(e) = self.err.take() {
            return Poll::Ready(Err(e));
        }
        let Some(rx) = self.rx.as_mut() else { return Poll::Ready(Err(Error::Closed)) };
        match Pin::new(rx).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(_)) => Poll::Ready(Err(Error::Closed)),
            Poll::Ready(Ok(r)) => Poll::Ready(r.map(|_| ())),
        }
    }
}
