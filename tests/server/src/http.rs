//! The HTTP transports on `/ws`: SSE and long-polling (README, "The reference server"), for clients
//! that cannot use a WebSocket. A session is a registered `/ws` connection like any other (same
//! registry entry, reader and controls: see `ws`); only the way its frames travel differs.
//!
//! - Frames travel in batches, both ways: a JSON array of strings (text frames) and
//!   `{"b":"<base64>"}` objects (binary frames), in send order.
//! - `GET /ws?…&transport=sse` → `200 text/event-stream`: `event: open` with `{"sid":S}`, then
//!   each batch of server frames as a default event (`data: <batch>`), a server close as
//!   `event: close` with `{"code","reason"}` (then the response ends), and a `:` comment line
//!   every 15 s. The session ends when the client closes the response.
//! - `GET /ws?…&transport=polling` → `{"sid":S}`; then `GET …&sid=S` is held until frames are
//!   ready or `Config::poll_hold_ms` pass and answers `{"frames":<batch>}` (with `"close"` when
//!   the server closed: the last answer); `wait=0` answers at once; a newer poll answers the
//!   held one `{"frames":[]}`. The session ends once no poll has been outstanding for
//!   `Config::poll_idle_ms`.
//! - `POST /ws?…&sid=S&n=K` (body: a batch): batch K is processed (as WebSocket messages of the
//!   connection, in order) only if it is the last one processed + 1 (`{"ok":true}`); K at or
//!   below it is a duplicate (`{"ok":true,"duplicate":true}`, not processed); K beyond it is
//!   `409`. `POST …&sid=S&close=1` ends the session (a client close; idempotent: `200` for an
//!   unknown or ended sid too). Otherwise an unknown or ended sid: `404`.
//!
//! A dropped session (`/control/drop`, the end of a half-open) fails its open SSE response and
//! its held requests without an answer (the client sees a network error), like a TCP reset.

use std::fmt::Write as _;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::ws::Message;
use axum::http::{header, Method};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::{sleep, sleep_until, timeout, Instant};

use crate::ws::{self, Conn, Ctl, Frame, Item, Params, Pre, Transport};
use crate::{json as json_response, Kind, Query, Shared};

/// SSE: a comment line this often keeps proxies from timing the stream out.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// A batch stops growing once it holds this many bytes (the rest goes in the next one).
const MAX_BATCH_BYTES: usize = 1 << 20;
/// SSE chunks buffered ahead of the client (backpressure for large bursts).
const SSE_BUFFER: usize = 8;
/// The longest a drop, or a server close, waits for the SSE response to take its end.
const END_WAIT: Duration = Duration::from_secs(2);

/// Registry entry of an HTTP-transport session (`Inner::http`, by sid).
pub(crate) struct Handle {
    /// Its connection id (its entry in `Inner::conns`).
    pub conn: u64,
    /// Where POSTs go (to the session's reader).
    posts: mpsc::UnboundedSender<Upstream>,
    /// Long-polling only: where polls go (to the session's writer).
    polls: Option<mpsc::UnboundedSender<PollRequest>>,
}

/// A POST for the session's reader.
enum Upstream {
    /// Batch `n` and where its outcome goes.
    Batch { n: u64, frames: Vec<Message>, reply: oneshot::Sender<Posted> },
    /// `close=1`: answered once the session is gone.
    Close(oneshot::Sender<()>),
}

/// The outcome of a POSTed batch.
enum Posted {
    Processed,
    Duplicate,
    /// Beyond the next one, which is this.
    Gap(u64),
}

/// A poll: `hold` unless `wait=0`; the answer goes to `reply`.
struct PollRequest {
    hold: bool,
    reply: oneshot::Sender<Value>,
}

/// `/ws` without a WebSocket upgrade: the HTTP transports.
pub(crate) async fn handle(shared: Arc<Shared>, method: Method, q: Query, body: Body) -> Response {
    if method == Method::POST {
        let Some(sid) = q.get("sid") else {
            return crate::bad_param("sid", "is required").response();
        };
        if q.get("close") == Some("1") {
            return close(&shared, sid).await;
        }
        return match q.required_int("n", 0, u64::MAX) {
            Ok(n) => post(&shared, sid, n, body).await,
            Err(bad) => bad.response(),
        };
    }
    if method != Method::GET {
        return json_response(405, json!({ "error": "use GET or POST" }));
    }
    match (q.get("transport"), q.get("sid")) {
        (Some("sse"), _) => open(shared, &q, Transport::Sse),
        (Some("polling"), None) => open(shared, &q, Transport::Polling),
        (Some("polling"), Some(sid)) => poll(&shared, sid, q.get("wait") != Some("0")).await,
        _ => crate::bad_param("transport", "must be `sse` or `polling`").response(),
    }
}

