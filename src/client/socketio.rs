//! A Socket.IO v4 client (cargo features `rust-api` and `socketio`): Engine.IO v4 and
//! Socket.IO v5, one or more namespaces on one connection, over the same driver and engine as [`SteadySocket`]
//! (reconnect with backoff, the server-driven heartbeat, the bounded offline queue, acks as
//! requests with a timeout). The Rust face of the JS `io(url, options)` (README "Socket.IO").
//!
//! - The namespace is the URL's path (`http://host/admin` → `/admin`; none: `/`); the
//!   Engine.IO endpoint is [`path`](SocketIoBuilder::path) (default `/socket.io/`).
//! - More namespaces share the connection: [`SocketIo::socket`] /
//!   [`SocketIo::namespace`] (socket.io-client's `manager.socket(nsp)`), one handle each.
//! - `auth` is sent in the namespace `CONNECT` of every attempt: a fixed JSON object, or one
//!   produced per attempt by a closure or a future (fresh tokens); each namespace has its own.
//! - Arguments are any serde value serializing to a JSON array (a tuple or a `Vec`); binary
//!   arguments are [`Bin`] values anywhere in them (sent as attachments). Inbound binary
//!   arguments stay `{"_placeholder":true,"num":N}` objects in `args`, the bytes being
//!   `attachments[N]` ([`attachment`]).
//! - A `CONNECT_ERROR` (a middleware refusal) is a [`SioEvent::ConnectError`] with the
//!   server's `data`, and ends reconnection (as socket.io-client); so does a server
//!   `DISCONNECT`, and so does a failing `auth` closure. [`SocketIo::connect`] starts again.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use steadysocket::client::socketio::{SioEvent, SocketIo};
//!
//! # async fn demo() -> Result<(), steadysocket::Error> {
//! let socket = SocketIo::builder("https://example.com/chat")
//!     .auth(serde_json::json!({ "token": "abc" }))
//!     .build()?;
//! let mut events = socket.events();
//! socket.emit("hello", &("world", 42))?; // queued until connected
//! let answer = socket.emit_with_ack("sum", &(1, 2)).await?;
//! while let Some(ev) = events.next().await {
//!     match ev {
//!         SioEvent::Event { name, args, ack, .. } if name == "question" => {
//!             if let Some(ack) = ack {
//!                 ack.ack(&(format!("{answer} and {args:?}"),))?;
//!             }
//!         }
//!         SioEvent::ConnectError { message, data } => println!("refused: {message} {data:?}"),
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use futures_channel::{mpsc, oneshot};
use serde::{Serialize, Serializer};
use serde_json::Value;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen::{JsCast, JsValue};

#[cfg(not(target_arch = "wasm32"))]
use super::native::{Driver, JsFrame, Kind};
use super::{send_err, Builder, Reply, RustSink, SteadySocket, Target};
use crate::core::socketio::RESERVED_EVENTS;
use crate::core::text::digits;
use crate::core::{
    BackoffConfig, DropReason, ErrorKind, Metrics, OutboxConfig, ReconnectConfig, Sent, State,
    Transport,
};
use crate::error::{Error, OptionError};
#[cfg(target_arch = "wasm32")]
use crate::web::{Driver, JsFrame, Kind, Note, Proto, SioState};

/// A future of this attempt's `auth`.
type AuthFuture = Pin<Box<dyn Future<Output = Result<Value, String>>>>;

/// Where the `auth` of the namespace `CONNECT` comes from.
#[derive(Clone)]
enum Auth {
    /// One value, sent on every attempt.
    Fixed(Value),
    /// Called before every attempt; `Err` fails the attempt.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    Sync(Rc<dyn Fn() -> Result<Value, String>>),
    /// Called before every attempt; its future's `Err` fails the attempt.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    Async(Rc<dyn Fn() -> AuthFuture>),
}

impl Auth {
    /// `auth_with`'s closure (both builders).
    fn sync(f: impl Fn() -> Result<Value, String> + 'static) -> Self {
        Auth::Sync(Rc::new(f))
    }

    /// `auth_async`'s closure (both builders).
    fn future<F, Fut>(f: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<Value, String>> + 'static,
    {
        Auth::Async(Rc::new(move || Box::pin(f())))
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be credentials: never printed.
        f.write_str(match self {
            Auth::Fixed(_) => "Fixed(..)",
            Auth::Sync(_) => "Sync(..)",
            Auth::Async(_) => "Async(..)",
        })
    }
}

/// What the session knows of one namespace's connection (read by the accessors).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
#[derive(Debug, Default)]
struct Status {
    connected: bool,
    /// Whether the namespace wants to be connected (as the driver's: set by `connect()` and
    /// an auto-connecting build, cleared by `disconnect()`, a refusal, a server disconnect or
    /// a failed `auth`). Only an active namespace gets `ConnectError`s of failed attempts.
    active: bool,
    id: Option<String>,
    recovered: bool,
    /// The server's `maxPayload` (bytes per WebSocket frame), NaN when unknown.
    max_payload: f64,
    /// Whether the namespace connected before (the next `Connect` is a reconnection).
    reconnected: bool,
}

/// One namespace handle's side of the sink: its engine channel, event streams and `auth`.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) struct Route {
    /// The engine channel of the namespace (1: the one the connection was built with).
    ch: u32,
    /// `/` or `/name`.
    name: Rc<str>,
    /// The namespace's packet prefix: `""` for `/`, else `"/name,"`.
    ns: Rc<str>,
    auth: Auth,
    subscribers: RefCell<Vec<mpsc::UnboundedSender<SioEvent>>>,
    status: RefCell<Status>,
}

impl Route {
    fn new(ch: u32, name: &str, auth: Auth, active: bool) -> Self {
        let ns: Rc<str> = if name == "/" { "".into() } else { [name, ","].concat().into() };
        Route {
            ch,
            name: name.into(),
            ns,
            auth,
            subscribers: RefCell::default(),
            status: RefCell::new(Status { max_payload: f64::NAN, active, ..Status::default() }),
        }
    }

    fn publish(&self, ev: SioEvent) {
        self.subscribers.borrow_mut().retain(|tx| tx.unbounded_send(ev.clone()).is_ok());
    }
}

/// The Socket.IO session's side of the Rust sink: the connection's namespaces that have a
/// live [`SocketIo`] handle (at most one per namespace), by engine channel.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) struct Routes {
    driver: RefCell<Weak<Driver>>,
    routes: RefCell<Vec<Rc<Route>>>,
    /// Why the next close happens: a dead peer (connection-level; reset on every open).
    ping_timeout: Cell<bool>,
    /// The builder's `auto_connect`: the default of [`NamespaceBuilder::auto_connect`].
    auto_connect: bool,
}

impl Routes {
    /// The handle's route of channel `ch`, if it has one.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    fn route(&self, ch: u32) -> Option<Rc<Route>> {
        self.routes.borrow().iter().find(|r| r.ch == ch).cloned()
    }

    /// Every route (a snapshot: no borrow is held while events are published).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    fn all(&self) -> Vec<Rc<Route>> {
        self.routes.borrow().clone()
    }

    fn has(&self, name: &str) -> bool {
        self.routes.borrow().iter().any(|r| &*r.name == name)
    }

    fn add(&self, r: Rc<Route>) {
        self.routes.borrow_mut().push(r);
    }

    fn remove(&self, r: &Rc<Route>) {
        self.routes.borrow_mut().retain(|x| !Rc::ptr_eq(x, r));
    }
}

