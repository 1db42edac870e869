//! Reference test/demo server for steadysocket.
//!
//! Serves static files (`/pkg/*` from `ROOT/pkg`, everything else from `ROOT/www`), speaks the
//! steadysocket wire protocol v1 on `/ws` (over a WebSocket, or over the HTTP transports SSE and
//! long-polling: see `http`), plain echo on `/ws/raw`, two non-v1 peers (`/ws/silent`
//! never sends a frame, `/ws/events` speaks a custom `{"event","payload","ref"}` shape: see
//! `peers`), and exposes fault-injection controls under `/control/*` (drop, refuse, half-open,
//! close, garbage, delay, block-ws, ...).
//! Every control answers only once its fault is in effect, so tests never have to sleep.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod control;
mod files;
mod http;
mod peers;
mod session;
mod ws;

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Response;
use axum::routing::{any, get};
use axum::Router;
use serde_json::Value;
use tokio::time::Instant;

/// Server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// TCP port on 127.0.0.1; 0 picks an ephemeral port.
    pub port: u16,
    /// Directory holding `www/` and `pkg/`.
    pub root: PathBuf,
    /// Inbound WebSocket messages larger than this are answered with close 1009.
    pub max_message_bytes: usize,
    /// Upgrades beyond this many open connections are accepted, then closed with 1013.
    pub max_connections: usize,
    /// Append a JSON line per event/request received on `/ws` (`"dir":"in"`) and per stream
    /// tick queued (`"dir":"out"`) to this file, written at once (it survives a SIGKILL). For
    /// the chaos suite, which kills the server and still needs to know what it received.
    ///
    /// It is also the journal of reliable-mode sessions, which makes them durable: an `"in"`
    /// line of a reliable message carries its `session` and `seq` (the effect and the dedupe
    /// record are one write), every seq-stamped server message is written (`"dir":"sent"`)
    /// before it is sent, and a server started on an existing file reloads its sessions
    /// (highest seq processed, last seq sent, replay buffer) from it.
    pub log_file: Option<PathBuf>,
    /// Every this many ms (0: never), send each `/ws?stream=1` connection a numbered event
    /// `{"type":"tick","data":{"n":N}}`; N counts up server-wide from `stream_start` and only
    /// while such a connection exists.
    pub stream_every_ms: u64,
    /// The first tick number.
    pub stream_start: u64,
    /// Long-polling: a poll is held at most this long (ms) before it is answered with an empty
    /// batch.
    pub poll_hold_ms: u64,
    /// Long-polling: a session ends once no poll has been outstanding for this long (ms).
    pub poll_idle_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 8080,
            root: PathBuf::from("."),
            max_message_bytes: 1 << 20,
            max_connections: 1000,
            log_file: None,
            stream_every_ms: 0,
            stream_start: 1,
            poll_hold_ms: 25_000,
            poll_idle_ms: 10_000,
        }
    }
}

/// Binds 127.0.0.1:`config.port` and returns the bound address plus the future that serves
/// until `shutdown` resolves. Spawn or await the future; nothing is served before that.
pub async fn bind(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<(SocketAddr, impl Future<Output = io::Result<()>> + Send)> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
    let addr = listener.local_addr()?;
    let reloaded = match &config.log_file {
        Some(path) => session::reload(path)?,
        None => Vec::new(),
    };
    let log_file = match &config.log_file {
        Some(path) => Some(std::fs::OpenOptions::new().create(true).append(true).open(path)?),
        None => None,
    };
    let shared = Arc::new(Shared::new(config));
    *shared.log_file.lock().unwrap_or_else(|p| p.into_inner()) = log_file;
    session::restore(&shared, reloaded);
    let app = router(shared.clone());
    Ok((addr, async move {
        let ticker = (shared.config.stream_every_ms > 0).then(|| tokio::spawn(ws::ticker(shared)));
        let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
        if let Some(ticker) = ticker {
            ticker.abort();
        }
        served
    }))
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/ws", get(ws::protocol_endpoint).post(ws::protocol_endpoint))
        .route("/ws/raw", get(ws::upgrade_raw))
        .route("/ws/hang", get(hang))
        .route("/ws/slam", get(slam))
        .route("/ws/silent", get(peers::silent))
        .route("/ws/events", get(peers::events))
        .route("/control/{*name}", any(control::handle))
        .fallback(files::serve)
        .with_state(shared)
        .layer(axum::middleware::map_response(common_headers))
}

/// `/ws/hang?ms=N` (default 3000, at most 60000): accepts the TCP connection and the
/// upgrade request but answers nothing for N ms, then 503. For connect-timeout tests.
async fn hang(axum::extract::RawQuery(q): axum::extract::RawQuery) -> Response {
    let ms = q
        .as_deref()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("ms=")))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(3000)
        .min(60_000);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    axum::response::IntoResponse::into_response((
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "hung",
    ))
}

/// `/ws/slam`: completes the upgrade, then drops the connection at once without a close
/// frame (the client sees `open`, then a 1006 close): a server that accepts and dies.
async fn slam(ws: axum::extract::ws::WebSocketUpgrade) -> Response {
    ws.on_upgrade(|socket| async move { drop(socket) })
}

/// Headers every response carries (cross-origin isolation, CORS, no caching).
async fn common_headers(mut res: Response) -> Response {
    const HEADERS: [(&str, &str); 5] = [
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-embedder-policy", "require-corp"),
        ("cross-origin-resource-policy", "cross-origin"),
        ("cache-control", "no-store"),
        ("access-control-allow-origin", "*"),
    ];
    let h = res.headers_mut();
    for (name, value) in HEADERS {
        h.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    res
}

/// A JSON response.
fn json(status: u16, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.to_string().into())
        .unwrap_or_default()
}