/// Opens a session: registers it (like a WebSocket upgrade), starts its task, answers.
fn open(shared: Arc<Shared>, q: &Query, transport: Transport) -> Response {
    let params = match Params::parse(q, Kind::Protocol) {
        Ok(params) => params,
        Err(bad) => return bad.response(),
    };
    if shared.lock().refuse.active(params.tag.as_deref(), Instant::now()) {
        return ws::refused(&shared);
    }
    let Some(pre) = ws::register(&shared, Kind::Protocol, transport, params) else {
        shared.count(&shared.refused);
        return Response::builder()
            .status(503)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::RETRY_AFTER, "1")
            .body(json!({ "error": "server full" }).to_string().into())
            .unwrap_or_default();
    };
    shared.count(&shared.accepted);
    let sid = new_sid(pre.id);
    let (posts, posts_rx) = mpsc::unbounded_channel();
    let (writer, polls, response) = match transport {
        Transport::Polling => {
            let (polls, rx) = mpsc::unbounded_channel();
            let writer = PollWriter {
                rx,
                held: None,
                idle_since: Instant::now(),
                hold: Duration::from_millis(shared.config.poll_hold_ms),
                idle: Duration::from_millis(shared.config.poll_idle_ms),
            };
            (Writer::Polling(writer), Some(polls), json_response(200, json!({ "sid": sid })))
        }
        _ => {
            let (tx, rx) = mpsc::channel(SSE_BUFFER);
            let (abort, abort_rx) = oneshot::channel();
            // A fresh channel has room: the open event is the first thing in the stream.
            let _ = tx
                .try_send(Bytes::from(format!("event: open\ndata: {}\n\n", json!({ "sid": sid }))));
            let mut keepalive = tokio::time::interval_at(Instant::now() + KEEPALIVE, KEEPALIVE);
            keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let response = Response::builder()
                .status(200)
                .header(header::CONTENT_TYPE, "text/event-stream")
                .header(header::CACHE_CONTROL, "no-store")
                .body(Body::from_stream(SseBody { rx, abort: Some(abort_rx), failed: false }))
                .unwrap_or_default();
            (Writer::Sse(SseWriter { tx, abort, keepalive }), None, response)
        }
    };
    shared.lock().http.insert(sid, Handle { conn: pre.id, posts, polls });
    tokio::spawn(run(shared, pre, posts_rx, writer));
    response
}

/// An unguessable session id: 128 bits from std's randomly keyed hasher, over the connection
/// id and the time.
fn new_sid(conn: u64) -> String {
    let keys = std::hash::RandomState::new();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut sid = String::with_capacity(32);
    for half in 0..2u8 {
        let mut h = keys.build_hasher();
        h.write_u64(conn);
        h.write_u128(nanos);
        h.write_u8(half);
        let _ = write!(sid, "{:016x}", h.finish());
    }
    sid
}

/// `404` for an unknown or ended session.
fn unknown() -> Response {
    json_response(404, json!({ "error": "unknown session" }))
}

/// A response that never is: its body fails at once, so the server closes the connection
/// before the head is out and the client's request fails with a network error.
fn aborted() -> Response {
    let fail =
        futures_util::stream::once(async { Err::<Bytes, _>(io::Error::other("session dropped")) });
    Response::new(Body::from_stream(fail))
}

/// `POST …&sid=S&n=K`: batch K for the session's reader.
async fn post(shared: &Shared, sid: &str, n: u64, body: Body) -> Response {
    let Some(posts) = shared.lock().http.get(sid).map(|h| h.posts.clone()) else {
        return unknown();
    };
    let max = shared.config.max_message_bytes;
    let limit = max.saturating_mul(4).saturating_add(1 << 20);
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return json_response(413, json!({ "error": "request body too large" }));
    };
    let Some(frames) = parse_batch(&bytes) else {
        return json_response(
            400,
            json!({ "error": "the body must be a batch: a JSON array of strings and {\"b\":base64}" }),
        );
    };
    let (reply, outcome) = oneshot::channel();
    if posts.send(Upstream::Batch { n, frames, reply }).is_err() {
        return unknown();
    }
    match outcome.await {
        Ok(Posted::Processed) => json_response(200, json!({ "ok": true })),
        Ok(Posted::Duplicate) => json_response(200, json!({ "ok": true, "duplicate": true })),
        Ok(Posted::Gap(next)) => json_response(
            409,
            json!({ "error": format!("batch {n} is not the next one ({next})") }),
        ),
        Err(_) => aborted(),
    }
}