/// The driver's Socket.IO methods (none off wasm32, where no [`Driver`] exists).
#[cfg(target_arch = "wasm32")]
mod sio {
    use std::rc::Rc;

    use super::Driver;
    pub(super) fn add(d: &Driver, nsp: &str) -> u32 {
        d.sio_add(nsp, false)
    }
    /// `connect()`; a namespace that left this connection a moment ago joins a little later
    /// (the driver says how much: see `sio_join`).
    pub(super) fn join(d: &Rc<Driver>, ch: u32) {
        let wait = d.sio_join(ch);
        if wait > 0.0 {
            let weak = Rc::downgrade(d);
            wasm_bindgen_futures::spawn_local(async move {
                let sleep = js_sys::Promise::new(&mut |res, _| {
                    let set = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
                        .ok()
                        .and_then(|f| wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f).ok());
                    if let Some(set) = set {
                        let _ = set.call2(&wasm_bindgen::JsValue::UNDEFINED, &res, &wait.into());
                    }
                });
                let _ = wasm_bindgen_futures::JsFuture::from(sleep).await;
                if let Some(d) = weak.upgrade() {
                    join(&d, ch);
                }
            });
        }
    }
    /// `disconnect()` (`drop_queued` false) or a dropped handle (true).
    pub(super) fn leave(d: &Driver, ch: u32, drop_queued: bool) -> bool {
        d.sio_leave(ch, drop_queued)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod sio {
    use super::Driver;
    pub(super) fn add(_: &Driver, _: &str) -> u32 {
        0
    }
    pub(super) fn join(_: &std::rc::Rc<Driver>, _: u32) {}
    pub(super) fn leave(_: &Driver, _: u32, _: bool) -> bool {
        false
    }
}

// ---------- binary arguments ----------

thread_local! {
    /// The attachments collected while an emit serializes its arguments (`None` otherwise).
    static ATTACHMENTS: RefCell<Option<Vec<Vec<u8>>>> = const { RefCell::new(None) };
}

/// A binary argument (anywhere inside the arguments of [`SocketIo::emit`] and friends, or of
/// [`AckHandle::ack`]): sent as a Socket.IO attachment (the server gets a `Buffer`). Outside
/// those calls it serializes as bytes (`serialize_bytes`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bin(pub Vec<u8>);

impl From<Vec<u8>> for Bin {
    fn from(v: Vec<u8>) -> Self {
        Bin(v)
    }
}

impl From<&[u8]> for Bin {
    fn from(v: &[u8]) -> Self {
        Bin(v.to_vec())
    }
}

impl Serialize for Bin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let num = ATTACHMENTS.with(|a| {
            a.borrow_mut().as_mut().map(|list| {
                list.push(self.0.clone());
                list.len() - 1
            })
        });
        match num {
            Some(num) => {
                use serde::ser::SerializeStruct;
                let mut st = s.serialize_struct("Placeholder", 2)?;
                st.serialize_field("_placeholder", &true)?;
                st.serialize_field("num", &num)?;
                st.end()
            }
            None => s.serialize_bytes(&self.0),
        }
    }
}

/// The bytes an inbound placeholder `v` (`{"_placeholder":true,"num":N}`) stands for, from
/// the event's `attachments`; `None` when `v` is not a placeholder or `N` is out of range.
pub fn attachment<'a>(v: &Value, attachments: &'a [Vec<u8>]) -> Option<&'a [u8]> {
    if v.get("_placeholder") != Some(&Value::Bool(true)) {
        return None;
    }
    let n = usize::try_from(v.get("num")?.as_u64()?).ok()?;
    attachments.get(n).map(Vec::as_slice)
}

/// Serializes `args` (a JSON array, or `null`/`()` for none) with their [`Bin`] attachments.
fn serialize_args<T: Serialize + ?Sized>(args: &T) -> Result<(Vec<Value>, Vec<Vec<u8>>), Error> {
    let prev = ATTACHMENTS.with(|a| a.borrow_mut().replace(Vec::new()));
    let v = serde_json::to_value(args);
    let bins = ATTACHMENTS.with(|a| std::mem::replace(&mut *a.borrow_mut(), prev));
    let v = v.map_err(|e| Error::Serde(e.to_string()))?;
    let list = match v {
        Value::Array(a) => a,
        Value::Null => Vec::new(),
        _ => {
            return Err(Error::Serde(
                "Socket.IO arguments must serialize to a JSON array (a tuple or a Vec)".into(),
            ))
        }
    };
    Ok((list, bins.unwrap_or_default()))
}

/// An encoded packet: `4<type>[<n>-]<ns><id?>` + JSON, and its attachments.
struct Packet {
    /// The text up to the ack id (the id is inserted between `head` and `json`).
    head: String,
    json: String,
    bins: Vec<Vec<u8>>,
}

impl Packet {
    /// `ty`: 2 EVENT or 3 ACK (5 / 6 with attachments).
    fn new(ty: u8, ns: &str, data: &[Value], bins: Vec<Vec<u8>>) -> Result<Self, Error> {
        let json = serde_json::to_string(data).map_err(|e| Error::Serde(e.to_string()))?;
        let mut head = String::from("4");
        if bins.is_empty() {
            head.push(char::from(b'0' + ty));
        } else {
            head.push(char::from(b'3' + ty));
            head.push_str(&digits(bins.len() as u64));
            head.push('-');
        }
        head.push_str(ns);
        Ok(Packet { head, json, bins })
    }

    /// Refuses a frame over the server's `maxPayload` (it would close the connection).
    fn check(&self, max_payload: f64) -> Result<(), Error> {
        let text = self.head.len() + 20 + self.json.len();
        let big = std::iter::once(text).chain(self.bins.iter().map(Vec::len)).max().unwrap_or(0);
        if max_payload.is_finite() && big as f64 > max_payload {
            return Err(OptionError::range_error(
                "args",
                [
                    "make a WebSocket frame of ",
                    &digits(big as u64),
                    " bytes, over the server's maxPayload",
                ]
                .concat(),
            )
            .into());
        }
        Ok(())
    }

    /// The frame of engine channel `ch`, with ack id `id`.
    fn frame(&self, id: Option<u64>, ch: u32) -> JsFrame {
        let mut text = self.head.clone();
        if let Some(id) = id {
            text.push_str(&digits(id));
        }
        text.push_str(&self.json);
        to_frame(text, &self.bins, ch)
    }
}

/// A text frame, or an Array `[text, ...Uint8Array]` for a binary packet (one queued message),
/// of engine channel `ch` (its namespace: queued until that namespace is connected).
#[cfg(target_arch = "wasm32")]
fn to_frame(text: String, bins: &[Vec<u8>], ch: u32) -> JsFrame {
    let mut len = text.len();
    if bins.is_empty() {
        return JsFrame { value: JsValue::from_str(&text), len, ch };
    }
    let a = js_sys::Array::of1(&JsValue::from_str(&text));
    for b in bins {
        len += b.len();
        a.push(&js_sys::Uint8Array::from(&b[..]));
    }
    JsFrame { value: a.into(), len, ch }
}