/// Which endpoint a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Protocol,
    Raw,
}

/// State shared by all connections and controls.
struct Shared {
    config: Config,
    next_conn: AtomicU64,
    accepted: AtomicU64,
    refused: AtomicU64,
    inner: Mutex<Inner>,
    /// `Config::log_file`, opened for appending (shared with the sessions it journals).
    log_file: session::Journal,
}

/// Mutable state behind one lock. Never held across an `.await`.
#[derive(Default)]
struct Inner {
    conns: HashMap<u64, ws::ConnEntry>,
    history: HashMap<String, VecDeque<Value>>,
    log: VecDeque<Value>,
    seq: u64,
    /// `/control/refuse`: upgrades and HTTP-transport opens are answered 503.
    refuse: Window,
    /// `/control/block-ws`: WebSocket upgrades on `/ws` are answered 403.
    block_ws: Window,
    delay_all: Duration,
    delay_tag: HashMap<String, Duration>,
    /// Reliable-mode sessions (see `session`).
    sessions: session::Sessions,
    /// HTTP-transport sessions by sid (each also in `conns`).
    http: HashMap<String, http::Handle>,
}

/// A time window during which something applies, to every connection or per tag.
#[derive(Default)]
struct Window {
    all: Option<Instant>,
    tag: HashMap<String, Instant>,
}

impl Window {
    /// Applies for `ms` from now (0: ends now) to `tag`, or to all (which clears the per-tag
    /// windows).
    fn set(&mut self, tag: Option<&str>, ms: u64) {
        let until = Instant::now() + Duration::from_millis(ms);
        match tag {
            None => {
                self.tag.clear();
                self.all = (ms > 0).then_some(until);
            }
            Some(t) if ms == 0 => drop(self.tag.remove(t)),
            Some(t) => drop(self.tag.insert(t.to_owned(), until)),
        }
    }

    /// Ends it for `tag`, or for all.
    fn clear(&mut self, tag: Option<&str>) {
        match tag {
            None => *self = Window::default(),
            Some(t) => drop(self.tag.remove(t)),
        }
    }

    /// Whether it applies to a connection with `tag` at `now`.
    fn active(&self, tag: Option<&str>, now: Instant) -> bool {
        self.all.is_some_and(|until| now < until)
            || tag.and_then(|t| self.tag.get(t)).is_some_and(|&until| now < until)
    }
}

const LOG_CAP: usize = 10_000;
const HISTORY_CAP: usize = 200;

impl Shared {
    fn new(config: Config) -> Self {
        Shared {
            config,
            next_conn: AtomicU64::new(1),
            accepted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            inner: Mutex::new(Inner::default()),
            log_file: Default::default(),
        }
    }

    /// Appends `entry` as one line to the `--log-file` (if any), with one `write` call.
    fn log_line(&self, entry: &Value) {
        session::write_line(&self.log_file, entry);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn count(&self, counter: &AtomicU64) -> u64 {
        counter.fetch_add(1, Ordering::Relaxed) + 1
    }
}

impl Inner {
    /// Outbound delay for connections with `tag` (per-tag override, else the global default).
    fn delay_for(&self, tag: Option<&str>) -> Duration {
        tag.and_then(|t| self.delay_tag.get(t)).copied().unwrap_or(self.delay_all)
    }

    fn push_log(&mut self, entry: Value) {
        if self.log.len() >= LOG_CAP {
            self.log.pop_front();
        }
        self.log.push_back(entry);
    }
}

/// True if `filter` (a control's `tag=`) selects something tagged `tag`: no filter selects all.
fn tag_matches(filter: Option<&str>, tag: Option<&str>) -> bool {
    filter.is_none() || filter == tag
}

/// A tag is 1–64 URL-safe characters: `A-Z a-z 0-9 - . _ ~`.
fn valid_tag(tag: &str) -> bool {
    (1..=64).contains(&tag.len())
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Parsed query string (last value wins).
struct Query(HashMap<String, String>);

impl Query {
    fn parse(raw: Option<&str>) -> Self {
        Query(form_urlencoded::parse(raw.unwrap_or("").as_bytes()).into_owned().collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The `tag` parameter: absent → `None`.
    fn tag(&self) -> Result<Option<String>, BadParam> {
        match self.get("tag") {
            None => Ok(None),
            Some(t) if valid_tag(t) => Ok(Some(t.to_owned())),
            Some(_) => Err(bad_param("tag", "must be 1-64 characters of A-Z a-z 0-9 - . _ ~")),
        }
    }

    /// An integer parameter in `min..=max`; absent → `None`.
    fn int(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, BadParam> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(bad_param(name, &format!("must be an integer in {min}..={max}"))),
            },
        }
    }

    /// Like [`Query::int`] but the parameter is required.
    fn required_int(&self, name: &str, min: u64, max: u64) -> Result<u64, BadParam> {
        self.int(name, min, max)?.ok_or_else(|| bad_param(name, "is required"))
    }
}

/// A missing or invalid query parameter; becomes a 400 `{"error": ...}` naming it.
struct BadParam(String);

impl BadParam {
    fn response(&self) -> Response {
        json(400, serde_json::json!({ "error": self.0 }))
    }
}

fn bad_param(name: &str, problem: &str) -> BadParam {
    BadParam(format!("parameter `{name}` {problem}"))
}

/// Milliseconds since the Unix epoch.
fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Close codes an endpoint may send: 1000–1003, 1007–1014, 3000–4999.
fn sendable_close_code(code: u64) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Longest close reason (bytes) that fits a control frame.
const MAX_REASON_BYTES: usize = 123;