/// Parses a batch: `None` unless it is an array of strings and `{"b":base64}` objects.
fn parse_batch(body: &[u8]) -> Option<Vec<Message>> {
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(body) else { return None };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(s) => Some(Message::Text(s.into())),
            Value::Object(o) if o.len() == 1 => {
                let bytes = BASE64.decode(o.get("b")?.as_str()?).ok()?;
                Some(Message::Binary(bytes.into()))
            }
            _ => None,
        })
        .collect()
}

/// `POST …&sid=S&close=1`: the client closes the session.
async fn close(shared: &Shared, sid: &str) -> Response {
    // Idempotent: a session that is unknown or already ended (the client's SSE response,
    // aborted as it closes, may end it first) is closed: `200` with `"ended": true`.
    let ended = || json_response(200, json!({ "ok": true, "ended": true }));
    let Some(posts) = shared.lock().http.get(sid).map(|h| h.posts.clone()) else {
        return ended();
    };
    let (reply, done) = oneshot::channel();
    if posts.send(Upstream::Close(reply)).is_err() {
        return ended();
    }
    match done.await {
        Ok(()) => json_response(200, json!({ "ok": true })),
        Err(_) => ended(),
    }
}

/// `GET …&transport=polling&sid=S[&wait=0]`: a poll for the session's writer.
async fn poll(shared: &Shared, sid: &str, hold: bool) -> Response {
    let polls = match shared.lock().http.get(sid) {
        Some(Handle { polls: Some(polls), .. }) => polls.clone(),
        _ => return unknown(),
    };
    let (reply, answer) = oneshot::channel();
    if polls.send(PollRequest { hold, reply }).is_err() {
        return unknown();
    }
    match answer.await {
        Ok(body) => json_response(200, body),
        Err(_) => aborted(),
    }
}

/// How a session's run ended.
enum End {
    /// The client went away: its SSE response closed, or no poll for `poll_idle_ms`.
    Gone,
    /// The client's `close=1` (answered once the session is gone).
    ClientClose(oneshot::Sender<()>),
    /// The server's close frame was taken: the last delivery (with the frames before it),
    /// made once the session is gone; for polling, the poll it answers.
    ServerClose(Batch, Option<oneshot::Sender<Value>>),
    /// `Ctl::Drop`.
    Drop(oneshot::Sender<()>),
    /// `Ctl::HalfOpen`.
    HalfOpen(Duration, oneshot::Sender<()>),
}