#[cfg(not(target_arch = "wasm32"))]
fn to_frame(_: String, _: &[Vec<u8>], _: u32) -> JsFrame {
    JsFrame
}

// ---------- the builder ----------

/// Builds a [`SocketIo`]. Unless set: WebSocket only, `path` `/socket.io/`, no `auth`,
/// reconnection as socket.io-client's (1 s doubling up to 5 s, jitter 0.5, forever), the
/// queue [`OutboxConfig::default`], connect timeout 20000 ms, ack timeout 10000 ms.
#[derive(Debug, Clone)]
pub struct SocketIoBuilder {
    url: String,
    base: Builder,
    path: String,
    query: Vec<(String, String)>,
    auth: Auth,
    transports: Vec<Transport>,
    upgrade: bool,
    auto_connect: bool,
}

impl SocketIoBuilder {
    /// The Engine.IO endpoint's path (socket.io's `path`). Default `/socket.io/`.
    pub fn path(mut self, path: &str) -> Self {
        self.path = path.into();
        self
    }

    /// Query parameters added to the Engine.IO URL (socket.io's `query`; they replace the
    /// URL's parameters of the same name). Default none.
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        self.query = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        self
    }

    /// The `auth` payload of every `CONNECT` of the URL's namespace (read with
    /// `socket.handshake.auth` on the server); it must be a JSON object (or `null`: none).
    /// Other namespaces of the connection have their own ([`NamespaceBuilder::auth`]).
    /// Default none.
    pub fn auth(mut self, auth: Value) -> Self {
        self.auth = Auth::Fixed(auth);
        self
    }

    /// `auth` produced before every `CONNECT` of the namespace (fresh tokens); an `Err`, or
    /// a value that is not a JSON object, fails it (a [`SioEvent::ConnectError`]; the
    /// namespace stays disconnected until [`SocketIo::connect`], and the connection closes,
    /// keeping the queue, if no other namespace is active). The closure must not call back
    /// into the socket. Default: [`auth`](Self::auth).
    pub fn auth_with(mut self, f: impl Fn() -> Result<Value, String> + 'static) -> Self {
        self.auth = Auth::sync(f);
        self
    }

    /// As [`auth_with`](Self::auth_with), from a future (e.g. a token fetched over HTTP).
    pub fn auth_async<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<Value, String>> + 'static,
    {
        self.auth = Auth::future(f);
        self
    }

    /// The Engine.IO transports, the first one opening: `[WebSocket]` (the default), or
    /// `[LongPolling]` / `[LongPolling, WebSocket]` (HTTP long-polling, upgraded to WebSocket
    /// inside the session when both are listed; socket.io-client's default). `build()`
    /// refuses an empty list, duplicates and [`Transport::Sse`] ([`Error::Option`]).
    pub fn transports(mut self, list: &[Transport]) -> Self {
        self.transports = list.to_vec();
        self
    }

    /// Whether long-polling upgrades to WebSocket (when both are listed). Default `true`.
    pub fn upgrade(mut self, on: bool) -> Self {
        self.upgrade = on;
        self
    }

    /// Reconnect settings. Default: socket.io-client's delays (`min_delay_ms` 1000,
    /// `max_delay_ms` 5000, `jitter` 0.5), the rest [`ReconnectConfig::default`].
    pub fn reconnect(mut self, r: ReconnectConfig) -> Self {
        self.base = self.base.reconnect(r);
        self
    }

    /// Disables reconnection (socket.io's `reconnection: false`).
    pub fn no_reconnect(mut self) -> Self {
        self.base = self.base.no_reconnect();
        self
    }

    /// Queue settings for packets emitted while disconnected (socket.io-client's buffer is
    /// unbounded; this one drops by its policy, with [`SioEvent::Drop`]). Default:
    /// [`OutboxConfig::default`].
    pub fn queue(mut self, q: OutboxConfig) -> Self {
        self.base = self.base.queue(q);
        self
    }

    /// How long, in ms, an attempt may take to open the transport (socket.io's `timeout`).
    /// Default `20000`.
    pub fn connect_timeout_ms(mut self, ms: f64) -> Self {
        self.base = self.base.connect_timeout_ms(ms);
        self
    }

    /// The default timeout, in ms, of [`SocketIo::emit_with_ack`] (socket.io's
    /// `ackTimeout`). Default `10000`.
    pub fn ack_timeout_ms(mut self, ms: f64) -> Self {
        self.base = self.base.request_timeout_ms(ms);
        self
    }

    /// The largest inbound message, in bytes (a larger one drops the connection). Default
    /// `16777216`.
    pub fn max_message_bytes(mut self, n: usize) -> Self {
        self.base = self.base.max_message_bytes(n);
        self
    }

    /// Whether `build()` starts connecting (socket.io's `autoConnect`); with `false`, emits
    /// queue until [`SocketIo::connect`]. Also the default of the connection's other
    /// namespaces ([`NamespaceBuilder::auto_connect`]). Default `true`.
    pub fn auto_connect(mut self, on: bool) -> Self {
        self.auto_connect = on;
        self
    }

    /// Jitter RNG seed. Default: random.
    pub fn seed(mut self, seed: u64) -> Self {
        self.base = self.base.seed(seed);
        self
    }

    /// The Engine.IO URL (`ws:`/`wss:`, `EIO=4&transport=websocket`) and the namespace.
    fn engine_url(&self) -> Result<(String, String), Error> {
        let bad = |why: &str| Error::InvalidUrl { url: self.url.clone(), reason: why.into() };
        let (scheme, rest) = self.url.split_once("://").ok_or_else(|| {
            bad("expected an absolute http:, https:, ws: or wss: URL (scheme://host/namespace)")
        })?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" | "ws" => "ws",
            "https" | "wss" => "wss",
            _ => return Err(bad("the scheme must be http:, https:, ws: or wss:")),
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let (rest, search) = rest.split_once('?').unwrap_or((rest, ""));
        let (host, nsp) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        if nsp.contains(',') {
            return Err(bad("a namespace cannot contain \",\""));
        }
        let mut path = self.path.trim_end_matches('/').to_owned();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        path.push('/');
        let mut pairs: Vec<(String, String)> = search
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect();
        let extra = self
            .query
            .iter()
            .map(|(k, v)| (encode(k), encode(v)))
            .chain([("EIO".into(), "4".into()), ("transport".into(), "websocket".into())]);
        for (k, v) in extra {
            pairs.retain(|(n, _)| *n != k);
            pairs.push((k, v));
        }
        let q: Vec<String> = pairs.into_iter().map(|(k, v)| [k, v].join("=")).collect();
        let url = [scheme, "://", host, &path, "?", &q.join("&")].concat();
        crate::error::check_ws_url(&url)?;
        Ok((url, nsp.to_owned()))
    }

    /// Validates and starts connecting (in the browser).
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] (not an absolute `http:`/`https:`/`ws:`/`wss:` URL, or a
    /// namespace with `,`) or [`Error::Option`] (an out-of-range setting; transports empty,
    /// duplicated or with `Sse`; `auth` not a JSON object). Off wasm32, after those checks,
    /// always [`Error::Unsupported`] (see [`Builder::build`]).
    pub fn build(self) -> Result<SocketIo, Error> {
        let (url, nsp) = self.engine_url()?;
        if let Auth::Fixed(v) = &self.auth {
            if !v.is_object() && !v.is_null() {
                return Err(OptionError::type_error("auth", "must be a JSON object").into());
            }
        }
        let t = &self.transports;
        let dup = t.iter().enumerate().any(|(i, x)| t[..i].contains(x));
        if t.is_empty() || dup || t.contains(&Transport::Sse) {
            return Err(OptionError::range_error(
                "transports",
                "must list WebSocket and/or LongPolling, once each",
            )
            .into());
        }
        let Builder { mut config, .. } = self.base;
        config.session.handshake = true;
        config.session.pong = Some(crate::core::socketio::PONG.into());
        // The server pings; the client only answers (the beat role comes with the CONNECT).
        config.heartbeat = Some(crate::core::HeartbeatConfig::default());
        config.validate()?;
        // The first namespace is channel 1, active from the start (the driver's
        // `SioState::new`; with `auto_connect(false)` the connection waits for `connect()`).
        let route = Rc::new(Route::new(1, &nsp, self.auth, true));
        let routes = Routes {
            driver: RefCell::new(Weak::new()),
            routes: RefCell::new(vec![route.clone()]),
            ping_timeout: Cell::new(false),
            auto_connect: self.auto_connect,
        };
        #[cfg(target_arch = "wasm32")]
        {
            let poll = t[0] == Transport::LongPolling;
            let eio = js_sys::Object::new();
            let set = |k: &str, v: bool| {
                let _ = js_sys::Reflect::set(&eio, &k.into(), &JsValue::from_bool(v));
            };
            set("p", poll);
            set("u", poll && self.upgrade && t.contains(&Transport::WebSocket));
            set("r", false);
            let proto = Proto::Sio(SioState::new(nsp, eio.into(), true));
            let sink = Rc::new(RustSink { sio: Some(routes), ..RustSink::default() });
            let driver = Rc::new(Driver::build(
                crate::web::UrlSource::Fixed(url),
                Vec::new(),
                config,
                proto,
                sink.clone(),
                !self.auto_connect,
            ));
            if let Some(r) = &sink.sio {
                *r.driver.borrow_mut() = Rc::downgrade(&driver);
            }
            Ok(SocketIo { driver, sink, route })
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = (url, routes, route, self.upgrade);
            Err(super::native_unsupported())
        }
    }
}

/// Percent-encodes a query component (everything but unreserved characters).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

// ---------- the socket ----------

/// A Socket.IO socket for one namespace that stays connected: socket.io-client's `Socket`
/// together with its connection (the `Manager`).
///
/// **Several namespaces, one connection.** [`socket`](Self::socket) and
/// [`namespace`](Self::namespace) give a handle for another namespace on the *same*
/// Engine.IO connection (socket.io-client's `manager.socket(nsp)`). Each handle has its own
/// [`events`](Self::events) stream, [`connected`](Self::connected), [`id`](Self::id),
/// [`recovered`](Self::recovered), `emit*`, [`connect`](Self::connect) and
/// [`disconnect`](Self::disconnect); its emits wait in the connection's queue until *its*
/// namespace is connected, without holding back the other namespaces'.
/// [`state`](Self::state), [`queued`](Self::queued), [`metrics`](Self::metrics) and
/// [`reconnect`](Self::reconnect) are the connection's. Connection-level events
/// ([`SioEvent::State`], [`SioEvent::Reconnecting`], [`SioEvent::Ping`], [`SioEvent::Error`],
/// a lost connection's [`SioEvent::Disconnect`] to each connected namespace) reach every
/// handle; a namespace's events, its [`SioEvent::Drop`]/[`SioEvent::Sent`] and its
/// [`AckHandle`]s only its own.
///
/// **Dropping.** Dropping a handle while another handle of the connection lives leaves its
/// namespace (a `DISCONNECT` if connected, as [`disconnect`](Self::disconnect) but without
/// the final close) and ends its [`SioEvents`] streams; the connection stays for the
/// others (it closes, keeping the queue, when no namespace stays active). Dropping the
/// last handle closes the connection at once (no `DISCONNECT` packet: use
/// [`disconnect`](Self::disconnect)), fails pending acks `closed`, drops the queue and ends
/// every [`SioEvents`] stream. (A handle dropped while others live leaves its queued emits,
/// if any, in the connection's queue, as the JS `free()`: they go if a new handle of that
/// namespace connects, else the queue's TTL/overflow or the final close drops them; its
/// pending acks settle by their answer or timeout.)
pub struct SocketIo {
    driver: Rc<Driver>,
    sink: Rc<RustSink>,
    route: Rc<Route>,
}

impl fmt::Debug for SocketIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.driver
            .read(|e, _| f.debug_tuple("SocketIo").field(&&*self.route.name).field(e).finish())
    }
}

impl Drop for SocketIo {
    fn drop(&mut self) {
        // The last handle: the driver goes with it (its `Drop` shuts the connection down;
        // the route stays, so the shutdown's events reach its streams before they end).
        if Rc::strong_count(&self.driver) <= 1 {
            return;
        }
        if let Some(r) = self.routes() {
            r.remove(&self.route);
        }
        sio::leave(&self.driver, self.route.ch, true);
    }
}

/// Builds a handle for another namespace on a [`SocketIo`]'s connection
/// ([`SocketIo::namespace`]; socket.io-client's `manager.socket(nsp, { auth })`). Unless
/// set: no `auth`, and connecting at once unless the connection was built with
/// [`auto_connect(false)`](SocketIoBuilder::auto_connect).
#[derive(Debug)]
pub struct NamespaceBuilder<'a> {
    socket: &'a SocketIo,
    nsp: String,
    auth: Auth,
    auto_connect: Option<bool>,
}