/// Runs a session until it ends, like `ws::run` runs a WebSocket: the reader (POSTs) and the
/// writer (SSE events or poll answers) raced against the connection's control channel.
async fn run(
    shared: Arc<Shared>,
    pre: Pre,
    mut posts: mpsc::UnboundedReceiver<Upstream>,
    mut writer: Writer,
) {
    let conn = Conn::new(shared, &pre);
    let Pre { out_rx, mut ctl_rx, .. } = pre;
    let mut queue = Queue { rx: out_rx, head: None, burst: None };
    let mut reader = Reader { last: 0, closing: false, tasks: JoinSet::new() };
    let end = 'run: loop {
        let ctl = tokio::select! {
            end = reader.run(&mut posts, &conn) => break end,
            end = writer.run(&mut queue) => break end,
            ctl = ctl_rx.recv() => ctl,
        };
        match ctl {
            // Not processing POSTs (they wait); delivering goes on.
            Some(Ctl::Stall(d, ack)) => {
                let _ = ack.send(());
                let until = sleep(d);
                tokio::pin!(until);
                loop {
                    tokio::select! {
                        () = &mut until => break,
                        end = writer.run(&mut queue) => break 'run end,
                        ctl = ctl_rx.recv() => match ctl {
                            Some(Ctl::Stall(_, ack)) => drop(ack.send(())),
                            Some(Ctl::Drop(ack)) => break 'run End::Drop(ack),
                            Some(Ctl::HalfOpen(d, ack)) => break 'run End::HalfOpen(d, ack),
                            None => break 'run End::Gone,
                        },
                    }
                }
            }
            Some(Ctl::Drop(ack)) => break End::Drop(ack),
            Some(Ctl::HalfOpen(d, ack)) => break End::HalfOpen(d, ack),
            None => break End::Gone,
        }
    };
    // Unregister first (as `ws::run` does), so a client that sees the end also sees the
    // session gone from stats; then POSTs and polls for the sid get 404.
    match end {
        End::Gone => {
            conn.unregister();
            writer.finish();
        }
        End::ClientClose(reply) => {
            conn.unregister();
            writer.finish();
            let _ = reply.send(());
        }
        End::ServerClose(batch, reply) => {
            conn.unregister();
            let delivered = match (&mut writer, reply) {
                (Writer::Sse(w), _) => {
                    let chunk = Bytes::from(batch.sse_events());
                    matches!(timeout(END_WAIT, w.tx.send(chunk)).await, Ok(Ok(())))
                }
                (Writer::Polling(_), Some(reply)) => reply.send(batch.poll_answer()).is_ok(),
                (Writer::Polling(_), None) => false,
            };
            if delivered {
                batch.ack();
            }
            writer.finish();
        }
        End::Drop(ack) => {
            conn.unregister();
            drop(posts); // POSTs waiting for the reader fail without an answer
            writer.abort().await;
            let _ = ack.send(());
        }
        End::HalfOpen(after, ack) => {
            // Nothing is processed or delivered; requests hang; then the session drops.
            let _ = ack.send(());
            let acks = ws::half_open(after, &mut ctl_rx).await;
            conn.unregister();
            drop(posts);
            writer.abort().await;
            for ack in acks {
                let _ = ack.send(());
            }
        }
    }
}

/// The session's reader: POSTed batches, processed in order, once each.
struct Reader {
    /// The last batch number processed.
    last: u64,
    /// The server started closing: later frames are ignored (as on a WebSocket).
    closing: bool,
    /// Delayed replies (`slow`, `auth` with `delayMs`).
    tasks: JoinSet<()>,
}

impl Reader {
    /// Processes POSTs until the client closes. Cancel-safe: a POST is handled at once once
    /// received.
    async fn run(&mut self, posts: &mut mpsc::UnboundedReceiver<Upstream>, conn: &Conn) -> End {
        loop {
            let Some(post) = posts.recv().await else { return End::Gone };
            let (n, frames, reply) = match post {
                Upstream::Close(reply) => return End::ClientClose(reply),
                Upstream::Batch { n, frames, reply } => (n, frames, reply),
            };
            let outcome = if n <= self.last {
                Posted::Duplicate
            } else if n - self.last > 1 {
                Posted::Gap(self.last + 1)
            } else {
                self.last = n;
                for msg in frames {
                    while self.tasks.try_join_next().is_some() {}
                    if !self.closing {
                        self.closing =
                            ws::handle_message(conn, msg, Kind::Protocol, &mut self.tasks);
                    }
                }
                Posted::Processed
            };
            let _ = reply.send(outcome);
        }
    }
}

/// A burst being expanded into frames.
struct Burst {
    next: u64,
    count: u64,
    pad: String,
    ack: Option<oneshot::Sender<()>>,
}

/// The connection's outbound queue, read in order, each frame no earlier than its due time.
struct Queue {
    rx: mpsc::UnboundedReceiver<Item>,
    /// The next item: received, not yet taken (it may not be due yet).
    head: Option<Item>,
    burst: Option<Burst>,
}

impl Queue {
    /// Waits until a frame is due. Cancel-safe: what was received stays in `head`.
    async fn ready(&mut self) {
        if self.burst.is_some() {
            return;
        }
        if self.head.is_none() {
            // The registry holds a sender while the session lives.
            let Some(item) = self.rx.recv().await else { return std::future::pending().await };
            self.head = Some(item);
        }
        if let Some(item) = &self.head {
            sleep_until(item.at).await;
        }
    }