impl NamespaceBuilder<'_> {
    /// The `auth` payload of this namespace's `CONNECT` (its own: the connection's other
    /// namespaces' `auth` is not inherited, as in socket.io-client); a JSON object (or
    /// `null`: none). Default none.
    pub fn auth(mut self, auth: Value) -> Self {
        self.auth = Auth::Fixed(auth);
        self
    }

    /// `auth` produced before every `CONNECT` of this namespace (fresh tokens); an `Err`, or
    /// a value that is not a JSON object, fails it (a [`SioEvent::ConnectError`]; the
    /// namespace stays disconnected until [`SocketIo::connect`]). The closure must not call
    /// back into the socket. Default: [`auth`](Self::auth).
    pub fn auth_with(mut self, f: impl Fn() -> Result<Value, String> + 'static) -> Self {
        self.auth = Auth::sync(f);
        self
    }

    /// As [`auth_with`](Self::auth_with), from a future (e.g. a token fetched over HTTP).
    pub fn auth_async<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<Value, String>> + 'static,
    {
        self.auth = Auth::future(f);
        self
    }

    /// Whether `build()` connects the namespace (in a microtask, so that a stream taken
    /// right after `build()` sees every event; starting the connection if it is closed);
    /// with `false`, its emits queue until [`SocketIo::connect`]. Default: the connection's
    /// [`SocketIoBuilder::auto_connect`] (`true` unless set).
    pub fn auto_connect(mut self, on: bool) -> Self {
        self.auto_connect = Some(on);
        self
    }

    /// The handle of the namespace, on the same connection.
    ///
    /// # Errors
    /// [`Error::Option`]: a namespace that does not start with `/` or contains `,`; one
    /// that already has a live handle on this connection (use that handle, or drop it
    /// first); an `auth` that is not a JSON object.
    pub fn build(self) -> Result<SocketIo, Error> {
        let nsp = self.nsp;
        if !nsp.starts_with('/') || nsp.contains(',') {
            return Err(OptionError::range_error(
                "nsp",
                ["must start with \"/\" and have no \",\", got \"", &nsp, "\""].concat(),
            )
            .into());
        }
        if let Auth::Fixed(v) = &self.auth {
            if !v.is_object() && !v.is_null() {
                return Err(OptionError::type_error("auth", "must be a JSON object").into());
            }
        }
        let s = self.socket;
        let Some(routes) = s.routes() else { return Err(Error::Closed) };
        if routes.has(&nsp) {
            return Err(OptionError::range_error(
                "nsp",
                ["\"", &nsp, "\" already has a handle on this connection"].concat(),
            )
            .into());
        }
        let ch = sio::add(&s.driver, &nsp);
        if ch == 0 {
            return Err(Error::Closed);
        }
        let active = self.auto_connect.unwrap_or(routes.auto_connect);
        let route = Rc::new(Route::new(ch, &nsp, self.auth, active));
        routes.add(route.clone());
        if active {
            // In a microtask, as the connection's own start: a stream taken right after
            // `build()` sees every event (an `auth` closure's error is reported at once).
            #[cfg(target_arch = "wasm32")]
            {
                let (d, r) = (Rc::downgrade(&s.driver), Rc::downgrade(&route));
                wasm_bindgen_futures::spawn_local(async move {
                    // Nothing if the handle was dropped or `disconnect()`ed meanwhile.
                    let Some(r) = r.upgrade() else { return };
                    let Some(d) = d.upgrade() else { return };
                    let go = r.status.borrow().active;
                    if go {
                        sio::join(&d, r.ch);
                    }
                });
            }
        }
        Ok(SocketIo { driver: s.driver.clone(), sink: s.sink.clone(), route })
    }
}

impl SocketIo {
    /// A builder for `url`: an absolute `http:`, `https:`, `ws:` or `wss:` URL whose path is
    /// the namespace (`https://example.com/admin`: namespace `/admin`; no path: `/`) and whose
    /// query parameters go to the Engine.IO URL.
    pub fn builder(url: impl Into<String>) -> SocketIoBuilder {
        let base = SteadySocket::builder_for(Target::Fixed(String::new()))
            .reconnect(ReconnectConfig {
                backoff: BackoffConfig {
                    min_delay_ms: 1000.0,
                    max_delay_ms: 5000.0,
                    jitter: 0.5,
                    ..BackoffConfig::default()
                },
                ..ReconnectConfig::default()
            })
            .connect_timeout_ms(20_000.0);
        SocketIoBuilder {
            url: url.into(),
            base,
            path: "/socket.io".into(),
            query: Vec::new(),
            auth: Auth::Fixed(Value::Null),
            transports: vec![Transport::WebSocket],
            upgrade: true,
            auto_connect: true,
        }
    }

    /// A handle for namespace `nsp` (`"/chat"`) on this handle's connection, with no `auth`,
    /// connecting at once unless the connection was built with
    /// [`auto_connect(false)`](SocketIoBuilder::auto_connect):
    /// `self.namespace(nsp).build()` (see [`NamespaceBuilder`] for `auth` and more).
    ///
    /// # Errors
    /// As [`NamespaceBuilder::build`]: a namespace not starting with `/` or containing
    /// `,`, or one that already has a live handle on this connection ([`Error::Option`]).
    pub fn socket(&self, nsp: &str) -> Result<SocketIo, Error> {
        self.namespace(nsp).build()
    }

    /// A builder of a handle for namespace `nsp` on this handle's connection, with its own
    /// `auth` (socket.io-client's `manager.socket(nsp, { auth })`).
    ///
    /// ```no_run
    /// use serde_json::json;
    /// use steadysocket::client::socketio::SocketIo;
    ///
    /// # fn demo() -> Result<(), steadysocket::Error> {
    /// let root = SocketIo::builder("https://example.com").build()?; // namespace "/"
    /// let chat = root.socket("/chat")?; // same Engine.IO connection
    /// let admin = root.namespace("/admin").auth(json!({ "token": "abc" })).build()?;
    /// let (mut root_events, mut chat_events) = (root.events(), chat.events());
    /// chat.emit("hello", &("all",))?; // queued until "/chat" is connected
    /// admin.disconnect(); // "/" and "/chat" stay connected
    /// # let _ = (&mut root_events, &mut chat_events);
    /// # Ok(()) }
    /// ```
    pub fn namespace(&self, nsp: &str) -> NamespaceBuilder<'_> {
        NamespaceBuilder {
            socket: self,
            nsp: nsp.into(),
            auth: Auth::Fixed(Value::Null),
            auto_connect: None,
        }
    }

    /// The namespace of this handle (`/` or `/name`).
    pub fn nsp(&self) -> &str {
        &self.route.name
    }

    fn routes(&self) -> Option<&Routes> {
        self.sink.sio.as_ref()
    }

    fn status<R>(&self, f: impl FnOnce(&Status) -> R) -> R {
        f(&self.route.status.borrow())
    }

    /// A new stream of this handle's events from now on (each call gets its own stream):
    /// its namespace's, and the connection's (see [`SocketIo`]).
    pub fn events(&self) -> SioEvents {
        let (tx, rx) = mpsc::unbounded();
        self.route.subscribers.borrow_mut().push(tx);
        SioEvents(rx)
    }

    /// Whether the namespace is connected (between [`SioEvent::Connect`] and
    /// [`SioEvent::Disconnect`]).
    pub fn connected(&self) -> bool {
        self.status(|s| s.connected)
    }

    /// The namespace socket id while connected (`socket.id` on the server).
    pub fn id(&self) -> Option<String> {
        self.status(|s| s.id.clone())
    }

    /// Whether the namespace's latest connection restored its session (connection state
    /// recovery: the events missed meanwhile were replayed).
    pub fn recovered(&self) -> bool {
        self.status(|s| s.recovered)
    }

    /// The connection's engine state (`Open` once the Engine.IO connection is open; a
    /// namespace is connected when [`connected`](Self::connected) says so). Shared by every
    /// handle of the connection.
    pub fn state(&self) -> State {
        self.driver.read(|e, _| e.state())
    }

    /// Packets queued on the connection (every namespace's), waiting for the connection or
    /// for their namespace's `CONNECT`.
    pub fn queued(&self) -> usize {
        self.driver.read(|e, _| e.queued())
    }

    /// The connection's metrics now (every namespace's traffic).
    pub fn metrics(&self) -> Metrics {
        self.driver.read(|e, now| e.metrics(now))
    }

    fn check_event(event: &str) -> Result<(), Error> {
        if RESERVED_EVENTS.contains(&event) {
            return Err(OptionError::range_error(
                "event",
                ["\"", event, "\" is a reserved event name"].concat(),
            )
            .into());
        }
        Ok(())
    }

    fn packet<T: Serialize + ?Sized>(
        &self,
        ty: u8,
        event: &str,
        args: &T,
    ) -> Result<Packet, Error> {
        Self::check_event(event)?;
        let (mut list, bins) = serialize_args(args)?;
        list.insert(0, Value::String(event.into()));
        let p = Packet::new(ty, &self.route.ns, &list, bins)?;
        p.check(self.status(|s| s.max_payload))?;
        Ok(p)
    }

    /// Emits `event` with `args` (a tuple or `Vec` of serde values; `&()` for none; [`Bin`]
    /// for binary arguments). Queued while the namespace is not connected (after
    /// [`disconnect`](Self::disconnect) too, while another namespace keeps the connection).
    ///
    /// # Errors
    /// [`Error::Serde`] (`args` does not serialize to a JSON array), [`Error::Option`] (a
    /// reserved event name: `connect`, `disconnect`, …; a packet over the server's
    /// `maxPayload`), [`Error::Closed`] (the connection was closed for good), [`Error::QueueFull`].
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<Sent, Error> {
        let p = self.packet(2, event, args)?;
        self.driver.send(p.frame(None, self.route.ch), Kind::Raw).map_err(send_err)
    }

    /// socket.io's `volatile.emit`: sent only if the namespace is connected now, never
    /// queued. Returns whether it was transmitted.
    ///
    /// # Errors
    /// As [`emit`](Self::emit) (never `Closed`/`QueueFull`).
    pub fn emit_volatile<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<bool, Error> {
        let p = self.packet(2, event, args)?;
        Ok(self.connected() && self.driver.control(0, p.frame(None, self.route.ch)))
    }

    /// Emits `event` expecting an ack (socket.io's `emitWithAck`), with the ack timeout
    /// ([`SocketIoBuilder::ack_timeout_ms`], default 10000 ms). The future resolves to the
    /// ack's first argument (`Value::Null` without one; binary arguments are placeholders).
    /// Queued while the namespace is not connected; the timeout runs from now.
    ///
    /// # Errors
    /// The future yields what [`emit`](Self::emit) refuses, or [`Error::Request`] of kind
    /// `timeout`, `connection-lost` (sent, then the connection dropped: it may or may not
    /// have arrived), `closed` or `dropped`.
    pub fn emit_with_ack<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> AckFuture {
        self.emit_with_ack_timeout(event, args, None)
    }

    /// As [`emit_with_ack`](Self::emit_with_ack) with this timeout in ms (socket.io's
    /// `timeout(ms).emitWithAck`; `None`: the default).
    ///
    /// # Errors
    /// As [`emit_with_ack`](Self::emit_with_ack); [`Error::Option`] for a timeout that is not
    /// a finite number > 0.
    pub fn emit_with_ack_timeout<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
        timeout_ms: Option<f64>,
    ) -> AckFuture {
        let timeout_ms = match crate::core::validate::request_timeout(timeout_ms) {
            Ok(t) => t,
            Err(e) => return AckFuture::failed(e.into()),
        };
        let p = match self.packet(2, event, args) {
            Ok(p) => p,
            Err(e) => return AckFuture::failed(e),
        };
        let mut rx = None;
        let ch = self.route.ch;
        let r = self.driver.request(
            timeout_ms,
            |id| p.frame(Some(id), ch),
            |id| rx = Some(self.sink.expect(id)),
        );
        match (r, rx) {
            (Ok(_), Some(rx)) => AckFuture { rx: Some(rx), err: None },
            (Err(e), _) => AckFuture::failed(send_err(e)),
            (Ok(_), None) => AckFuture::failed(Error::Closed),
        }
    }

    /// Connects the namespace if not connected (after [`disconnect`](Self::disconnect), a
    /// server disconnect, a connect error, or
    /// [`auto_connect(false)`](SocketIoBuilder::auto_connect)), starting the connection if
    /// it is closed; its queued emits go after its `CONNECT` answer.
    pub fn connect(&self) {
        self.route.status.borrow_mut().active = true;
        sio::join(&self.driver, self.route.ch);
    }

    /// Leaves the namespace: its `DISCONNECT` if connected (a [`SioEvent::Disconnect`] with
    /// reason `io client disconnect`); it does not reconnect until [`connect`](Self::connect).
    ///
    /// - While another namespace of the connection is active (connected or connecting), the
    ///   connection and the queue stay: this namespace's emits queue (within the queue's
    ///   limits and TTL) until its `connect()`; its pending acks wait for their answer or
    ///   time out.
    /// - When no other namespace is active, the connection closes for good (as before
    ///   multiplexing): pending acks fail `closed`, queued packets are dropped
    ///   ([`SioEvent::Drop`], to the handle that emitted each), emits fail
    ///   [`Error::Closed`] until a handle's `connect()` starts a new connection.
    pub fn disconnect(&self) {
        self.route.status.borrow_mut().active = false;
        if sio::leave(&self.driver, self.route.ch, false) {
            let mut st = self.route.status.borrow_mut();
            st.connected = false;
            st.id = None;
            drop(st);
            self.route.publish(SioEvent::Disconnect {
                reason: "io client disconnect".into(),
                will_reconnect: false,
            });
        }
        // The driver closed the connection (keeping the queue) if no namespace stays
        // active: the final close.
        if self.state() == State::Closed {
            self.driver.close(1000, "io client disconnect");
        }
    }

    /// Drops the connection (every namespace's) and reconnects now with the backoff reset.
    pub fn reconnect(&self) {
        self.driver.reconnect();
    }
}

// ---------- events ----------