    /// Takes the frames due now, in order, up to about `MAX_BATCH_BYTES`; a close frame ends
    /// the batch (what follows it is never delivered).
    fn take(&mut self) -> Batch {
        let now = Instant::now();
        let mut batch = Batch::default();
        loop {
            if let Some(b) = &mut self.burst {
                while b.next < b.count {
                    if batch.frames.len() >= MAX_BATCH_BYTES {
                        return batch;
                    }
                    let (i, pad) = (b.next, &b.pad);
                    batch.text(&format!(r#"{{"type":"burst","data":{{"i":{i},"pad":"{pad}"}}}}"#));
                    b.next += 1;
                }
                batch.acks.extend(b.ack.take());
                self.burst = None;
            }
            if batch.frames.len() >= MAX_BATCH_BYTES {
                return batch;
            }
            let item = match self.head.take() {
                Some(item) => item,
                None => match self.rx.try_recv() {
                    Ok(item) => item,
                    Err(_) => return batch,
                },
            };
            if item.at > now {
                self.head = Some(item);
                return batch;
            }
            let Item { frame, ack, .. } = item;
            match frame {
                Frame::Msg(Message::Text(t)) => batch.text(t.as_str()),
                Frame::Msg(Message::Binary(b)) => batch.push(&json!({ "b": BASE64.encode(&b) })),
                Frame::Msg(Message::Close(c)) => {
                    let (code, reason) =
                        c.map_or((1005, String::new()), |c| (c.code, c.reason.as_str().to_owned()));
                    batch.close = Some(json!({ "code": code, "reason": reason }));
                    batch.acks.extend(ack);
                    return batch;
                }
                Frame::Msg(Message::Ping(_) | Message::Pong(_)) => {}
                Frame::Burst { count, size } => {
                    self.burst = Some(Burst { next: 0, count, pad: "x".repeat(size), ack });
                    continue;
                }
            }
            batch.acks.extend(ack);
        }
    }
}

/// Frames taken from the queue for one delivery.
#[derive(Default)]
struct Batch {
    /// The frames, JSON-encoded and comma-separated (the array without its brackets).
    frames: String,
    /// The server's close, `{"code","reason"}`.
    close: Option<Value>,
    /// Acks of the frames, fired once delivered.
    acks: Vec<oneshot::Sender<()>>,
}

impl Batch {
    fn text(&mut self, text: &str) {
        self.push(&Value::from(text));
    }

    fn push(&mut self, frame: &Value) {
        if !self.frames.is_empty() {
            self.frames.push(',');
        }
        let _ = write!(self.frames, "{frame}");
    }

    /// Nothing to deliver.
    fn is_empty(&self) -> bool {
        self.frames.is_empty() && self.close.is_none()
    }

    /// The SSE events: the frames as a default event, then the close event (if any).
    fn sse_events(&self) -> String {
        let mut out = String::new();
        if !self.frames.is_empty() {
            let _ = write!(out, "data: [{}]\n\n", self.frames);
        }
        if let Some(close) = &self.close {
            let _ = write!(out, "event: close\ndata: {close}\n\n");
        }
        out
    }

    /// The poll answer: `{"frames":[…]}`, with `"close"` if the server closed.
    fn poll_answer(&self) -> Value {
        let frames: Value =
            serde_json::from_str(&format!("[{}]", self.frames)).unwrap_or_else(|_| json!([]));
        match &self.close {
            Some(close) => json!({ "frames": frames, "close": close }),
            None => json!({ "frames": frames }),
        }
    }

    /// The batch was delivered: fire the acks.
    fn ack(self) {
        for ack in self.acks {
            let _ = ack.send(());
        }
    }
}

/// The session's writer: delivers the queue to the client.
enum Writer {
    Sse(SseWriter),
    Polling(PollWriter),
}

impl Writer {
    /// Delivers until the session ends from this side. Cancel-safe.
    async fn run(&mut self, queue: &mut Queue) -> End {
        match self {
            Writer::Sse(w) => w.run(queue).await,
            Writer::Polling(w) => w.run(queue).await,
        }
    }

    /// A clean end: the SSE response ends (no close event); polls held or waiting get
    /// `{"frames":[]}`.
    fn finish(self) {
        if let Writer::Polling(mut w) = self {
            w.answer_empty();
            w.rx.close();
            while let Ok(req) = w.rx.try_recv() {
                let _ = req.reply.send(json!({ "frames": [] }));
            }
        }
    }

    /// An abrupt end: the SSE response fails (waiting, bounded, until it is gone) and held
    /// polls get no answer.
    async fn abort(self) {
        match self {
            Writer::Sse(SseWriter { tx, abort, .. }) => {
                let _ = abort.send(());
                let _ = timeout(END_WAIT, tx.closed()).await;
            }
            Writer::Polling(w) => drop(w),
        }
    }
}

/// Writes SSE chunks into the response body.
struct SseWriter {
    tx: mpsc::Sender<Bytes>,
    abort: oneshot::Sender<()>,
    keepalive: tokio::time::Interval,
}

impl SseWriter {
    async fn run(&mut self, queue: &mut Queue) -> End {
        loop {
            tokio::select! {
                () = queue.ready() => {}
                () = self.tx.closed() => return End::Gone,
                _ = self.keepalive.tick() => {
                    // Skipped if the client is behind: then data is on its way anyway.
                    let _ = self.tx.try_send(Bytes::from_static(b":\n\n"));
                    continue;
                }
            }
            let Ok(permit) = self.tx.reserve().await else { return End::Gone };
            let batch = queue.take();
            if batch.close.is_some() {
                return End::ServerClose(batch, None);
            }
            if batch.is_empty() {
                continue;
            }
            permit.send(Bytes::from(batch.sse_events()));
            self.keepalive.reset();
            batch.ack();
        }
    }
}

/// A poll waiting for frames.
struct Held {
    reply: oneshot::Sender<Value>,
    until: Instant,
}

/// Answers polls.
struct PollWriter {
    rx: mpsc::UnboundedReceiver<PollRequest>,
    held: Option<Held>,
    /// Since when no poll has been outstanding.
    idle_since: Instant,
    hold: Duration,
    idle: Duration,
}

impl PollWriter {
    async fn run(&mut self, queue: &mut Queue) -> End {
        loop {
            let held_until = self.held.as_ref().map(|h| h.until);
            tokio::select! {
                req = self.rx.recv() => {
                    let Some(req) = req else { return End::Gone };
                    // At most one poll is outstanding: a newer one answers the older one.
                    self.answer_empty();
                    if req.hold {
                        let until = Instant::now() + self.hold;
                        self.held = Some(Held { reply: req.reply, until });
                    } else if let Some(end) = self.answer(req.reply, queue.take()) {
                        return end;
                    }
                }
                () = queue.ready(), if held_until.is_some() => {
                    let batch = queue.take();
                    if batch.is_empty() {
                        continue;
                    }
                    if let Some(held) = self.held.take() {
                        if let Some(end) = self.answer(held.reply, batch) {
                            return end;
                        }
                    }
                }
                () = sleep_until(held_until.unwrap_or_else(Instant::now)), if held_until.is_some() => {
                    self.answer_empty();
                }
                () = client_gone(&mut self.held) => {
                    self.held = None;
                    self.idle_since = Instant::now();
                }
                () = sleep_until(self.idle_since + self.idle), if held_until.is_none() => {
                    return End::Gone;
                }
            }
        }
    }

    /// Answers the held poll (if any) with an empty batch.
    fn answer_empty(&mut self) {
        if let Some(held) = self.held.take() {
            let _ = held.reply.send(json!({ "frames": [] }));
            self.idle_since = Instant::now();
        }
    }

    /// Answers a poll with `batch`; one with the server's close ends the session (answered
    /// once the session is gone).
    fn answer(&mut self, reply: oneshot::Sender<Value>, batch: Batch) -> Option<End> {
        self.idle_since = Instant::now();
        if batch.close.is_some() {
            return Some(End::ServerClose(batch, Some(reply)));
        }
        if reply.send(batch.poll_answer()).is_ok() {
            batch.ack();
        }
        None
    }
}

/// Resolves when the held poll's client went away (never if none is held).
async fn client_gone(held: &mut Option<Held>) {
    match held {
        Some(held) => held.reply.closed().await,
        None => std::future::pending().await,
    }
}

/// The body of an SSE response: the chunks its writer sends. An abort fails it, which makes the
/// server close the connection at once (no terminating chunk: the client sees a network error).
struct SseBody {
    rx: mpsc::Receiver<Bytes>,
    abort: Option<oneshot::Receiver<()>>,
    failed: bool,
}

impl futures_util::Stream for SseBody {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        if let Some(abort) = &mut this.abort {
            match Pin::new(abort).poll(cx) {
                Poll::Ready(Ok(())) => {
                    this.failed = true;
                    return Poll::Ready(Some(Err(io::Error::other("session dropped"))));
                }
                // The writer ended without an abort: a clean end once the chunks are out.
                Poll::Ready(Err(_)) => this.abort = None,
                Poll::Pending => {}
            }
        }
        this.rx.poll_recv(cx).map(|chunk| chunk.map(Ok))
    }
}