/// Events from [`SocketIo::events`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SioEvent {
    /// The namespace connected (socket.io's `connect`).
    Connect {
        /// The namespace socket id.
        id: String,
        /// Whether the server restored the session (connection state recovery).
        recovered: bool,
        /// Whether this handle's namespace had connected before (a reconnection; for the
        /// first namespace, socket.io's Manager `reconnect`).
        reconnected: bool,
    },
    /// An attempt of the namespace failed (socket.io's `connect_error`): a middleware
    /// refusal (`data`: the server's `err.data`) or an `auth` closure's error (`data`
    /// `None`): the namespace stays disconnected until [`SocketIo::connect`], the connection
    /// closing if no other namespace is active; or a transport failure or a timeout of the
    /// connection (`data` `None`; reconnection goes on; to each handle whose namespace is
    /// connecting, the others get [`SioEvent::Error`]).
    ConnectError {
        /// The server's `err.message`, or what failed.
        message: String,
        /// The server's `err.data`.
        data: Option<Value>,
    },
    /// The namespace disconnected (socket.io's `disconnect`): its own `disconnect()`, a
    /// server `DISCONNECT`, or the connection lost (to each connected namespace's handle).
    Disconnect {
        /// socket.io's reason: `io server disconnect`, `io client disconnect`, `ping timeout`
        /// or `transport close`.
        reason: String,
        /// Whether a reconnect follows.
        will_reconnect: bool,
    },
    /// An event from the server.
    Event {
        /// Its name.
        name: String,
        /// Its arguments (binary ones as `{"_placeholder":true,"num":N}`: see [`attachment`]).
        args: Vec<Value>,
        /// Its binary attachments, in order.
        attachments: Vec<Vec<u8>>,
        /// Present when the server expects an ack (its callback, or `emitWithAck`).
        ack: Option<AckHandle>,
    },
    /// The next attempt is scheduled (socket.io's Manager `reconnect_attempt`; to every
    /// handle of the connection).
    Reconnecting {
        /// Retry number.
        attempt: u32,
        /// Delay in ms (`None` while offline).
        delay_ms: Option<f64>,
    },
    /// A queued packet was dropped (overflow, TTL, the final `disconnect()`, over the
    /// server's `maxPayload`); to the handle that emitted it.
    Drop {
        /// Its event name (`None` if it could not be read back).
        event: Option<String>,
        /// Its arguments.
        args: Vec<Value>,
        /// Why.
        reason: DropReason,
    },
    /// A queued packet was transmitted once its namespace (re)connected; to the handle that
    /// emitted it.
    Sent {
        /// Its event name.
        event: Option<String>,
        /// Its arguments.
        args: Vec<Value>,
    },
    /// The server pinged (socket.io's Manager `ping`; to every handle).
    Ping,
    /// Every state transition of the connection's engine (to every handle).
    State {
        /// Previous state.
        from: State,
        /// New state.
        to: State,
    },
    /// A problem other than a failed attempt of this namespace (socket.io's Manager
    /// `error`; to every handle): e.g. `heartbeat-timeout`, `protocol`, `reconnect-failed`.
    Error {
        /// What kind.
        kind: ErrorKind,
        /// Description.
        message: String,
    },
}

/// A stream of [`SioEvent`]s.
#[derive(Debug)]
pub struct SioEvents(mpsc::UnboundedReceiver<SioEvent>);

impl futures_core::Stream for SioEvents {
    type Item = SioEvent;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SioEvent>> {
        Pin::new(&mut self.0).poll_next(cx)
    }
}

/// Answers a server event that expects an ack (the server's callback or `emitWithAck`).
/// Clones share one answer: only the first [`ack`](Self::ack) is sent.
#[derive(Clone)]
pub struct AckHandle {
    conn: u64,
    id: u64,
    ns: Rc<str>,
    /// The namespace's engine channel.
    ch: u32,
    driver: Weak<Driver>,
    done: Rc<Cell<bool>>,
}

impl fmt::Debug for AckHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AckHandle").field("id", &self.id).field("done", &self.done.get()).finish()
    }
}

impl AckHandle {
    /// The packet's ack id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Sends the ack with `args` (a tuple or `Vec`; `&()` for none; [`Bin`] allowed) on the
    /// connection the event came on. `Ok(false)` when nothing was sent: already answered, or
    /// that connection is gone (the server's ack then times out).
    ///
    /// # Errors
    /// [`Error::Serde`] when `args` does not serialize to a JSON array.
    pub fn ack<T: Serialize + ?Sized>(&self, args: &T) -> Result<bool, Error> {
        let (list, bins) = serialize_args(args)?;
        if self.done.get() {
            return Ok(false);
        }
        let Some(d) = self.driver.upgrade() else { return Ok(false) };
        let p = Packet::new(3, &self.ns, &list, bins)?;
        self.done.set(true);
        Ok(d.control(self.conn, p.frame(Some(self.id), self.ch)))
    }
}

/// The future of [`SocketIo::emit_with_ack`]: the ack's first argument.
#[derive(Debug)]
pub struct AckFuture {
    rx: Option<oneshot::Receiver<Reply>>,
    err: Option<Error>,
}

impl AckFuture {
    fn failed(e: Error) -> Self {
        Self { rx: None, err: Some(e) }
    }
}

impl Future for AckFuture {
    type Output = Result<Value, Error>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(e) = self.err.take() {
            return Poll::Ready(Err(e));
        }
        let Some(rx) = self.rx.as_mut() else { return Poll::Ready(Err(Error::Closed)) };
        match Pin::new(rx).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(_)) => Poll::Ready(Err(Error::Closed)),
            Poll::Ready(Ok(Err(e))) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(Ok(v))) => Poll::Ready(ack_value(&v)),
        }
    }
}

/// The first argument of an ack note (`[json, attachments, id]`).
#[cfg(target_arch = "wasm32")]
fn ack_value(v: &JsValue) -> Result<Value, Error> {
    let (args, _) = payload(v).ok_or_else(|| Error::Serde("malformed Socket.IO ack".into()))?;
    match args {
        Value::Array(mut a) if !a.is_empty() => Ok(a.swap_remove(0)),
        Value::Array(_) => Ok(Value::Null),
        _ => Err(Error::Serde("malformed Socket.IO ack".into())),
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn ack_value(_: &wasm_bindgen::JsValue) -> Result<Value, Error> {
    Err(super::native_unsupported())
}

/// `(parsed JSON, attachments)` of a Socket.IO note's `[json, attachments, id]`.
#[cfg(target_arch = "wasm32")]
fn payload(v: &JsValue) -> Option<(Value, Vec<Vec<u8>>)> {
    let a = v.dyn_ref::<js_sys::Array>()?;
    let json: Value = serde_json::from_str(&a.get(0).as_string()?).ok()?;
    let atts = match a.get(1).dyn_ref::<js_sys::Array>() {
        Some(list) => list
            .iter()
            .map(|b| match b.dyn_ref::<js_sys::ArrayBuffer>() {
                Some(buf) => js_sys::Uint8Array::new(buf).to_vec(),
                None => js_sys::Uint8Array::new(&b).to_vec(),
            })
            .collect(),
        None => Vec::new(),
    };
    Some((json, atts))
}

/// `(event, args)` of a queued packet (`42/ns,7["name",...]` or `[text, ...bins]`).
#[cfg(target_arch = "wasm32")]
fn describe(frame: &JsFrame) -> (Option<String>, Vec<Value>) {
    let text = match frame.value.dyn_ref::<js_sys::Array>() {
        Some(a) => a.get(0).as_string(),
        None => frame.value.as_string(),
    };
    let list = text
        .and_then(|t| t.find('[').map(|i| t[i..].to_owned()))
        .and_then(|j| serde_json::from_str::<Vec<Value>>(&j).ok());
    match list {
        Some(mut l) if !l.is_empty() => {
            let name = l.remove(0);
            (name.as_str().map(Into::into), l)
        }
        _ => (None, Vec::new()),
    }
}

#[cfg(target_arch = "wasm32")]
impl Routes {
    /// Publishes `ev` on every handle's streams.
    fn broadcast(&self, ev: &SioEvent) {
        for r in self.all() {
            r.publish(ev.clone());
        }
    }

    /// Produces the `auth` of namespace channel `ch` for connection `conn` and hands it to
    /// the driver (now, or when its future resolves); `Err` fails that namespace.
    pub(crate) fn auth(&self, conn: u64, ch: u32) -> Result<(), String> {
        let Some(driver) = self.driver.borrow().upgrade() else { return Ok(()) };
        let Some(route) = self.route(ch) else {
            return Err("the namespace has no SocketIo handle".into());
        };
        let send = move |d: &Driver, v: Result<Value, String>| match v {
            Ok(Value::Null) => d.sio_connect(conn, ch, "{}"),
            Ok(v @ Value::Object(_)) => d.sio_connect(conn, ch, &v.to_string()),
            Ok(_) => d.sio_fail(conn, ch, "auth must be a JSON object".into()),
            Err(e) => d.sio_fail(conn, ch, ["auth: ", &e].concat()),
        };
        // No borrow of the routes is held here: the closure is user code, and the driver
        // may report the failure (a note) synchronously.
        match &route.auth {
            Auth::Fixed(v) => send(&driver, Ok(v.clone())),
            Auth::Sync(f) => send(&driver, f()),
            Auth::Async(f) => {
                let fut = f();
                let weak = Rc::downgrade(&driver);
                wasm_bindgen_futures::spawn_local(async move {
                    let v = fut.await;
                    if let Some(d) = weak.upgrade() {
                        send(&d, v);
                    }
                });
            }
        }
        Ok(())
    }

    /// A driver note as Socket.IO events: a namespace's to its handle, the connection's to
    /// every handle; an ack or a failed ack settles `sink`'s pending (ids are global).
    pub(crate) fn note(&self, sink: &RustSink, note: Note) {
        match note {
            Note::Sio { k: 1, id, v, .. } => sink.settle(id as u64, Ok(v)),
            Note::Sio { k: 3, .. } => self.broadcast(&SioEvent::Ping),
            Note::Sio { k, conn, v, ch, .. } => {
                if let Some(r) = self.route(ch) {
                    if let Some(ev) = self.namespace_note(&r, k, conn, &v) {
                        r.publish(ev);
                    }
                }
            }
            Note::Engine(ev) => self.engine(sink, ev),
            _ => {}
        }
    }

    /// A note of namespace `r` (kinds 0, 2, 4, 5, 6 of [`Note::Sio`]) as its event.
    fn namespace_note(&self, r: &Route, k: u32, conn: u64, v: &JsValue) -> Option<SioEvent> {
        Some(match k {
            4 => {
                let info = self.driver.borrow().upgrade().map(|d| d.sio_info(r.ch));
                let get = |i: u32| info.as_ref().map_or(JsValue::UNDEFINED, |a| a.get(i));
                let id = get(0).as_string().unwrap_or_default();
                let recovered = get(1).as_bool().unwrap_or(false);
                let mut st = r.status.borrow_mut();
                st.connected = true;
                st.active = true;
                st.id = Some(id.clone());
                st.recovered = recovered;
                st.max_payload = get(2).as_f64().unwrap_or(f64::NAN);
                let reconnected = std::mem::replace(&mut st.reconnected, true);
                SioEvent::Connect { id, recovered, reconnected }
            }
            5 => {
                let mut st = r.status.borrow_mut();
                st.connected = false;
                st.active = false;
                st.id = None;
                SioEvent::Disconnect {
                    reason: "io server disconnect".into(),
                    will_reconnect: false,
                }
            }
            6 => {
                r.status.borrow_mut().active = false;
                SioEvent::ConnectError { message: v.as_string().unwrap_or_default(), data: None }
            }
            2 => {
                r.status.borrow_mut().active = false;
                let (message, data) = match payload(v) {
                    Some((Value::String(s), _)) => (s, None),
                    Some((Value::Object(mut o), _)) => {
                        let m = match o.remove("message") {
                            Some(Value::String(s)) => s,
                            Some(v) => v.to_string(),
                            None => "connect error".into(),
                        };
                        (m, o.remove("data"))
                    }
                    _ => ("malformed CONNECT_ERROR".into(), None),
                };
                SioEvent::ConnectError { message, data }
            }
            0 => {
                let Some((Value::Array(mut list), attachments)) = payload(v) else {
                    return Some(SioEvent::Error {
                        kind: ErrorKind::Protocol,
                        message: "malformed Socket.IO payload".into(),
                    });
                };
                let name = match list.first() {
                    Some(Value::String(_)) => match list.remove(0) {
                        Value::String(s) => s,
                        _ => String::new(),
                    },
                    _ => String::new(),
                };
                let ack_id = v.dyn_ref::<js_sys::Array>().and_then(|a| a.get(2).as_f64());
                let ack = ack_id.map(|id| AckHandle {
                    conn,
                    id: id as u64,
                    ns: r.ns.clone(),
                    ch: r.ch,
                    driver: self.driver.borrow().clone(),
                    done: Rc::new(Cell::new(false)),
                });
                SioEvent::Event { name, args: list, attachments, ack }
            }
            _ => return None,
        })
    }

    /// An engine event (connection-level): to every handle, except a queued packet's
    /// `Drop`/`Sent` (to its namespace's handle) and failed acks (settled).
    fn engine(&self, sink: &RustSink, ev: crate::core::Event<Kind, JsFrame>) {
        use crate::core::Event;
        let attempt_kind = |k: ErrorKind| {
            matches!(
                k,
                ErrorKind::Connect
                    | ErrorKind::ConnectTimeout
                    | ErrorKind::Url
                    | ErrorKind::Handshake
            )
        };
        match ev {
            Event::State { from, to } => self.broadcast(&SioEvent::State { from, to }),
            Event::Open { .. } => self.ping_timeout.set(false),
            Event::Close { will_reconnect, .. } => {
                let reason =
                    if self.ping_timeout.get() { "ping timeout" } else { "transport close" };
                for r in self.all() {
                    let mut st = r.status.borrow_mut();
                    if !st.connected {
                        continue;
                    }
                    st.connected = false;
                    st.id = None;
                    drop(st);
                    r.publish(SioEvent::Disconnect { reason: reason.into(), will_reconnect });
                }
            }
            Event::Reconnecting { attempt, delay_ms } => {
                self.broadcast(&SioEvent::Reconnecting { attempt, delay_ms });
            }
            Event::Error { kind, message } => {
                if kind == ErrorKind::HeartbeatTimeout {
                    self.ping_timeout.set(true);
                }
                for r in self.all() {
                    let refused = {
                        let st = r.status.borrow();
                        attempt_kind(kind) && st.active && !st.connected
                    };
                    r.publish(if refused {
                        SioEvent::ConnectError { message: message.clone(), data: None }
                    } else {
                        SioEvent::Error { kind, message: message.clone() }
                    });
                }
            }
            Event::Dropped { frame, reason, .. } => {
                if let Some(r) = self.route(frame.ch) {
                    let (event, args) = describe(&frame);
                    r.publish(SioEvent::Drop { event, args, reason });
                }
            }
            Event::Sent { frame, .. } => {
                if let Some(r) = self.route(frame.ch) {
                    let (event, args) = describe(&frame);
                    r.publish(SioEvent::Sent { event, args });
                }
            }
            Event::RequestFailed { id, failure } => sink.settle(
                id,
                Err(Error::Request {
                    kind: failure.into(),
                    code: None,
                    message: ["ack failed: ", failure.as_str()].concat(),
                }),
            ),
            _ => {}
        }
    }
}
